/* The Lua glue's core: instances (a state with the scripts loaded into it),
 * the names scripts register, calls (a coroutine per call, an instruction
 * budget, time caps and a memory cap) and tasks. The configuration side
 * (keywords, choosing and swapping instances) is in hlua_cfg.c; what a
 * call can do (the txn, core and applet objects) in hlua_core.c,
 * hlua_txn.c and hlua_applet.c; how rules call Lua in hlua_act.c; the
 * command socket's Lua commands in hlua_applet.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cfg/cfg.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "script/hlua.h"
#include "script/hlua-int.h"

struct px_lua_inst *px_lua_cur;
struct px_loop *px_lua_loop;

static struct lua_name *names;
static uint32_t nnames;
static uint32_t inst_counter;

/* Scripts are read whole; a larger one is surely a mistake. */
#define LUA_SRC_MAX (16 * 1024 * 1024)
/* Loading the scripts and running register_init may take this long. */
#define LUA_LOAD_MS 10000

const char *px_lua_version(void)
{
	return LUA_RELEASE;
}

uint64_t hl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --- names ------------------------------------------------------------------ */

const char *const hl_kind_names[LK_NB] = {
	"action", "fetch", "converter", "service", "cli",
};

/* The slot of <name> for <kind>, created when <create> is set. Slots live
 * as long as the process: a configuration names a handful.
 */
struct lua_name *hl_name_get(int kind, const char *name, size_t len, int create)
{
	struct lua_name *n;

	for (n = names; n; n = n->next)
		if (n->kind == kind && strlen(n->name) == len && !memcmp(n->name, name, len))
			return n;
	if (!create || nnames >= 4096)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strndup(name, len);
	n->kwname = malloc(len + 5);
	if (!n->name || !n->kwname) {
		free(n->name);
		free(n->kwname);
		free(n);
		return NULL;
	}
	memcpy(n->kwname, "lua.", 4);
	memcpy(n->kwname + 4, name, len);
	n->kwname[len + 4] = 0;
	n->id = nnames++;
	n->kind = (uint8_t)kind;
	/* Up to four string arguments; the fifth slot carries the name
	 * (px_expr_parse puts <priv> there).
	 */
	n->fkw = (struct px_fetch_kw){
		.name = n->kwname, .fn = px_lua_fetch_fn, .args = "?ssss",
		.out = PX_SMP_STR, .use = PX_USE_ANY,
	};
	n->ckw = (struct px_conv_kw){
		.name = n->kwname, .fn = px_lua_conv_fn, .args = "?ssss",
		.in = PX_SMP_ANY, .out = PX_SMP_STR,
	};
	n->next = names;
	names = n;
	return n;
}

struct lua_name *hl_names_first(void)
{
	return names;
}

const struct lua_reg *hl_reg_of(const struct px_lua_inst *in, const struct lua_name *n)
{
	if (!in || n->id >= in->nregs || in->regs[n->id].ref == LUA_NOREF ||
	    in->regs[n->id].ref == 0)
		return NULL;
	return &in->regs[n->id];
}

/* Records a registration in the instance being loaded. */
int hl_register(lua_State *L, struct px_lua_inst *in, int kind, const char *name,
                 int fn_idx, uint8_t dirs, int nargs, const char *usage)
{
	struct lua_name *n = hl_name_get(kind, name, strlen(name), 1);
	struct lua_reg *r;

	if (!n)
		return luaL_error(L, "cannot register %s '%s': too many names", hl_kind_names[kind],
		                  name);
	if (n->id >= in->nregs) {
		uint32_t cap = n->id + 16, i;
		struct lua_reg *regs = realloc(in->regs, cap * sizeof(*regs));

		if (!regs)
			return luaL_error(L, "out of memory");
		for (i = in->nregs; i < cap; i++)
			regs[i] = (struct lua_reg){ .ref = LUA_NOREF };
		in->regs = regs;
		in->nregs = cap;
	}
	r = &in->regs[n->id];
	if (r->ref != LUA_NOREF) {
		/* As HAProxy: the last registration wins. */
		luaL_unref(L, LUA_REGISTRYINDEX, r->ref);
		free(r->usage);
	}
	lua_pushvalue(L, fn_idx);
	r->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	r->dirs = dirs;
	r->nargs = nargs;
	r->usage = usage ? strdup(usage) : NULL;
	return 0;
}

