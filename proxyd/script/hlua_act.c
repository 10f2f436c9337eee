/* How rules call Lua: "lua.NAME" actions and "use-service lua.NAME" (which
 * may wait: the stream parks its head and the rules resume at the same
 * rule), and "lua.NAME" fetches and converters (which may not). A failing
 * action leaves the head as it found it, then its rule's on-error policy
 * applies.
 */
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream.h"
#include "proto/stream-t.h"
#include "admin/counters.h"
#include "rules/rules.h"
#include "rules/sample.h"
#include "script/hlua.h"
#include "script/hlua-int.h"

/* What a failing action does (on-error). */
enum lua_onerr {
	OE_500 = 0,           /* answer 500 (the default) */
	OE_CONTINUE,          /* go on with the next rule, the head untouched */
	OE_DENY,              /* answer 403 */
};

/* A "lua.NAME" rule's arguments. */
struct lua_rule {
	struct lua_name *n;
	uint8_t onerr;        /* enum lua_onerr */
	uint8_t service;
	int nargs;
	char *args[];
};

static __thread struct px_pool call_pool = PX_POOL_INIT("lua-call", sizeof(struct px_lua_call));

/* --- parsing ------------------------------------------------------------------ */

static int parse_common(struct px_rule *r, char **args, int nargs, unsigned use, int kind,
                        struct px_cfg_ctx *ctx, char **err)
{
	const char *name = args[0] + 4;
	struct lua_name *n;
	const struct lua_reg *reg;
	struct lua_rule *lr;
	int onerr = OE_500, i;

	n = hl_cfg_resolve(kind, name, strlen(name), err);
	if (!n)
		return -1;
	reg = hl_reg_of(ctx->gen->lua, n);
	if (kind == LK_ACTION) {
		uint8_t want = use == PX_USE_REQ ? LUA_ACT_HTTP_REQ :
		               use == PX_USE_RES ? LUA_ACT_HTTP_RES : LUA_ACT_TCP_REQ;

		if (!(reg->dirs & want)) {
			px_strfmt(err, "the Lua action '%s' was not registered for %s (its "
			          "core.register_action list lacks \"%s\")", name,
			          use == PX_USE_REQ ? "http-request" : use == PX_USE_RES ?
			          "http-response" : "tcp-request content",
			          use == PX_USE_REQ ? "http-req" : use == PX_USE_RES ? "http-res" :
			          "tcp-req");
			return -1;
		}
	}
	if (nargs >= 3 && !strcmp(args[nargs - 2], "on-error")) {
		const char *p = args[nargs - 1];

		if (!strcmp(p, "500"))
			onerr = OE_500;
		else if (!strcmp(p, "continue"))
			onerr = OE_CONTINUE;
		else if (!strcmp(p, "deny"))
			onerr = OE_DENY;
		else {
			px_strfmt(err, "on-error expects 'continue', 'deny' or '500', not '%s'", p);
			return -1;
		}
		nargs -= 2;
	}
	if (kind == LK_ACTION && nargs - 1 != reg->nargs) {
		px_strfmt(err, "the Lua action '%s' expects %d argument%s (core.register_action), "
		          "%d given", name, reg->nargs, reg->nargs == 1 ? "" : "s", nargs - 1);
		return -1;
	}
	if (kind == LK_SERVICE && nargs != 1) {
		px_strfmt(err, "'use-service %s' takes no argument", args[0]);
		return -1;
	}
	lr = px_gen_alloc(ctx->gen, sizeof(*lr) + sizeof(char *) * (size_t)nargs);
	if (!lr) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	lr->n = n;
	lr->onerr = (uint8_t)onerr;
	lr->service = kind == LK_SERVICE;
	lr->nargs = nargs - 1;
	for (i = 1; i < nargs; i++)
		lr->args[i - 1] = px_gen_strdup(ctx->gen, args[i]);
	r->ptr = lr;
	return 0;
}

