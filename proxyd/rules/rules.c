/* Running rules on a stream (see rules.h), the keywords that route and
 * capture (use_backend, capture, declare capture) and the checks made once
 * every proxy is parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "admin/counters.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "rules/acl.h"
#include "rules/fmt.h"
#include "rules/rules.h"
#include "rules/sample.h"

int px_legacy_run(const struct px_rule *r, struct px_hmsg *hm, struct px_stream *s);
int px_cookie_request(struct px_stream *s, struct px_hmsg *hm);
int px_cookie_response(struct px_stream *s, struct px_hmsg *hm);

struct px_rule *px_rule_new(struct px_cfg_ctx *ctx, char **args, int nargs,
                            struct px_rules **rules, char **err)
{
	struct px_rule *r = px_gen_alloc(ctx->gen, sizeof(*r));

	*rules = px_rules_get(ctx, ctx->px);
	if (!r || !*rules) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	r->file = px_gen_strdup(ctx->gen, ctx->file ? ctx->file : "");
	r->line = ctx->line;
	r->lid = ctx->line_id;
	r->text = px_rules_text(ctx, args, nargs);
	return r;
}

void px_rule_append(struct px_rule_list *l, struct px_rule *r)
{
	*l->tail = r;
	l->tail = &r->next;
}

char *px_rules_text(struct px_cfg_ctx *ctx, char **args, int nargs)
{
	size_t len = 1;
	char *t, *p;
	int i;

	for (i = 0; i < nargs; i++)
		len += strlen(args[i]) + 1;
	t = px_gen_alloc(ctx->gen, len);
	if (!t)
		return NULL;
	for (p = t, i = 0; i < nargs; i++) {
		if (i)
			*p++ = ' ';
		p += strlen(strcpy(p, args[i]));
	}
	return t;
}

int px_rules_value_ok(const char *p, size_t len)
{
	size_t i;

	/* One pass: values are short, three memchr() calls cost more. */
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] <= '\r' && (p[i] == '\r' || p[i] == '\n' || !p[i]))
			return 0;
	return 1;
}

void px_rules_refused(const struct px_rule *r, const char *what)
{
	struct px_rule *w = (struct px_rule *)r;   /* counters are run-time state */
	time_t now = time(NULL);

	w->refused++;
	if (w->last_warn == (int64_t)now)
		return;
	w->last_warn = (int64_t)now;
	{
		/* The rule's text may hold the very CR LF it is refused for:
		 * written escaped, the diagnostic stays one line.
		 */
		char text[512];
		size_t o = 0;
		const char *t;

		for (t = r->text ? r->text : ""; *t && o + 5 < sizeof(text); t++) {
			unsigned char c = (unsigned char)*t;

			if (c == '\r' || c == '\n')
				o += (size_t)snprintf(text + o, sizeof(text) - o, "\\%c", c == '\r' ? 'r' : 'n');
			else if (c < 0x20 || c == 0x7f)
				o += (size_t)snprintf(text + o, sizeof(text) - o, "\\x%02x", c);
			else
				text[o++] = (char)c;
		}
		text[o] = 0;
		px_warning("%s:%d: rewrite refused: the %s it would produce is invalid (CR, "
		           "LF or NUL, or malformed); left as it was (%llu refusals so far) [%s]",
		           r->file, r->line, what, (unsigned long long)r->refused, text);
	}
}

/* --- captures --------------------------------------------------------------- */

#define CAP_BLOCK 1024

static __thread struct px_pool cap_pool = PX_POOL_INIT("capture", CAP_BLOCK);

static int caps_alloc(struct px_stream *s)
{
	const struct px_proxy *fe = s->fe;
	uint32_t i;

	if (s->caps)
		return 0;
	s->caps = fe->cap_size <= CAP_BLOCK ? px_pool_alloc(&cap_pool) : malloc(fe->cap_size);
	if (!s->caps)
		return -1;
	for (i = 0; i < fe->nreq_caps; i++)
		memset(s->caps + fe->req_caps[i].off, 0xff, 2);
	for (i = 0; i < fe->nres_caps; i++)
		memset(s->caps + fe->res_caps[i].off, 0xff, 2);
	return 0;
}

void px_capture_store(struct px_stream *s, const struct px_capture *c, const char *p,
                      size_t len)
{
	unsigned char *d;

	if (caps_alloc(s) < 0)
		return;
	if (len > c->len)
		len = c->len;
	d = (unsigned char *)s->caps + c->off;
	d[0] = (unsigned char)(len & 0xff);
	d[1] = (unsigned char)(len >> 8);
	memcpy(d + 2, p, len);
}

