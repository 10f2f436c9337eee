/* http-request, http-response and http-after-response actions: parsing
 * each action's arguments at configuration time and running it on the
 * head being analysed. Values are format strings rendered to scratch space,
 * then copied into the head's arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "admin/counters.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/util.h"
#include "proto/errors.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream.h"
#include "rules/acl.h"
#include "rules/fmt.h"
#include "rules/regex.h"
#include "rules/rules.h"
#include "script/hlua.h"
#include "rules/sample.h"
#include "rules/vars.h"

/* Which lists an action may appear in. */
#define D_REQ   0x01
#define D_RES   0x02
#define D_AFTER 0x04

struct act_kw {
	const char *name;
	unsigned dirs;
	/* Parses args[0..nargs-1] (the action's own words, the action name
	 * first) into <r>.
	 */
	int (*parse)(struct px_rule *r, char **args, int nargs, unsigned use,
	             struct px_cfg_ctx *ctx, char **err);
	px_act_fn fn;
};

static uint64_t now_ms(struct px_rules_run *run)
{
	return run->sctx.sess ? run->sctx.sess->loop->now_ms : 0;
}

/* Renders a value format into scratch space. */
static int render(struct px_rules_run *run, const struct px_logfmt *f, const char **p,
                  uint32_t *len)
{
	uint32_t sz;
	char *t;

	if (px_fmt_const(f, p, len))
		return 1;
	t = px_scratch(0, &sz);
	*len = (uint32_t)px_fmt_render(f, &run->sctx, now_ms(run), t, sz);
	*p = t;
	return 1;
}

/* --- header actions ------------------------------------------------------ */

/* Framing is decided from the received message; rules may not change it. */
static int framing_hdr(const char *name)
{
	return !strcasecmp(name, "content-length") || !strcasecmp(name, "transfer-encoding");
}

/* The header name a rule writes: a token, not a framing header. */
static int hdr_name_arg(struct px_rule *r, const char *name, struct px_cfg_ctx *ctx,
                        char **err)
{
	if (!px_h1_is_token(name)) {
		px_strfmt(err, "invalid header name '%s'", name);
		return -1;
	}
	if (framing_hdr(name)) {
		px_strfmt(err, "'%s' cannot be changed by rules: proxyd frames the body "
		          "itself", name);
		return -1;
	}
	r->name = px_gen_strdup(ctx->gen, name);
	r->nlen = (uint32_t)strlen(name);
	r->nhash = px_hmsg_name_hash(name, r->nlen);
	return r->name ? 0 : -1;
}

static int p_hdr_fmt(struct px_rule *r, char **args, int nargs, unsigned use,
                     struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 3) {
		px_strfmt(err, "'%s' expects a header name and a value format", args[0]);
		return -1;
	}
	if (hdr_name_arg(r, args[1], ctx, err) < 0)
		return -1;
	r->fmt = px_fmt_compile(ctx, args[2], PX_FMT_VALUE, use, err);
	return r->fmt ? 0 : -1;
}

static void del_all(struct px_hmsg *hm, const char *name, uint32_t nl, uint32_t h)
{
	int i = -1;

	while ((i = px_hmsg_find_h(hm, name, nl, h, i + 1)) >= 0)
		px_hmsg_del(hm, i);
}

static enum px_act_ret add_value(const struct px_rule *r, struct px_rules_run *run, int set)
{
	const char *v;
	uint32_t vl;

	/* A value filling the whole scratch area was cut: the rewrite does
	 * not fit, the request fails (HAProxy answers 500 too).
	 */
	if (!render(run, r->fmt, &v, &vl) || vl >= px_trash_size())
		return PX_ACT_ERR;
	if (!px_rules_value_ok(v, vl)) {
		px_rules_refused(r, r->name);
		return PX_ACT_CONT;
	}
	if (set)
		del_all(run->hm, r->name, r->nlen, r->nhash);
	if (px_hmsg_add_const(run->hm, r->name, r->nlen, r->nhash, v, vl) < 0)
		return PX_ACT_ERR;
	return PX_ACT_CONT;
}

static enum px_act_ret a_set_header(const struct px_rule *r, struct px_rules_run *run)
{
	return add_value(r, run, 1);
}

static enum px_act_ret a_add_header(const struct px_rule *r, struct px_rules_run *run)
{
	return add_value(r, run, 0);
}

/* del-header NAME [-m str|beg|end|sub|reg] */
static int p_del_header(struct px_rule *r, char **args, int nargs, unsigned use,
                        struct px_cfg_ctx *ctx, char **err)
{
	static const char *const meths[] = { "str", "beg", "end", "sub", "reg" };
	int i;

