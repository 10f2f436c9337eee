/* Responses made by rules: "redirect" (keyword and http-request /
 * http-response action) and "http-request return", in HAProxy 2.x's byte
 * layout, sent on a kept-alive connection when the request allows it.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/ev.h"
#include "core/util.h"
#include "proto/errors.h"
#include "proto/h1.h"
#include "proto/hhead.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream.h"
#include "rules/acl.h"
#include "rules/fmt.h"
#include "rules/rules.h"
#include "rules/sample.h"

enum { RD_LOCATION = 0, RD_PREFIX, RD_SCHEME };

#define RD_DROP_QUERY   0x01
#define RD_APPEND_SLASH 0x02
#define RD_IGNORE_EMPTY 0x04

/* Extra arguments of a redirect. */
struct redir {
	char *set_cookie;        /* "NAME=VALUE" */
	char *clear_cookie;      /* "NAME" */
};

static const char *redirect_reason(int code)
{
	switch (code) {
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	default:  return "Permanent Redirect";
	}
}

/* redirect location|prefix|scheme VALUE [code N] [drop-query] [append-slash]
 *          [set-cookie NAME[=VALUE]] [clear-cookie NAME]
 */
int px_redirect_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                      struct px_cfg_ctx *ctx, char **err)
{
	struct redir *rd = px_gen_alloc(ctx->gen, sizeof(*rd));
	int i;

	if (!rd) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	int form = -1;
	char *words[PX_CFG_MAX_ARGS];
	int nw = 0;

	/* The form and its value may come after the options ("redirect code
	 * 301 location /x"): put them first.
	 */
	for (i = 1; i < nargs && nw < PX_CFG_MAX_ARGS - 1; i++) {
		if (form < 0 && i + 1 < nargs && (!strcmp(args[i], "location") ||
		    !strcmp(args[i], "prefix") || !strcmp(args[i], "scheme"))) {
			form = i;
			i++;
			continue;
		}
		words[nw++] = args[i];
	}
	if (form < 0) {
		if (nargs > 1)
			px_strfmt(err, "'%s' expects 'location', 'prefix' or 'scheme', not '%s'",
			          args[0], args[1]);
		else
			px_strfmt(err, "'%s' expects 'location', 'prefix' or 'scheme' and a value",
			          args[0]);
		return -1;
	}
	{
		char *f = args[form], *v = args[form + 1];

		args[1] = f;
		args[2] = v;
		for (i = 0; i < nw; i++)
			args[3 + i] = words[i];
	}
	if (!strcmp(args[1], "location"))
		r->i1 = RD_LOCATION;
	else if (!strcmp(args[1], "prefix"))
		r->i1 = RD_PREFIX;
	else
		r->i1 = RD_SCHEME;
	if ((use & PX_USE_RES) && r->i1 != RD_LOCATION) {
		px_strfmt(err, "a response can only be redirected with 'location'");
		return -1;
	}
	/* The "redirect" keyword takes its value literally, as HAProxy's;
	 * the http-request/http-response action takes a format.
	 */
	r->fmt = px_fmt_compile(ctx, args[2], r->text && !strncmp(r->text, "redirect ", 9) ?
	                        PX_FMT_LITERAL : PX_FMT_VALUE, use, err);
	if (!r->fmt)
		return -1;
	r->i2 = 302;
	r->ptr = rd;
	for (i = 3; i < nargs; i++) {
		if (!strcmp(args[i], "code") && i + 1 < nargs) {
			uint64_t c;

			if (px_parse_uint(args[++i], 999, &c) < 0 ||
			    (c != 301 && c != 302 && c != 303 && c != 307 && c != 308)) {
				px_strfmt(err, "invalid redirect code '%s' (301, 302, 303, 307 or 308)",
				          args[i]);
				return -1;
			}
			r->i2 = (int64_t)c;
		} else if (!strcmp(args[i], "drop-query")) {
			r->nlen |= RD_DROP_QUERY;
		} else if (!strcmp(args[i], "append-slash")) {
			r->nlen |= RD_APPEND_SLASH;
		} else if (!strcmp(args[i], "ignore-empty")) {
			r->nlen |= RD_IGNORE_EMPTY;
		} else if ((!strcmp(args[i], "set-cookie") || !strcmp(args[i], "clear-cookie")) &&
		           i + 1 < nargs) {
			const char *c = args[i + 1];

			/* The text goes into a header as it is: no line breaks. */
			if (!*c || *c == '=' || !px_rules_value_ok(c, strlen(c)) ||
			    strcspn(c, "=") != strcspn(c, "=; \t,\"")) {
				px_strfmt(err, "invalid cookie '%s' after '%s' (NAME[=VALUE], the name a "
				          "token)", c, args[i]);
				return -1;
			}
			if (args[i][0] == 's')
				rd->set_cookie = px_gen_strdup(ctx->gen, c);
			else
				rd->clear_cookie = px_gen_strdup(ctx->gen, c);
			i++;
		} else {
			px_strfmt(err, "unexpected '%s' in redirect (code N, drop-query, "
			          "append-slash, ignore-empty, set-cookie NAME[=VALUE], "
			          "clear-cookie NAME[=])", args[i]);
			return -1;
		}
	}
	return 0;
}