/* unique-id-format: the request's identifier, made once per request. */
#define UID_LEN 128

static __thread struct px_pool uid_pool = PX_POOL_INIT("unique-id", UID_LEN);

static int make_uid(struct px_stream *s, struct px_hmsg *hm)
{
	struct px_smp_ctx sctx = { .sess = s->sess, .s = s, .req = hm, .phase = PX_USE_REQ };
	struct px_proxy *fe = s->fe;
	size_t n;

	s->uid = px_pool_alloc(&uid_pool);
	if (!s->uid)
		return -1;
	n = px_fmt_render(fe->uid_fmt, &sctx, s->sess->loop->now_ms, s->uid, UID_LEN - 1);
	s->uid[n] = 0;
	if (fe->uid_hdr && px_rules_value_ok(s->uid, n) &&
	    px_hmsg_add(hm, fe->uid_hdr, strlen(fe->uid_hdr), s->uid, n) < 0)
		return -1;
	return 0;
}

void px_captures_free(struct px_stream *s)
{
	if (s->uid) {
		px_pool_free(&uid_pool, s->uid);
		s->uid = NULL;
	}
	if (!s->caps)
		return;
	if (s->fe->cap_size <= CAP_BLOCK)
		px_pool_free(&cap_pool, s->caps);
	else
		free(s->caps);
	s->caps = NULL;
}

/* "capture request|response header NAME len N": the first occurrence, as
 * HAProxy keeps it.
 */
static void capture_headers(struct px_stream *s, const struct px_capture *caps, uint32_t n,
                            struct px_hmsg *hm)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		int h;

		if (!caps[i].name)
			continue;
		h = px_hmsg_find(hm, caps[i].name, caps[i].nlen, -1);
		if (h >= 0)
			px_capture_store(s, &caps[i], hm->hdr[h].v, hm->hdr[h].vl);
	}
}

/* --- running -------------------------------------------------------------------- */

struct px_trace *px_trace_cur;

/* The slow path of a dry run, kept out of the loops below. */
static enum px_act_ret traced_rule(const struct px_rule *r, struct px_rules_run *run,
                                   int legacy)
{
	struct px_trace *t = px_trace_cur;
	enum px_act_ret ret;
	int matched = px_cond_eval(r->cond, &run->sctx);

	t->cond(t, r, matched, &run->sctx);
	if (!matched)
		return PX_ACT_CONT;
	t->before(t, r, run->hm);
	if (legacy)
		ret = px_legacy_run(r, run->hm, run->sctx.s) < 0 ? PX_ACT_ERR : PX_ACT_CONT;
	else
		ret = r->fn(r, run);
	t->after(t, r, ret, run->hm);
	return ret;
}

enum px_act_ret px_rules_run_list(const struct px_rule_list *l, struct px_rules_run *run)
{
	const struct px_rule *r;

	for (r = l->first; r; r = r->next) {
		enum px_act_ret ret;

		if (run->resume) {
			/* Back from a wait: the rule that asked for it runs
			 * again (it was matched and counted already).
			 */
			r = run->resume;
			run->resume = NULL;
		} else if (px_trace_cur) {
			ret = traced_rule(r, run, 0);
			if (ret != PX_ACT_CONT)
				return ret;
			continue;
		} else {
			if (!px_cond_eval(r->cond, &run->sctx))
				continue;
			((struct px_rule *)r)->hits++;
		}
		ret = r->fn(r, run);
		if (ret == PX_ACT_ERR)
			px_counters_rewrite_fail(run->sctx.s);
		if (ret == PX_ACT_YIELD) {
			run->yielded = r;
			return ret;
		}
		if (ret != PX_ACT_CONT)
			return ret;
	}
	return PX_ACT_CONT;
}

static enum px_act_ret run_legacy(const struct px_rule_list *l, struct px_rules_run *run)
{
	const struct px_rule *r;

	for (r = l->first; r; r = r->next) {
		if (px_trace_cur) {
			if (traced_rule(r, run, 1) == PX_ACT_ERR)
				return PX_ACT_ERR;
			continue;
		}
		if (!px_cond_eval(r->cond, &run->sctx))
			continue;
		((struct px_rule *)r)->hits++;
		if (px_legacy_run(r, run->hm, run->sctx.s) < 0)
			return PX_ACT_ERR;
	}
	return PX_ACT_CONT;
}

/* Request rules of one proxy: http-request, legacy, redirect. */
static enum px_act_ret request_rules(struct px_proxy *px, struct px_rules_run *run)
{
	struct px_rules *r = px->rules;
	enum px_act_ret ret;