	if (nargs != 2 && !(nargs == 4 && !strcmp(args[2], "-m"))) {
		px_strfmt(err, "'%s' expects a header name [-m str|beg|end|sub|reg]", args[0]);
		return -1;
	}
	r->i1 = 0;
	if (nargs == 4) {
		r->i1 = -1;
		for (i = 0; i < (int)PX_ARRAY_SIZE(meths); i++)
			if (!strcmp(args[3], meths[i]))
				r->i1 = i;
		if (r->i1 < 0) {
			px_strfmt(err, "unknown match method '%s' (str, beg, end, sub, reg)", args[3]);
			return -1;
		}
		if (r->i1 == 4 && !(r->re = px_regex_comp(ctx->gen, args[1], PX_RE_ICASE, err)))
			return -1;
	}
	if (r->i1 != 4 && framing_hdr(args[1])) {
		px_strfmt(err, "'%s' cannot be deleted by rules: proxyd frames the body itself",
		          args[1]);
		return -1;
	}
	r->name = px_gen_strdup(ctx->gen, args[1]);
	r->nlen = (uint32_t)strlen(args[1]);
	return r->name ? 0 : -1;
}

static int name_matches(const struct px_rule *r, const struct px_hfield *f)
{
	uint32_t i;

	switch (r->i1) {
	case 0:
		return f->nl == r->nlen && !strncasecmp(f->n, r->name, f->nl);
	case 1:
		return f->nl >= r->nlen && !strncasecmp(f->n, r->name, r->nlen);
	case 2:
		return f->nl >= r->nlen && !strncasecmp(f->n + f->nl - r->nlen, r->name, r->nlen);
	case 3:
		for (i = 0; i + r->nlen <= f->nl; i++)
			if (!strncasecmp(f->n + i, r->name, r->nlen))
				return 1;
		return 0;
	default:
		return px_regex_exec(r->re, f->n, f->nl);
	}
}

static enum px_act_ret a_del_header(const struct px_rule *r, struct px_rules_run *run)
{
	uint32_t i;

	for (i = 0; i < run->hm->nhdr; i++) {
		const struct px_hfield *f = &run->hm->hdr[i];

		if (f->nl && name_matches(r, f)) {
			/* Regex deletions spare the framing headers too. */
			if (r->i1 && ((f->nl == 14 && !strncasecmp(f->n, "content-length", 14)) ||
			              (f->nl == 17 && !strncasecmp(f->n, "transfer-encoding", 17))))
				continue;
			px_hmsg_del(run->hm, (int)i);
		}
	}
	return PX_ACT_CONT;
}

/* replace-header|replace-value NAME REGEX FMT */
static int p_replace_hdr(struct px_rule *r, char **args, int nargs, unsigned use,
                         struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 4) {
		px_strfmt(err, "'%s' expects a header name, a regex and a replacement format",
		          args[0]);
		return -1;
	}
	if (hdr_name_arg(r, args[1], ctx, err) < 0)
		return -1;
	r->re = px_regex_comp(ctx->gen, args[2], 0, err);
	if (!r->re)
		return -1;
	r->fmt = px_fmt_compile(ctx, args[3], PX_FMT_VALUE, use, err);
	return r->fmt ? 0 : -1;
}

/* Expands <repl> against a match of the rule's regex on <s>: the whole
 * string is replaced, as HAProxy does. Returns the length or -1 (no match
 * or no room).
 */
static long replace_whole(const struct px_regex *re, const char *s, uint32_t len,
                          const char *repl, uint32_t rlen, char *out, uint32_t outsz)
{
	long ov[20];
	int n = px_regex_match(re, s, len, 0, ov, 10);

	if (!n)
		return -1;
	return px_regex_expand(repl, rlen, s, ov, n, out, outsz);
}

/* Replaces, in every field named <name>, the whole value (<values> == 0)
 * or each comma-separated element on its own (what lies between elements
 * is kept) where <re> matches, by <repl> with back-references. A result
 * with CR, LF or NUL is refused (reported against <r> when not NULL) and
 * the field left alone. Returns 0, or -1 when out of room.
 */
