/* The objects a Lua call gets for its HTTP transaction: txn (variables,
 * private data, logging, done and reply), txn.http (reading and editing the
 * heads), txn.f / txn.sf (sample fetches) and txn.c / txn.sc (converters).
 * Every object refers to its call, and stops working (with an error) once
 * the call has ended: a script that keeps a txn in a global cannot reach
 * another stream through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cfg/cfg.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/util.h"
#include "proto/errors.h"
#include "proto/h1.h"
#include "proto/hhead.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream.h"
#include "proto/stream-t.h"
#include "rules/regex.h"
#include "rules/rules.h"
#include "rules/sample.h"
#include "rules/vars.h"
#include "script/hlua.h"
#include "script/hlua-int.h"

#define MT_TXN   "proxyd.txn"
#define MT_HTTP  "proxyd.txn.http"
#define MT_FETCH "proxyd.txn.fetches"
#define MT_CONV  "proxyd.txn.converters"
#define MT_REPLY "proxyd.txn.reply"
#define MT_CHAN  "proxyd.txn.channel"

struct lua_txn {
	struct px_lua_call *c;     /* NULL once the call ended */
};

/* txn.http, txn.f, txn.sf, txn.c, txn.sc: a view of the txn (its first
 * user value keeps the txn alive).
 */
struct lua_sub {
	struct lua_txn *t;
	uint8_t strings;           /* sf / sc: results as strings */
};

/* User value slots of a txn, where its views are kept once made. */
enum { UV_HTTP = 1, UV_F, UV_SF, UV_C, UV_SC, UV_REQ, UV_NB = UV_REQ };

static struct px_lua_call *txn_call(lua_State *L, struct lua_txn *t)
{
	if (!t->c)
		luaL_error(L, "this transaction is over (a txn object kept after its call "
		           "returned)");
	return t->c;
}

static struct px_lua_call *check_txn(lua_State *L, int idx)
{
	return txn_call(L, luaL_checkudata(L, idx, MT_TXN));
}

static struct px_lua_call *check_sub(lua_State *L, int idx, const char *mt)
{
	struct lua_sub *s = luaL_checkudata(L, idx, mt);

	return txn_call(L, s->t);
}

void hl_txn_push(lua_State *L, struct px_lua_call *c)
{
	struct lua_txn *t = lua_newuserdatauv(L, sizeof(*t), UV_NB);

	t->c = c;
	c->txn_ud = t;
	luaL_setmetatable(L, MT_TXN);
}

void hl_txn_invalidate(struct px_lua_call *c)
{
	if (c->txn_ud) {
		((struct lua_txn *)c->txn_ud)->c = NULL;
		c->txn_ud = NULL;
	}
}

/* --- samples <-> Lua values ----------------------------------------------- */

int hl_push_smp(lua_State *L, const struct px_smp *smp)
{
	char buf[64];

	switch (smp->type) {
	case PX_SMP_BOOL:
		lua_pushboolean(L, smp->u.sint != 0);
		break;
	case PX_SMP_SINT:
		lua_pushinteger(L, (lua_Integer)smp->u.sint);
		break;
	case PX_SMP_IPV4:
	case PX_SMP_IPV6: {
		struct px_smp tmp = *smp;

		if (!px_smp_cast(&tmp, PX_SMP_STR)) {
			lua_pushnil(L);
			break;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)tmp.u.str.len, tmp.u.str.p);
		lua_pushstring(L, buf);
		break;
	}
	case PX_SMP_STR:
	case PX_SMP_BIN:
		lua_pushlstring(L, smp->u.str.p, smp->u.str.len);
		break;
	default:
		lua_pushnil(L);
		break;
	}
	return 1;
}

/* A Lua value as a sample: strings are copied to scratch space (the Lua
 * string may be collected once the call ends). Returns 0 for nil.
 */
int hl_to_smp(lua_State *L, int idx, struct px_smp *smp)
{
	size_t len;
	const char *p;
	uint32_t sz;
	char *out;

	smp->flags = 0;
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		smp->type = PX_SMP_BOOL;
		smp->u.sint = lua_toboolean(L, idx);
		return 1;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			smp->type = PX_SMP_SINT;
			smp->u.sint = (int64_t)lua_tointeger(L, idx);
			return 1;
		}
		/* A float: as text. */
		/* fall through */
	case LUA_TSTRING:
		p = lua_tolstring(L, idx, &len);
		out = px_trash(&sz);
		if (len > sz)
			len = sz;
		memcpy(out, p, len);
		smp->type = PX_SMP_STR;
		smp->u.str.p = out;
		smp->u.str.len = (uint32_t)len;
		return 1;
	default:
		return 0;
	}
}

/* --- txn.http ------------------------------------------------------------------ */

/* The head a call reads (<res>: the response), or an error. With <edit>,
 * the call must be an action running on that head; the head is saved
 * before its first edit so that an error can undo the call's edits.
 */
static struct px_hmsg *head(lua_State *L, struct px_lua_call *c, int res, int edit)
{
	struct px_smp_ctx *x = c->sctx;
	struct px_hmsg *hm = x ? (res ? x->res : x->req) : NULL;

