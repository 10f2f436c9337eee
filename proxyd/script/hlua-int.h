/* Internals of the Lua glue, shared by script/hlua*.c only.
 *
 * An instance is one Lua state with the scripts loaded into it and what
 * they registered. The configuration generation holds a reference on the
 * instance its rules call; "lua reload" builds a new instance and swaps it
 * in. Names ("lua.NAME") are interned for the life of the process in
 * slots that carry the counters of "show lua", so that counters survive
 * reloads; each instance maps a slot to its Lua function.
 */
#ifndef PX_SCRIPT_HLUA_INT_H
#define PX_SCRIPT_HLUA_INT_H

#include <lua.h>
#include <lauxlib.h>
#include <stdint.h>
#include "core/ev-t.h"
#include "core/list.h"
#include "rules/rules-t.h"
#include "rules/sample-t.h"
#include "script/hlua-t.h"

struct px_stream;
struct px_hmsg;
struct px_rules_run;
struct px_rule;
struct px_cli_conn;
struct px_gen;

/* What a name designates. */
enum lua_kind {
	LK_ACTION = 0,        /* core.register_action */
	LK_FETCH,             /* core.register_fetches */
	LK_CONV,              /* core.register_converters */
	LK_SERVICE,           /* core.register_service */
	LK_CLI,               /* core.register_cli (words joined by spaces) */
	LK_NB,
};

/* Action directions (core.register_action's second argument). */
#define LUA_ACT_HTTP_REQ  0x01
#define LUA_ACT_HTTP_RES  0x02
#define LUA_ACT_TCP_REQ   0x04
#define LUA_ACT_TCP_RES   0x08

/* HAProxy's act.* values. */
enum lua_act {
	LUA_ACT_CONTINUE = 0,
	LUA_ACT_STOP,
	LUA_ACT_YIELD,
	LUA_ACT_ERROR,
	LUA_ACT_DONE,
	LUA_ACT_DENY,
	LUA_ACT_ABORT,
	LUA_ACT_INVALID,
};

/* A registered name, for the life of the process. */
struct lua_name {
	struct lua_name *next;
	uint32_t id;               /* index in an instance's regs[] */
	uint8_t kind;              /* enum lua_kind */
	char *name;                /* NAME (CLI: the words) */
	struct px_fetch_kw fkw;    /* the keyword "lua.NAME" for fetches */
	struct px_conv_kw ckw;     /* and converters */
	char *kwname;              /* "lua.NAME" */
	/* Counters of "show lua" (kept across reloads). */
	uint64_t calls;
	uint64_t errors;
	uint64_t yields;
	uint64_t timeouts;
	uint64_t time_us;
	int64_t last_log;          /* second of the last error logged */
};

/* What an instance registered for a name. */
struct lua_reg {
	int ref;                   /* the function in the registry, LUA_NOREF: none */
	uint8_t dirs;              /* actions: LUA_ACT_* directions */
	int nargs;                 /* actions: arguments expected */
	char *usage;               /* CLI commands: usage text */
};

/* The source of one script as loaded, kept so that "lua reload FILE"
 * re-reads only that file.
 */
struct lua_src {
	char *path;
	char *text;
	size_t len;
};

struct lua_task;

struct px_lua_inst {
	lua_State *L;
	uint32_t refcnt;
	uint32_t id;               /* 1 for the first instance */
	struct px_lua_cfg cfg;     /* a copy of the settings it was built with */
	struct lua_src *src;       /* one per cfg.files entry */
	int nsrc;
	struct lua_reg *regs;
	uint32_t nregs;
	size_t mem;                /* bytes the state uses */
	size_t mem_peak;
	size_t maxmem;             /* tune.lua.maxmem, 0: none */
	int init_refs[64];         /* core.register_init functions */
	int ninit;
	int task_refs[64];         /* core.register_task functions (before start) */
	int ntask;
	struct px_list tasks;      /* struct lua_task running */
	int loading;               /* scripts being loaded: register_* allowed */
	int started;               /* its tasks were started */
	int inited;                /* its register_init functions ran */
	int txn_mt, http_mt, fetch_mt, conv_mt, applet_mt, reply_mt, cli_mt;
	int fetch_cache;           /* registry ref: name -> closure (txn.f...) */
	int expr_cache;            /* registry ref: text -> px_expr lightuserdata */
	struct px_gen *expr_gen;   /* the generation expr_cache holds expressions of */
	lua_State *idle[32];       /* finished coroutines kept for reuse */
	int idle_ref[32];
	int nidle;
};

/* What a call runs for. */
enum lua_ctx {
	LC_ACTION = 0,
	LC_SERVICE,
	LC_FETCH,
	LC_CONV,
	LC_INIT,
	LC_TASK,
	LC_CLI,
	LC_LOAD,
};

/* Why a call yielded. */
enum lua_wait {
	LW_NONE = 0,
	LW_FORCED,                 /* the instruction budget ran out */
	LW_YIELD,                  /* core.yield() */
	LW_SLEEP,                  /* core.msleep() / core.sleep() */
	LW_AGAIN,                  /* an action returned act.YIELD */
	LW_BODY,                   /* applet:receive() waits for body bytes */
};

/* A head as a call found it, to undo its edits on error or to park it. */
struct lua_snap {
	void *mem;                 /* struct px_hmsg, fields, then arena bytes */
	size_t size;
	uint32_t nhdr;
	uint32_t arena_used;
	int with_arena;
};