int px_hdr_replace(struct px_hmsg *hm, const char *name, uint32_t nlen, uint32_t nhash,
                   const struct px_regex *re, const char *repl, uint32_t rlen, int values,
                   const struct px_rule *r)
{
	uint32_t sz;
	int i = -1;

	while ((i = px_hmsg_find_h(hm, name, nlen, nhash, i + 1)) >= 0) {
		const char *v = hm->hdr[i].v, *end = v + hm->hdr[i].vl, *p = v;
		char *out = px_scratch(1, &sz);
		uint32_t o = 0;
		int changed = 0;

		if (!values) {
			long n = replace_whole(re, v, hm->hdr[i].vl, repl, rlen, out, sz);

			if (n < 0)
				continue;
			o = (uint32_t)n;
			changed = 1;
		}
		while (values && p <= end) {
			const char *e = memchr(p, ',', end - p), *s = p, *t;
			long n;

			if (!e)
				e = end;
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			t = e;
			while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
				t--;
			if (o + (s - p) > sz)
				return -1;
			memcpy(out + o, p, s - p);
			o += (uint32_t)(s - p);
			n = replace_whole(re, s, (uint32_t)(t - s), repl, rlen, out + o, sz - o);
			if (n >= 0) {
				o += (uint32_t)n;
				changed = 1;
			} else {
				if (o + (t - s) > sz)
					return -1;
				memcpy(out + o, s, t - s);
				o += (uint32_t)(t - s);
			}
			if (o + (e - t) + 1 > sz)
				return -1;
			memcpy(out + o, t, e - t);
			o += (uint32_t)(e - t);
			if (e == end)
				break;
			out[o++] = ',';
			p = e + 1;
		}
		if (!changed)
			continue;
		if (!px_rules_value_ok(out, o)) {
			if (r)
				px_rules_refused(r, name);
			continue;
		}
		if (px_hmsg_set_value(hm, i, out, o) < 0)
			return -1;
	}
	return 0;
}

static enum px_act_ret a_replace_header(const struct px_rule *r, struct px_rules_run *run)
{
	const char *repl;
	uint32_t rlen;

	render(run, r->fmt, &repl, &rlen);
	return px_hdr_replace(run->hm, r->name, r->nlen, r->nhash, r->re, repl, rlen, 0, r) < 0 ?
	       PX_ACT_ERR : PX_ACT_CONT;
}

static enum px_act_ret a_replace_value(const struct px_rule *r, struct px_rules_run *run)
{
	const char *repl;
	uint32_t rlen;

	render(run, r->fmt, &repl, &rlen);
	return px_hdr_replace(run->hm, r->name, r->nlen, r->nhash, r->re, repl, rlen, 1, r) < 0 ?
	       PX_ACT_ERR : PX_ACT_CONT;
}

/* --- request line ------------------------------------------------------------ */

enum {
	SL_PATH = PX_SLP_PATH, SL_PATHQ = PX_SLP_PATHQ, SL_URI = PX_SLP_URI,
	SL_QUERY = PX_SLP_QUERY, SL_METHOD = PX_SLP_METHOD,
};

static int p_set_sl(struct px_rule *r, char **args, int nargs, unsigned use,
                    struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 2) {
		px_strfmt(err, "'%s' expects one value format", args[0]);
		return -1;
	}
	r->fmt = px_fmt_compile(ctx, args[1], PX_FMT_VALUE, use, err);
	return r->fmt ? 0 : -1;
}

static int p_replace_sl(struct px_rule *r, char **args, int nargs, unsigned use,
                        struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 3) {
		px_strfmt(err, "'%s' expects a regex and a replacement format", args[0]);
		return -1;
	}
	r->re = px_regex_comp(ctx->gen, args[1], 0, err);
	if (!r->re)
		return -1;
	r->fmt = px_fmt_compile(ctx, args[2], PX_FMT_VALUE, use, err);
	return r->fmt ? 0 : -1;
}

/* Bytes a request target may hold: visible ASCII. */
static int valid_target(const char *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
	return 1;
}

/* The authority of an absolute-form target ("http://host:port/path"). */
static int absolute_authority(const char *u, uint32_t len, const char **auth, uint32_t *alen)
{
	const char *end = u + len, *c = memchr(u, ':', len), *a, *e;

	if (!c || c == u || end - c < 3 || c[1] != '/' || c[2] != '/')
		return 0;
	a = c + 3;
	for (e = a; e < end && *e != '/' && *e != '?' && *e != '#'; e++)
		;
	if (e == a)
		return 0;
	*auth = a;
	*alen = (uint32_t)(e - a);
	return 1;
}

/* Splits the target into prefix (scheme://authority), path and query
 * (with its '?').
 */
static void split_target(const struct px_hmsg *hm, uint32_t *pre, uint32_t *plen, uint32_t *qlen)
{
	const char *u = hm->sl[PX_SL_URI], *path;
	uint32_t pl, ul = hm->sll[PX_SL_URI];

	px_hmsg_path(hm, &path, &pl);
	*pre = (uint32_t)(path - u);
	*plen = pl;
	*qlen = ul - *pre - pl;
}

/* Writes the new target made of the old one's parts with <part> replaced
 * by <v>.
 */
/* A rewrite refused: reported against the rule, or told to the caller. */
static enum px_act_ret refuse(const struct px_rule *r, const char **why, const char *what)
{
	if (r)
		px_rules_refused(r, what);
	if (why)
		*why = what;
	return PX_ACT_CONT;
}

