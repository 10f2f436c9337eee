/* The "core" table (registrations, logging, time, sleeping, string
 * helpers, read-only views of proxies and servers) and the "act" table,
 * with HAProxy's names and semantics.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "admin/counters.h"
#include "backend/server.h"
#include "backend/server-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "cfg/proxy-t.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"
#include "rules/vars.h"
#include "script/hlua-int.h"

#define MT_CONCAT "proxyd.concat"
#define MT_PROXY  "proxyd.proxy"
#define MT_SERVER "proxyd.server"

static struct px_lua_inst *inst_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static void check_loading(lua_State *L, struct px_lua_inst *in, const char *fn)
{
	if (!in->loading)
		luaL_error(L, "%s is only allowed while the scripts load (at their top level)", fn);
}

/* --- registrations --------------------------------------------------------- */

static int core_register_action(lua_State *L)
{
	static const struct {
		const char *word;
		uint8_t bit;
	} dirs[] = {
		{ "http-req", LUA_ACT_HTTP_REQ },
		{ "http-res", LUA_ACT_HTTP_RES },
		{ "http-after-res", LUA_ACT_HTTP_RES },
		{ "tcp-req", LUA_ACT_TCP_REQ },
		{ "tcp-res", LUA_ACT_TCP_RES },
	};
	struct px_lua_inst *in = inst_of(L);
	const char *name = luaL_checkstring(L, 1);
	lua_Integer nargs = luaL_optinteger(L, 4, 0);
	uint8_t bits = 0;
	lua_Integer i;

	check_loading(L, in, "core.register_action");
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (nargs < 0 || nargs > 16)
		return luaL_error(L, "core.register_action: invalid number of arguments %d", (int)nargs);
	for (i = 1; lua_rawgeti(L, 2, i) != LUA_TNIL; i++) {
		const char *w = lua_tostring(L, -1);
		size_t k;

		for (k = 0; w && k < PX_ARRAY_SIZE(dirs); k++)
			if (!strcmp(w, dirs[k].word))
				break;
		if (!w || k == PX_ARRAY_SIZE(dirs))
			return luaL_error(L, "core.register_action: unknown action type '%s' "
			                  "(http-req, http-res, tcp-req, tcp-res)", w ? w : "?");
		bits |= dirs[k].bit;
		lua_pop(L, 1);
	}
	if (!bits)
		return luaL_error(L, "core.register_action: no action type given");
	return hl_register(L, in, LK_ACTION, name, 3, bits, (int)nargs, NULL);
}

static int register_fn(lua_State *L, int kind, const char *fn)
{
	struct px_lua_inst *in = inst_of(L);
	const char *name = luaL_checkstring(L, 1);

	check_loading(L, in, fn);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	return hl_register(L, in, kind, name, 2, 0, 0, NULL);
}

static int core_register_fetches(lua_State *L)
{
	return register_fn(L, LK_FETCH, "core.register_fetches");
}

static int core_register_converters(lua_State *L)
{
	return register_fn(L, LK_CONV, "core.register_converters");
}

static int core_register_service(lua_State *L)
{
	struct px_lua_inst *in = inst_of(L);
	const char *name = luaL_checkstring(L, 1);
	const char *mode = luaL_checkstring(L, 2);

	check_loading(L, in, "core.register_service");
	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (strcmp(mode, "http") && strcmp(mode, "tcp"))
		return luaL_error(L, "core.register_service: mode must be 'http' or 'tcp'");
	if (!strcmp(mode, "tcp"))
		return luaL_error(L, "core.register_service: proxyd runs 'http' services only");
	return hl_register(L, in, LK_SERVICE, name, 3, 0, 0, NULL);
}