	if (!hm)
		luaL_error(L, "the %s is not available here", res ? "response" : "request");
	if (edit) {
		if (c->ctx != LC_ACTION || !c->run || c->run->hm != hm)
			luaL_error(L, "the %s can only be changed by an action of its direction "
			           "(http-%s)", res ? "response" : "request", res ? "response" : "request");
		if (!c->undo_taken) {
			hl_snap_take(&c->undo, hm, 0);
			if (c->undo.nhdr == UINT32_MAX)
				luaL_error(L, "out of memory");
			c->undo_taken = 1;
		}
	}
	return hm;
}

/* Pushes the fields of <hm> as HAProxy gives them: a table of lower-case
 * names, each a list of values numbered from 0, in the order they came.
 */
void hl_push_headers(lua_State *L, const struct px_hmsg *hm)
{
	char name[256];
	uint32_t i, k;

	lua_createtable(L, 0, (int)hm->nhdr);
	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];
		lua_Integer idx;

		if (!f->nl)
			continue;
		if (f->nl < sizeof(name)) {
			for (k = 0; k < f->nl; k++)
				name[k] = (char)((f->n[k] >= 'A' && f->n[k] <= 'Z') ? f->n[k] + 32 : f->n[k]);
			lua_pushlstring(L, name, f->nl);
		} else {
			lua_pushlstring(L, f->n, f->nl);
			lua_getglobal(L, "string");
			lua_getfield(L, -1, "lower");
			lua_remove(L, -2);
			lua_insert(L, -2);
			lua_call(L, 1, 1);
		}
		lua_pushvalue(L, -1);
		if (lua_rawget(L, -3) == LUA_TNIL) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushvalue(L, -2);
			lua_pushvalue(L, -2);
			lua_rawset(L, -5);
		}
		idx = lua_rawgeti(L, -1, 0) == LUA_TNIL ? 0 : (lua_Integer)lua_rawlen(L, -2) + 1;
		lua_pop(L, 1);
		lua_pushlstring(L, f->v, f->vl);
		lua_rawseti(L, -2, idx);
		lua_pop(L, 2);
	}
}

static int get_headers(lua_State *L, int res)
{
	struct px_lua_call *c = check_sub(L, 1, MT_HTTP);

	hl_push_headers(L, head(L, c, res, 0));
	return 1;
}

static int req_get_headers(lua_State *L)
{
	return get_headers(L, 0);
}

static int res_get_headers(lua_State *L)
{
	return get_headers(L, 1);
}

static const char *check_name(lua_State *L, int idx, size_t *len)
{
	const char *n = luaL_checklstring(L, idx, len);
	size_t i;

	if (!*len)
		luaL_error(L, "empty header name");
	for (i = 0; i < *len; i++)
		if (!px_h1_tchar[(unsigned char)n[i]])
			luaL_error(L, "invalid header name '%s'", n);
	return n;
}

static const char *check_value(lua_State *L, int idx, size_t *len)
{
	const char *v = luaL_checklstring(L, idx, len);

	if (!px_rules_value_ok(v, *len))
		luaL_error(L, "invalid header value (CR, LF or NUL)");
	return v;
}

static void del_all(struct px_hmsg *hm, const char *n, size_t nl)
{
	uint32_t h = px_hmsg_name_hash(n, nl);
	int i = -1;

	while ((i = px_hmsg_find_h(hm, n, nl, h, i + 1)) >= 0)
		px_hmsg_del(hm, i);
}

static int add_header(lua_State *L, int res, int set)
{
	struct px_lua_call *c = check_sub(L, 1, MT_HTTP);
	size_t nl, vl;
	const char *n = check_name(L, 2, &nl);
	const char *v = check_value(L, 3, &vl);
	struct px_hmsg *hm = head(L, c, res, 1);

	if (set)
		del_all(hm, n, nl);
	if (px_hmsg_add(hm, n, nl, v, vl) < 0)
		return luaL_error(L, "no room left in the head (tune.maxrewrite)");
	return 0;
}

static int req_add_header(lua_State *L)
{
	return add_header(L, 0, 0);
}

static int req_set_header(lua_State *L)
{
	return add_header(L, 0, 1);
}

static int res_add_header(lua_State *L)
{
	return add_header(L, 1, 0);
}

static int res_set_header(lua_State *L)
{
	return add_header(L, 1, 1);
}

static int del_header(lua_State *L, int res)
{
	struct px_lua_call *c = check_sub(L, 1, MT_HTTP);
	size_t nl;
	const char *n = check_name(L, 2, &nl);

	del_all(head(L, c, res, 1), n, nl);
	return 0;
}

static int req_del_header(lua_State *L)
{
	return del_header(L, 0);
}

static int res_del_header(lua_State *L)
{
	return del_header(L, 1);
}

/* Regexes given by scripts are compiled once and kept (at most
 * LUA_MAX_REGEX per instance) in a generation of their own.
 */
#define LUA_MAX_REGEX 256

static struct px_gen *regex_gen;
static uint32_t nregex;