static enum px_act_ret set_target(const struct px_rule *r, struct px_hmsg *hm, int part,
                                   const char *v, uint32_t vl, const char **why)
{
		const char *u = hm->sl[PX_SL_URI];
	uint32_t pre, pl, ql, sz, o = 0;
	char *out;

	if (part == SL_METHOD) {
		uint32_t k;

		/* A method is a token (RFC 9110 9.1). */
		for (k = 0; k < vl && px_h1_tchar[(unsigned char)v[k]]; k++)
			;
		if (!vl || k < vl) {
			return refuse(r, why, "method");
		}
		return px_hmsg_set_sl(hm, PX_SL_METH, v, vl) < 0 ? PX_ACT_ERR : PX_ACT_CONT;
	}
	if (!valid_target(v, vl)) {
		return refuse(r, why, "request target");
	}
	if (part == SL_URI) {
		const char *auth;
		uint32_t alen;

		if (!vl) {
			return refuse(r, why, "request target");
		}
		/* "scheme://" needs a host after it (RFC 9110 4.2.1). */
		{
			const char *c = memchr(v, ':', vl);

			if (c && v[0] != '/' && (uint32_t)(c - v) + 3 <= vl && c[1] == '/' &&
			    c[2] == '/' && !absolute_authority(v, vl, &auth, &alen)) {
				return refuse(r, why, "request target (no host after '://')");
			}
		}
		if (px_hmsg_set_sl(hm, PX_SL_URI, v, vl) < 0)
			return PX_ACT_ERR;
		/* An absolute target names the host: Host must agree with it
		 * (RFC 9112 3.2), as HAProxy makes it.
		 */
		if (absolute_authority(hm->sl[PX_SL_URI], vl, &auth, &alen)) {
			del_all(hm, "host", 4, px_hmsg_name_hash("host", 4));
			if (px_hmsg_add(hm, "Host", 4, auth, alen) < 0)
				return PX_ACT_ERR;
		}
		return PX_ACT_CONT;
	}
	/* An origin-form path starts with '/' (and '*' stands alone). */
	if ((part == SL_PATH || part == SL_PATHQ) && (!vl || v[0] != '/')) {
		return refuse(r, why, "path (it must start with '/')");
	}
	split_target(hm, &pre, &pl, &ql);
	out = px_scratch(2, &sz);
	if (pre + pl + ql + vl + 1 > sz)
		return PX_ACT_ERR;
	memcpy(out, u, pre);
	o = pre;
	switch (part) {
	case SL_PATH:
		memcpy(out + o, v, vl);
		o += vl;
		memcpy(out + o, u + pre + pl, ql);
		o += ql;
		break;
	case SL_PATHQ:
		memcpy(out + o, v, vl);
		o += vl;
		break;
	case SL_QUERY:
		/* As HAProxy: an empty value keeps a '?' that was there. */
		memcpy(out + o, u + pre, pl);
		o += pl;
		if (vl || ql) {
			out[o++] = '?';
			memcpy(out + o, v, vl);
			o += vl;
		}
		break;
	}
	if (o == 0) {
		return refuse(r, why, "request target");
	}
	return px_hmsg_set_sl(hm, PX_SL_URI, out, o) < 0 ? PX_ACT_ERR : PX_ACT_CONT;
}


int px_req_set_target(struct px_hmsg *hm, int part, const char *v, uint32_t vl, const char **why)
{
	const char *w = NULL;
	enum px_act_ret ret = set_target(NULL, hm, part, v, vl, &w);

	if (ret == PX_ACT_ERR)
		return -1;
	if (w) {
		*why = w;
		return -2;
	}
	return 0;
}

static enum px_act_ret set_sl(const struct px_rule *r, struct px_rules_run *run, int part)
{
	const char *v;
	uint32_t vl;

	render(run, r->fmt, &v, &vl);
	return set_target(r, run->hm, part, v, vl, NULL);
}

static enum px_act_ret a_set_path(const struct px_rule *r, struct px_rules_run *run)
{
	return set_sl(r, run, SL_PATH);
}

static enum px_act_ret a_set_pathq(const struct px_rule *r, struct px_rules_run *run)
{
	return set_sl(r, run, SL_PATHQ);
}

static enum px_act_ret a_set_uri(const struct px_rule *r, struct px_rules_run *run)
{
	return set_sl(r, run, SL_URI);
}

static enum px_act_ret a_set_query(const struct px_rule *r, struct px_rules_run *run)
{
	return set_sl(r, run, SL_QUERY);
}

static enum px_act_ret a_set_method(const struct px_rule *r, struct px_rules_run *run)
{
	return set_sl(r, run, SL_METHOD);
}

static enum px_act_ret replace_sl(const struct px_rule *r, struct px_rules_run *run, int part)
{
	struct px_hmsg *hm = run->hm;
	const char *repl, *subj;
	uint32_t rlen, sz, slen, pre, pl, ql;
	char *out;
	long n;