static int core_register_init(lua_State *L)
{
	struct px_lua_inst *in = inst_of(L);

	check_loading(L, in, "core.register_init");
	luaL_checktype(L, 1, LUA_TFUNCTION);
	if (in->ninit >= (int)PX_ARRAY_SIZE(in->init_refs))
		return luaL_error(L, "too many init functions (at most %d)",
		                  (int)PX_ARRAY_SIZE(in->init_refs));
	lua_pushvalue(L, 1);
	in->init_refs[in->ninit++] = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

static int core_register_task(lua_State *L)
{
	struct px_lua_inst *in = inst_of(L);

	luaL_checktype(L, 1, LUA_TFUNCTION);
	return hl_task_spawn(L, in, 1);
}

/* core.register_cli({"word", ...}, usage, fn) */
static int core_register_cli(lua_State *L)
{
	struct px_lua_inst *in = inst_of(L);
	const char *usage = luaL_checkstring(L, 2);
	luaL_Buffer b;
	lua_Integer i;

	check_loading(L, in, "core.register_cli");
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TFUNCTION);
	luaL_buffinit(L, &b);
	for (i = 1; i <= 5; i++) {
		const char *w;

		if (lua_rawgeti(L, 1, i) == LUA_TNIL) {
			lua_pop(L, 1);
			break;
		}
		w = lua_tostring(L, -1);
		if (!w || !*w || strpbrk(w, " \t;\\"))
			return luaL_error(L, "core.register_cli: words must be non-empty strings "
			                  "without blanks");
		lua_pop(L, 1);
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_addstring(&b, w);
	}
	if (i == 1)
		return luaL_error(L, "core.register_cli: no command word given");
	luaL_pushresult(&b);
	return hl_register(L, in, LK_CLI, lua_tostring(L, -1), 3, 0, 0, usage);
}

/* --- logging, time, waiting ----------------------------------------------------- */

int hl_log_at(lua_State *L, int level, const char *msg);

static int core_log(lua_State *L)
{
	lua_Integer level = luaL_checkinteger(L, 1);

	if (level < 0 || level > 7)
		return luaL_error(L, "invalid log level %d (0 to 7)", (int)level);
	return hl_log_at(L, (int)level, luaL_checkstring(L, 2));
}

static int core_debug(lua_State *L)
{
	return hl_log_at(L, 7, luaL_checkstring(L, 1));
}

static int core_info(lua_State *L)
{
	return hl_log_at(L, 6, luaL_checkstring(L, 1));
}

static int core_warning(lua_State *L)
{
	return hl_log_at(L, 4, luaL_checkstring(L, 1));
}

static int core_alert(lua_State *L)
{
	return hl_log_at(L, 1, luaL_checkstring(L, 1));
}

static int core_now(lua_State *L)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, (lua_Integer)tv.tv_sec);
	lua_setfield(L, -2, "sec");
	lua_pushinteger(L, (lua_Integer)tv.tv_usec);
	lua_setfield(L, -2, "usec");
	return 1;
}

static int sleep_ms(lua_State *L, lua_Integer ms)
{
	struct px_lua_call *c = hl_call_of(L);

	if (ms < 0)
		ms = 0;
	c->wait = LW_SLEEP;
	/* From the clock, not the loop's time of this turn: the sleep lasts
	 * at least <ms> even late in a busy turn.
	 */
	c->wake_ms = px_clock_ms() + (uint64_t)ms;
	return lua_yield(L, 0);
}

static int core_msleep(lua_State *L)
{
	lua_Integer ms = luaL_checkinteger(L, 1);

	hl_check_yield(L, "core.msleep()");
	return sleep_ms(L, ms);
}

static int core_sleep(lua_State *L)
{
	lua_Integer s = luaL_checkinteger(L, 1);

	hl_check_yield(L, "core.sleep()");
	return sleep_ms(L, s * 1000);
}

static int core_yield(lua_State *L)
{
	struct px_lua_call *c = hl_call_of(L);

	hl_check_yield(L, "core.yield()");
	c->wait = LW_YIELD;
	return lua_yield(L, 0);
}