/* --- memory ----------------------------------------------------------------- */

/* tune.lua.maxmem: an allocation over the limit fails, which Lua turns
 * into a "not enough memory" error of the call that asked for it.
 */
static void *hl_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct px_lua_inst *in = ud;
	void *p;

	if (!ptr)
		osize = 0;
	if (!nsize) {
		free(ptr);
		in->mem -= osize;
		return NULL;
	}
	if (in->maxmem && nsize > osize && in->mem + (nsize - osize) > in->maxmem)
		return NULL;
	p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	in->mem += nsize - osize;
	if (in->mem > in->mem_peak)
		in->mem_peak = in->mem;
	return p;
}

/* --- calls ------------------------------------------------------------------ */

struct px_lua_call *hl_call_of(lua_State *L)
{
	return *(struct px_lua_call **)lua_getextraspace(L);
}

static void set_call(lua_State *L, struct px_lua_call *c)
{
	*(struct px_lua_call **)lua_getextraspace(L) = c;
}

/* Raises a limit error from the count hook, at the line the call was
 * running (level 0: a hook has no frame of its own).
 */
static void hook_error(lua_State *L, const char *msg, int ms, const char *setting)
{
	luaL_where(L, 0);
	lua_pushfstring(L, "%s %d ms%s (%s)", msg, ms,
	                strcmp(setting, "tune.lua.burst-timeout") ? "" : " without yielding",
	                setting);
	lua_concat(L, 2);
	lua_error(L);
}

/* The count hook: every tune.lua.forced-yield instructions, checks the
 * time caps, then gives the event loop back when the call may yield.
 */
static void count_hook(lua_State *L, lua_Debug *ar)
{
	struct px_lua_call *c = hl_call_of(L);
	const struct px_lua_cfg *cfg;
	uint64_t now, ran;

	(void)ar;
	if (!c)
		return;
	cfg = &c->inst->cfg;
	now = hl_now_us();
	ran = now - c->burst_us;
	if (c->limit_ms && c->ran_us + ran > (uint64_t)c->limit_ms * 1000) {
		c->timed_out = 1;
		hook_error(L, "execution timeout: ran for more than", (int)c->limit_ms,
		           c->ctx == LC_ACTION ? "tune.lua.session-timeout" :
		           c->ctx == LC_SERVICE || c->ctx == LC_CLI ? "tune.lua.service-timeout" :
		           c->ctx == LC_TASK ? "tune.lua.task-timeout" : "the limit of loading");
	}
	if (c->ctx != LC_LOAD && c->ctx != LC_INIT && cfg->burst_ms &&
	    ran > (uint64_t)cfg->burst_ms * 1000) {
		c->timed_out = 1;
		hook_error(L, "execution timeout: ran for more than", (int)cfg->burst_ms,
		           "tune.lua.burst-timeout");
	}
	if (c->yieldable && lua_isyieldable(L)) {
		c->wait = LW_FORCED;
		lua_yield(L, 0);
	}
}

/* Prepares <c> to run a function of <in> registered under <n> (NULL for
 * tasks and init functions): a coroutine, reused when one is idle.
 * Returns 0, -1 when out of memory.
 */
