/* HAProxy 1.x header rules, kept because the seed's configurations use
 * them: reqrep, reqirep, reqdel, reqidel, reqadd and their rsp*
 * counterparts. The regex runs on each whole line ("GET /x HTTP/1.1",
 * "Name: value"); a matching line is replaced by the replacement with its
 * back-references. "proxyd -c" hints at the modern equivalent once per
 * keyword.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/util.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "proto/stream-t.h"
#include "rules/acl.h"
#include "rules/regex.h"
#include "rules/rules.h"
#include "rules/sample.h"

enum { LG_REP = 0, LG_DEL, LG_ADD };

/* Keyword facts: direction, kind, case. */
static const struct {
	const char *name;
	uint8_t res, kind, icase;
} legacy[] = {
	{ "reqrep", 0, LG_REP, 0 }, { "reqirep", 0, LG_REP, 1 },
	{ "reqdel", 0, LG_DEL, 0 }, { "reqidel", 0, LG_DEL, 1 },
	{ "reqadd", 0, LG_ADD, 0 },
	{ "rsprep", 1, LG_REP, 0 }, { "rspirep", 1, LG_REP, 1 },
	{ "rspdel", 1, LG_DEL, 0 }, { "rspidel", 1, LG_DEL, 1 },
	{ "rspadd", 1, LG_ADD, 0 },
};

#define HINT_BIT(i) (1u << (16 + (i)))

/* Shifts back-references down by one ("\2" -> "\1") into <out>. */
static int shift_refs(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s; s++) {
		if (o + 3 >= outsz)
			return -1;
		if (s[0] == '\\' && s[1] >= '2' && s[1] <= '9') {
			out[o++] = '\\';
			out[o++] = (char)(s[1] - 1);
			s++;
			continue;
		}
		if (s[0] == '\\' && s[1] == '1')
			return -1;
		out[o++] = *s;
	}
	out[o] = 0;
	return 0;
}

/* Length of a header name followed by ": " at <s>, or 0. */
static size_t name_colon(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ':' && s[n] != ' ' && s[n] != '\\' && s[n] != '(' &&
	       s[n] != '[' && s[n] != '.' && s[n] != '*' && s[n] != '^')
		n++;
	if (!n || s[n] != ':' || s[n + 1] != ' ')
		return 0;
	return n;
}

/* Quotes for a replacement that holds blanks, so that it stays one word. */
static const char *q(const char *s)
{
	return strchr(s, ' ') ? "\"" : "";
}

/* The modern equivalent of a legacy rule, when its shape allows one. */
static void hint(struct px_cfg_ctx *ctx, int k, char **args, int cstart, int nargs)
{
	const char *kw = legacy[k].name, *dir = legacy[k].res ? "http-response" : "http-request";
	const char *re = cstart > 1 ? args[1] : "", *repl = cstart > 2 ? args[2] : "";
	/* The "i" keywords match regardless of case: PCRE2's inline flag. */
	const char *ic = legacy[k].icase ? "(?i)" : "";
	char buf[1024];

	if (ctx->hinted & HINT_BIT(k))
		return;
	ctx->hinted |= HINT_BIT(k);
	buf[0] = 0;
	if (legacy[k].kind == LG_ADD) {
		const char *colon = strchr(re, ':');

		if (colon)
			snprintf(buf, sizeof(buf), "%s add-header %.*s %s", dir, (int)(colon - re),
			         re, colon[1] == ' ' ? colon + 2 : colon + 1);
	} else if (legacy[k].kind == LG_DEL) {
		size_t n = re[0] == '^' ? strcspn(re + 1, ":\\([.*^$ ") : 0;
		const char *rest;

		if (re[0] != '^' || re[1 + n] != ':')
			n = 0;
		rest = n ? re + 1 + n + 1 : "";

		/* Only a rule on the name alone ("^Name:" or "^Name:.*") maps
		 * to deleting the header whatever its value.
		 */
		if (n && (!*rest || !strcmp(rest, ".*") || !strcmp(rest, " .*")))
			snprintf(buf, sizeof(buf), "%s del-header %.*s", dir, (int)n, re + 1);
		else if (n)
			snprintf(buf, sizeof(buf), "%s del-header %.*s if { %s.fhdr(%.*s) -m reg%s ^%s }",
			         dir, (int)n, re + 1, legacy[k].res ? "res" : "req", (int)n, re + 1,
			         legacy[k].icase ? " -i" : "", rest + strspn(rest, " "));
		else
			snprintf(buf, sizeof(buf), "%s del-header NAME -m reg", dir);
	} else if (legacy[k].res && !strncmp(re, "^HTTP/", 6)) {
		snprintf(buf, sizeof(buf), "http-response set-status CODE [reason TEXT]");
	} else if (!legacy[k].res && !strncmp(re, "^([^ :]*) ", 10) && !strncmp(repl, "\\1 ", 3)) {
		/* The request line with the method kept: a pathq rewrite. */
		char r2[512];

		if (shift_refs(repl + 3, r2, sizeof(r2)) == 0)
			snprintf(buf, sizeof(buf), "http-request replace-pathq %s^%s %s%s%s", ic,
			         re + 10, q(r2), r2, q(r2));
	} else if (re[0] == '^') {
		size_t n = name_colon(re + 1);
		const char *r = repl + n + 2;

		if (n && !strncasecmp(repl, re + 1, n) && repl[n] == ':' && repl[n + 1] == ' ')
			snprintf(buf, sizeof(buf), "%s replace-header %.*s %s^%s %s%s%s", dir, (int)n,
			         re + 1, ic, re + n + 3, q(r), r, q(r));
	}
	if (!buf[0] && legacy[k].res)
		snprintf(buf, sizeof(buf), "http-response replace-header NAME REGEX FMT");
	else if (!buf[0])
		snprintf(buf, sizeof(buf), "http-request replace-header NAME REGEX FMT (headers) "
		         "or http-request replace-uri/replace-pathq REGEX FMT (request line)");
	{
		size_t l = strlen(buf);
		int i;

		for (i = cstart; i < nargs && l < sizeof(buf) - 2; i++)
			l += (size_t)snprintf(buf + l, sizeof(buf) - l, " %s", args[i]);
	}
	px_cfg_warn(ctx, "'%s' is HAProxy 1.x syntax (still supported); the modern "
	            "equivalent is: %s", kw, buf);
}

