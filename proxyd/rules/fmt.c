/* Log-format strings (HAProxy's %ci, %tr, %{+Q}r ... variables): a
 * compiler turning the text into a node array once, and a renderer writing
 * one log line from a session and its stream. Consecutive blanks in the
 * format are one separator, and a separator following a variable that
 * printed nothing is not repeated, as HAProxy does.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "backend/server-t.h"
#include "backend/srvconn-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/net.h"
#include "core/util.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "ssl/sslsock.h"
#include "rules/fmt.h"
#include "rules/sample.h"

enum lf_var {
	LFV_CI = 0, LFV_CP, LFV_FI, LFV_FP, LFV_BI, LFV_BP, LFV_SI, LFV_SP,
	LFV_T, LFV_TR_DATE, LFV_TG, LFV_TL, LFV_TH, LFV_TI, LFV_TRQ, LFV_TQ,
	LFV_TW, LFV_TC, LFV_TRS, LFV_TA, LFV_TT, LFV_ST, LFV_B, LFV_U, LFV_CC,
	LFV_CS, LFV_TSC, LFV_TS, LFV_AC, LFV_FC, LFV_BC, LFV_SC, LFV_RC, LFV_SQ,
	LFV_BQ, LFV_HR, LFV_HS, LFV_HRL, LFV_HSL, LFV_R, LFV_HM, LFV_HU, LFV_HP,
	LFV_HV, LFV_FT, LFV_F, LFV_B_NAME, LFV_S, LFV_ID, LFV_PID, LFV_H,
	LFV_MS, LFV_TS_UNIX, LFV_RT, LFV_O, LFV_SSLV, LFV_SSLC,
};

static const struct {
	const char *name;
	enum lf_var var;
} lf_vars[] = {
	{ "ci", LFV_CI }, { "cp", LFV_CP }, { "fi", LFV_FI }, { "fp", LFV_FP },
	{ "bi", LFV_BI }, { "bp", LFV_BP }, { "si", LFV_SI }, { "sp", LFV_SP },
	{ "t", LFV_T }, { "tr", LFV_TR_DATE }, { "T", LFV_TG }, { "Tl", LFV_TL },
	{ "Th", LFV_TH }, { "Ti", LFV_TI }, { "TR", LFV_TRQ }, { "Tq", LFV_TQ },
	{ "Tw", LFV_TW }, { "Tc", LFV_TC }, { "Tr", LFV_TRS }, { "Ta", LFV_TA },
	{ "Tt", LFV_TT }, { "ST", LFV_ST }, { "B", LFV_B }, { "U", LFV_U },
	{ "CC", LFV_CC }, { "CS", LFV_CS }, { "tsc", LFV_TSC }, { "ts", LFV_TS },
	{ "ac", LFV_AC }, { "fc", LFV_FC }, { "bc", LFV_BC }, { "sc", LFV_SC },
	{ "rc", LFV_RC }, { "sq", LFV_SQ }, { "bq", LFV_BQ }, { "hr", LFV_HR },
	{ "hs", LFV_HS }, { "hrl", LFV_HRL }, { "hsl", LFV_HSL }, { "r", LFV_R },
	{ "HM", LFV_HM }, { "HU", LFV_HU }, { "HP", LFV_HP }, { "HV", LFV_HV },
	{ "ft", LFV_FT }, { "f", LFV_F }, { "b", LFV_B_NAME }, { "s", LFV_S },
	{ "ID", LFV_ID }, { "pid", LFV_PID }, { "H", LFV_H }, { "ms", LFV_MS },
	{ "rt", LFV_RT }, { "o", LFV_O },
	{ "Ts", LFV_TS_UNIX }, { "sslv", LFV_SSLV }, { "sslc", LFV_SSLC },
};

enum lf_node_type {
	LFN_TEXT = 0,   /* literal bytes */
	LFN_SEP,        /* one or more blanks */
	LFN_VAR,        /* a variable */
	LFN_EXPR,       /* a sample expression: %[...] */
};

#define LF_Q  0x01      /* +Q: quote strings */
#define LF_X  0x02      /* +X: hexadecimal numbers */
#define LF_E  0x04      /* +E: escape quotes and backslashes */

struct lf_node {
	uint8_t type;
	uint8_t var;
	uint8_t flags;
	uint16_t len;
	const char *text;
	struct px_expr *expr;
};