int hl_call_start(struct px_lua_call *c, struct px_lua_inst *in, int ctx, struct lua_name *n)
{
	lua_State *L = in->L;

	c->inst = in;
	c->name = n;
	c->ctx = (uint8_t)ctx;
	c->wait = LW_NONE;
	c->done = 0;
	c->timed_out = 0;
	c->undo_taken = 0;
	c->ran_us = 0;
	c->txn_ud = NULL;
	if (in->nidle) {
		in->nidle--;
		c->T = in->idle[in->nidle];
		c->tref = in->idle_ref[in->nidle];
	} else {
		if (!lua_checkstack(L, 4))
			return -1;
		c->T = lua_newthread(L);
		if (!c->T)
			return -1;
		c->tref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	hl_inst_ref(in);
	set_call(c->T, c);
	switch (ctx) {
	case LC_ACTION:
		c->limit_ms = in->cfg.session_ms;
		break;
	case LC_SERVICE:
	case LC_CLI:
		c->limit_ms = in->cfg.service_ms;
		break;
	case LC_TASK:
		c->limit_ms = in->cfg.task_ms;
		break;
	case LC_LOAD:
	case LC_INIT:
		c->limit_ms = LUA_LOAD_MS;
		break;
	default:
		c->limit_ms = 0;   /* burst-timeout bounds fetches and converters */
		break;
	}
	return 0;
}

/* Runs or resumes the coroutine with <nargs> values on its stack (the
 * function first when it starts). Returns LUA_OK (with <*nres> results),
 * LUA_YIELD, or an error status with the message on the stack.
 */
int hl_call_run(struct px_lua_call *c, int nargs, int *nres)
{
	struct px_lua_inst *in = c->inst;
	uint64_t t0 = hl_now_us();
	int st;

	c->burst_us = t0;
	c->wait = LW_NONE;
	lua_sethook(c->T, count_hook, LUA_MASKCOUNT,
	            in->cfg.forced_yield ? (int)in->cfg.forced_yield : 10000);
	st = lua_resume(c->T, in->L, nargs, nres);
	t0 = hl_now_us() - t0;
	c->ran_us += t0;   /* Lua time only, sleeps excluded */
	if (c->name)
		c->name->time_us += t0;
	if (st == LUA_YIELD && c->name)
		c->name->yields++;
	return st;
}

/* Ends <c>: its coroutine goes back to the idle list when it finished
 * cleanly, the txn it was given stops working, the instance reference is
 * dropped.
 */
void hl_call_end(struct px_lua_call *c)
{
	struct px_lua_inst *in = c->inst;

	if (!in)
		return;
	hl_txn_invalidate(c);
	if (c->applet) {
		hl_applet_free(c->applet);
		c->applet = NULL;
	}
	hl_snap_release(&c->undo);
	hl_snap_release(&c->park);
	if (c->timer.fn && c->timer.idx >= 0 && px_lua_loop)
		px_timer_del(px_lua_loop, &c->timer);
	if (c->T) {
		set_call(c->T, NULL);
		if (lua_status(c->T) == LUA_OK && in->nidle < (int)PX_ARRAY_SIZE(in->idle)) {
			lua_settop(c->T, 0);
			in->idle[in->nidle] = c->T;
			in->idle_ref[in->nidle] = c->tref;
			in->nidle++;
		} else {
			int oom = lua_status(c->T) == LUA_ERRMEM;

			luaL_unref(in->L, LUA_REGISTRYINDEX, c->tref);
			/* What a call that ran out of memory built is garbage
			 * now: give it back before the next call needs room.
			 */
			if (oom)
				lua_gc(in->L, LUA_GCCOLLECT, 0);
		}
		c->T = NULL;
	}
	c->inst = NULL;
	hl_inst_unref(in);
}

/* Logs the error of <c> (its message on the coroutine's stack) with a
 * traceback, at most once a second per name, and counts it.
 */
void hl_call_error(struct px_lua_call *c, const char *what)
{
	lua_State *T = c->T, *L = c->inst->L;
	const char *msg = lua_tostring(T, -1);
	struct lua_name *n = c->name;
	time_t now = time(NULL);

	if (n) {
		n->errors++;
		if (c->timed_out)
			n->timeouts++;
		if (n->last_log == (int64_t)now)
			return;
		n->last_log = (int64_t)now;
	}
	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(T, -1));
	else
		lua_pushnil(L);
	/* The traceback on one line: a log line per error. */
	luaL_traceback(L, T, NULL, 0);
	luaL_gsub(L, lua_tostring(L, -1), "stack traceback:\n\t", "");
	lua_remove(L, -2);
	luaL_gsub(L, lua_tostring(L, -1), "\n\t", " < ");
	lua_remove(L, -2);
	px_warning("Lua %s '%s': %s%s (traceback: %s)", n ? hl_kind_names[n->kind] : "task",
	           n ? n->name : "-", what ? what : "", msg, lua_tostring(L, -1));
	lua_pop(L, 2);
}