static int split_field(const char *p, uint32_t len, const char **n, uint32_t *nl,
                       const char **v, uint32_t *vl);
static int framing(const char *n, uint32_t nl);

/* Tells whether <re> ends inside a bracket expression ("[^ :" cut at an
 * unescaped blank).
 */
static int open_bracket(const char *re)
{
	int in = 0;

	for (; *re; re++) {
		if (*re == '\\' && re[1])
			re++;
		else if (!in && *re == '[')
			in = re[1] == ']' || (re[1] == '^' && re[2] == ']') ? 2 : 1;
		else if (in == 2)
			in = 1;   /* a ']' right after '[' or '[^' is literal */
		else if (in && *re == ']')
			in = 0;
	}
	return in;
}

/* The seed prints one reqirep with a blank inside a bracket expression
 * ("^([^ :]*)\ /mirror/..."), which the tokenizer cuts in two. A regex
 * cannot end inside brackets, so the words are put back together.
 */
static int rejoin_regex(struct px_cfg_ctx *ctx, char **args, int *nargs)
{
	while (*nargs > 2 && open_bracket(args[1])) {
		size_t l1 = strlen(args[1]), l2 = strlen(args[2]);
		char *j = px_gen_alloc(ctx->gen, l1 + l2 + 2);
		int i;

		if (!j)
			return -1;
		memcpy(j, args[1], l1);
		j[l1] = ' ';
		memcpy(j + l1 + 1, args[2], l2 + 1);
		args[1] = j;
		for (i = 2; i + 1 < *nargs; i++)
			args[i] = args[i + 1];
		(*nargs)--;
	}
	return 0;
}