	render(run, r->fmt, &repl, &rlen);
	split_target(hm, &pre, &pl, &ql);
	subj = hm->sl[PX_SL_URI];
	slen = hm->sll[PX_SL_URI];
	if (part == SL_PATH) {
		subj += pre;
		slen = pl;
	} else if (part == SL_PATHQ) {
		subj += pre;
		slen = pl + ql;
	}
	out = px_scratch(1, &sz);
	n = replace_whole(r->re, subj, slen, repl, rlen, out, sz);
	if (n < 0)
		return PX_ACT_CONT;
	return set_target(r, run->hm, part, out, (uint32_t)n, NULL);
}

static enum px_act_ret a_replace_path(const struct px_rule *r, struct px_rules_run *run)
{
	return replace_sl(r, run, SL_PATH);
}

static enum px_act_ret a_replace_pathq(const struct px_rule *r, struct px_rules_run *run)
{
	return replace_sl(r, run, SL_PATHQ);
}

static enum px_act_ret a_replace_uri(const struct px_rule *r, struct px_rules_run *run)
{
	return replace_sl(r, run, SL_URI);
}

/* --- response status ------------------------------------------------------------ */

/* set-status CODE [reason TEXT] */
static int p_set_status(struct px_rule *r, char **args, int nargs, unsigned use,
                        struct px_cfg_ctx *ctx, char **err)
{
	uint64_t code;

	if ((nargs != 2 && nargs != 4) || (nargs == 4 && strcmp(args[2], "reason"))) {
		px_strfmt(err, "'%s' expects a status code [reason TEXT]", args[0]);
		return -1;
	}
	if (px_parse_uint(args[1], 599, &code) < 0 || code < 100) {
		px_strfmt(err, "invalid status code '%s' (100 to 599)", args[1]);
		return -1;
	}
	r->i1 = (int64_t)code;
	if (nargs == 4) {
		if (!px_rules_value_ok(args[3], strlen(args[3]))) {
			px_strfmt(err, "invalid reason phrase");
			return -1;
		}
		r->name = px_gen_strdup(ctx->gen, args[3]);
	}
	return 0;
}

static enum px_act_ret a_set_status(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_hmsg *hm = run->hm;
	const char *reason = r->name ? r->name : px_http_reason((int)r->i1);
	char code[4];

	code[0] = (char)('0' + r->i1 / 100);
	code[1] = (char)('0' + r->i1 / 10 % 10);
	code[2] = (char)('0' + r->i1 % 10);
	if (px_hmsg_set_sl(hm, PX_SL_CODE, code, 3) < 0 ||
	    px_hmsg_set_sl(hm, PX_SL_REASON, reason, strlen(reason)) < 0)
		return PX_ACT_ERR;
	hm->status = (uint16_t)r->i1;
	if (run->sctx.s)
		run->sctx.s->status = (uint16_t)r->i1;
	return PX_ACT_CONT;
}

/* --- variables -------------------------------------------------------------------- */

/* set-var(SCOPE.NAME) EXPR, set-var-fmt(SCOPE.NAME) FMT, unset-var(SCOPE.NAME) */
static int var_name(struct px_rule *r, const char *act, struct px_cfg_ctx *ctx, char **err)
{
	const char *open = strchr(act, '('), *close = strrchr(act, ')');
	int scope;

	if (!open || !close || close < open || close[1]) {
		px_strfmt(err, "'%s' expects a variable name in parentheses "
		          "(set-var(txn.name))", act);
		return -1;
	}
	r->name = (char *)px_var_intern(open + 1, close - open - 1, &scope, err);
	if (!r->name)
		return -1;
	r->i1 = scope;
	return 0;
}

static int p_set_var(struct px_rule *r, char **args, int nargs, unsigned use,
                     struct px_cfg_ctx *ctx, char **err)
{
	if (var_name(r, args[0], ctx, err) < 0)
		return -1;
	if (nargs != 2) {
		px_strfmt(err, "'%s' expects one sample expression", args[0]);
		return -1;
	}
	r->expr = px_expr_parse(args[1], strlen(args[1]), use, ctx, err);
	return r->expr ? 0 : -1;
}

static int p_set_var_fmt(struct px_rule *r, char **args, int nargs, unsigned use,
                         struct px_cfg_ctx *ctx, char **err)
{
	if (var_name(r, args[0], ctx, err) < 0)
		return -1;
	if (nargs != 2) {
		px_strfmt(err, "'%s' expects one format string", args[0]);
		return -1;
	}
	r->fmt = px_fmt_compile(ctx, args[1], PX_FMT_VALUE, use, err);
	return r->fmt ? 0 : -1;
}