	if (!r)
		return PX_ACT_CONT;
	run->px = px;
	ret = px_rules_run_list(&r->http_req, run);
	if (ret == PX_ACT_DONE || ret == PX_ACT_ERR || ret == PX_ACT_YIELD)
		return ret;
	ret = run_legacy(&r->legacy_req, run);
	if (ret != PX_ACT_CONT)
		return ret;
	ret = px_rules_run_list(&r->redirect, run);
	return ret == PX_ACT_STOP ? PX_ACT_CONT : ret;
}

static struct px_proxy *choose_backend(struct px_stream *s, struct px_rules_run *run)
{
	struct px_proxy *fe = s->fe;
	const struct px_rule *r;

	if (!fe->rules)
		return fe->defbe;
	for (r = fe->rules->use_be.first; r; r = r->next) {
		struct px_proxy *be;
		int matched = px_cond_eval(r->cond, &run->sctx);

		if (px_trace_cur)
			px_trace_cur->cond(px_trace_cur, r, matched, &run->sctx);
		if (!matched)
			continue;
		if (!px_trace_cur)
			((struct px_rule *)r)->hits++;
		if (r->ptr) {
			be = (struct px_proxy *)r->ptr;
		} else {
			uint32_t sz;
			char *t = px_scratch(0, &sz);
			size_t n = px_fmt_render(r->fmt, &run->sctx, s->sess->loop->now_ms, t, sz - 1);

			t[n] = 0;
			be = px_proxy_find(s->sess->gen, t, PX_CAP_BE);
			/* An unknown dynamic name (or a backend of the other
			 * mode) ends the use_backend rules: the default
			 * backend takes the request (HAProxy's manual).
			 */
			if (!be || be->mode != fe->mode)
				be = fe->defbe;
		}
		if (px_trace_cur)
			px_trace_cur->backend(px_trace_cur, r, be);
		return be;
	}
	if (px_trace_cur)
		px_trace_cur->backend(px_trace_cur, NULL, fe->defbe);
	return fe->defbe;
}

/* The backend of a TCP stream: use_backend rules whose conditions see
 * the connection only (src, dst, fe_name...).
 */
struct px_proxy *px_rules_tcp_backend(struct px_stream *s)
{
	struct px_rules_run run = {
		.sctx = { .sess = s->sess, .s = s, .phase = PX_USE_REQ },
		.dir = PX_USE_REQ,
	};

	return choose_backend(s, &run);
}

int px_rules_request(struct px_stream *s, struct px_hmsg *hm)
{
	struct px_rules_run run = {
		.sctx = { .sess = s->sess, .s = s, .req = hm, .phase = PX_USE_REQ },
		.hm = hm, .dir = PX_USE_REQ, .can_yield = !px_trace_cur,
	};
	struct px_proxy *fe = s->fe, *be;
	enum px_act_ret ret;

	if (s->rr_rule) {
		/* Resuming after a wait, at the rule that asked for it. */
		run.resume = s->rr_rule;
		s->rr_rule = NULL;
		if (s->rr_stage == 2) {
			be = s->be;
			goto be_rules;
		}
	} else {
		if (fe->nreq_caps)
			capture_headers(s, fe->req_caps, fe->nreq_caps, hm);
		if (fe->uid_fmt && make_uid(s, hm) < 0)
			return -1;
	}
	ret = request_rules(fe, &run);
	if (ret == PX_ACT_YIELD) {
		s->rr_rule = run.yielded;
		s->rr_stage = 1;
		return 2;
	}
	if (ret == PX_ACT_DONE)
		return 1;
	if (ret == PX_ACT_ERR)
		return -1;
	be = choose_backend(s, &run);
	s->be = be;
	if (!be)
		return 0;
	if (!px_trace_cur) {
		be->beconn++;
		be->cum_beconn++;
		px_counters_be_enter(s);
	} else {
		/* Nothing to give back when the dry run ends. */
		s->flags |= PX_STF_LEFT_BE;
	}
be_rules:
	if (be != fe) {
		ret = request_rules(be, &run);
		if (ret == PX_ACT_YIELD) {
			s->rr_rule = run.yielded;
			s->rr_stage = 2;
			return 2;
		}
		if (ret == PX_ACT_DONE)
			return 1;
		if (ret == PX_ACT_ERR)
			return -1;
	}
	if (be->ck && px_cookie_request(s, hm) < 0)
		return -1;
	return 0;
}