/* Functions that may wait (core.msleep, core.yield...) call this first:
 * raises an error where the call cannot give the loop back.
 */
int hl_check_yield(lua_State *L, const char *fn)
{
	struct px_lua_call *c = hl_call_of(L);

	if (!c || !c->yieldable || !lua_isyieldable(L))
		return luaL_error(L, "%s cannot be used here (only in actions, services and "
		                  "tasks, outside of callbacks such as string.gsub's)", fn);
	return 0;
}

/* --- heads: undo and park -------------------------------------------------- */

/* One buffer is kept aside for the next call, so that an action editing
 * a head costs no allocation.
 */
static struct lua_snap spare;

/* Copies the view <hm> (and its arena bytes when <with_arena>) into <sn>.
 * Pointers into the arena stay valid once restored, since the arena is
 * append-only and restored in place.
 */
void hl_snap_take(struct lua_snap *sn, const struct px_hmsg *hm, int with_arena)
{
	size_t fsz = (size_t)hm->nhdr * sizeof(*hm->hdr);
	size_t asz = with_arena ? hm->arena_used : 0;
	size_t need = sizeof(*hm) + fsz + asz;
	char *p;

	if (!sn->mem && spare.mem) {
		sn->mem = spare.mem;
		sn->size = spare.size;
		spare.mem = NULL;
		spare.size = 0;
	}
	if (sn->size < need) {
		p = realloc(sn->mem, need);
		if (!p) {
			sn->nhdr = UINT32_MAX;   /* nothing taken */
			return;
		}
		sn->mem = p;
		sn->size = need;
	}
	p = sn->mem;
	memcpy(p, hm, sizeof(*hm));
	memcpy(p + sizeof(*hm), hm->hdr, fsz);
	if (asz)
		memcpy(p + sizeof(*hm) + fsz, hm->arena, asz);
	sn->nhdr = hm->nhdr;
	sn->arena_used = hm->arena_used;
	sn->with_arena = with_arena;
}

void hl_snap_restore(struct lua_snap *sn, struct px_hmsg *hm)
{
	const char *p = sn->mem;
	struct px_hfield *hdr = hm->hdr;
	char *arena = hm->arena;
	uint32_t maxhdr = hm->maxhdr, arena_size = hm->arena_size;

	if (!p || sn->nhdr == UINT32_MAX)
		return;
	memcpy(hm, p, sizeof(*hm));
	hm->hdr = hdr;
	hm->arena = arena;
	hm->maxhdr = maxhdr;
	hm->arena_size = arena_size;
	memcpy(hm->hdr, p + sizeof(*hm), (size_t)sn->nhdr * sizeof(*hm->hdr));
	if (sn->with_arena)
		memcpy(hm->arena, p + sizeof(*hm) + (size_t)sn->nhdr * sizeof(*hm->hdr),
		       sn->arena_used);
}

void hl_snap_free(struct lua_snap *sn)
{
	free(sn->mem);
	memset(sn, 0, sizeof(*sn));
}

void hl_snap_release(struct lua_snap *sn)
{
	if (sn->mem && !spare.mem && sn->size <= 16384) {
		spare.mem = sn->mem;
		spare.size = sn->size;
		memset(sn, 0, sizeof(*sn));
		return;
	}
	hl_snap_free(sn);
}

/* --- instances ---------------------------------------------------------------- */

void hl_inst_ref(struct px_lua_inst *in)
{
	in->refcnt++;
}