static int p_unset_var(struct px_rule *r, char **args, int nargs, unsigned use,
                       struct px_cfg_ctx *ctx, char **err)
{
	if (var_name(r, args[0], ctx, err) < 0)
		return -1;
	if (nargs != 1) {
		px_strfmt(err, "'%s' takes no argument", args[0]);
		return -1;
	}
	return 0;
}

static enum px_act_ret a_set_var(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_var **l = px_var_list((int)r->i1, &run->sctx);
	struct px_smp smp;

	if (!l)
		return PX_ACT_CONT;
	if (r->expr) {
		if (!px_expr_eval(r->expr, &run->sctx, &smp))
			return PX_ACT_CONT;
	} else {
		const char *v;
		uint32_t vl;

		render(run, r->fmt, &v, &vl);
		smp.type = PX_SMP_STR;
		smp.flags = 0;
		smp.u.str.p = (char *)v;
		smp.u.str.len = vl;
	}
	if (px_var_set(l, r->name, &smp) < 0)
		return PX_ACT_ERR;
	return PX_ACT_CONT;
}

static enum px_act_ret a_unset_var(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_var **l = px_var_list((int)r->i1, &run->sctx);

	if (l)
		px_var_unset(l, r->name);
	return PX_ACT_CONT;
}

/* --- flow ------------------------------------------------------------------------- */

static int p_noarg(struct px_rule *r, char **args, int nargs, unsigned use,
                   struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 1) {
		px_strfmt(err, "'%s' takes no argument ('%s' given)", args[0], args[1]);
		return -1;
	}
	return 0;
}

static enum px_act_ret a_allow(const struct px_rule *r, struct px_rules_run *run)
{
	return PX_ACT_STOP;
}

/* deny [deny_status N]: the error page of that status (errorfile
 * included), as HAProxy.
 */
static int p_deny(struct px_rule *r, char **args, int nargs, unsigned use,
                  struct px_cfg_ctx *ctx, char **err)
{
	uint64_t code;

	r->i1 = use & PX_USE_RES ? 502 : 403;
	if (nargs == 1)
		return 0;
	if (nargs != 3 || strcmp(args[1], "deny_status")) {
		px_strfmt(err, "'%s' expects nothing or 'deny_status CODE'", args[0]);
		return -1;
	}
	if (px_parse_uint(args[2], 599, &code) < 0 || code < 200) {
		px_strfmt(err, "invalid status code '%s' (200 to 599)", args[2]);
		return -1;
	}
	if (px_err_index((int)code) < 0) {
		px_strfmt(err, "no error page for status %s (proxyd has pages for 200, 400, "
		          "401, 403, 404, 405, 407, 408, 410, 413, 414, 425, 429, 431, "
		          "500-505)", args[2]);
		return -1;
	}
	r->i1 = (int64_t)code;
	return 0;
}

static enum px_act_ret a_deny(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_stream *s = run->sctx.s;

	if (!px_trace_cur)
		px_counters_deny(s, run->dir == PX_USE_RES);
	px_stream_local(s, (int)r->i1, 'P', run->dir == PX_USE_RES ? 'H' : 'R');
	s->flags |= PX_STF_BY_RULE;
	return PX_ACT_DONE;
}

/* set-log-level emerg|alert|...|debug|silent */
static int p_log_level(struct px_rule *r, char **args, int nargs, unsigned use,
                       struct px_cfg_ctx *ctx, char **err)
{
	static const char *const levels[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "silent",
	};
	int i;

	if (nargs != 2) {
		px_strfmt(err, "'%s' expects a level (emerg ... debug, or silent)", args[0]);
		return -1;
	}
	for (i = 0; i < (int)PX_ARRAY_SIZE(levels); i++)
		if (!strcmp(args[1], levels[i])) {
			r->i1 = i;
			return 0;
		}
	px_strfmt(err, "unknown log level '%s' (emerg, alert, crit, err, warning, notice, "
	          "info, debug, silent)", args[1]);
	return -1;
}

static enum px_act_ret a_log_level(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_stream *s = run->sctx.s;

	if (r->i1 == 8)
		s->flags |= PX_STF_DONTLOG;
	else
		s->log_level = (uint8_t)(r->i1 + 1);
	return PX_ACT_CONT;
}

/* set-timeout server|tunnel TIME */
static int p_set_timeout(struct px_rule *r, char **args, int nargs, unsigned use,
                         struct px_cfg_ctx *ctx, char **err)
{
	uint64_t ms;

	if (nargs != 3 || (strcmp(args[1], "server") && strcmp(args[1], "tunnel"))) {
		px_strfmt(err, "'%s' expects 'server' or 'tunnel' and a time", args[0]);
		return -1;
	}
	if (px_parse_time(args[2], &ms, err) < 0)
		return -1;
	if (!ms || ms > UINT32_MAX) {
		px_strfmt(err, "timeout out of range");
		return -1;
	}
	r->i1 = !strcmp(args[1], "tunnel");
	r->i2 = (int64_t)ms;
	return 0;
}