struct px_logfmt {
	int n;
	uint8_t mode;            /* PX_FMT_LOG or PX_FMT_VALUE */
	uint8_t is_const;        /* only text: <text> holds the result */
	uint32_t text_len;
	char *text;
	struct lf_node nodes[];
};

extern uint32_t px_actconn;

static int find_var(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < PX_ARRAY_SIZE(lf_vars); i++)
		if (strlen(lf_vars[i].name) == len && !memcmp(lf_vars[i].name, name, len))
			return (int)lf_vars[i].var;
	return -1;
}

/* Compiles <fmt>. In PX_FMT_LOG mode runs of blanks are separators; in
 * PX_FMT_VALUE mode (header values, redirects) every byte is literal.
 * Sample expressions are checked for the phases in <use>. Returns the
 * compiled form (owned by the generation), or NULL with a message in <err>.
 */
struct px_logfmt *px_fmt_compile(struct px_cfg_ctx *ctx, const char *fmt, int mode,
                                 unsigned use, char **err)
{
	struct px_gen *gen = ctx->gen;
	size_t flen = strlen(fmt), cap = flen + 2;
	uint8_t all_flags;
	struct px_logfmt *lf = px_gen_alloc(gen, sizeof(*lf) + cap * sizeof(struct lf_node));
	const char *p;

	fmt = px_gen_strdup(gen, fmt);
	if (!lf || !fmt) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	p = fmt;
	lf->mode = (uint8_t)mode;
	all_flags = 0;
	/* Literal text: one node, no '%' interpreted. */
	if (mode == PX_FMT_LITERAL) {
		lf->mode = PX_FMT_VALUE;
		if (flen) {
			lf->nodes[0].type = LFN_TEXT;
			lf->nodes[0].text = fmt;
			lf->nodes[0].len = (uint16_t)(flen > 65535 ? 65535 : flen);
			lf->n = 1;
		}
		p = fmt + flen;
		mode = PX_FMT_VALUE;
	}
	while (*p) {
		struct lf_node *n = &lf->nodes[lf->n];

		if (*p == ' ' && mode == PX_FMT_LOG) {
			while (*p == ' ')
				p++;
			n->type = LFN_SEP;
			lf->n++;
			continue;
		}
		if (*p == '%' && p[1] == '%') {
			n->type = LFN_TEXT;
			n->text = p;
			n->len = 1;
			p += 2;
			lf->n++;
			continue;
		}
		if (*p == '%') {
			const char *name;
			uint8_t flags = all_flags;
			int v;

			p++;
			if (*p == '{') {
				const char *end = strchr(p, '}');

				if (!end) {
					px_strfmt(err, "missing '}' in '%s'", fmt);
					return NULL;
				}
				for (p++; p < end; ) {
					int on = *p == '+';

					if (*p == ',') {   /* "%{+Q,+E}" */
						p++;
						continue;
					}

					if ((*p != '+' && *p != '-') || p + 1 >= end) {
						px_strfmt(err, "invalid flag in '%%{%.*s}'",
						          (int)(end - p), p);
						return NULL;
					}
					switch (p[1]) {
					case 'Q': flags = on ? flags | LF_Q : flags & ~LF_Q; break;
					case 'X': flags = on ? flags | LF_X : flags & ~LF_X; break;
					case 'E': flags = on ? flags | LF_E : flags & ~LF_E; break;
					default:
						px_strfmt(err, "unknown log-format flag '%c'", p[1]);
						return NULL;
					}
					p += 2;
				}
				p = end + 1;
			}
			if (*p == '[') {
				const char *end = p + 1;
				char q = 0;

				int depth = 0;

				/* The closing ']' outside of quoted or parenthesised
				 * arguments ("regsub([^a-z],-)" holds brackets).
				 */
				for (; *end && (q || depth || *end != ']'); end++) {
					if (q && *end == q)
						q = 0;
					else if (!q && (*end == '"' || *end == '\''))
						q = *end;
					else if (*end == '\\' && end[1])
						end++;
					else if (!q && *end == '(')
						depth++;
					else if (!q && *end == ')' && depth)
						depth--;
				}
				if (*end != ']') {
					px_strfmt(err, "missing ']' after '%%%s'", p);
					return NULL;
				}
				n->expr = px_expr_parse(p + 1, end - p - 1, use, ctx, err);
				if (!n->expr)
					return NULL;
				n->type = LFN_EXPR;
				n->flags = flags;
				lf->n++;
				p = end + 1;
				continue;
			}
			name = p;
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
				p++;
			/* The whole run of letters names the variable, as in
			 * HAProxy ("%Tq/" is %Tq, "%Tz" is an error).
			 */
			v = find_var(name, p - name);
			if (v < 0) {
				px_strfmt(err, "unknown log-format variable at '%%%.16s'", name);
				return NULL;
			}
			/* "%{+X}o": the flags apply to every variable after it. */
			if (v == LFV_O) {
				all_flags = flags;
				continue;
			}
			n->type = LFN_VAR;
			n->var = (uint8_t)v;
			/* +X only changes addresses, ports, %Ts, %rt and %pid, as
			 * HAProxy's.
			 */
			if (v != LFV_CI && v != LFV_CP && v != LFV_FI && v != LFV_FP && v != LFV_BI &&
			    v != LFV_BP && v != LFV_SI && v != LFV_SP && v != LFV_TS_UNIX &&
			    v != LFV_PID && v != LFV_RT)
				flags &= ~LF_X;
			n->flags = flags;
			lf->n++;
			continue;
		}
		n->type = LFN_TEXT;
		n->text = p;
		while (*p && *p != '%' && (*p != ' ' || mode != PX_FMT_LOG))
			p++;
		n->len = p - n->text;
		lf->n++;
	}
	/* Constant values are rendered once, here. */
	{
		int i;
		size_t tl = 0;

		for (i = 0; i < lf->n && lf->nodes[i].type == LFN_TEXT; i++)
			tl += lf->nodes[i].len;
		if (i == lf->n && mode == PX_FMT_VALUE) {
			lf->text = px_gen_alloc(gen, tl + 1);
			if (!lf->text) {
				px_strfmt(err, "out of memory");
				return NULL;
			}
			for (i = 0; i < lf->n; i++) {
				memcpy(lf->text + lf->text_len, lf->nodes[i].text, lf->nodes[i].len);
				lf->text_len += lf->nodes[i].len;
			}
			lf->is_const = 1;
		}
	}
	return lf;
}