enum px_act_ret px_lua_action_run(const struct px_rule *r, struct px_rules_run *run);
enum px_act_ret px_lua_service_run(const struct px_rule *r, struct px_rules_run *run);

int px_lua_action_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                        struct px_cfg_ctx *ctx, char **err)
{
	if (parse_common(r, args, nargs, use, LK_ACTION, ctx, err) < 0)
		return -1;
	r->fn = px_lua_action_run;
	return 0;
}

int px_lua_service_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                         struct px_cfg_ctx *ctx, char **err)
{
	if (nargs < 2 || strncmp(args[1], "lua.", 4) || !args[1][4]) {
		px_strfmt(err, "'use-service' expects a Lua service, 'lua.NAME'");
		return -1;
	}
	if (parse_common(r, args + 1, nargs - 1, use, LK_SERVICE, ctx, err) < 0)
		return -1;
	r->fn = px_lua_service_run;
	return 0;
}

/* --- waiting ------------------------------------------------------------------- */

static void call_timer(struct px_timer *t)
{
	struct px_lua_call *c = px_container_of(t, struct px_lua_call, timer);

	c->wait = LW_NONE;
	if (c->s)
		px_stream_wake(c->s);
}

int px_lua_park(struct px_stream *s, const struct px_hmsg *hm)
{
	struct px_lua_call *c = s->lua;

	if (!c)
		return -1;
	if (hm) {
		hl_snap_take(&c->park, hm, 1);
		if (c->park.nhdr == UINT32_MAX)
			return -1;
	}
	if (c->wait == LW_SLEEP)
		px_timer_set(s->sess->loop, &c->timer, c->wake_ms);
	else
		px_stream_wake(s);
	return 0;
}

void px_lua_unpark(struct px_stream *s, struct px_hmsg *hm)
{
	if (s->lua)
		hl_snap_restore(&s->lua->park, hm);
}

int px_lua_ready(const struct px_stream *s)
{
	return !s->lua || (s->lua->wait != LW_SLEEP && s->lua->wait != LW_BODY);
}

int px_lua_wants_body(const struct px_stream *s)
{
	return s->lua && s->lua->wait == LW_BODY;
}

void px_lua_body_came(struct px_stream *s)
{
	if (s->lua && s->lua->wait == LW_BODY)
		s->lua->wait = LW_NONE;
}

static void call_free(struct px_lua_call *c)
{
	hl_call_end(c);
	px_pool_free(&call_pool, c);
}

void px_lua_stream_release(struct px_stream *s)
{
	struct px_lua_call *c = s->lua;

	if ((s->flags & PX_STF_LUA_PRIV) && px_lua_cur) {
		hl_priv_drop(px_lua_cur->L, s);
		s->flags &= ~PX_STF_LUA_PRIV;
	}
	if (!c)
		return;
	s->lua = NULL;
	if (c->timer.idx >= 0)
		px_timer_del(s->sess->loop, &c->timer);
	call_free(c);
}

/* --- actions -------------------------------------------------------------------- */

/* Ends the stream without an answer (act.ABORT, act.DONE or txn:done()
 * without a reply).
 */
static enum px_act_ret abort_stream(struct px_stream *s, struct px_rules_run *run)
{
	px_stream_term(s, 'L', run->dir == PX_USE_RES ? 'H' : 'R');
	s->flags |= PX_STF_ABORT;
	return PX_ACT_DONE;
}

static enum px_act_ret local_status(struct px_stream *s, struct px_rules_run *run, int status)
{
	if (status == 403)
		px_counters_deny(s, run->dir == PX_USE_RES);
	px_stream_local(s, status, 'P', run->dir == PX_USE_RES ? 'H' : 'R');
	s->flags |= PX_STF_BY_RULE;
	return PX_ACT_DONE;
}