static enum px_act_ret a_set_timeout(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_stream *s = run->sctx.s;

	if (r->i1)
		s->tun_timeout = (uint32_t)r->i2;
	else
		s->srv_timeout = (uint32_t)r->i2;
	return PX_ACT_CONT;
}

/* --- captures -------------------------------------------------------------------------- */

/* http-request capture EXPR len N | id N; http-response capture EXPR id N */
static int p_capture(struct px_rule *r, char **args, int nargs, unsigned use,
                     struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *fe = ctx->px;
	uint64_t n;

	if (nargs != 4 || (strcmp(args[2], "len") && strcmp(args[2], "id"))) {
		px_strfmt(err, "'%s' expects a sample expression, then 'len N' or 'id N'", args[0]);
		return -1;
	}
	if (px_parse_uint(args[3], 65534, &n) < 0) {
		px_strfmt(err, "invalid number '%s'", args[3]);
		return -1;
	}
	r->expr = px_expr_parse(args[1], strlen(args[1]), use, ctx, err);
	if (!r->expr)
		return -1;
	if (!strcmp(args[2], "id")) {
		uint32_t nc = use & PX_USE_RES ? fe->nres_caps : fe->nreq_caps;

		/* A backend uses the slots of whichever frontend sends it the
		 * stream: checked at run time.
		 */
		if ((fe->cap & PX_CAP_FE) && n >= nc) {
			px_strfmt(err, "no %s capture slot %llu (declare it first with "
			          "'declare capture %s len N' or 'capture %s header')",
			          use & PX_USE_RES ? "response" : "request", (unsigned long long)n,
			          use & PX_USE_RES ? "response" : "request",
			          use & PX_USE_RES ? "response" : "request");
			return -1;
		}
		r->i1 = (int64_t)n;
		r->i2 = use & PX_USE_RES ? 1 : 0;
		return 0;
	}
	if (use & PX_USE_RES) {
		px_strfmt(err, "http-response capture takes 'id N' (a declared slot)");
		return -1;
	}
	if (!(fe->cap & PX_CAP_FE)) {
		px_strfmt(err, "'capture EXPR len N' is only valid in a frontend or listen "
		          "section; in a backend use 'id N' with a slot the frontend declares");
		return -1;
	}
	if (!n) {
		px_strfmt(err, "capture length must be at least 1");
		return -1;
	}
	{
		struct px_capture *c = px_gen_alloc(ctx->gen, (fe->nreq_caps + 1) * sizeof(*c));

		if (!c) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		if (fe->nreq_caps)
			memcpy(c, fe->req_caps, fe->nreq_caps * sizeof(*c));
		c[fe->nreq_caps].name = NULL;
		c[fe->nreq_caps].len = (uint32_t)n;
		c[fe->nreq_caps].off = fe->cap_size;
		fe->cap_size += 2 + (uint32_t)n;
		r->i1 = fe->nreq_caps;
		r->i2 = 0;
		fe->req_caps = c;
		fe->nreq_caps++;
	}
	return 0;
}

static enum px_act_ret a_capture(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_stream *s = run->sctx.s;
	struct px_proxy *fe = s->fe;
	const struct px_capture *c;
	struct px_smp smp;

	/* A slot the stream's frontend does not have is ignored. */
	if ((uint64_t)r->i1 >= (r->i2 ? fe->nres_caps : fe->nreq_caps))
		return PX_ACT_CONT;
	c = r->i2 ? &fe->res_caps[r->i1] : &fe->req_caps[r->i1];
	if (!px_expr_eval(r->expr, &run->sctx, &smp) || !px_smp_cast(&smp, PX_SMP_STR))
		return PX_ACT_CONT;
	px_capture_store(s, c, smp.u.str.p, smp.u.str.len);
	return PX_ACT_CONT;
}

/* --- the tables ------------------------------------------------------------------------- */

int px_redirect_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                      struct px_cfg_ctx *ctx, char **err);
enum px_act_ret px_redirect_run(const struct px_rule *r, struct px_rules_run *run);
int px_return_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                    struct px_cfg_ctx *ctx, char **err);
enum px_act_ret px_return_run(const struct px_rule *r, struct px_rules_run *run);

#define ALL (D_REQ | D_RES | D_AFTER)