struct px_logfmt *px_logfmt_compile(struct px_cfg_ctx *ctx, const char *fmt, char **err)
{
	return px_fmt_compile(ctx, fmt, PX_FMT_LOG, PX_USE_LOG, err);
}

int px_fmt_const(const struct px_logfmt *lf, const char **p, uint32_t *len)
{
	if (!lf->is_const)
		return 0;
	*p = lf->text;
	*len = lf->text_len;
	return 1;
}

/* --- rendering --------------------------------------------------------- */

struct out {
	char *p;
	size_t len, size;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > o->size)
		n = o->size - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_c(struct out *o, char c)
{
	if (o->len < o->size)
		o->p[o->len++] = c;
}

static void put_str(struct out *o, const char *s, size_t n, uint8_t flags)
{
	size_t i;

	if (flags & LF_Q)
		put_c(o, '"');
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '#') {
			static const char hex[] = "0123456789ABCDEF";

			if ((flags & LF_E) && (c == '"' || c == '\\')) {
				put_c(o, '\\');
				put_c(o, c);
				continue;
			}
			put_c(o, '#');
			put_c(o, hex[c >> 4]);
			put_c(o, hex[c & 15]);
			continue;
		}
		if ((flags & LF_E) && c == '\\')
			put_c(o, '\\');
		put_c(o, c);
	}
	if (flags & LF_Q)
		put_c(o, '"');
}

static void put_num(struct out *o, int64_t v, uint8_t flags)
{
	char tmp[24];
	int n;

	if (flags & LF_X)
		n = snprintf(tmp, sizeof(tmp), "%llX", (unsigned long long)v);
	else
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	put(o, tmp, n);
}

/* Interval between two loop timestamps, or -1 when one of them is unset. */
static int64_t span(uint64_t from, uint64_t to)
{
	if (!from || !to || to < from)
		return -1;
	return (int64_t)(to - from);
}

