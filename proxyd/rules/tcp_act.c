/* tcp-request rules: "tcp-request inspect-delay" and "tcp-request content"
 * with accept, reject and Lua actions (lua.NAME, registered for
 * "tcp-req"), run on a TCP mode frontend's connections before the backend
 * is chosen. Conditions see the connection (src, dst, fe_name...); the
 * bytes received so far are in the client buffer, which Lua reads through
 * txn.req.
 */
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/util.h"
#include "proto/sess-t.h"
#include "proto/stream.h"
#include "proto/stream-t.h"
#include "rules/acl.h"
#include "rules/rules.h"
#include "script/hlua.h"

static enum px_act_ret a_accept(const struct px_rule *r, struct px_rules_run *run)
{
	return PX_ACT_STOP;
}

static enum px_act_ret a_reject(const struct px_rule *r, struct px_rules_run *run)
{
	struct px_stream *s = run->sctx.s;

	px_stream_term(s, 'P', 'R');
	s->flags |= PX_STF_ABORT;
	return PX_ACT_DONE;
}

static int kw_tcp_request(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_rules *rules;
	struct px_rule *r;
	int cstart;

	if (nargs >= 2 && !strcmp(args[1], "inspect-delay")) {
		uint64_t ms;

		if (nargs != 3) {
			px_strfmt(err, "'inspect-delay' expects a delay");
			return -1;
		}
		if (px_parse_time(args[2], &ms, err) < 0)
			return -1;
		if (ms > 0x7fffffff) {
			px_strfmt(err, "delay '%s' is too large", args[2]);
			return -1;
		}
		ctx->px->tcp_inspect_ms = (uint32_t)ms;
		return 0;
	}
	if (nargs < 3 || strcmp(args[1], "content")) {
		px_strfmt(err, "expects 'inspect-delay <delay>' or 'content <action> [if|unless "
		          "<condition>]' (proxyd has no 'connection' or 'session' rules)");
		return -1;
	}
	if (ctx->px->cap & PX_CAP_DEF) {
		px_strfmt(err, "rules belong in frontend or listen sections, not in defaults");
		return -1;
	}
	if (!(ctx->px->cap & PX_CAP_FE)) {
		px_strfmt(err, "proxyd runs 'tcp-request content' rules in frontend and listen "
		          "sections only");
		return -1;
	}
	if (ctx->px->mode != PX_MODE_TCP) {
		px_strfmt(err, "proxyd runs 'tcp-request content' rules in TCP mode only; in HTTP "
		          "mode, use 'http-request' rules");
		return -1;
	}
	r = px_rule_new(ctx, args, nargs, &rules, err);
	if (!r)
		return -1;
	cstart = px_cond_start(args, nargs);
	if (!strcmp(args[2], "accept") || !strcmp(args[2], "reject")) {
		if (cstart != 3) {
			px_strfmt(err, "'%s' takes no argument", args[2]);
			return -1;
		}
		r->fn = args[2][0] == 'a' ? a_accept : a_reject;
	} else if (!strncmp(args[2], "lua.", 4) && args[2][4]) {
		if (px_lua_action_parse(r, args + 2, cstart - 2, PX_USE_CONN, ctx, err) < 0)
			return -1;
	} else {
		px_strfmt(err, "unknown action '%s' (accept, reject or lua.NAME)", args[2]);
		return -1;
	}
	if (cstart < nargs) {
		r->cond = px_cond_parse(args + cstart, nargs - cstart, PX_USE_CONN, ctx, err);
		if (!r->cond)
			return -1;
	}
	px_rule_append(&rules->tcp_req, r);
	return 0;
}

int px_rules_tcp_content(struct px_stream *s)
{
	struct px_rules_run run = {
		.sctx = { .sess = s->sess, .s = s, .phase = PX_USE_CONN },
		.dir = PX_USE_REQ, .can_yield = 1, .px = s->fe,
	};
	enum px_act_ret ret;

	if (s->rr_rule) {
		run.resume = s->rr_rule;
		s->rr_rule = NULL;
	}
	ret = px_rules_run_list(&s->fe->rules->tcp_req, &run);
	switch (ret) {
	case PX_ACT_YIELD:
		s->rr_rule = run.yielded;
		s->rr_stage = 1;
		return 2;
	case PX_ACT_DONE:
		return 1;
	case PX_ACT_ERR:
		return -1;
	default:
		return 0;
	}
}

static const struct px_cfg_kw tcp_act_kws[] = {
	{ .name = "tcp-request", .sections = PX_SEC_PROXIES, .parse = kw_tcp_request },
	{ 0 }
};

static struct px_cfg_kw_list tcp_act_kw_list = { .kws = tcp_act_kws };

__attribute__((constructor)) static void tcp_act_register(void)
{
	px_cfg_register(&tcp_act_kw_list);
}
