/* Lua in proxyd: what the rest of the daemon calls. The Lua state, the
 * scripts and their registrations live in script/hlua*.c; rules reach Lua
 * code through the names scripts register ("lua.NAME" actions, fetches,
 * converters and services), resolved at run time against the current
 * instance, so that "lua reload" can replace the code without touching the
 * configuration generation.
 */
#ifndef PX_SCRIPT_HLUA_H
#define PX_SCRIPT_HLUA_H

#include <stddef.h>
#include <stdint.h>
#include "rules/rules-t.h"
#include "rules/sample-t.h"

struct px_stream;
struct px_hmsg;
struct px_cfg_ctx;
struct px_gen;
struct px_loop;
struct px_rules_run;

/* "http-request lua.NAME [ARGS...]" and "use-service lua.NAME": parse into
 * <r> (args[0] is the action word). Returns 0, or -1 with <err> set.
 */
int px_lua_action_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                        struct px_cfg_ctx *ctx, char **err);
int px_lua_service_parse(struct px_rule *r, char **args, int nargs, unsigned use,
                         struct px_cfg_ctx *ctx, char **err);

enum px_act_ret px_lua_action_run(const struct px_rule *r, struct px_rules_run *run);
enum px_act_ret px_lua_service_run(const struct px_rule *r, struct px_rules_run *run);

/* "lua.NAME" fetches and converters (px_fetch_find / px_conv_find). */
const struct px_fetch_kw *px_lua_fetch_find(const char *name, size_t len);
const struct px_conv_kw *px_lua_conv_find(const char *name, size_t len);
/* Their functions: the keyword itself is in args[PX_SMP_MAX_ARGS - 1]. */
int px_lua_fetch_fn(const struct px_arg *args, struct px_smp *smp, struct px_smp_ctx *ctx);
int px_lua_conv_fn(const struct px_arg *args, struct px_smp *smp, struct px_smp_ctx *ctx);

/* A stream waiting on Lua (PX_STF_LUA_WAIT) parks the head being edited
 * while other streams use the shared view; unpark puts it back. Returns 0,
 * -1 when out of memory.
 */
int px_lua_park(struct px_stream *s, const struct px_hmsg *hm);
void px_lua_unpark(struct px_stream *s, struct px_hmsg *hm);

/* Whether the Lua call <s> waits on may go on now (its sleep ended). */
int px_lua_ready(const struct px_stream *s);

/* A service waits for request body bytes (applet:receive()): the stream
 * reads meanwhile, and tells when some came or the client is done.
 */
int px_lua_wants_body(const struct px_stream *s);
void px_lua_body_came(struct px_stream *s);

/* Drops what a stream holds of Lua (a call in progress). */
void px_lua_stream_release(struct px_stream *s);

/* Configuration: settles the Lua instance of the generation being parsed
 * (loads the scripts, or keeps the running instance when the lua-load
 * lines did not change) and runs register_init functions. Returns the
 * number of errors reported.
 */
int px_lua_cfg_finish(struct px_cfg_ctx *ctx);
void px_lua_cfg_abort(void);

/* Why "lua.NAME" is not a fetch (<fetch> set) or converter: for errors. */
void px_lua_explain(int fetch, const char *name, size_t len, char **err);

/* The Lua release proxyd was built with ("Lua 5.4.4"). */
const char *px_lua_version(void);

/* A generation becomes current: its Lua instance too (tasks start). */
void px_lua_gen_publish(struct px_gen *gen, struct px_loop *loop);
/* A generation is freed: its reference on its instance is dropped. */
void px_lua_gen_release(struct px_gen *gen);

#endif