/* core.get_var("proc.NAME"): process variables only, as HAProxy. */
static int core_get_var(lua_State *L)
{
	size_t len;
	const char *n = luaL_checklstring(L, 1, &len);
	char *err = NULL;
	int scope;
	const char *iname = px_var_intern(n, len, &scope, &err);
	struct px_smp_ctx ctx = { 0 };
	struct px_smp smp;
	struct px_var **list;

	if (!iname) {
		lua_pushstring(L, err ? err : "invalid variable name");
		free(err);
		return lua_error(L);
	}
	if (scope != PX_VS_PROC)
		return luaL_error(L, "core.get_var reads proc.* variables only");
	list = px_var_list(scope, &ctx);
	if (!list || !px_var_get(list, iname, &smp)) {
		lua_pushnil(L);
		return 1;
	}
	return hl_push_smp(L, &smp);
}

/* core.set_var("proc.NAME", value) and core.unset_var("proc.NAME"). */
static int proc_var(lua_State *L, int set)
{
	size_t len;
	const char *n = luaL_checklstring(L, 1, &len);
	char *err = NULL;
	int scope;
	const char *iname = px_var_intern(n, len, &scope, &err);
	struct px_smp_ctx ctx = { 0 };
	struct px_var **list;
	struct px_smp smp;

	if (!iname) {
		lua_pushstring(L, err ? err : "invalid variable name");
		free(err);
		return lua_error(L);
	}
	if (scope != PX_VS_PROC)
		return luaL_error(L, "core.%s_var works on proc.* variables only",
		                  set ? "set" : "unset");
	list = px_var_list(scope, &ctx);
	if (!list)
		return 0;
	if (!set || !hl_to_smp(L, 2, &smp)) {
		px_var_unset(list, iname);
		return 0;
	}
	if (px_var_set(list, iname, &smp) < 0)
		return luaL_error(L, "out of memory");
	return 0;
}

static int core_set_var(lua_State *L)
{
	luaL_checkany(L, 2);
	return proc_var(L, 1);
}

static int core_unset_var(lua_State *L)
{
	return proc_var(L, 0);
}

/* --- strings and addresses -------------------------------------------------------- */

struct concat {
	char *p;
	size_t len, cap;
};

static int concat_add(lua_State *L)
{
	struct concat *c = luaL_checkudata(L, 1, MT_CONCAT);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);

	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 64;
		void *ud;
		lua_Alloc af = lua_getallocf(L, &ud);
		char *p;

		while (cap < c->len + n)
			cap *= 2;
		/* Through the state's allocator: counted in tune.lua.maxmem. */
		p = af(ud, c->p, c->cap, cap);
		if (!p)
			return luaL_error(L, "not enough memory");
		c->p = p;
		c->cap = cap;
	}
	memcpy(c->p + c->len, s, n);
	c->len += n;
	return 0;
}

static int concat_dump(lua_State *L)
{
	struct concat *c = luaL_checkudata(L, 1, MT_CONCAT);

	lua_pushlstring(L, c->p ? c->p : "", c->len);
	return 1;
}

static int concat_gc(lua_State *L)
{
	struct concat *c = luaL_checkudata(L, 1, MT_CONCAT);
	void *ud;
	lua_Alloc af = lua_getallocf(L, &ud);

	if (c->p)
		af(ud, c->p, c->cap, 0);
	c->p = NULL;
	c->len = c->cap = 0;
	return 0;
}

static int core_concat(lua_State *L)
{
	struct concat *c = lua_newuserdatauv(L, sizeof(*c), 0);

	memset(c, 0, sizeof(*c));
	luaL_setmetatable(L, MT_CONCAT);
	return 1;
}

/* core.tokenize(str, separators [, noblank]) */
static int core_tokenize(lua_State *L)
{
	size_t len, i, start = 0;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *seps = luaL_checkstring(L, 2);
	int noblank = lua_toboolean(L, 3);
	lua_Integer n = 0;

	lua_newtable(L);
	for (i = 0; i <= len; i++) {
		if (i < len && !strchr(seps, s[i]))
			continue;
		if (s[i] == 0 && i < len) {
			/* A NUL byte is no separator. */
			continue;
		}
		if (!noblank || i > start) {
			lua_pushlstring(L, s + start, i - start);
			lua_rawseti(L, -2, ++n);
		}
		start = i + 1;
	}
	return 1;
}