size_t px_fmt_date(const struct timeval *tv, int gmt, int with_ms, char *tmp, size_t size)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm tm;
	int n;

	if (gmt)
		gmtime_r(&tv->tv_sec, &tm);
	else
		localtime_r(&tv->tv_sec, &tm);
	if (size < 64)
		return 0;
	n = snprintf(tmp, size, "%02d/%s/%04d:%02d:%02d:%02d", tm.tm_mday,
	             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	             tm.tm_sec);
	if (with_ms > 0)
		n += snprintf(tmp + n, size - n, ".%03d", (int)(tv->tv_usec / 1000));
	if (gmt == 2 || (!gmt && with_ms < 0)) {
		char z[8];

		strftime(z, sizeof(z), "%z", &tm);
		n += snprintf(tmp + n, size - n, " %s", gmt ? "+0000" : z);
	}
	return (size_t)n;
}

static void put_date(struct out *o, const struct timeval *tv, int gmt, int with_ms)
{
	char tmp[64];

	put(o, tmp, px_fmt_date(tv, gmt, with_ms, tmp, sizeof(tmp)));
}

static void put_addr_ip(struct out *o, const struct sockaddr *sa, uint8_t flags)
{
	char ip[64];
	size_t n;

	/* +X: the address bytes in hexadecimal, as HAProxy writes them. */
	if ((flags & LF_X) && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
		const uint8_t *b = sa->sa_family == AF_INET ?
		                   (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr :
		                   ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		int i, len = sa->sa_family == AF_INET ? 4 : 16;

		for (i = 0; i < len; i++)
			snprintf(ip + 2 * i, 3, "%02X", b[i]);
		put(o, ip, (size_t)len * 2);
		return;
	}
	n = px_addr_ip_str(sa, ip, sizeof(ip));

	put_str(o, ip, n, flags);
}

static void put_addr_port(struct out *o, const struct sockaddr *sa, uint8_t flags)
{
	put_num(o, px_addr_port((const union px_sockaddr *)sa), flags);
}

/* Local address of the client connection (frontend side). */
static int front_addr(const struct px_sess *sess, union px_sockaddr *a)
{
	socklen_t len = sizeof(*a);

	if (getsockname(sess->cli.io.fd, &a->sa, &len) < 0)
		return -1;
	return 0;
}

static void put_term(struct out *o, const struct px_stream *s, int full)
{
	char t[4] = { '-', '-', '-', '-' };

	if (s) {
		t[0] = s->term[0];
		t[1] = s->term[1];
		/* Persistence cookie, when the backend has one. */
		if (s->ck_req)
			t[2] = s->ck_req;
		if (s->ck_set)
			t[3] = s->ck_set;
	}
	put(o, t, full ? 4 : 2);
}

/* The request line split for %HM, %HU, %HP, %HV. */
static void put_rline_part(struct out *o, const struct px_stream *s, int part, uint8_t flags)
{
	const char *r = s ? s->rline : NULL;
	size_t len = s ? s->rline_len : 0;
	const char *sp1, *sp2, *start, *end;

	if (!r || !len) {
		put_c(o, '-');
		return;
	}
	sp1 = memchr(r, ' ', len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (sp1 + 1 - r)) : NULL;
	switch (part) {
	case 0:  /* method */
		start = r;
		end = sp1 ? sp1 : r + len;
		break;
	case 1:  /* URI */
	case 2:  /* path */
		start = sp1 ? sp1 + 1 : r + len;
		end = sp2 ? sp2 : r + len;
		if (part == 2) {
			const char *q = memchr(start, '?', end - start);

			if (q)
				end = q;
		}
		break;
	default: /* version */
		start = sp2 ? sp2 + 1 : r + len;
		end = r + len;
		break;
	}
	put_str(o, start, end - start, flags);
}

/* Captured header values: "{v1|v2}" (%hr, %hs) or "v1 v2" (%hrl, %hsl).
 * Characters that would confuse a parser of the line ('"', '#', '{', '|',
 * '}', controls) are encoded as #XX. With +Q the braced form is quoted
 * whole, the list form value by value ("" for a missing one), as HAProxy
 * does. Nothing at all when the frontend captures nothing.
 */
static void put_caps(struct out *o, const struct px_stream *s, const struct px_capture *c,
                     uint32_t nc, int braces, uint8_t flags)
{
	static const char hex[] = "0123456789ABCDEF";
	int q = flags & LF_Q;
	uint32_t i, k;

	if (!nc)
		return;
	if (braces && q)
		put_c(o, '"');
	if (braces)
		put_c(o, '{');
	for (i = 0; i < nc; i++) {
		const unsigned char *v = s && s->caps ? (const unsigned char *)s->caps + c[i].off : NULL;
		uint32_t len = v ? (v[0] | (uint32_t)v[1] << 8) : 0xffff;

		if (i)
			put_c(o, braces ? '|' : ' ');
		if (len == 0xffff) {
			if (!braces)
				put(o, q ? "\"\"" : "-", q ? 2 : 1);
			continue;
		}
		if (!braces && q)
			put_c(o, '"');
		for (k = 0; k < len; k++) {
			unsigned char ch = v[2 + k];

			if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '#' || ch == '{' ||
			    ch == '|' || ch == '}') {
				put_c(o, '#');
				put_c(o, hex[ch >> 4]);
				put_c(o, hex[ch & 15]);
			} else {
				put_c(o, (char)ch);
			}
		}
		if (!braces && q)
			put_c(o, '"');
	}
	if (braces)
		put_c(o, '}');
	if (braces && q)
		put_c(o, '"');
}