static void cfg_free(struct px_lua_cfg *cfg)
{
	struct px_lua_file *f, *next;
	int i;

	for (f = cfg->files; f; f = next) {
		next = f->next;
		for (i = 0; i < f->nargs; i++)
			free(f->args[i]);
		free(f->args);
		free(f->path);
		free(f->cfg_file);
		free(f);
	}
	free(cfg->path);
	free(cfg->cpath);
	memset(cfg, 0, sizeof(*cfg));
}

static void inst_free(struct px_lua_inst *in)
{
	uint32_t i;
	int k;

	hl_tasks_stop(in);
	if (in->L)
		lua_close(in->L);
	for (i = 0; i < in->nregs; i++)
		free(in->regs[i].usage);
	free(in->regs);
	for (k = 0; k < in->nsrc; k++) {
		free(in->src[k].path);
		free(in->src[k].text);
	}
	free(in->src);
	cfg_free(&in->cfg);
	free(in);
}

void hl_inst_unref(struct px_lua_inst *in)
{
	if (in && !--in->refcnt)
		inst_free(in);
}

static int cfg_copy(struct px_lua_cfg *dst, const struct px_lua_cfg *src)
{
	const struct px_lua_file *f;
	int i;

	*dst = *src;
	dst->files = NULL;
	dst->tail = &dst->files;
	/* Names the configuration uses live in its generation, not here. */
	dst->refs = NULL;
	dst->nrefs = dst->caprefs = 0;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->cpath = src->cpath ? strdup(src->cpath) : NULL;
	if ((src->path && !dst->path) || (src->cpath && !dst->cpath))
		return -1;
	for (f = src->files; f; f = f->next) {
		struct px_lua_file *n = calloc(1, sizeof(*n));

		if (!n)
			return -1;
		*dst->tail = n;
		dst->tail = &n->next;
		n->path = strdup(f->path);
		n->cfg_file = strdup(f->cfg_file ? f->cfg_file : "");
		n->cfg_line = f->cfg_line;
		n->args = calloc((size_t)f->nargs + 1, sizeof(char *));
		if (!n->path || !n->cfg_file || !n->args)
			return -1;
		for (i = 0; i < f->nargs; i++)
			if (!(n->args[i] = strdup(f->args[i])))
				return -1;
		n->nargs = f->nargs;
	}
	return 0;
}

/* Whether two settings load the same code the same way. */
int hl_cfg_same_code(const struct px_lua_cfg *a, const struct px_lua_cfg *b)
{
	const struct px_lua_file *x = a->files, *y = b->files;
	int i;

	if (a->unsafe != b->unsafe || a->maxmem != b->maxmem ||
	    strcmp(a->path ? a->path : "", b->path ? b->path : "") ||
	    strcmp(a->cpath ? a->cpath : "", b->cpath ? b->cpath : ""))
		return 0;
	for (; x && y; x = x->next, y = y->next) {
		if (strcmp(x->path, y->path) || x->nargs != y->nargs)
			return 0;
		for (i = 0; i < x->nargs; i++)
			if (strcmp(x->args[i], y->args[i]))
				return 0;
	}
	return !x && !y;
}

static int read_file(const char *path, char **text, size_t *len, char **err)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		px_strfmt(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > LUA_SRC_MAX) {
		px_strfmt(err, "'%s' is not a regular file of at most 16 MB", path);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		px_strfmt(err, "out of memory");
		return -1;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = 0;
	*text = buf;
	*len = off;
	return 0;
}

/* require's searcher of Lua files (package.path), loading text only. */
static int search_text(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *file;

	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchpath");
	lua_pushstring(L, name);
	lua_getfield(L, -3, "path");
	lua_call(L, 2, 2);
	file = lua_tostring(L, -2);
	if (!file)
		return 1;   /* the message of searchpath */
	if (luaL_loadfilex(L, file, "t") != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file,
		                  lua_tostring(L, -1));
	lua_pushstring(L, file);
	return 2;
}