static void o_num(struct hh_buf *o, uint64_t v)
{
	char n[24];

	hh_put(o, n, px_utoa(v, n));
}

/* The client may keep its connection after a response proxyd makes when
 * its whole request is in and it did not ask to close.
 */
static int can_keep(const struct px_stream *s)
{
	return (s->rq == PX_RQ_DONE || (s->flags & PX_STF_REQ_WHOLE)) &&
	       !(s->flags & (PX_STF_REQ_CLOSE | PX_STF_UPGRADE));
}

/* Ends a head: "connection: close" when the connection ends after it,
 * "connection: keep-alive" when an HTTP/1.0 client asked to keep it.
 */
static void end_head(struct hh_buf *o, const struct px_stream *s)
{
	if (!can_keep(s))
		hh_str(o, "connection: close\r\n");
	else if (s->req.vmin == 0)
		hh_str(o, "connection: keep-alive\r\n");
	hh_str(o, "\r\n");
}

enum px_act_ret px_redirect_run(const struct px_rule *r, struct px_rules_run *run)
{
	const struct redir *rd = r->ptr;
	struct px_stream *s = run->sctx.s;
	struct px_hmsg *req = run->sctx.req;
	struct hh_buf o;
	const char *v;
	uint32_t vl, sz, loc;
	char *t;
	int code = (int)r->i2;

	{
		char *p = px_scratch(0, &sz);

		vl = (uint32_t)px_fmt_render(r->fmt, &run->sctx,
		                             s->sess->loop->now_ms, p, sz);
		v = p;
	}
	t = px_scratch(1, &sz);
	o = (struct hh_buf){ .p = t, .size = sz };
	hh_str(&o, "HTTP/1.1 ");
	o_num(&o, (uint64_t)code);
	hh_str(&o, " ");
	hh_str(&o, redirect_reason(code));
	hh_str(&o, "\r\ncontent-length: 0\r\nlocation: ");
	loc = o.len;
	if (r->i1 == RD_LOCATION) {
		hh_put(&o, v, vl);
	} else {
		const char *path, *q = NULL;
		uint32_t plen, qlen = 0;

		if (!req)
			return PX_ACT_CONT;
		px_hmsg_path(req, &path, &plen);
		/* The asterisk form ("OPTIONS *") has no path: "/" stands in. */
		if (!plen || path[0] != '/') {
			path = "/";
			plen = 1;
		}
		if (!(r->nlen & RD_DROP_QUERY) && px_hmsg_query(req, &q, &qlen)) {
			q--;
			qlen++;
		}
		if (r->i1 == RD_SCHEME) {
			int h = px_hmsg_find(req, "host", 4, -1);

			hh_put(&o, v, vl);
			hh_str(&o, "://");
			if (h >= 0)
				hh_put(&o, req->hdr[h].v, req->hdr[h].vl);
		} else if (!(vl == 1 && v[0] == '/')) {
			hh_put(&o, v, vl);
		}
		hh_put(&o, path, plen);
		if ((r->nlen & RD_APPEND_SLASH) && (r->nlen & RD_DROP_QUERY) &&
		    (!plen || path[plen - 1] != '/'))
			hh_str(&o, "/");
		if (q)
			hh_put(&o, q, qlen);
	}
	if (!px_rules_value_ok(o.p + loc, o.len - loc)) {
		px_rules_refused(r, "location");
		return PX_ACT_CONT;
	}
	if (o.len == loc && (r->nlen & RD_IGNORE_EMPTY))
		return PX_ACT_CONT;
	hh_str(&o, "\r\n");
	if (code != 301 && code != 308)
		hh_str(&o, "cache-control: no-cache\r\n");
	if (rd->set_cookie) {
		hh_str(&o, "set-cookie: ");
		hh_str(&o, rd->set_cookie);
		hh_str(&o, "; path=/;\r\n");
	}
	if (rd->clear_cookie) {
		hh_str(&o, "set-cookie: ");
		hh_str(&o, rd->clear_cookie);
		hh_str(&o, "; path=/; Max-Age=0;\r\n");
	}
	end_head(&o, s);
	if (o.overflow)
		return PX_ACT_ERR;
	px_stream_local_dyn(s, code, 'L', run->dir == PX_USE_RES ? 'H' : 'R', o.p, o.len,
	                    can_keep(s));
	return PX_ACT_DONE;
}