static const struct px_regex *regex_of(lua_State *L, const char *pattern)
{
	struct px_regex *re;
	char *err = NULL;

	lua_getfield(L, LUA_REGISTRYINDEX, "proxyd.regex");
	if (lua_getfield(L, -1, pattern) == LUA_TLIGHTUSERDATA) {
		re = lua_touserdata(L, -1);
		lua_pop(L, 2);
		return re;
	}
	lua_pop(L, 1);
	if (nregex >= LUA_MAX_REGEX)
		luaL_error(L, "too many distinct regular expressions (%d): build them from "
		           "fewer patterns", LUA_MAX_REGEX);
	if (!regex_gen) {
		regex_gen = calloc(1, sizeof(*regex_gen));
		if (!regex_gen)
			luaL_error(L, "out of memory");
		regex_gen->refcnt = 1;
		px_list_init(&regex_gen->proxies);
		px_list_init(&regex_gen->defaults);
		px_list_init(&regex_gen->binds);
	}
	re = px_regex_comp(regex_gen, pattern, 0, &err);
	if (!re) {
		lua_pushfstring(L, "invalid regular expression '%s': %s", pattern, err ? err : "");
		free(err);
		lua_error(L);
	}
	nregex++;
	lua_pushlightuserdata(L, re);
	lua_setfield(L, -2, pattern);
	lua_pop(L, 1);
	return re;
}

static int rep_header(lua_State *L, int res, int values)
{
	struct px_lua_call *c = check_sub(L, 1, MT_HTTP);
	size_t nl, rl;
	const char *n = check_name(L, 2, &nl);
	const struct px_regex *re = regex_of(L, luaL_checkstring(L, 3));
	const char *repl = luaL_checklstring(L, 4, &rl);
	struct px_hmsg *hm = head(L, c, res, 1);

	if (px_hdr_replace(hm, n, (uint32_t)nl, px_hmsg_name_hash(n, nl), re, repl, (uint32_t)rl,
	                   values, NULL) < 0)
		return luaL_error(L, "no room left in the head (tune.maxrewrite)");
	return 0;
}

static int req_rep_header(lua_State *L)
{
	return rep_header(L, 0, 0);
}

static int req_rep_value(lua_State *L)
{
	return rep_header(L, 0, 1);
}

static int res_rep_header(lua_State *L)
{
	return rep_header(L, 1, 0);
}

static int res_rep_value(lua_State *L)
{
	return rep_header(L, 1, 1);
}

static int set_target(lua_State *L, int part)
{
	struct px_lua_call *c = check_sub(L, 1, MT_HTTP);
	size_t vl;
	const char *v = luaL_checklstring(L, 2, &vl);
	const char *why = NULL;
	int r = px_req_set_target(head(L, c, 0, 1), part, v, (uint32_t)vl, &why);

	if (r == -2)
		return luaL_error(L, "refused: the %s would be invalid", why);
	if (r < 0)
		return luaL_error(L, "no room left in the head (tune.maxrewrite)");
	return 0;
}

static int req_set_method(lua_State *L)
{
	return set_target(L, PX_SLP_METHOD);
}

static int req_set_path(lua_State *L)
{
	return set_target(L, PX_SLP_PATH);
}

static int req_set_query(lua_State *L)
{
	return set_target(L, PX_SLP_QUERY);
}

static int req_set_uri(lua_State *L)
{
	return set_target(L, PX_SLP_URI);
}

static int res_set_status(lua_State *L)
{
	struct px_lua_call *c = check_sub(L, 1, MT_HTTP);
	lua_Integer st = luaL_checkinteger(L, 2);
	size_t rl = 0;
	const char *reason = luaL_optlstring(L, 3, NULL, &rl);
	struct px_hmsg *hm;
	char code[4];

	if (st < 100 || st > 999)
		return luaL_error(L, "invalid status %d (100 to 999)", (int)st);
	if (reason && !px_rules_value_ok(reason, rl))
		return luaL_error(L, "invalid reason (CR, LF or NUL)");
	hm = head(L, c, 1, 1);
	if (!reason) {
		reason = px_http_reason((int)st);
		rl = strlen(reason);
	}
	snprintf(code, sizeof(code), "%03d", (int)st);
	if (px_hmsg_set_sl(hm, PX_SL_CODE, code, 3) < 0 ||
	    px_hmsg_set_sl(hm, PX_SL_REASON, reason, rl) < 0)
		return luaL_error(L, "no room left in the head (tune.maxrewrite)");
	hm->status = (uint16_t)st;
	if (c->s)
		c->s->status = (uint16_t)st;
	return 0;
}

/* --- txn.f / sf / c / sc ------------------------------------------------------------ */

/* A fetch or converter with its arguments parsed, cached by its text in
 * the generation its arguments were resolved in.
 */
struct kwcall {
	const struct px_fetch_kw *fk;
	const struct px_conv_kw *ck;
	struct px_arg args[PX_SMP_MAX_ARGS];
	int nargs;
};

#define LUA_MAX_EXPRS 1024

static void report_err(void *arg, int is_warning, const char *msg)
{
	char **err = arg;

	if (!is_warning && !*err)
		*err = strdup(msg);
}

/* Parses the arguments at stack positions <first>.. for keyword <name>
 * (the fetch or converter <fk>/<ck>). Errors are raised.
 */