/* load(chunk [, name [, mode [, env]]]) with the mode forced to "t". */
static int load_text(lua_State *L)
{
	int n = lua_gettop(L);

	lua_settop(L, n < 4 ? 4 : n);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Keeps only os.time, os.clock and os.date, and takes away the loaders of
 * C modules, unless lua-unsafe-libs was given.
 */
static void open_libs(lua_State *L, int unsafe)
{
	static const luaL_Reg safe[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_LOADLIBNAME, luaopen_package },
		{ LUA_COLIBNAME, luaopen_coroutine },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ LUA_OSLIBNAME, luaopen_os },
		{ NULL, NULL },
	};
	const luaL_Reg *l;

	if (unsafe) {
		luaL_openlibs(L);
		return;
	}
	for (l = safe; l->func; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	/* os: time, clock and date only. */
	lua_newtable(L);
	lua_getglobal(L, "os");
	lua_getfield(L, -1, "time");
	lua_setfield(L, -3, "time");
	lua_getfield(L, -1, "clock");
	lua_setfield(L, -3, "clock");
	lua_getfield(L, -1, "date");
	lua_setfield(L, -3, "date");
	lua_pop(L, 1);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "os");
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_insert(L, -2);
	lua_setfield(L, -2, "os");
	lua_pop(L, 1);
	/* package: Lua modules only (require searches package.path). */
	lua_getglobal(L, "package");
	lua_pushnil(L);
	lua_setfield(L, -2, "loadlib");
	lua_pushstring(L, "");
	lua_setfield(L, -2, "cpath");
	lua_getfield(L, -1, "searchers");
	lua_pushnil(L);
	lua_rawseti(L, -2, 4);
	lua_pushnil(L);
	lua_rawseti(L, -2, 3);
	lua_pushcfunction(L, search_text);
	lua_rawseti(L, -2, 2);
	lua_pop(L, 2);
	/* Running bytecode or reading files from scripts' code. */
	lua_pushnil(L);
	lua_setglobal(L, "dofile");
	lua_pushnil(L);
	lua_setglobal(L, "loadfile");
	/* load() of text only: a forged precompiled chunk can crash the
	 * interpreter, and so the daemon.
	 */
	lua_getglobal(L, "load");
	lua_pushcclosure(L, load_text, 1);
	lua_setglobal(L, "load");
}