/* The error policy of <lr>, after the call's edits were undone. */
static enum px_act_ret on_error(const struct lua_rule *lr, struct px_stream *s,
                                struct px_rules_run *run)
{
	switch (lr->onerr) {
	case OE_CONTINUE:
		return PX_ACT_CONT;
	case OE_DENY:
		return local_status(s, run, 403);
	default:
		return PX_ACT_ERR;
	}
}

static void undo_edits(struct px_lua_call *c, struct px_rules_run *run)
{
	if (c->undo_taken && run->hm)
		hl_snap_restore(&c->undo, run->hm);
}

/* act.YIELD: the action runs again from its start on the next turn. */
#define ACT_AGAIN ((enum px_act_ret)100)

/* The outcome of a finished call (LUA_OK): act.* from its result. */
static enum px_act_ret action_result(struct px_lua_call *c, int nres, struct px_stream *s,
                                     struct px_rules_run *run, const struct lua_rule *lr)
{
	lua_Integer v = LUA_ACT_CONTINUE;

	if (nres > 0 && lua_isinteger(c->T, -1))
		v = lua_tointeger(c->T, -1);
	switch (v) {
	case LUA_ACT_STOP:
		return PX_ACT_STOP;
	case LUA_ACT_DONE:
		if (s->flags & (PX_STF_LOCAL | PX_STF_ABORT))
			return PX_ACT_DONE;
		return abort_stream(s, run);
	case LUA_ACT_DENY:
		return local_status(s, run, 403);
	case LUA_ACT_ABORT:
		return abort_stream(s, run);
	case LUA_ACT_INVALID:
		return local_status(s, run, 400);
	case LUA_ACT_YIELD:
		return run->can_yield ? ACT_AGAIN : PX_ACT_CONT;
	case LUA_ACT_ERROR:
		/* A failure the script chose and knows of: counted, not
		 * logged (as HAProxy), then handled as any failure.
		 */
		undo_edits(c, run);
		if (c->name)
			c->name->errors++;
		return on_error(lr, s, run);
	default:
		return PX_ACT_CONT;
	}
}

/* Runs or resumes the call of rule <r> for stream <s>. */
static enum px_act_ret run_call(const struct px_rule *r, struct px_rules_run *run, int service)
{
	const struct lua_rule *lr = r->ptr;
	struct px_stream *s = run->sctx.s;
	struct px_lua_call *c = s->lua;
	enum px_act_ret ret;
	int st, nres = 0;

	if (c && c->rule == r && c->T) {
		c->run = run;
		c->sctx = &run->sctx;
		st = hl_call_run(c, 0, &nres);
	} else {
		struct px_lua_inst *in = px_lua_cur;
		const struct lua_reg *reg = hl_reg_of(in, lr->n);
		int i;

		if (!c) {
			c = px_pool_alloc(&call_pool);
			if (!c)
				return PX_ACT_ERR;
			memset(c, 0, sizeof(*c));
			px_timer_init(&c->timer, call_timer);
		}
		if (!reg) {
			/* Only after a reload refused this... kept for safety. */
			px_warning("Lua %s '%s' is not registered by the running code",
			           service ? "service" : "action", lr->n->name);
			s->lua = NULL;
			call_free(c);
			return service ? PX_ACT_ERR : on_error(lr, s, run);
		}
		if (hl_call_start(c, in, service ? LC_SERVICE : LC_ACTION, lr->n) < 0) {
			s->lua = NULL;
			call_free(c);
			return PX_ACT_ERR;
		}
		c->s = s;
		c->run = run;
		c->rule = r;
		c->sctx = &run->sctx;
		c->yieldable = (uint8_t)run->can_yield;
		lr->n->calls++;
		lua_rawgeti(c->T, LUA_REGISTRYINDEX, reg->ref);
		if (service) {
			if (hl_applet_http_push(c->T, c) < 0) {
				s->lua = NULL;
				call_free(c);
				return PX_ACT_ERR;
			}
		} else {
			hl_txn_push(c->T, c);
		}
		for (i = 0; i < lr->nargs; i++)
			lua_pushstring(c->T, lr->args[i]);
		st = hl_call_run(c, 1 + lr->nargs, &nres);
	}