static int kw_legacy(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_rules *rules;
	struct px_rule *r;
	int k, cstart, want;

	for (k = 0; k < (int)PX_ARRAY_SIZE(legacy); k++)
		if (!strcmp(args[0], legacy[k].name))
			break;
	if (ctx->px->cap & PX_CAP_DEF) {
		px_strfmt(err, "rules belong in frontend, backend or listen sections, not in "
		          "defaults");
		return -1;
	}
	if (legacy[k].kind != LG_ADD && rejoin_regex(ctx, args, &nargs) < 0) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	cstart = px_cond_start(args, nargs);
	want = legacy[k].kind == LG_REP ? 3 : 2;
	if (cstart != want) {
		px_strfmt(err, "expects %s", legacy[k].kind == LG_REP ? "a regex and a replacement" :
		          legacy[k].kind == LG_DEL ? "a regex" : "a header line (Name:\\ value)");
		return -1;
	}
	r = px_rule_new(ctx, args, nargs, &rules, err);
	if (!r)
		return -1;
	r->i1 = legacy[k].kind;
	r->i2 = legacy[k].res;
	if (legacy[k].kind == LG_ADD) {
		const char *n, *v;
		uint32_t nl, vl;

		if (split_field(args[1], (uint32_t)strlen(args[1]), &n, &nl, &v, &vl) < 0 ||
		    !px_rules_value_ok(args[1], strlen(args[1]))) {
			px_strfmt(err, "'%s' is not a header line (Name:\\ value, the name a "
			          "token)", args[1]);
			return -1;
		}
		if (framing(n, nl)) {
			px_strfmt(err, "'%.*s' cannot be added by rules: proxyd frames the body "
			          "itself", (int)nl, n);
			return -1;
		}
		r->name = px_gen_strdup(ctx->gen, args[1]);
		r->nlen = (uint32_t)strlen(args[1]);
	} else {
		r->re = px_regex_comp(ctx->gen, args[1], legacy[k].icase ? PX_RE_ICASE : 0, err);
		if (!r->re)
			return -1;
		if (legacy[k].kind == LG_REP) {
			r->name = px_gen_strdup(ctx->gen, args[2]);
			r->nlen = (uint32_t)strlen(args[2]);
		}
	}
	if (cstart < nargs &&
	    !(r->cond = px_cond_parse(args + cstart, nargs - cstart,
	                              legacy[k].res ? PX_USE_RES : PX_USE_REQ, ctx, err)))
		return -1;
	hint(ctx, k, args, cstart, nargs);
	px_rule_append(legacy[k].res ? &rules->legacy_res : &rules->legacy_req, r);
	return 0;
}

/* --- running ---------------------------------------------------------------- */

/* Splits "Name: value" into an added or replaced field. Returns 0, or -1
 * when the line is not a valid header line.
 */
static int split_field(const char *p, uint32_t len, const char **n, uint32_t *nl,
                       const char **v, uint32_t *vl)
{
	const char *colon = memchr(p, ':', len), *e = p + len, *s;
	uint32_t i;

	if (!colon || colon == p)
		return -1;
	for (i = 0; i < (uint32_t)(colon - p); i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", p[i]))
			return -1;
	s = colon + 1;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*n = p;
	*nl = (uint32_t)(colon - p);
	*v = s;
	*vl = (uint32_t)(e - s);
	return 0;
}

static int framing(const char *n, uint32_t nl)
{
	return (nl == 14 && !strncasecmp(n, "content-length", 14)) ||
	       (nl == 17 && !strncasecmp(n, "transfer-encoding", 17));
}

/* Applies one reqrep-like rule to the start line. */
static int rep_start_line(const struct px_rule *r, struct px_hmsg *hm, int res)
{
	uint32_t sz, osz, o = 0, i;
	char *line = px_scratch(0, &sz), *out = px_scratch(1, &osz);
	long ov[20], n;
	int ng;
	const char *sp1, *sp2;

	for (i = 0; i < 3; i++) {
		if (o + hm->sll[i] + 1 > sz)
			return -1;
		if (i)
			line[o++] = ' ';
		memcpy(line + o, hm->sl[i], hm->sll[i]);
		o += hm->sll[i];
	}
	/* A response line without reason phrase has no trailing blank. */
	if (res && !hm->sll[2])
		o--;
	ng = px_regex_match(r->re, line, o, 0, ov, 10);
	if (!ng)
		return 0;
	n = px_regex_expand(r->name, r->nlen, line, ov, ng, out, osz);
	if (n < 0)
		return -1;
	sp1 = memchr(out, ' ', (size_t)n);
	sp2 = sp1 ? memrchr(sp1 + 1, ' ', (size_t)(out + n - sp1 - 1)) : NULL;
	if (!res) {
		/* "METHOD TARGET HTTP/x.y": exactly two blanks. */
		if (!sp1 || !sp2 || sp1 == out || sp2 == sp1 + 1 ||
		    memchr(sp1 + 1, ' ', (size_t)(sp2 - sp1 - 1)) ||
		    out + n - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) ||
		    sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.' || sp2[8] < '0' || sp2[8] > '9' ||
		    !px_rules_value_ok(out, (size_t)n)) {
			px_rules_refused(r, "request line");
			return 0;
		}
		for (i = 0; i < (uint32_t)n; i++)
			if ((unsigned char)out[i] >= 0x7f || (out[i] < 0x20 && out[i] != '\t') ||
			    (out + i < sp1 && !px_h1_tchar[(unsigned char)out[i]])) {
				px_rules_refused(r, "request line");
				return 0;
			}
		if (px_hmsg_set_sl(hm, PX_SL_METH, out, sp1 - out) < 0 ||
		    px_hmsg_set_sl(hm, PX_SL_URI, sp1 + 1, sp2 - sp1 - 1) < 0 ||
		    px_hmsg_set_sl(hm, PX_SL_VER, sp2 + 1, out + n - sp2 - 1) < 0)
			return -1;
		return 0;
	}
	/* "HTTP/x.y NNN reason" */
	if (n < 12 || memcmp(out, "HTTP/", 5) || out[8] != ' ' || out[9] < '1' || out[9] > '5' ||
	    out[10] < '0' || out[10] > '9' || out[11] < '0' || out[11] > '9' ||
	    (n > 12 && out[12] != ' ') || !px_rules_value_ok(out, (size_t)n)) {
		px_rules_refused(r, "status line");
		return 0;
	}
	if (px_hmsg_set_sl(hm, PX_SL_RVER, out, 8) < 0 ||
	    px_hmsg_set_sl(hm, PX_SL_CODE, out + 9, 3) < 0 ||
	    px_hmsg_set_sl(hm, PX_SL_REASON, n > 12 ? out + 13 : "", n > 12 ? (size_t)n - 13 : 0) < 0)
		return -1;
	hm->status = (uint16_t)((out[9] - '0') * 100 + (out[10] - '0') * 10 + (out[11] - '0'));
	return 0;
}