/* A sample: raw bytes (control characters encoded in logs), "-" for no
 * value in logs, nothing in header values.
 */
static void put_expr(struct out *o, const struct lf_node *n, struct px_smp_ctx *ctx, int log)
{
	struct px_smp smp;
	uint32_t i;

	/* In logs an empty string reads as no value, as HAProxy writes it. */
	if (!px_expr_eval(n->expr, ctx, &smp) || !px_smp_cast(&smp, PX_SMP_STR) ||
	    (log && !smp.u.str.len)) {
		if (n->flags & LF_Q)
			put(o, "\"\"", 2);
		else if (log)
			put_c(o, '-');
		return;
	}
	if (n->flags & LF_Q)
		put_c(o, '"');
	/* Header values take the bytes as they are: one copy. */
	if (!log && !(n->flags & LF_E)) {
		put(o, smp.u.str.p, smp.u.str.len);
		if (n->flags & LF_Q)
			put_c(o, '"');
		return;
	}
	for (i = 0; i < smp.u.str.len; i++) {
		unsigned char c = (unsigned char)smp.u.str.p[i];

		if ((n->flags & LF_E) && (c == '"' || c == '\\' || c == ']')) {
			put_c(o, '\\');
			put_c(o, (char)c);
		} else if (log && (c < 0x20 || c == 0x7f)) {
			static const char hex[] = "0123456789ABCDEF";

			put_c(o, '#');
			put_c(o, hex[c >> 4]);
			put_c(o, hex[c & 15]);
		} else {
			put_c(o, (char)c);
		}
	}
	if (n->flags & LF_Q)
		put_c(o, '"');
}