static const struct kwcall *kwcall_of(lua_State *L, struct px_lua_call *c, const char *name,
                                      const struct px_fetch_kw *fk, const struct px_conv_kw *ck,
                                      int first)
{
	struct px_lua_inst *in = c->inst;
	struct px_gen *gen = c->s && c->s->sess ? c->s->sess->gen : px_gen_cur;
	int top = lua_gettop(L), i;
	luaL_Buffer b;
	struct kwcall *kc;
	const char *text, *argtxt;
	char *err = NULL;
	struct px_cfg_ctx ctx = { .gen = gen, .report = report_err, .report_arg = &err };

	if (!gen)
		luaL_error(L, "no configuration is loaded");
	/* The key: the name then each argument quoted. */
	luaL_buffinit(L, &b);
	luaL_addstring(&b, name);
	luaL_addchar(&b, '(');
	for (i = first; i <= top; i++) {
		size_t len, k;
		const char *a = luaL_checklstring(L, i, &len);

		if (i > first)
			luaL_addchar(&b, ',');
		luaL_addchar(&b, '"');
		for (k = 0; k < len; k++) {
			if (a[k] == '"' || a[k] == '\\')
				luaL_addchar(&b, '\\');
			luaL_addchar(&b, a[k]);
		}
		luaL_addchar(&b, '"');
	}
	luaL_addchar(&b, ')');
	luaL_pushresult(&b);
	text = lua_tostring(L, -1);
	if (in->expr_gen != gen) {
		lua_newtable(L);
		lua_setfield(L, LUA_REGISTRYINDEX, "proxyd.exprs");
		in->expr_gen = gen;
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "proxyd.exprs");
	if (lua_getfield(L, -1, text) == LUA_TLIGHTUSERDATA) {
		kc = lua_touserdata(L, -1);
		lua_settop(L, top);
		return kc;
	}
	lua_pop(L, 1);
	if (gen->lua_exprs >= LUA_MAX_EXPRS)
		luaL_error(L, "too many distinct fetch and converter calls (%d) in one "
		           "configuration generation", LUA_MAX_EXPRS);
	kc = px_gen_alloc(gen, sizeof(*kc));
	if (!kc)
		luaL_error(L, "out of memory");
	kc->fk = fk;
	kc->ck = ck;
	argtxt = strchr(text, '(') + 1;
	if (px_args_parse(name, fk ? fk->args : ck->args, fk ? fk->check : ck->check, argtxt,
	                  strlen(argtxt) - 1, kc->args, &kc->nargs, &ctx, &err) < 0 ||
	    px_smp_resolve(&ctx) > 0) {
		px_smp_reset();
		lua_pushfstring(L, "%s: %s", name, err ? err : "invalid arguments");
		free(err);
		lua_error(L);
	}
	px_smp_reset();
	if ((fk && fk->fn == px_lua_fetch_fn) || (ck && ck->fn == px_lua_conv_fn)) {
		kc->args[PX_SMP_MAX_ARGS - 1].type = PX_ARG_PTR;
		kc->args[PX_SMP_MAX_ARGS - 1].u.ptr = fk ? (void *)fk : (void *)ck;
	}
	gen->lua_exprs++;
	lua_pushlightuserdata(L, kc);
	lua_setfield(L, -2, text);
	lua_settop(L, top);
	return kc;
}

static void push_result(lua_State *L, int ok, const struct px_smp *smp, int strings)
{
	if (!ok) {
		/* As HAProxy: "" from the string forms, nil otherwise. */
		if (strings)
			lua_pushliteral(L, "");
		else
			lua_pushnil(L);
		return;
	}
	if (strings) {
		struct px_smp tmp = *smp;

		if (!px_smp_cast(&tmp, PX_SMP_STR)) {
			lua_pushliteral(L, "");
			return;
		}
		lua_pushlstring(L, tmp.u.str.p, tmp.u.str.len);
		return;
	}
	hl_push_smp(L, smp);
}

/* txn.f:NAME(ARGS...): upvalue 1 is the keyword. */
static int fetch_call(lua_State *L)
{
	const struct px_fetch_kw *fk = lua_touserdata(L, lua_upvalueindex(1));
	struct lua_sub *sub = luaL_checkudata(L, 1, MT_FETCH);
	struct px_lua_call *c = txn_call(L, sub->t);
	struct px_smp_ctx *x = c->sctx;
	const struct kwcall *kc;
	struct px_smp smp = { 0 };
	int ok = 0;

	if (!x)
		return luaL_error(L, "no transaction to fetch from");
	kc = kwcall_of(L, c, fk->name, fk, NULL, 2);
	/* A fetch of another phase has nothing to read here. */
	if (fk->use & (x->phase | PX_USE_CONN)) {
		struct px_smp_ctx one = *x;

		one.multi = 0;
		ok = fk->fn(kc->args, &smp, &one);
	}
	push_result(L, ok, &smp, sub->strings);
	return 1;
}

/* txn.c:NAME(VALUE, ARGS...) */
static int conv_call(lua_State *L)
{
	const struct px_conv_kw *ck = lua_touserdata(L, lua_upvalueindex(1));
	struct lua_sub *sub = luaL_checkudata(L, 1, MT_CONV);
	struct px_lua_call *c = txn_call(L, sub->t);
	const struct kwcall *kc;
	struct px_smp smp = { 0 };
	int ok;

	luaL_checkany(L, 2);
	kc = kwcall_of(L, c, ck->name, NULL, ck, 3);
	ok = hl_to_smp(L, 2, &smp) && px_smp_cast(&smp, ck->in) &&
	     ck->fn(kc->args, &smp, c->sctx ? c->sctx : &(struct px_smp_ctx){ 0 });
	push_result(L, ok, &smp, sub->strings);
	return 1;
}