	if (st == LUA_YIELD) {
		s->lua = c;
		return PX_ACT_YIELD;
	}
	if (st == LUA_OK) {
		if (service)
			ret = hl_applet_http_finish(c, s, run);
		else
			ret = action_result(c, nres, s, run, lr);
		if (ret == ACT_AGAIN) {
			/* act.YIELD: the action runs again, from its start. */
			hl_call_end(c);
			c->wait = LW_AGAIN;
			s->lua = c;
			return PX_ACT_YIELD;
		}
	} else if (c->done) {
		/* txn:done(): a reply was set, or the stream ends. */
		ret = (s->flags & (PX_STF_LOCAL | PX_STF_ABORT)) ? PX_ACT_DONE : abort_stream(s, run);
	} else {
		hl_call_error(c, "runtime error: ");
		undo_edits(c, run);
		if (service)
			ret = PX_ACT_ERR;
		else
			ret = on_error(lr, s, run);
	}
	s->lua = NULL;
	call_free(c);
	return ret;
}

enum px_act_ret px_lua_action_run(const struct px_rule *r, struct px_rules_run *run)
{
	return run_call(r, run, 0);
}

enum px_act_ret px_lua_service_run(const struct px_rule *r, struct px_rules_run *run)
{
	return run_call(r, run, 1);
}

/* --- fetches and converters -------------------------------------------------------- */

/* Calls the fetch or converter <n> with the sample <in> (converters) and
 * the string arguments in <args>. Returns 1 with <smp> set, 0 for no value.
 */
static int call_value(struct lua_name *n, int kind, const struct px_arg *args,
                      struct px_smp *smp, struct px_smp_ctx *ctx)
{
	struct px_lua_inst *in = px_lua_cur;
	const struct lua_reg *reg = hl_reg_of(in, n);
	struct px_lua_call c = { 0 };
	int st, nres = 0, nargs = 0, i, ok = 0;

	if (!reg)
		return 0;
	if (hl_call_start(&c, in, kind == LK_FETCH ? LC_FETCH : LC_CONV, n) < 0)
		return 0;
	c.s = ctx->s;
	c.sctx = ctx;
	n->calls++;
	lua_rawgeti(c.T, LUA_REGISTRYINDEX, reg->ref);
	/* As HAProxy: fetch(txn, args...), converter(value, args...). */
	if (kind == LK_CONV)
		hl_push_smp(c.T, smp);
	else
		hl_txn_push(c.T, &c);
	nargs = 1;
	for (i = 0; i < PX_SMP_MAX_ARGS - 1 && args[i].type == PX_ARG_STR; i++) {
		lua_pushlstring(c.T, args[i].u.str.p, args[i].u.str.len);
		nargs++;
	}
	st = hl_call_run(&c, nargs, &nres);
	if (st == LUA_OK) {
		if (nres > 0)
			ok = hl_to_smp(c.T, -1, smp);
	} else if (st == LUA_YIELD) {
		/* Cannot happen: the call is not yieldable. */
		ok = 0;
	} else {
		hl_call_error(&c, "runtime error: ");
	}
	hl_call_end(&c);
	return ok;
}

int px_lua_fetch_fn(const struct px_arg *args, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_fetch_kw *kw = args[PX_SMP_MAX_ARGS - 1].u.ptr;

	return call_value(px_container_of(kw, struct lua_name, fkw), LK_FETCH, args, smp, ctx);
}

int px_lua_conv_fn(const struct px_arg *args, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_conv_kw *kw = args[PX_SMP_MAX_ARGS - 1].u.ptr;

	return call_value(px_container_of(kw, struct lua_name, ckw), LK_CONV, args, smp, ctx);
}