static void prepend_path(lua_State *L, const char *field, const char *add)
{
	if (!add)
		return;
	lua_getglobal(L, "package");
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	lua_getfield(L, -1, field);
	lua_pushfstring(L, "%s;%s", add, lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
	lua_setfield(L, -3, field);
	lua_pop(L, 2);
}

static int msgh_traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Runs the function on top of the main stack (under <nargs> arguments)
 * with the load-time limits. Returns 0, or -1 with <err> set.
 */
static int run_protected(struct px_lua_inst *in, int nargs, const char *what, char **err)
{
	lua_State *L = in->L;
	struct px_lua_call c = { .inst = in, .ctx = LC_LOAD, .limit_ms = LUA_LOAD_MS };
	int base = lua_gettop(L) - nargs, st;

	c.burst_us = hl_now_us();
	c.timer.idx = -1;
	set_call(L, &c);
	lua_sethook(L, count_hook, LUA_MASKCOUNT, 10000);
	lua_pushcfunction(L, msgh_traceback);
	lua_insert(L, base);
	st = lua_pcall(L, nargs, 0, base);
	lua_remove(L, base);
	set_call(L, NULL);
	if (st != LUA_OK) {
		/* One line: "message (traceback: a < b < c)". */
		const char *msg = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error";
		const char *tb = strstr(msg, "\nstack traceback:\n\t");

		if (tb) {
			lua_pushlstring(L, msg, (size_t)(tb - msg));
			luaL_gsub(L, tb + 19, "\n\t", " < ");
			px_strfmt(err, "%s: %s (traceback: %s)", what, lua_tostring(L, -2),
			          lua_tostring(L, -1));
			lua_pop(L, 2);
		} else {
			px_strfmt(err, "%s: %s", what, msg);
		}
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

/* The lua-load line whose script failed in the last hl_inst_build(). */
const struct px_lua_file *hl_build_failed;

/* Builds an instance from <cfg>: a new state, every script run with its
 * arguments, then the register_init functions. With <from> and <reread>,
 * the scripts other than <reread> run from the sources <from> loaded (the
 * code currently running) and only <reread> is read again from disk.
 * Returns the instance (one reference), or NULL with <err> set.
 */
struct px_lua_inst *hl_inst_build(const struct px_lua_cfg *cfg, const struct px_lua_inst *from,
                                   const char *reread, char **err)
{
	struct px_lua_inst *in = calloc(1, sizeof(*in));
	const struct px_lua_file *f;
	int nfiles = 0;

	hl_build_failed = NULL;
	if (!in) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	in->refcnt = 1;
	px_list_init(&in->tasks);
	for (f = cfg->files; f; f = f->next)
		nfiles++;
	in->src = calloc((size_t)nfiles + 1, sizeof(*in->src));
	if (!in->src || cfg_copy(&in->cfg, cfg) < 0) {
		px_strfmt(err, "out of memory");
		goto fail;
	}
	in->maxmem = (size_t)cfg->maxmem;
	in->L = lua_newstate(hl_alloc, in);
	if (!in->L) {
		px_strfmt(err, "cannot create a Lua state (out of memory)");
		goto fail;
	}
	open_libs(in->L, cfg->unsafe);
	prepend_path(in->L, "path", cfg->path);
	if (cfg->unsafe)
		prepend_path(in->L, "cpath", cfg->cpath);
	hl_core_open(in->L, in);
	hl_txn_open(in->L, in);
	hl_applet_open(in->L, in);
	in->loading = 1;
	for (f = cfg->files; f; f = f->next) {
		struct lua_src *s = &in->src[in->nsrc];
		const struct lua_src *old = NULL;
		char what[512];
		int k;

		if (from && reread)
			for (k = 0; k < from->nsrc; k++)
				if (!strcmp(from->src[k].path, f->path) && strcmp(f->path, reread))
					old = &from->src[k];
		hl_build_failed = f;
		s->path = strdup(f->path);
		if (!s->path) {
			px_strfmt(err, "out of memory");
			goto fail;
		}
		in->nsrc++;
		if (old) {
			s->text = malloc(old->len + 1);
			if (!s->text) {
				px_strfmt(err, "out of memory");
				goto fail;
			}
			memcpy(s->text, old->text, old->len + 1);
			s->len = old->len;
		} else if (read_file(f->path, &s->text, &s->len, err) < 0) {
			goto fail;
		}
		snprintf(what, sizeof(what), "lua-load '%s'", f->path);
		/* Text only: precompiled chunks can crash the interpreter. */
		{
			char chunk[520];
			int st;

			snprintf(chunk, sizeof(chunk), "@%s", f->path);
			st = luaL_loadbufferx(in->L, s->text, s->len, chunk, "t");
			if (st != LUA_OK) {
				px_strfmt(err, "%s: %s", what, lua_tostring(in->L, -1));
				goto fail;
			}
		}
		for (k = 0; k < f->nargs; k++)
			lua_pushstring(in->L, f->args[k]);
		if (run_protected(in, f->nargs, what, err) < 0)
			goto fail;
	}
	in->loading = 0;
	hl_build_failed = NULL;
	lua_settop(in->L, 0);
	return in;
fail:
	if (in->L && lua_gettop(in->L) > 0)
		lua_settop(in->L, 0);
	inst_free(in);
	return NULL;
}

/* The generation core.proxies and core.backends show while register_init
 * functions run: the one being loaded, not yet running.
 */
struct px_gen *hl_view_gen;

/* Runs the register_init functions of a new instance, once, with <gen>
 * as the configuration they see. Returns 0, or -1 with <err> set.
 */
int hl_inst_init(struct px_lua_inst *in, struct px_gen *gen, char **err)
{
	int i, r = 0;

	if (in->inited)
		return 0;
	in->inited = 1;
	hl_view_gen = gen;
	for (i = 0; i < in->ninit && !r; i++) {
		lua_rawgeti(in->L, LUA_REGISTRYINDEX, in->init_refs[i]);
		r = run_protected(in, 0, "core.register_init function", err);
	}
	hl_view_gen = NULL;
	lua_settop(in->L, 0);
	return r;
}

/* --- tasks ------------------------------------------------------------------------ */

static void task_free(struct lua_task *t)
{
	px_list_del(&t->link);
	hl_call_end(&t->call);
	free(t);
}

static void task_run(struct lua_task *t)
{
	struct px_lua_call *c = &t->call;
	int nres = 0, st;

	st = hl_call_run(c, 0, &nres);
	if (st == LUA_YIELD) {
		uint64_t when = c->wait == LW_SLEEP ? c->wake_ms : t->loop->now_ms;

		px_timer_set(t->loop, &c->timer, when ? when : t->loop->now_ms);
		return;
	}
	if (st != LUA_OK)
		hl_call_error(c, "runtime error: ");
	task_free(t);
}

static void task_timer(struct px_timer *tm)
{
	struct lua_task *t = px_container_of(tm, struct lua_task, call.timer);

	task_run(t);
}

/* Starts the register_task functions of <in> (once). */
void hl_tasks_start(struct px_lua_inst *in, struct px_loop *loop)
{
	int i;

	if (in->started)
		return;
	in->started = 1;
	for (i = 0; i < in->ntask; i++) {
		struct lua_task *t = calloc(1, sizeof(*t));

		if (!t) {
			px_alert("Lua: out of memory starting a task");
			continue;
		}
		t->loop = loop;
		px_timer_init(&t->call.timer, task_timer);
		px_list_append(&in->tasks, &t->link);
		if (hl_call_start(&t->call, in, LC_TASK, NULL) < 0) {
			task_free(t);
			continue;
		}
		t->call.task = t;
		t->call.yieldable = 1;
		lua_rawgeti(t->call.T, LUA_REGISTRYINDEX, in->task_refs[i]);
		px_timer_set(loop, &t->call.timer, loop->now_ms);
	}
}

/* Stops the tasks of an instance being replaced. A task holds a reference
 * on its instance, so this runs before the last one is dropped.
 */
void hl_tasks_stop(struct px_lua_inst *in)
{
	while (!px_list_empty(&in->tasks)) {
		struct lua_task *t = px_container_of(in->tasks.next, struct lua_task, link);

		task_free(t);
	}
}

/* A task started at run time (core.register_task from running code). */
int hl_task_spawn(lua_State *L, struct px_lua_inst *in, int fn_idx)
{
	struct lua_task *t;

	if (!px_lua_loop || !in->started) {
		if (in->ntask >= (int)PX_ARRAY_SIZE(in->task_refs))
			return luaL_error(L, "too many tasks (at most %d)", (int)PX_ARRAY_SIZE(in->task_refs));
		lua_pushvalue(L, fn_idx);
		in->task_refs[in->ntask++] = luaL_ref(L, LUA_REGISTRYINDEX);
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return luaL_error(L, "out of memory");
	t->loop = px_lua_loop;
	px_timer_init(&t->call.timer, task_timer);
	px_list_append(&in->tasks, &t->link);
	if (hl_call_start(&t->call, in, LC_TASK, NULL) < 0) {
		task_free(t);
		return luaL_error(L, "out of memory");
	}
	t->call.task = t;
	t->call.yieldable = 1;
	lua_pushvalue(L, fn_idx);
	lua_xmove(L, t->call.T, 1);
	px_timer_set(px_lua_loop, &t->call.timer, px_lua_loop->now_ms);
	return 0;
}

/* Numbers <in> when it starts to run (1 for the first). */
void hl_inst_number(struct px_lua_inst *in)
{
	if (!in->id)
		in->id = ++inst_counter;
}