/* __index of txn.f and txn.c: a function per keyword, made once. */
static int kw_index(lua_State *L, int fetch)
{
	const char *name = luaL_checkstring(L, 2);
	const void *kw;

	lua_getfield(L, LUA_REGISTRYINDEX, fetch ? "proxyd.fetchfns" : "proxyd.convfns");
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	if (!strncmp(name, "lua.", 4) || !strncmp(name, "lua_", 4)) {
		/* A script's own fetch or converter, "lua.NAME" or lua_NAME. */
		char kwname[128];

		snprintf(kwname, sizeof(kwname), "lua.%s", name + 4);
		kw = fetch ? (const void *)px_lua_fetch_find(kwname, strlen(kwname)) :
		     (const void *)px_lua_conv_find(kwname, strlen(kwname));
	} else {
		kw = fetch ? (const void *)px_fetch_find_lua(name) :
		     (const void *)px_conv_find_lua(name);
	}
	if (!kw)
		return luaL_error(L, "unknown %s '%s'", fetch ? "sample fetch" : "converter", name);
	lua_pushlightuserdata(L, (void *)kw);
	lua_pushcclosure(L, fetch ? fetch_call : conv_call, 1);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	return 1;
}

static int fetch_index(lua_State *L)
{
	return kw_index(L, 1);
}

static int conv_index(lua_State *L)
{
	return kw_index(L, 0);
}

/* --- txn.req: the bytes of a TCP connection (tcp-request content) ------- */

static struct px_buf *chan_buf(lua_State *L, struct px_lua_call **cp)
{
	struct px_lua_call *c = check_sub(L, 1, MT_CHAN);

	if (!c->s || !c->sctx || c->sctx->phase != PX_USE_CONN)
		luaL_error(L, "txn.req is only available in tcp-request content actions");
	if (cp)
		*cp = c;
	return &c->s->sess->cli.buf;
}

static int chan_dup(lua_State *L)
{
	struct px_buf *b = chan_buf(L, NULL);

	lua_pushlstring(L, b->area ? px_buf_data(b) : "", b->area ? b->len : 0);
	return 1;
}

static int chan_get(lua_State *L)
{
	struct px_buf *b = chan_buf(L, NULL);

	lua_pushlstring(L, b->area ? px_buf_data(b) : "", b->area ? b->len : 0);
	if (b->area && b->len)
		px_buf_consume(b, b->len);
	return 1;
}

static int chan_getline(lua_State *L)
{
	struct px_buf *b = chan_buf(L, NULL);
	const char *p = b->area ? px_buf_data(b) : NULL;
	const char *nl = p ? memchr(p, '\n', b->len) : NULL;
	uint32_t n;

	if (!nl) {
		lua_pushnil(L);
		return 1;
	}
	n = (uint32_t)(nl - p) + 1;
	lua_pushlstring(L, p, n);
	px_buf_consume(b, n);
	return 1;
}

static int chan_len(lua_State *L)
{
	struct px_buf *b = chan_buf(L, NULL);

	lua_pushinteger(L, b->area ? (lua_Integer)b->len : 0);
	return 1;
}

static int chan_is_full(lua_State *L)
{
	struct px_buf *b = chan_buf(L, NULL);

	lua_pushboolean(L, b->area && b->len >= px_bufsize);
	return 1;
}

static int chan_is_resp(lua_State *L)
{
	chan_buf(L, NULL);
	lua_pushboolean(L, 0);
	return 1;
}

/* Writes <n> bytes of <p> in place of the data (set), after it (append)
 * or before it (send: what is sent goes out first). Returns the bytes
 * written, or -1 when they do not fit in the buffer.
 */