/* "ADDR[/MASK]" into family, bytes and prefix length. */
static int parse_net(const char *s, int *family, unsigned char *addr, int *bits)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	long m;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	*bits = *family == AF_INET ? 32 : 128;
	if (slash) {
		char *end;
		unsigned char mask[4];

		m = strtol(slash, &end, 10);
		if (*end && *family == AF_INET && inet_pton(AF_INET, slash, mask) == 1) {
			uint32_t v = ntohl(*(uint32_t *)(void *)mask);

			for (m = 0; m < 32 && (v & (0x80000000u >> m)); m++)
				;
		} else if (*end || m < 0 || m > *bits) {
			return -1;
		}
		*bits = (int)m;
	}
	return 0;
}

/* core.match_addr(net1, net2): whether the two networks overlap (the
 * shorter prefix decides), whichever order they come in.
 */
static int core_match_addr(lua_State *L)
{
	unsigned char a[16], b[16];
	int fa, fb, ba, bb, bits, k;

	if (parse_net(luaL_checkstring(L, 1), &fa, a, &ba) < 0 ||
	    parse_net(luaL_checkstring(L, 2), &fb, b, &bb) < 0)
		return luaL_error(L, "core.match_addr: invalid address");
	if (fa != fb) {
		lua_pushboolean(L, 0);
		return 1;
	}
	bits = ba < bb ? ba : bb;
	for (k = 0; k < bits; k++) {
		int byte = k / 8, bit = 0x80 >> (k % 8);

		if ((a[byte] & bit) != (b[byte] & bit)) {
			lua_pushboolean(L, 0);
			return 1;
		}
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* --- proxies and servers (read-only views by name) -------------------------------- */

static struct px_proxy *proxy_named(lua_State *L, const char *name, unsigned cap)
{
	extern struct px_gen *px_gen_cur;
	struct px_gen *gen = hl_view_gen ? hl_view_gen : px_gen_cur;
	struct px_proxy *px = name && gen ? px_proxy_find(gen, name, cap) : NULL;

	if (!px)
		luaL_error(L, "proxy '%s' no longer exists", name ? name : "?");
	return px;
}

static struct px_proxy *proxy_of(lua_State *L, int idx)
{
	struct px_proxy *px;

	luaL_checktype(L, idx, LUA_TTABLE);
	lua_getfield(L, idx, "_cap");
	lua_getfield(L, idx, "name");
	/* A frontend and a backend may have the same name. */
	px = proxy_named(L, lua_tostring(L, -1), (unsigned)lua_tointeger(L, -2));
	lua_pop(L, 2);
	return px;
}

static struct px_server *server_of(lua_State *L, int idx)
{
	struct px_proxy *px;
	const char *name;
	uint32_t i;

	luaL_checktype(L, idx, LUA_TTABLE);
	lua_getfield(L, idx, "proxy");
	px = proxy_named(L, lua_tostring(L, -1), PX_CAP_BE);
	lua_pop(L, 1);
	lua_getfield(L, idx, "name");
	name = lua_tostring(L, -1);
	lua_pop(L, 1);
	for (i = 0; name && i < px->nsrv; i++)
		if (!strcmp(px->srv[i]->id, name))
			return px->srv[i];
	luaL_error(L, "server '%s' no longer exists", name ? name : "?");
	return NULL;
}

static int proxy_get_name(lua_State *L)
{
	lua_pushstring(L, proxy_of(L, 1)->id);
	return 1;
}

static int proxy_get_uuid(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)proxy_of(L, 1)->uuid);
	return 1;
}

static int proxy_get_cap(lua_State *L)
{
	struct px_proxy *px = proxy_of(L, 1);

	lua_pushstring(L, (px->cap & PX_CAP_FE) && (px->cap & PX_CAP_BE) ? "frontend,backend" :
	               (px->cap & PX_CAP_FE) ? "frontend" : "backend");
	return 1;
}

static int proxy_get_mode(lua_State *L)
{
	lua_pushstring(L, proxy_of(L, 1)->mode == PX_MODE_HTTP ? "http" : "tcp");
	return 1;
}