static enum px_act_ret response_rules(struct px_proxy *px, struct px_rules_run *run)
{
	struct px_rules *r = px->rules;
	enum px_act_ret ret;

	if (!r)
		return PX_ACT_CONT;
	run->px = px;
	ret = px_rules_run_list(&r->http_res, run);
	if (ret == PX_ACT_DONE || ret == PX_ACT_ERR || ret == PX_ACT_YIELD)
		return ret;
	return run_legacy(&r->legacy_res, run);
}

static void after_rules(struct px_stream *s, struct px_rules_run *run)
{
	struct px_proxy *fe = s->fe, *be = s->be;

	run->after = 1;
	run->can_yield = 0;    /* the response is on its way: no waiting */
	if (be && be->rules)
		px_rules_run_list(&be->rules->after_res, run);
	if (fe != be && fe->rules)
		px_rules_run_list(&fe->rules->after_res, run);
}

int px_rules_response(struct px_stream *s, struct px_hmsg *req, struct px_hmsg *hm)
{
	struct px_rules_run run = {
		.sctx = { .sess = s->sess, .s = s, .res = hm, .phase = PX_USE_RES },
		.hm = hm, .dir = PX_USE_RES, .can_yield = !px_trace_cur,
	};
	struct px_proxy *fe = s->fe, *be = s->be;
	enum px_act_ret ret = PX_ACT_CONT;

	(void)req;
	if (s->rr_rule) {
		run.resume = s->rr_rule;
		s->rr_rule = NULL;
		if (s->rr_stage == 2)
			goto fe_rules;
	} else if (fe->nres_caps) {
		capture_headers(s, fe->res_caps, fe->nres_caps, hm);
	}
	ret = response_rules(be, &run);
	if (ret == PX_ACT_YIELD) {
		s->rr_rule = run.yielded;
		s->rr_stage = 1;
		return 2;
	}
fe_rules:
	if (ret == PX_ACT_CONT && fe != be) {
		ret = response_rules(fe, &run);
		if (ret == PX_ACT_YIELD) {
			s->rr_rule = run.yielded;
			s->rr_stage = 2;
			return 2;
		}
	}
	if (ret == PX_ACT_DONE)
		return 1;
	if (ret == PX_ACT_ERR)
		return -1;
	if (be->ck && px_cookie_response(s, hm) < 0)
		return -1;
	after_rules(s, &run);
	return 0;
}

int px_rules_have_after(const struct px_stream *s)
{
	return (s->fe->rules && s->fe->rules->after_res.first) ||
	       (s->be && s->be->rules && s->be->rules->after_res.first);
}

void px_rules_after(struct px_stream *s, struct px_hmsg *hm)
{
	struct px_rules_run run = {
		.sctx = { .sess = s->sess, .s = s, .res = hm, .phase = PX_USE_RES },
		.hm = hm, .dir = PX_USE_RES,
	};

	after_rules(s, &run);
}

/* --- use_backend ------------------------------------------------------------------ */

static int kw_use_backend(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_rules *rules;
	struct px_rule *r;
	int cstart = px_cond_start(args, nargs);

	if (!(ctx->px->cap & PX_CAP_FE) || (ctx->px->cap & PX_CAP_DEF)) {
		px_strfmt(err, "only frontend and listen sections choose a backend");
		return -1;
	}
	if (cstart != 2) {
		px_strfmt(err, "expects a backend name (or a %%[...] format) and an optional "
		          "condition");
		return -1;
	}
	r = px_rule_new(ctx, args, nargs, &rules, err);
	if (!r)
		return -1;
	r->name = px_gen_strdup(ctx->gen, args[1]);
	if (strchr(args[1], '%')) {
		r->fmt = px_fmt_compile(ctx, args[1], PX_FMT_VALUE, PX_USE_REQ, err);
		if (!r->fmt)
			return -1;
	}
	if (cstart < nargs &&
	    !(r->cond = px_cond_parse(args + cstart, nargs - cstart, PX_USE_REQ, ctx, err)))
		return -1;
	px_rule_append(&rules->use_be, r);
	return 0;
}

/* --- captures keywords ----------------------------------------------------------- */