/* One Lua call in progress (a coroutine). */
struct px_lua_call {
	struct px_lua_inst *inst;  /* holds a reference */
	struct lua_name *name;
	lua_State *T;
	int tref;                  /* anchors T in the registry */
	uint8_t ctx;               /* enum lua_ctx */
	uint8_t yieldable;
	uint8_t wait;              /* enum lua_wait */
	uint8_t done;              /* txn:done() was called */
	uint8_t timed_out;
	uint8_t undo_taken;        /* <undo> holds the head before the first edit */
	uint64_t ran_us;           /* Lua time so far, sleeps excluded (session-timeout) */
	uint64_t burst_us;         /* it was last resumed (burst-timeout) */
	uint64_t wake_ms;          /* LW_SLEEP: when to go on */
	uint32_t limit_ms;         /* total time allowed, 0: none */
	struct px_timer timer;
	/* HTTP transaction (actions, services, fetches). */
	struct px_stream *s;
	struct px_rules_run *run;
	const struct px_rule *rule;
	struct px_smp_ctx *sctx;
	void *txn_ud;              /* the txn userdata, invalidated at the end */
	struct lua_snap undo;      /* the head before the call's first edit */
	struct lua_snap park;      /* the head while the stream waits */
	/* Services and CLI commands: what they answer. */
	struct lua_applet *applet;
	struct px_cli_conn *cli;
	/* Tasks. */
	struct lua_task *task;
};

struct lua_task {
	struct px_list link;       /* in inst->tasks */
	struct px_lua_call call;
	struct px_loop *loop;
};

extern struct px_lua_inst *px_lua_cur;
extern const char *const hl_kind_names[LK_NB];
extern struct px_loop *px_lua_loop;

/* hlua.c */
int hl_register(lua_State *L, struct px_lua_inst *in, int kind, const char *name, int fn_idx,
                 uint8_t dirs, int nargs, const char *usage);
int hl_task_spawn(lua_State *L, struct px_lua_inst *in, int fn_idx);
struct lua_name *hl_names_first(void);
struct lua_name *hl_cfg_resolve(int kind, const char *name, size_t len, char **err);
int px_lua_reload(const char *file, char **err);
struct lua_name *hl_name_get(int kind, const char *name, size_t len, int create);
const struct lua_reg *hl_reg_of(const struct px_lua_inst *in, const struct lua_name *n);
uint64_t hl_now_us(void);
struct px_lua_call *hl_call_of(lua_State *L);
int hl_call_start(struct px_lua_call *c, struct px_lua_inst *in, int ctx,
                   struct lua_name *n);
int hl_call_run(struct px_lua_call *c, int nargs, int *nres);
void hl_call_end(struct px_lua_call *c);
void hl_call_error(struct px_lua_call *c, const char *what);
void hl_inst_ref(struct px_lua_inst *in);
void hl_inst_unref(struct px_lua_inst *in);
int hl_check_yield(lua_State *L, const char *fn);
void hl_tasks_start(struct px_lua_inst *in, struct px_loop *loop);
void hl_tasks_stop(struct px_lua_inst *in);
extern const struct px_lua_file *hl_build_failed;
int hl_cfg_same_code(const struct px_lua_cfg *a, const struct px_lua_cfg *b);
void hl_inst_number(struct px_lua_inst *in);
extern struct px_gen *hl_view_gen;
int hl_inst_init(struct px_lua_inst *in, struct px_gen *gen, char **err);
struct px_lua_inst *hl_inst_build(const struct px_lua_cfg *cfg, const struct px_lua_inst *from,
                                   const char *reread, char **err);
int hl_inst_check_names(struct px_lua_inst *in, char **err);
void hl_snap_take(struct lua_snap *sn, const struct px_hmsg *hm, int with_arena);
void hl_snap_restore(struct lua_snap *sn, struct px_hmsg *hm);
void hl_snap_free(struct lua_snap *sn);
void hl_snap_release(struct lua_snap *sn);

/* hlua_core.c: the "core" and "act" tables. */
void hl_core_open(lua_State *L, struct px_lua_inst *in);
int hl_push_smp(lua_State *L, const struct px_smp *smp);
int hl_to_smp(lua_State *L, int idx, struct px_smp *smp);

/* hlua_txn.c: txn, txn.http, txn.f/sf/c/sc, replies. */
void hl_txn_open(lua_State *L, struct px_lua_inst *in);
void hl_new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction index);
void hl_push_headers(lua_State *L, const struct px_hmsg *hm);
void hl_txn_push(lua_State *L, struct px_lua_call *c);
void hl_txn_invalidate(struct px_lua_call *c);
void hl_push_fetches(lua_State *L, struct px_lua_call *c, int strings);
void hl_push_convs(lua_State *L, struct px_lua_call *c, int strings);
int hl_reply_send(lua_State *L, struct px_lua_call *c, int idx);

/* hlua_applet.c: services and CLI commands. */
void hl_applet_open(lua_State *L, struct px_lua_inst *in);
struct lua_applet;
void hl_applet_free(struct lua_applet *a);
int hl_applet_http_push(lua_State *L, struct px_lua_call *c);
enum px_act_ret hl_applet_http_finish(struct px_lua_call *c, struct px_stream *s,
                                       struct px_rules_run *run);
void hl_priv_drop(lua_State *L, const void *s);
int hl_log_at(lua_State *L, int level, const char *msg);

#endif