static int proxy_get_stats(lua_State *L)
{
	struct px_proxy *px = proxy_of(L, 1);
	uint32_t i, act = 0;

	for (i = 0; i < px->nsrv; i++)
		if (!strcmp(px_server_state_str(px->srv[i]), "UP"))
			act++;
	lua_newtable(L);
	lua_pushstring(L, px->id);
	lua_setfield(L, -2, "pxname");
	lua_pushinteger(L, (lua_Integer)px->uuid);
	lua_setfield(L, -2, "iid");
	if (px->cap & PX_CAP_BE) {
		lua_pushinteger(L, act);
		lua_setfield(L, -2, "act");
		lua_pushstring(L, act || !px->nsrv ? "UP" : "DOWN");
		lua_setfield(L, -2, "status");
	} else {
		lua_pushstring(L, "OPEN");
		lua_setfield(L, -2, "status");
	}
	return 1;
}

static int server_get_name(lua_State *L)
{
	lua_pushstring(L, server_of(L, 1)->id);
	return 1;
}

static int server_get_puid(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)server_of(L, 1)->puid);
	return 1;
}

static int server_get_addr(lua_State *L)
{
	struct px_server *srv = server_of(L, 1);
	char ip[INET6_ADDRSTRLEN];

	px_addr_ip_str(&srv->addr.sa, ip, sizeof(ip));
	lua_pushfstring(L, "%s:%d", ip, px_addr_port(&srv->addr));
	return 1;
}

static int server_get_weight(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)server_of(L, 1)->weight);
	return 1;
}

static int server_is_draining(lua_State *L)
{
	struct px_server *srv = server_of(L, 1);

	lua_pushboolean(L, srv->drain || !srv->weight);
	return 1;
}

static int server_get_stats(lua_State *L)
{
	struct px_server *srv = server_of(L, 1);
	char buf[32];

	lua_newtable(L);
	/* The words of "show stat" ("no check", "UP 1/3"...), as HAProxy's. */
	lua_pushstring(L, px_stats_srv_status(srv, buf, sizeof(buf)));
	lua_setfield(L, -2, "status");
	lua_pushinteger(L, (lua_Integer)srv->weight);
	lua_setfield(L, -2, "weight");
	lua_pushinteger(L, (lua_Integer)srv->iweight);
	lua_setfield(L, -2, "iweight");
	lua_pushinteger(L, (lua_Integer)srv->cur_sess);
	lua_setfield(L, -2, "scur");
	lua_pushinteger(L, (lua_Integer)srv->cum_sess);
	lua_setfield(L, -2, "stot");
	lua_pushinteger(L, (lua_Integer)srv->down_trans);
	lua_setfield(L, -2, "chkdown");
	lua_pushstring(L, srv->id);
	lua_setfield(L, -2, "svname");
	lua_pushstring(L, srv->be->id);
	lua_setfield(L, -2, "pxname");
	return 1;
}

static void push_server(lua_State *L, const struct px_server *srv)
{
	lua_createtable(L, 0, 2);
	lua_pushstring(L, srv->id);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, srv->be->id);
	lua_setfield(L, -2, "proxy");
	luaL_setmetatable(L, MT_SERVER);
}

static void push_proxy(lua_State *L, const struct px_proxy *px)
{
	uint32_t i;

	lua_createtable(L, 0, 3);
	lua_pushstring(L, px->id);
	lua_setfield(L, -2, "name");
	lua_pushinteger(L, (lua_Integer)px->uuid);
	lua_setfield(L, -2, "uuid");
	lua_pushinteger(L, (lua_Integer)(px->cap & (PX_CAP_FE | PX_CAP_BE)));
	lua_setfield(L, -2, "_cap");
	lua_createtable(L, 0, (int)px->nsrv);
	for (i = 0; i < px->nsrv; i++) {
		push_server(L, px->srv[i]);
		lua_setfield(L, -2, px->srv[i]->id);
	}
	lua_setfield(L, -2, "servers");
	luaL_setmetatable(L, MT_PROXY);
}

/* core.proxies, core.frontends, core.backends: made from the running
 * configuration each time they are read.
 */