static void render_var(struct out *o, const struct lf_node *n,
                       const struct px_sess *sess, const struct px_stream *s,
                       int64_t end)
{
	const struct px_proxy *fe = sess->fe;
	const struct px_proxy *be = s && s->be ? s->be : NULL;
	const struct px_server *srv = s ? (s->srv ? s->srv : s->prev_srv) : NULL;
	union px_sockaddr a;
	int64_t th, ti, trq, tw, tc, trs, ta, tt;
	th = s ? (int64_t)s->t_hs : 0;
	ti = s ? (int64_t)s->t_idle : 0;
	trq = s && s->t_hdr ? span(s->t_start, s->t_hdr) : -1;
	/* As HAProxy: Tw runs from the end of the request head to the first
	 * attempt on the server that served (the queue, and attempts on
	 * servers left by redispatch, are in it); Tc from there to the
	 * connection, retries on that server included.
	 */
	if (s && s->t_assign)
		tw = span(s->t_hdr ? s->t_hdr : s->t_start, s->t_assign);
	else
		tw = s && s->t_queue ? span(s->t_queue, s->t_dequeue ? s->t_dequeue :
		                                        (uint64_t)end) : -1;
	tc = s ? span(s->t_assign, s->t_connected) : -1;
	trs = s && s->t_res && s->t_connected ? span(s->t_connected, s->t_res) : -1;
	ta = s ? span(s->t_start, (uint64_t)end) : -1;
	tt = span(sess->accept_ms, (uint64_t)end);

	switch ((enum lf_var)n->var) {
	case LFV_CI:
		put_addr_ip(o, &sess->src.sa, n->flags);
		break;
	case LFV_CP:
		put_addr_port(o, &sess->src.sa, n->flags);
		break;
	case LFV_FI:
	case LFV_FP:
		if (front_addr(sess, &a) < 0) {
			put_c(o, '-');
			break;
		}
		if (n->var == LFV_FI)
			put_addr_ip(o, &a.sa, n->flags);
		else
			put_addr_port(o, &a.sa, n->flags);
		break;
	case LFV_BI:
	case LFV_BP: {
		socklen_t len = sizeof(a);

		if (!s || !s->sc || getsockname(s->sc->conn.io.fd, &a.sa, &len) < 0) {
			put_c(o, '-');
			break;
		}
		if (n->var == LFV_BI)
			put_addr_ip(o, &a.sa, n->flags);
		else
			put_addr_port(o, &a.sa, n->flags);
		break;
	}
	case LFV_SI:
	case LFV_SP:
		if (!srv) {
			put_c(o, '-');
			break;
		}
		if (n->var == LFV_SI)
			put_addr_ip(o, &srv->addr.sa, n->flags);
		else
			put_addr_port(o, &srv->addr.sa, n->flags);
		break;
	case LFV_T:
		put_date(o, &sess->accept_tv, 0, 1);
		break;
	case LFV_TR_DATE:
		put_date(o, s && s->start_tv.tv_sec ? &s->start_tv : &sess->accept_tv, 0, 1);
		break;
	case LFV_TG:
		put_date(o, &sess->accept_tv, 2, 0);
		break;
	case LFV_TL:
		put_date(o, &sess->accept_tv, 0, -2);
		break;
	case LFV_TS_UNIX:
		put_num(o, sess->accept_tv.tv_sec, n->flags);
		break;
	case LFV_MS: {
		char ms[4];

		snprintf(ms, sizeof(ms), "%03d", (int)(sess->accept_tv.tv_usec / 1000));
		put(o, ms, 3);
		break;
	}
	case LFV_TH:
		put_num(o, th, n->flags);
		break;
	case LFV_TI:
		put_num(o, ti, n->flags);
		break;
	case LFV_TRQ:
		put_num(o, trq, n->flags);
		break;
	case LFV_TQ:
		put_num(o, trq < 0 ? -1 : th + ti + trq, n->flags);
		break;
	case LFV_TW:
		put_num(o, tw, n->flags);
		break;
	case LFV_TC:
		put_num(o, tc, n->flags);
		break;
	case LFV_TRS:
		put_num(o, trs, n->flags);
		break;
	case LFV_TA:
		put_num(o, ta, n->flags);
		break;
	case LFV_TT:
		put_num(o, tt, n->flags);
		break;
	case LFV_ST:
		put_num(o, s && s->status ? s->status : -1, n->flags);
		break;
	case LFV_B:
		put_num(o, s ? (int64_t)s->bytes_out : 0, n->flags);
		break;
	case LFV_U:
		put_num(o, s ? (int64_t)s->bytes_in : 0, n->flags);
		break;
	case LFV_CC:
	case LFV_CS:
	case LFV_ID:
		if (s && s->uid && *s->uid)
			put_str(o, s->uid, strlen(s->uid), n->flags);
		else
			put_c(o, '-');
		break;
	case LFV_TSC:
		put_term(o, s, 1);
		break;
	case LFV_TS:
		put_term(o, s, 0);
		break;
	case LFV_AC:
		put_num(o, px_actconn, n->flags);
		break;
	case LFV_FC:
		put_num(o, fe->feconn, n->flags);
		break;
	case LFV_BC:
		put_num(o, be ? be->beconn : 0, n->flags);
		break;
	case LFV_SC:
		put_num(o, srv ? srv->cur_sess : 0, n->flags);
		break;
	case LFV_RC:
		if (s && (s->flags & PX_STF_REDISPATCHED))
			put_c(o, '+');
		put_num(o, s ? s->retries : 0, n->flags);
		break;
	case LFV_SQ:
		put_num(o, s ? s->srv_queue_pos : 0, n->flags);
		break;
	case LFV_BQ:
		put_num(o, s ? s->be_queue_pos : 0, n->flags);
		break;
	case LFV_HR:
	case LFV_HRL:
		put_caps(o, s, fe->req_caps, fe->nreq_caps, n->var == LFV_HR, n->flags);
		break;
	case LFV_HS:
	case LFV_HSL:
		put_caps(o, s, fe->res_caps, fe->nres_caps, n->var == LFV_HS, n->flags);
		break;
	case LFV_R:
		if (s && s->rline_len)
			put_str(o, s->rline, s->rline_len, n->flags);
		else
			put_str(o, "<BADREQ>", 8, n->flags);
		break;
	case LFV_HM:
		put_rline_part(o, s, 0, n->flags);
		break;
	case LFV_HU:
		put_rline_part(o, s, 1, n->flags);
		break;
	case LFV_HP:
		put_rline_part(o, s, 2, n->flags);
		break;
	case LFV_HV:
		put_rline_part(o, s, 3, n->flags);
		break;
	case LFV_SSLV:
	case LFV_SSLC: {
		const char *v = px_ssl_conn_info(&sess->cli, n->var == LFV_SSLC);

		put_str(o, v ? v : "-", strlen(v ? v : "-"), n->flags);
		break;
	}
	case LFV_FT:
		/* A TLS client connection shows as "frontend~". */
		if (sess->cli.ssl) {
			char ft[256];
			size_t l = strlen(fe->id);

			if (l < sizeof(ft) - 1) {
				memcpy(ft, fe->id, l);
				ft[l++] = '~';
				put_str(o, ft, l, n->flags);
				break;
			}
		}
		/* fall through */
	case LFV_F:
		put_str(o, fe->id, strlen(fe->id), n->flags);
		break;
	case LFV_B_NAME:
		put_str(o, be ? be->id : fe->id, strlen(be ? be->id : fe->id), n->flags);
		break;
	case LFV_S:
		if (srv && s && (s->srv || s->prev_srv))
			put_str(o, srv->id, strlen(srv->id), n->flags);
		else
			put_str(o, "<NOSRV>", 7, n->flags);
		break;
	case LFV_RT:
		put_num(o, s ? s->rid : 0, n->flags);
		break;
	case LFV_O:
		break;
	case LFV_PID:
		put_num(o, getpid(), n->flags);
		break;
	case LFV_H: {
		char host[128];

		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "-");
		put_str(o, host, strlen(host), n->flags);
		break;
	}
	}
}