/* --- return ------------------------------------------------------------------ */

struct ret {
	char *ctype;
	const char *body;          /* fixed body (string, file) */
	uint32_t body_len;
	struct px_logfmt *lf_body; /* lf-string / lf-file */
	int nhdrs;
	char **hnames;
	struct px_logfmt **hvals;
};

static char *read_file(struct px_cfg_ctx *ctx, const char *path, uint32_t *len, char **err)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		px_strfmt(err, "cannot open '%s': %m", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* A FIFO would block the loading, a device never end. */
	if (!S_ISREG(st.st_mode)) {
		px_strfmt(err, "'%s' is not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > (off_t)(ctx->gen->global.bufsize ? ctx->gen->global.bufsize : 16384) / 2) {
		px_strfmt(err, "'%s' is too large (%lld bytes; a response must fit in half "
		          "of tune.bufsize)", path, (long long)st.st_size);
		close(fd);
		return NULL;
	}
	buf = px_gen_alloc(ctx->gen, (size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		px_strfmt(err, "cannot read '%s'", path);
		return NULL;
	}
	*len = (uint32_t)n;
	return buf;
}

/* return [status N] [content-type T] [string S | lf-string FMT | file F |
 *        lf-file F] [hdr NAME FMT]...
 */
int px_return_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                    struct px_cfg_ctx *ctx, char **err)
{
	struct ret *rt = px_gen_alloc(ctx->gen, sizeof(*rt));
	int i, have_body = 0;

	if (!rt) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	rt->hnames = px_gen_alloc(ctx->gen, nargs * sizeof(char *));
	rt->hvals = px_gen_alloc(ctx->gen, nargs * sizeof(struct px_logfmt *));
	if (!rt->hnames || !rt->hvals) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	r->i1 = 200;
	r->ptr = rt;
	for (i = 1; i < nargs; i++) {
		const char *k = args[i];

		if (i + 1 >= nargs) {
			px_strfmt(err, "'%s' expects a value", k);
			return -1;
		}
		if (!strcmp(k, "status")) {
			uint64_t c;

			if (px_parse_uint(args[++i], 599, &c) < 0 || c < 200) {
				px_strfmt(err, "invalid status '%s' (200 to 599)", args[i]);
				return -1;
			}
			r->i1 = (int64_t)c;
		} else if (!strcmp(k, "content-type")) {
			rt->ctype = px_gen_strdup(ctx->gen, args[++i]);
			if (!px_rules_value_ok(rt->ctype, strlen(rt->ctype))) {
				px_strfmt(err, "invalid content-type");
				return -1;
			}
		} else if (!strcmp(k, "string") || !strcmp(k, "file") ||
		           !strcmp(k, "lf-string") || !strcmp(k, "lf-file")) {
			if (have_body++) {
				px_strfmt(err, "only one of string, lf-string, file, lf-file");
				return -1;
			}
			i++;
			if (!strcmp(k, "string")) {
				rt->body = px_gen_strdup(ctx->gen, args[i]);
				rt->body_len = (uint32_t)strlen(args[i]);
			} else if (!strcmp(k, "file")) {
				rt->body = read_file(ctx, args[i], &rt->body_len, err);
				if (!rt->body)
					return -1;
			} else {
				const char *text = args[i];
				uint32_t len;
				char *buf = NULL;

				if (!strcmp(k, "lf-file")) {
					buf = read_file(ctx, args[i], &len, err);
					if (!buf)
						return -1;
					buf[len] = 0;
					text = buf;
				}
				rt->lf_body = px_fmt_compile(ctx, text, PX_FMT_VALUE, use, err);
				if (!rt->lf_body)
					return -1;
			}
		} else if (!strcmp(k, "hdr") && i + 2 < nargs) {
			char *hn, *c;

			if (!px_h1_is_token(args[i + 1])) {
				px_strfmt(err, "'hdr %s': invalid header name", args[i + 1]);
				return -1;
			}
			/* As HAProxy: ignored with a warning. */
			if (!strcasecmp(args[i + 1], "content-length") ||
			    !strcasecmp(args[i + 1], "transfer-encoding")) {
				px_cfg_warn(ctx, "'hdr %s' is ignored: proxyd writes the framing "
				            "headers of its replies itself", args[i + 1]);
				i += 2;
				continue;
			}
			hn = px_gen_strdup(ctx->gen, args[i + 1]);

			/* Sent lower-cased, as HAProxy 2.x does. */
			for (c = hn; c && *c; c++)
				*c = (char)tolower((unsigned char)*c);
			rt->hnames[rt->nhdrs] = hn;
			rt->hvals[rt->nhdrs] = px_fmt_compile(ctx, args[i + 2], PX_FMT_VALUE, use, err);
			if (!rt->hvals[rt->nhdrs])
				return -1;
			rt->nhdrs++;
			i += 2;
		} else {
			px_strfmt(err, "unexpected '%s' in return (status, content-type, string, "
			          "lf-string, file, lf-file, hdr NAME VALUE)", k);
			return -1;
		}
	}
	if ((rt->body || rt->lf_body) && !rt->ctype) {
		px_strfmt(err, "a body needs a 'content-type'");
		return -1;
	}
	return 0;
}

enum px_act_ret px_return_run(const struct px_rule *r, struct px_rules_run *run)
{
	const struct ret *rt = r->ptr;
	struct px_stream *s = run->sctx.s;
	uint64_t now = s->sess->loop->now_ms;
	const char *body = rt->body;
	uint32_t blen = rt->body_len, sz, hsz;
	char *t, *bt = NULL;
	struct hh_buf o;
	int i;

	if (rt->lf_body) {
		bt = px_scratch(3, &sz);
		blen = (uint32_t)px_fmt_render(rt->lf_body, &run->sctx, now, bt, sz);
		body = bt;
	}
	t = px_scratch(1, &sz);
	o = (struct hh_buf){ .p = t, .size = sz };
	hh_str(&o, "HTTP/1.1 ");
	o_num(&o, (uint64_t)r->i1);
	hh_str(&o, " ");
	hh_str(&o, px_http_reason((int)r->i1));
	hh_str(&o, "\r\n");
	for (i = 0; i < rt->nhdrs; i++) {
		char *hv = px_scratch(0, &hsz);
		uint32_t hl = (uint32_t)px_fmt_render(rt->hvals[i], &run->sctx, now, hv, hsz);

		if (!px_rules_value_ok(hv, hl)) {
			px_rules_refused(r, rt->hnames[i]);
			continue;
		}
		hh_str(&o, rt->hnames[i]);
		hh_str(&o, ": ");
		hh_put(&o, hv, hl);
		hh_str(&o, "\r\n");
	}
	/* 204 and 304 have no body, not even a length of zero. */
	if (r->i1 == 204 || r->i1 == 304) {
		blen = 0;
	} else {
		hh_str(&o, "content-length: ");
		o_num(&o, blen);
		hh_str(&o, "\r\n");
	}
	if (rt->ctype && blen) {
		hh_str(&o, "content-type: ");
		hh_str(&o, rt->ctype);
		hh_str(&o, "\r\n");
	}
	end_head(&o, s);
	if (!(s->flags & PX_STF_HEAD))
		hh_put(&o, body, blen);
	if (o.overflow)
		return PX_ACT_ERR;
	px_stream_local_dyn(s, (int)r->i1, 'L', run->dir == PX_USE_RES ? 'H' : 'R', o.p, o.len,
	                    can_keep(s));
	return PX_ACT_DONE;
}

/* The "redirect" keyword of frontends and backends: like http-request
 * redirect, run after the http-request rules.
 */
static int kw_redirect(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_rules *rules;
	struct px_rule *r;
	int cstart;

	if (ctx->px->cap & PX_CAP_DEF) {
		px_strfmt(err, "redirect rules belong in frontend, backend or listen sections");
		return -1;
	}
	r = px_rule_new(ctx, args, nargs, &rules, err);
	if (!r)
		return -1;
	r->fn = px_redirect_run;
	cstart = px_cond_start(args, nargs);
	if (px_redirect_parse(r, args, cstart, PX_USE_REQ, ctx, err) < 0)
		return -1;
	if (cstart < nargs && !(r->cond = px_cond_parse(args + cstart, nargs - cstart,
	                                                PX_USE_REQ, ctx, err)))
		return -1;
	px_rule_append(&rules->redirect, r);
	return 0;
}

static const struct px_cfg_kw redirect_kws[] = {
	{ .name = "redirect", .sections = PX_SEC_PROXIES, .parse = kw_redirect },
	{ 0 }
};

static struct px_cfg_kw_list redirect_kw_list = { .kws = redirect_kws };

__attribute__((constructor)) static void redirect_register(void)
{
	px_cfg_register(&redirect_kw_list);
}