static int core_index(lua_State *L)
{
	extern struct px_gen *px_gen_cur;
	const char *k = lua_tostring(L, 2);
	struct px_gen *gen;
	unsigned want;
	struct px_list *e;

	if (!k)
		return 0;
	if (!strcmp(k, "proxies"))
		want = PX_CAP_FE | PX_CAP_BE;
	else if (!strcmp(k, "frontends"))
		want = PX_CAP_FE;
	else if (!strcmp(k, "backends"))
		want = PX_CAP_BE;
	else
		return 0;
	lua_newtable(L);
	gen = hl_view_gen ? hl_view_gen : px_gen_cur;
	if (!gen)
		return 1;
	px_list_for_each(e, &gen->proxies) {
		const struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		if (!(px->cap & want))
			continue;
		push_proxy(L, px);
		lua_setfield(L, -2, px->id);
	}
	return 1;
}

/* --- opening ------------------------------------------------------------------------ */

static const luaL_Reg core_fns[] = {
	{ "register_action", core_register_action },
	{ "register_fetches", core_register_fetches },
	{ "register_converters", core_register_converters },
	{ "register_service", core_register_service },
	{ "register_init", core_register_init },
	{ "register_task", core_register_task },
	{ "register_cli", core_register_cli },
	{ "log", core_log },
	{ "Debug", core_debug },
	{ "Info", core_info },
	{ "Warning", core_warning },
	{ "Alert", core_alert },
	{ "now", core_now },
	{ "msleep", core_msleep },
	{ "sleep", core_sleep },
	{ "yield", core_yield },
	{ "get_var", core_get_var },
	{ "set_var", core_set_var },
	{ "unset_var", core_unset_var },
	{ "concat", core_concat },
	{ "tokenize", core_tokenize },
	{ "match_addr", core_match_addr },
	{ NULL, NULL },
};

static const luaL_Reg concat_methods[] = {
	{ "add", concat_add },
	{ "dump", concat_dump },
	{ NULL, NULL },
};

static const luaL_Reg proxy_methods[] = {
	{ "get_name", proxy_get_name },
	{ "get_uuid", proxy_get_uuid },
	{ "get_cap", proxy_get_cap },
	{ "get_mode", proxy_get_mode },
	{ "get_stats", proxy_get_stats },
	{ NULL, NULL },
};

static const luaL_Reg server_methods[] = {
	{ "get_name", server_get_name },
	{ "get_puid", server_get_puid },
	{ "get_addr", server_get_addr },
	{ "get_weight", server_get_weight },
	{ "is_draining", server_is_draining },
	{ "get_stats", server_get_stats },
	{ NULL, NULL },
};

void hl_core_open(lua_State *L, struct px_lua_inst *in)
{
	static const char *const levels[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	static const char *const acts[] = {
		"CONTINUE", "STOP", "YIELD", "ERROR", "DONE", "DENY", "ABORT", "INVALID",
	};
	int i;

	hl_new_class(L, MT_CONCAT, concat_methods, NULL);
	luaL_getmetatable(L, MT_CONCAT);
	lua_pushcfunction(L, concat_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	hl_new_class(L, MT_PROXY, proxy_methods, NULL);
	hl_new_class(L, MT_SERVER, server_methods, NULL);

	lua_newtable(L);
	lua_pushlightuserdata(L, in);
	luaL_setfuncs(L, core_fns, 1);
	for (i = 0; i < 8; i++) {
		lua_pushinteger(L, i);
		lua_setfield(L, -2, levels[i]);
	}
	lua_pushinteger(L, 0);
	lua_setfield(L, -2, "thread");
	lua_pushliteral(L, "proxyd");
	lua_setfield(L, -2, "product_name");
	lua_newtable(L);
	lua_pushcfunction(L, core_index);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_setglobal(L, "core");

	lua_newtable(L);
	for (i = 0; i < 8; i++) {
		lua_pushinteger(L, i);
		lua_setfield(L, -2, acts[i]);
	}
	lua_setglobal(L, "act");
}