static int add_capture(struct px_cfg_ctx *ctx, int res, const char *name, uint64_t len,
                       char **err)
{
	struct px_proxy *fe = ctx->px;
	uint32_t n = res ? fe->nres_caps : fe->nreq_caps;
	struct px_capture *c = px_gen_alloc(ctx->gen, (n + 1) * sizeof(*c));

	if (!c) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (n)
		memcpy(c, res ? fe->res_caps : fe->req_caps, n * sizeof(*c));
	c[n].name = name ? px_gen_strdup(ctx->gen, name) : NULL;
	c[n].nlen = name ? (uint32_t)strlen(name) : 0;
	c[n].len = (uint32_t)len;
	c[n].off = fe->cap_size;
	fe->cap_size += 2 + (uint32_t)len;
	if (res) {
		fe->res_caps = c;
		fe->nres_caps++;
	} else {
		fe->req_caps = c;
		fe->nreq_caps++;
	}
	return 0;
}

/* capture request|response header NAME len N */
static int kw_capture(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	uint64_t len;

	if (!(ctx->px->cap & PX_CAP_FE) || (ctx->px->cap & PX_CAP_DEF)) {
		px_strfmt(err, "captures belong in frontend and listen sections");
		return -1;
	}
	if (nargs != 6 || (strcmp(args[1], "request") && strcmp(args[1], "response")) ||
	    strcmp(args[2], "header") || strcmp(args[4], "len")) {
		px_strfmt(err, "expects 'request header NAME len N' or 'response header NAME len N'");
		return -1;
	}
	if (px_parse_uint(args[5], 65534, &len) < 0 || !len) {
		px_strfmt(err, "invalid length '%s' (1 to 65534)", args[5]);
		return -1;
	}
	return add_capture(ctx, !strcmp(args[1], "response"), args[3], len, err);
}

/* declare capture request|response len N */
static int kw_declare(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	uint64_t len;

	if (!(ctx->px->cap & PX_CAP_FE) || (ctx->px->cap & PX_CAP_DEF)) {
		px_strfmt(err, "captures belong in frontend and listen sections");
		return -1;
	}
	if (nargs != 5 || strcmp(args[1], "capture") ||
	    (strcmp(args[2], "request") && strcmp(args[2], "response")) || strcmp(args[3], "len")) {
		px_strfmt(err, "expects 'capture request|response len N'");
		return -1;
	}
	if (px_parse_uint(args[4], 65534, &len) < 0 || !len) {
		px_strfmt(err, "invalid length '%s' (1 to 65534)", args[4]);
		return -1;
	}
	return add_capture(ctx, !strcmp(args[2], "response"), NULL, len, err);
}

/* --- end of parsing --------------------------------------------------------------------- */

int px_rules_finalize(struct px_cfg_ctx *ctx)
{
	struct px_list *e;
	int nerr = px_smp_resolve(ctx);

	px_list_for_each(e, &ctx->gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);
		struct px_rule *r;

		if (!px->rules)
			continue;
		for (r = px->rules->use_be.first; r; r = r->next) {
			struct px_proxy *be;

			if (r->fmt)
				continue;
			be = px_proxy_find(ctx->gen, r->name, PX_CAP_BE);
			if (!be) {
				ctx->file = r->file;
				ctx->line = r->line;
				px_cfg_error(ctx, "use_backend: no backend named '%s'", r->name);
				nerr++;
				continue;
			}
			if (be->mode != px->mode) {
				ctx->file = r->file;
				ctx->line = r->line;
				px_cfg_error(ctx, "use_backend: backend '%s' is in %s mode, %s '%s' "
				             "in %s mode", be->id, be->mode == PX_MODE_HTTP ? "http" : "tcp",
				             px->kind, px->id, px->mode == PX_MODE_HTTP ? "http" : "tcp");
				nerr++;
				continue;
			}
			r->ptr = be;
		}
		if (px->mode != PX_MODE_HTTP &&
		    (px->rules->http_req.first || px->rules->http_res.first ||
		     px->rules->legacy_req.first || px->rules->legacy_res.first ||
		     px->rules->after_res.first || px->rules->redirect.first)) {
			ctx->file = px->file;
			ctx->line = px->line;
			px_cfg_warn(ctx, "%s '%s' is in tcp mode: its HTTP rules are ignored",
			            px->kind, px->id);
		}
	}
	ctx->file = NULL;
	return nerr;
}

static const struct px_cfg_kw rules_kws[] = {
	{ .name = "use_backend", .sections = PX_SEC_FE, .parse = kw_use_backend },
	{ .name = "capture", .sections = PX_SEC_FE, .parse = kw_capture },
	{ .name = "declare", .sections = PX_SEC_FE, .parse = kw_declare },
	{ 0 }
};

static struct px_cfg_kw_list rules_kw_list = { .kws = rules_kws };

__attribute__((constructor)) static void rules_register(void)
{
	px_cfg_register(&rules_kw_list);
}