static int chan_write(lua_State *L, int where)
{
	struct px_buf *b = chan_buf(L, NULL);
	size_t n;
	const char *p = luaL_checklstring(L, 2, &n);
	uint32_t keep;

	if (!b->area && px_buf_alloc(b) < 0)
		return luaL_error(L, "out of memory");
	keep = where == 0 ? 0 : b->len;
	if (keep + n > b->size) {
		lua_pushinteger(L, -1);
		return 1;
	}
	if (where == 0) {
		b->head = 0;
		b->len = 0;
	}
	if (where >= 0) {
		if (px_buf_room(b) < n)
			px_buf_realign(b, 0);
		memcpy(px_buf_tail(b), p, n);
	} else if (b->head >= n) {
		b->head -= (uint32_t)n;
		memcpy(px_buf_data(b), p, n);
	} else {
		memmove(b->area + n, px_buf_data(b), b->len);
		b->head = 0;
		memcpy(b->area, p, n);
	}
	b->len += (uint32_t)n;
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

static int chan_set(lua_State *L)
{
	return chan_write(L, 0);
}

static int chan_append(lua_State *L)
{
	return chan_write(L, 1);
}

static int chan_send(lua_State *L)
{
	return chan_write(L, -1);
}

static const luaL_Reg chan_methods[] = {
	{ "dup", chan_dup },
	{ "get", chan_get },
	{ "getline", chan_getline },
	{ "get_in_len", chan_len },
	{ "input", chan_len },
	{ "is_full", chan_is_full },
	{ "is_resp", chan_is_resp },
	{ "set", chan_set },
	{ "append", chan_append },
	{ "send", chan_send },
	{ NULL, NULL },
};

/* --- txn ------------------------------------------------------------------------------ */

static int txn_index(lua_State *L)
{
	static const struct {
		const char *key;
		int slot;
		const char *mt;
		int strings;
	} views[] = {
		{ "http", UV_HTTP, MT_HTTP, 0 },
		{ "f", UV_F, MT_FETCH, 0 },
		{ "sf", UV_SF, MT_FETCH, 1 },
		{ "c", UV_C, MT_CONV, 0 },
		{ "sc", UV_SC, MT_CONV, 1 },
		{ "req", UV_REQ, MT_CHAN, 0 },
	};
	struct lua_txn *t = luaL_checkudata(L, 1, MT_TXN);
	const char *k;
	size_t i;

	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	k = lua_tostring(L, 2);
	if (!k)
		return 0;
	for (i = 0; i < PX_ARRAY_SIZE(views); i++) {
		struct lua_sub *s;

		if (strcmp(k, views[i].key))
			continue;
		if (lua_getiuservalue(L, 1, views[i].slot) != LUA_TNIL)
			return 1;
		lua_pop(L, 1);
		s = lua_newuserdatauv(L, sizeof(*s), 1);
		s->t = t;
		s->strings = (uint8_t)views[i].strings;
		luaL_setmetatable(L, views[i].mt);
		lua_pushvalue(L, 1);
		lua_setiuservalue(L, -2, 1);
		lua_pushvalue(L, -1);
		lua_setiuservalue(L, 1, views[i].slot);
		return 1;
	}
	return 0;
}

static const char *check_var_name(lua_State *L, int idx, int *scope)
{
	size_t len;
	const char *n = luaL_checklstring(L, idx, &len);
	char *err = NULL;
	const char *iname = px_var_intern(n, len, scope, &err);

	if (!iname) {
		lua_pushstring(L, err ? err : "invalid variable name");
		free(err);
		lua_error(L);
	}
	return iname;
}

static int txn_set_var(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);
	int scope;
	const char *name = check_var_name(L, 2, &scope);
	struct px_var **list;
	struct px_smp smp;

	luaL_checkany(L, 3);
	if (lua_toboolean(L, 4)) {
		/* ifexist: only a variable that has a value already. */
		struct px_smp cur;

		list = c->sctx ? px_var_list(scope, c->sctx) : NULL;
		if (!list || !px_var_get(list, name, &cur))
			return 0;
	}
	list = c->sctx ? px_var_list(scope, c->sctx) : NULL;
	if (!list)
		return luaL_error(L, "no %s scope here", luaL_checkstring(L, 2));
	if (!hl_to_smp(L, 3, &smp)) {
		px_var_unset(list, name);
		return 0;
	}
	if (px_var_set(list, name, &smp) < 0)
		return luaL_error(L, "out of memory");
	return 0;
}

static int txn_unset_var(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);
	int scope;
	const char *name = check_var_name(L, 2, &scope);
	struct px_var **list = c->sctx ? px_var_list(scope, c->sctx) : NULL;

	if (list)
		px_var_unset(list, name);
	return 0;
}

static int txn_get_var(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);
	int scope;
	const char *name = check_var_name(L, 2, &scope);
	struct px_var **list = c->sctx ? px_var_list(scope, c->sctx) : NULL;
	struct px_smp smp;

	if (!list || !px_var_get(list, name, &smp)) {
		lua_pushnil(L);
		return 1;
	}
	return hl_push_smp(L, &smp);
}

/* Private data: one Lua value per stream, kept in a registry table keyed
 * by the stream until it ends (px_lua_stream_release).
 */
static int txn_set_priv(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);

	if (!c->s)
		return luaL_error(L, "no transaction here");
	lua_settop(L, 2);
	lua_getfield(L, LUA_REGISTRYINDEX, "proxyd.priv");
	lua_pushlightuserdata(L, c->s);
	lua_pushvalue(L, 2);
	lua_rawset(L, -3);
	c->s->flags |= PX_STF_LUA_PRIV;
	return 0;
}

static int txn_get_priv(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);

	if (!c->s || !(c->s->flags & PX_STF_LUA_PRIV)) {
		lua_pushnil(L);
		return 1;
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "proxyd.priv");
	lua_pushlightuserdata(L, c->s);
	lua_rawget(L, -2);
	return 1;
}