/* Runs one legacy rule on <hm>. Returns 0, or -1 on an internal error. */
int px_legacy_run(const struct px_rule *r, struct px_hmsg *hm, struct px_stream *s)
{
	uint32_t i, nh = hm->nhdr;

	if (r->i1 == LG_ADD) {
		const char *n, *v;
		uint32_t nl, vl;

		if (split_field(r->name, r->nlen, &n, &nl, &v, &vl) < 0)
			return 0;
		return px_hmsg_add(hm, n, nl, v, vl);
	}
	if (r->i1 == LG_REP && rep_start_line(r, hm, (int)r->i2) < 0)
		return -1;
	for (i = 0; i < nh; i++) {
		struct px_hfield *f = &hm->hdr[i];
		uint32_t sz, osz, len;
		char *line, *out;
		const char *n, *v;
		uint32_t nl, vl;
		long ov[20], rn;
		int ng;

		if (!f->nl)
			continue;
		line = px_scratch(0, &sz);
		if (f->nl + 2 + f->vl > sz)
			return -1;
		memcpy(line, f->n, f->nl);
		line[f->nl] = ':';
		line[f->nl + 1] = ' ';
		memcpy(line + f->nl + 2, f->v, f->vl);
		len = f->nl + 2 + f->vl;
		ng = px_regex_match(r->re, line, len, 0, ov, 10);
		if (!ng)
			continue;
		if (framing(f->n, f->nl)) {
			px_rules_refused(r, "header line (Content-Length and Transfer-Encoding are "
			                 "proxyd's to write)");
			continue;
		}
		if (r->i1 == LG_DEL) {
			px_hmsg_del(hm, (int)i);
			continue;
		}
		out = px_scratch(1, &osz);
		rn = px_regex_expand(r->name, r->nlen, line, ov, ng, out, osz);
		if (rn < 0)
			return -1;
		if (rn == 0) {
			px_hmsg_del(hm, (int)i);
			continue;
		}
		if (split_field(out, (uint32_t)rn, &n, &nl, &v, &vl) < 0 ||
		    !px_rules_value_ok(out, (size_t)rn) || framing(n, nl)) {
			px_rules_refused(r, "header line");
			continue;
		}
		/* The new name and value go to the arena together. */
		{
			char *d = px_hmsg_alloc(hm, (size_t)rn);

			if (!d)
				return -1;
			memcpy(d, out, (size_t)rn);
			px_hmsg_set_field(hm, (int)i, d + (n - out), nl, d + (v - out), vl);
		}
	}
	(void)s;
	return 0;
}

static const struct px_cfg_kw legacy_kws[] = {
	{ .name = "reqrep", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "reqirep", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "reqdel", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "reqidel", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "reqadd", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "rsprep", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "rspirep", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "rspdel", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "rspidel", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ .name = "rspadd", .sections = PX_SEC_PROXIES, .parse = kw_legacy },
	{ 0 }
};

static struct px_cfg_kw_list legacy_kw_list = { .kws = legacy_kws };

__attribute__((constructor)) static void legacy_register(void)
{
	px_cfg_register(&legacy_kw_list);
}