/* Writes the log line of <lf> for <sess> and its stream <s> (may be NULL)
 * into <out>, durations ending at <now> (loop clock). Returns the length
 * (at most <size>, not NUL-terminated).
 */
size_t px_logfmt_render(const struct px_logfmt *lf, const struct px_sess *sess,
                        const struct px_stream *s, uint64_t now, char *out,
                        size_t size)
{
	struct px_smp_ctx ctx = {
		.sess = (struct px_sess *)sess, .s = (struct px_stream *)s,
		.phase = PX_USE_LOG,
	};

	return px_fmt_render(lf, &ctx, now, out, size);
}

size_t px_fmt_render(const struct px_logfmt *lf, struct px_smp_ctx *ctx, uint64_t now,
                     char *out, size_t size)
{
	struct out o = { .p = out, .len = 0, .size = size };
	const struct px_sess *sess = ctx->sess;
	const struct px_stream *s = ctx->s;
	int i, last_sep = 1;

	if (lf->is_const) {
		put(&o, lf->text, lf->text_len);
		return o.len;
	}

	for (i = 0; i < lf->n; i++) {
		const struct lf_node *n = &lf->nodes[i];
		size_t before = o.len;

		switch (n->type) {
		case LFN_TEXT:
			put(&o, n->text, n->len);
			break;
		case LFN_SEP:
			if (!last_sep)
				put_c(&o, ' ');
			last_sep = 1;
			continue;
		case LFN_VAR:
			render_var(&o, n, sess, s, (int64_t)now);
			break;
		case LFN_EXPR:
			put_expr(&o, n, ctx, lf->mode == PX_FMT_LOG);
			break;
		}
		if (o.len != before)
			last_sep = 0;
	}
	return o.len;
}