void hl_priv_drop(lua_State *L, const void *s)
{
	lua_getfield(L, LUA_REGISTRYINDEX, "proxyd.priv");
	lua_pushlightuserdata(L, (void *)s);
	lua_pushnil(L);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

int hl_log_at(lua_State *L, int level, const char *msg)
{
	if (level <= 3)
		px_alert("%s", msg);
	else if (level <= 4)
		px_warning("%s", msg);
	else
		px_notice("%s", msg);
	(void)L;
	return 0;
}

static int txn_log(lua_State *L)
{
	lua_Integer level;

	check_txn(L, 1);
	level = luaL_checkinteger(L, 2);
	if (level < 0 || level > 7)
		return luaL_error(L, "invalid log level %d (0 to 7)", (int)level);
	return hl_log_at(L, (int)level, luaL_checkstring(L, 3));
}

static int txn_log_fixed(lua_State *L, int level)
{
	check_txn(L, 1);
	return hl_log_at(L, level, luaL_checkstring(L, 2));
}

static int txn_debug(lua_State *L)
{
	return txn_log_fixed(L, 7);
}

static int txn_info(lua_State *L)
{
	return txn_log_fixed(L, 6);
}

static int txn_warning(lua_State *L)
{
	return txn_log_fixed(L, 4);
}

static int txn_alert(lua_State *L)
{
	return txn_log_fixed(L, 1);
}

static int txn_set_loglevel(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);
	lua_Integer level = luaL_checkinteger(L, 2);

	if (level < 0 || level > 8)
		return luaL_error(L, "invalid log level %d (0 to 7, or 8 for silent)", (int)level);
	if (c->s) {
		c->s->log_level = (uint8_t)(level + 1);
		if (level == 8)
			c->s->flags |= PX_STF_DONTLOG;
	}
	return 0;
}

/* txn:reply([{status=, reason=, headers=, body=}]): a reply object. */
static int txn_reply(lua_State *L)
{
	check_txn(L, 1);
	lua_newtable(L);
	lua_pushinteger(L, 200);
	lua_setfield(L, -2, "status");
	lua_newtable(L);
	lua_setfield(L, -2, "headers");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "body");
	if (lua_istable(L, 2)) {
		static const char *const keys[] = { "status", "reason", "headers", "body" };
		size_t i;

		for (i = 0; i < PX_ARRAY_SIZE(keys); i++) {
			if (lua_getfield(L, 2, keys[i]) != LUA_TNIL)
				lua_setfield(L, -2, keys[i]);
			else
				lua_pop(L, 1);
		}
	}
	luaL_setmetatable(L, MT_REPLY);
	return 1;
}

static int reply_set_status(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkinteger(L, 2);
	lua_settop(L, 3);
	lua_setfield(L, 1, "reason");
	lua_setfield(L, 1, "status");
	return 0;
}

static int reply_add_header(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkstring(L, 2);
	luaL_checkstring(L, 3);
	lua_getfield(L, 1, "headers");
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, -4);
	} else if (!lua_istable(L, -1)) {
		/* headers = { name = "value" }: make it a list. */
		lua_newtable(L);
		lua_insert(L, -2);
		lua_rawseti(L, -2, 1);
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, -4);
	}
	lua_pushvalue(L, 3);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	return 0;
}

static int reply_del_header(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkstring(L, 2);
	lua_getfield(L, 1, "headers");
	lua_pushvalue(L, 2);
	lua_pushnil(L);
	lua_rawset(L, -3);
	return 0;
}

static int reply_set_body(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_setfield(L, 1, "body");
	return 0;
}

static void rb_hdr(lua_State *L, struct hh_buf *o, const char *n, size_t nl, int vidx)
{
	size_t vl;
	const char *v = lua_tolstring(L, vidx, &vl);
	size_t i;

	if (!v)
		luaL_error(L, "reply header '%s': the value is not a string", n);
	for (i = 0; i < nl; i++)
		if (!px_h1_tchar[(unsigned char)n[i]])
			luaL_error(L, "reply header: invalid name '%s'", n);
	if (!nl || !px_rules_value_ok(v, vl))
		luaL_error(L, "reply header '%s': invalid value", n);
	if ((nl == 14 && !strncasecmp(n, "content-length", 14)) ||
	    (nl == 17 && !strncasecmp(n, "transfer-encoding", 17)) ||
	    (nl == 10 && !strncasecmp(n, "connection", 10)))
		return;   /* proxyd frames the reply itself */
	hh_put(o, n, nl);
	hh_str(o, ": ");
	hh_put(o, v, vl);
	hh_str(o, "\r\n");
}