static const struct act_kw act_kws[] = {
	{ "set-header",     ALL,   p_hdr_fmt,      a_set_header },
	{ "add-header",     ALL,   p_hdr_fmt,      a_add_header },
	{ "del-header",     ALL,   p_del_header,   a_del_header },
	{ "replace-header", ALL,   p_replace_hdr,  a_replace_header },
	{ "replace-value",  ALL,   p_replace_hdr,  a_replace_value },
	{ "set-path",       D_REQ, p_set_sl,       a_set_path },
	{ "replace-path",   D_REQ, p_replace_sl,   a_replace_path },
	{ "set-pathq",      D_REQ, p_set_sl,       a_set_pathq },
	{ "replace-pathq",  D_REQ, p_replace_sl,   a_replace_pathq },
	{ "set-uri",        D_REQ, p_set_sl,       a_set_uri },
	{ "replace-uri",    D_REQ, p_replace_sl,   a_replace_uri },
	{ "set-query",      D_REQ, p_set_sl,       a_set_query },
	{ "set-method",     D_REQ, p_set_sl,       a_set_method },
	{ "set-status",     D_RES | D_AFTER, p_set_status, a_set_status },
	{ "set-var",        ALL,   p_set_var,      a_set_var },
	{ "set-var-fmt",    ALL,   p_set_var_fmt,  a_set_var },
	{ "unset-var",      ALL,   p_unset_var,    a_unset_var },
	{ "allow",          ALL,   p_noarg,        a_allow },
	{ "deny",           D_REQ | D_RES, p_deny, a_deny },
	{ "redirect",       D_REQ | D_RES, px_redirect_parse, px_redirect_run },
	{ "return",         D_REQ | D_RES, px_return_parse, px_return_run },
	{ "capture",        D_REQ | D_RES, p_capture, a_capture },
	{ "set-log-level",  ALL,   p_log_level,    a_log_level },
	{ "set-timeout",    D_REQ, p_set_timeout,  a_set_timeout },
	{ "use-service",    D_REQ, px_lua_service_parse, px_lua_service_run },
	{ 0 }
};

/* Action name without its "(...)" part. */
static const struct act_kw *act_find(const char *word)
{
	size_t n = strcspn(word, "(");
	const struct act_kw *k;

	for (k = act_kws; k->name; k++)
		if (strlen(k->name) == n && !strncmp(k->name, word, n))
			return k;
	return NULL;
}

static int kw_http_rule(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	unsigned dir = !strcmp(args[0], "http-request") ? D_REQ :
	               !strcmp(args[0], "http-response") ? D_RES : D_AFTER;
	unsigned use = dir == D_REQ ? PX_USE_REQ : PX_USE_RES;
	const struct act_kw *k;
	struct px_rules *rules;
	struct px_rule *r;
	int cstart;

	if (ctx->px->cap & PX_CAP_DEF) {
		px_strfmt(err, "rules belong in frontend, backend or listen sections, not in "
		          "defaults");
		return -1;
	}
	if (nargs < 2) {
		px_strfmt(err, "expects an action");
		return -1;
	}
	if (!strncmp(args[1], "lua.", 4) && args[1][4]) {
		static const struct act_kw lua_kw = {
			"lua.", ALL, px_lua_action_parse, px_lua_action_run,
		};

		k = &lua_kw;
	} else {
		k = act_find(args[1]);
	}
	if (k && !(k->dirs & dir)) {
		px_strfmt(err, "'%s' is an action of %s, not of %s", k->name,
		          k->dirs & D_REQ ? "http-request" : "http-response and "
		          "http-after-response", args[0]);
		return -1;
	}
	if (!k) {
		const char *names[64], *near;
		int n = 0;

		for (k = act_kws; k->name; k++)
			if (k->dirs & dir)
				names[n++] = k->name;
		near = px_closest(args[1], names, n);
		px_strfmt(err, "unknown action '%s'%s%s%s", args[1],
		          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		return -1;
	}
	r = px_rule_new(ctx, args, nargs, &rules, err);
	if (!r)
		return -1;
	r->fn = k->fn;
	cstart = px_cond_start(args, nargs);
	if (k->parse(r, args + 1, cstart - 1, use, ctx, err) < 0)
		return -1;
	if (cstart < nargs) {
		r->cond = px_cond_parse(args + cstart, nargs - cstart, use, ctx, err);
		if (!r->cond)
			return -1;
	}
	px_rule_append(dir == D_REQ ? &rules->http_req : dir == D_RES ? &rules->http_res :
	               &rules->after_res, r);
	return 0;
}

static const struct px_cfg_kw http_act_kws[] = {
	{ .name = "http-request", .sections = PX_SEC_PROXIES, .parse = kw_http_rule },
	{ .name = "http-response", .sections = PX_SEC_PROXIES, .parse = kw_http_rule },
	{ .name = "http-after-response", .sections = PX_SEC_PROXIES, .parse = kw_http_rule },
	{ 0 }
};

static struct px_cfg_kw_list http_act_kw_list = { .kws = http_act_kws };

__attribute__((constructor)) static void http_act_register(void)
{
	px_cfg_register(&http_act_kw_list);
}