/* Sends the reply table at <idx> as the stream's local response. */
int hl_reply_send(lua_State *L, struct px_lua_call *c, int idx)
{
	struct px_stream *s = c->s;
	lua_Integer status;
	const char *reason, *body;
	size_t rl = 0, bl = 0;
	struct hh_buf o;
	char num[32];
	int keep;

	if (!s || !c->run || !c->sctx || c->sctx->phase == PX_USE_CONN)
		return luaL_error(L, "no HTTP transaction to reply to");
	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "status");
	status = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 200;
	if (status < 200 || status > 599)
		return luaL_error(L, "reply: invalid status %d (200 to 599)", (int)status);
	lua_getfield(L, idx, "reason");
	reason = lua_tolstring(L, -1, &rl);
	if (!reason) {
		reason = px_http_reason((int)status);
		rl = strlen(reason);
	} else if (!px_rules_value_ok(reason, rl)) {
		return luaL_error(L, "reply: invalid reason");
	}
	lua_getfield(L, idx, "body");
	body = lua_tolstring(L, -1, &bl);
	if (!body)
		bl = 0;
	o.p = px_scratch(1, &o.size);
	o.len = 0;
	o.overflow = 0;
	snprintf(num, sizeof(num), "HTTP/1.1 %03d ", (int)status);
	hh_str(&o, num);
	hh_put(&o, reason, rl);
	hh_str(&o, "\r\n");
	if (lua_getfield(L, idx, "headers") == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			size_t nl;
			const char *n = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &nl) : NULL;

			if (!n)
				return luaL_error(L, "reply: header names must be strings");
			if (lua_istable(L, -1)) {
				lua_Integer i;

				/* A list of values, from 1 (or 0, as get_headers). */
				for (i = 0; lua_rawgeti(L, -1, i) != LUA_TNIL || i == 0; i++) {
					if (!lua_isnil(L, -1))
						rb_hdr(L, &o, n, nl, -1);
					lua_pop(L, 1);
				}
				lua_pop(L, 1);
			} else {
				rb_hdr(L, &o, n, nl, -1);
			}
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	keep = (s->rq == PX_RQ_DONE || (s->flags & PX_STF_REQ_WHOLE)) &&
	       !(s->flags & (PX_STF_REQ_CLOSE | PX_STF_UPGRADE));
	if (status != 204 && status != 304) {
		snprintf(num, sizeof(num), "content-length: %zu\r\n", bl);
		hh_str(&o, num);
	} else {
		bl = 0;
	}
	if (!keep)
		hh_str(&o, "connection: close\r\n");
	else if (s->req.vmin == 0)
		hh_str(&o, "connection: keep-alive\r\n");
	hh_str(&o, "\r\n");
	if (!(s->flags & PX_STF_HEAD))
		hh_put(&o, body, bl);
	if (o.overflow)
		return luaL_error(L, "reply: too large (at most tune.bufsize bytes)");
	px_stream_local_dyn(s, (int)status, 'L', c->run->dir == PX_USE_RES ? 'H' : 'R', o.p, o.len,
	                    keep);
	return 0;
}

/* txn:done([reply]): ends the transaction, with the reply when given. */
static int txn_done(lua_State *L)
{
	struct px_lua_call *c = check_txn(L, 1);

	if (c->ctx != LC_ACTION)
		return luaL_error(L, "txn:done() ends an action; it cannot be used here");
	if (lua_istable(L, 2))
		hl_reply_send(L, c, 2);
	c->done = 1;
	/* Unwinds the call; run_call() sees c->done and ends the stream. */
	lua_pushliteral(L, "txn:done()");
	return lua_error(L);
}

static const luaL_Reg http_methods[] = {
	{ "req_get_headers", req_get_headers },
	{ "req_add_header", req_add_header },
	{ "req_set_header", req_set_header },
	{ "req_del_header", req_del_header },
	{ "req_rep_header", req_rep_header },
	{ "req_rep_value", req_rep_value },
	{ "req_set_method", req_set_method },
	{ "req_set_path", req_set_path },
	{ "req_set_query", req_set_query },
	{ "req_set_uri", req_set_uri },
	{ "res_get_headers", res_get_headers },
	{ "res_add_header", res_add_header },
	{ "res_set_header", res_set_header },
	{ "res_del_header", res_del_header },
	{ "res_rep_header", res_rep_header },
	{ "res_rep_value", res_rep_value },
	{ "res_set_status", res_set_status },
	{ NULL, NULL },
};

static const luaL_Reg txn_methods[] = {
	{ "set_var", txn_set_var },
	{ "get_var", txn_get_var },
	{ "unset_var", txn_unset_var },
	{ "set_priv", txn_set_priv },
	{ "get_priv", txn_get_priv },
	{ "log", txn_log },
	{ "Debug", txn_debug },
	{ "Info", txn_info },
	{ "Warning", txn_warning },
	{ "Alert", txn_alert },
	{ "set_loglevel", txn_set_loglevel },
	{ "reply", txn_reply },
	{ "done", txn_done },
	{ NULL, NULL },
};

static const luaL_Reg reply_methods[] = {
	{ "set_status", reply_set_status },
	{ "add_header", reply_add_header },
	{ "del_header", reply_del_header },
	{ "set_body", reply_set_body },
	{ NULL, NULL },
};

/* A metatable <name> whose __index is the table of <methods>, or, with
 * <index>, that C function with the table as its upvalue.
 */
void hl_new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction index)
{
	luaL_newmetatable(L, name);
	if (methods) {
		lua_newtable(L);
		luaL_setfuncs(L, methods, 0);
	}
	if (index)
		lua_pushcclosure(L, index, methods ? 1 : 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

void hl_txn_open(lua_State *L, struct px_lua_inst *in)
{
	(void)in;
	hl_new_class(L, MT_TXN, txn_methods, txn_index);
	hl_new_class(L, MT_HTTP, http_methods, NULL);
	hl_new_class(L, MT_FETCH, NULL, fetch_index);
	hl_new_class(L, MT_CONV, NULL, conv_index);
	hl_new_class(L, MT_REPLY, reply_methods, NULL);
	hl_new_class(L, MT_CHAN, chan_methods, NULL);

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "proxyd.fetchfns");
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "proxyd.convfns");
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "proxyd.regex");
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "proxyd.priv");
}
