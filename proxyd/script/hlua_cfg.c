/* The Lua glue's configuration side: the keywords of the global section
 * (lua-load, lua-prepend-path, lua-unsafe-libs, tune.lua.*), choosing the
 * instance a generation's rules call (the running one when the scripts did
 * not change), resolving "lua.NAME" while parsing, and swapping instances
 * (a new generation, "lua reload"). Instances themselves are in hlua.c.
 */
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "core/log.h"
#include "core/util.h"
#include "script/hlua.h"
#include "script/hlua-int.h"

/* --- configuration ------------------------------------------------------------------- */

/* The generation being parsed, while its lua-load lines are read and its
 * "lua." names resolved.
 */
static struct px_cfg_ctx *parse_ctx;

static struct px_lua_cfg *cfg_get(struct px_cfg_ctx *ctx)
{
	struct px_lua_cfg *lc = ctx->gen->global.lua;

	if (lc)
		return lc;
	lc = px_gen_alloc(ctx->gen, sizeof(*lc));
	if (!lc)
		return NULL;
	lc->tail = &lc->files;
	lc->forced_yield = 10000;
	lc->session_ms = 4000;
	lc->burst_ms = 1000;
	lc->service_ms = 4000;
	/* HAProxy has no limit by default; a runaway script should not take
	 * the host's memory: 128 MB unless told otherwise (0: no limit).
	 */
	lc->maxmem = 128 * 1024 * 1024;
	ctx->gen->global.lua = lc;
	parse_ctx = ctx;
	return lc;
}

static void gen_lua_release(void *arg)
{
	struct px_gen *gen = arg;

	hl_inst_unref(gen->lua);
	gen->lua = NULL;
}

/* Chooses the instance of the generation being parsed: the running one
 * when the scripts and how they load did not change (a commit, a reload
 * of unchanged scripts), else a new one. Returns NULL with <err> set.
 */
static struct px_lua_inst *settle(struct px_cfg_ctx *ctx, char **err)
{
	struct px_lua_cfg *lc = ctx->gen->global.lua;
	struct px_lua_inst *in;

	if (ctx->gen->lua)
		return ctx->gen->lua;
	if (!lc || !lc->files) {
		px_strfmt(err, "no Lua script is loaded (add 'lua-load FILE' to the global "
		          "section, before the first use of a Lua name)");
		return NULL;
	}
	if (px_lua_cur && hl_cfg_same_code(&px_lua_cur->cfg, lc)) {
		in = px_lua_cur;
		hl_inst_ref(in);
		/* Limits and timeouts apply from the new configuration on. */
		in->cfg.forced_yield = lc->forced_yield;
		in->cfg.session_ms = lc->session_ms;
		in->cfg.burst_ms = lc->burst_ms;
		in->cfg.service_ms = lc->service_ms;
		in->cfg.task_ms = lc->task_ms;
	} else {
		in = hl_inst_build(lc, NULL, NULL, err);
		if (!in)
			return NULL;
	}
	if (px_gen_on_free(ctx->gen, gen_lua_release, ctx->gen) < 0) {
		hl_inst_unref(in);
		px_strfmt(err, "out of memory");
		return NULL;
	}
	ctx->gen->lua = in;
	lc->used = 1;
	return in;
}

/* Reports a failure to load the scripts at the lua-load line at fault,
 * once: the names used later just do not resolve.
 */
static void report_load_error(struct px_cfg_ctx *ctx, char *err)
{
	const char *file = ctx->file;
	int line = ctx->line;

	if (hl_build_failed) {
		ctx->file = hl_build_failed->cfg_file;
		ctx->line = hl_build_failed->cfg_line;
	}
	px_cfg_error(ctx, "%s", err);
	ctx->file = file;
	ctx->line = line;
	free(err);
	if (ctx->gen->global.lua)
		ctx->gen->global.lua->failed = 1;
}

/* The instance names are resolved against while parsing, or NULL when
 * the configuration loads no script (errors are reported once).
 */
static struct px_lua_inst *parse_inst(void)
{
	char *err = NULL;
	struct px_lua_inst *in;

	if (!parse_ctx)
		return NULL;
	if (parse_ctx->gen->lua)
		return parse_ctx->gen->lua;
	if (!parse_ctx->gen->global.lua)
		return NULL;
	if (parse_ctx->gen->global.lua->failed || !parse_ctx->gen->global.lua->files)
		return NULL;
	in = settle(parse_ctx, &err);
	if (!in)
		report_load_error(parse_ctx, err);
	return in;
}

/* Resolves "lua.NAME" of <kind> for the configuration being parsed: the
 * name's slot when the scripts registered it.
 */
struct lua_name *hl_cfg_resolve(int kind, const char *name, size_t len, char **err)
{
	struct px_lua_inst *in = parse_inst();
	struct lua_name *n;

	if (!in) {
		if (parse_ctx && parse_ctx->gen->global.lua && parse_ctx->gen->global.lua->failed)
			px_strfmt(err, "'lua.%.*s' is unknown: the Lua scripts did not load (see "
			          "above)", (int)len, name);
		else
			px_strfmt(err, "no Lua script is loaded (add 'lua-load FILE' to the global "
			          "section, before the first use of a Lua name)");
		return NULL;
	}
	n = hl_name_get(kind, name, len, 0);
	if (!n || !hl_reg_of(in, n)) {
		px_strfmt(err, "no Lua %s named '%.*s' is registered by the loaded scripts "
		          "(core.register_%s)", hl_kind_names[kind], (int)len, name,
		          kind == LK_ACTION ? "action" : kind == LK_FETCH ? "fetches" :
		          kind == LK_CONV ? "converters" : "service");
		return NULL;
	}
	/* Remembered, so that "lua reload" can check the new code has it. */
	{
		struct px_lua_cfg *lc = parse_ctx->gen->global.lua;
		uint32_t i;

		for (i = 0; i < lc->nrefs; i++)
			if (lc->refs[i] == n)
				return n;
		if (lc->nrefs == lc->caprefs) {
			uint32_t cap = lc->caprefs ? lc->caprefs * 2 : 16;
			struct lua_name **r = px_gen_alloc(parse_ctx->gen, cap * sizeof(*r));

			if (!r) {
				px_strfmt(err, "out of memory");
				return NULL;
			}
			if (lc->nrefs)
				memcpy(r, lc->refs, lc->nrefs * sizeof(*r));
			lc->refs = r;
			lc->caprefs = cap;
		}
		lc->refs[lc->nrefs++] = n;
	}
	return n;
}

const struct px_fetch_kw *px_lua_fetch_find(const char *name, size_t len)
{
	char *err = NULL;
	struct lua_name *n;

	if (len < 5 || memcmp(name, "lua.", 4))
		return NULL;
	if (!parse_ctx) {
		/* At run time (txn.f from Lua): registered names only. */
		n = hl_name_get(LK_FETCH, name + 4, len - 4, 0);
		return n && hl_reg_of(px_lua_cur, n) ? &n->fkw : NULL;
	}
	n = hl_cfg_resolve(LK_FETCH, name + 4, len - 4, &err);
	free(err);
	return n ? &n->fkw : NULL;
}

const struct px_conv_kw *px_lua_conv_find(const char *name, size_t len)
{
	char *err = NULL;
	struct lua_name *n;

	if (len < 5 || memcmp(name, "lua.", 4))
		return NULL;
	if (!parse_ctx) {
		n = hl_name_get(LK_CONV, name + 4, len - 4, 0);
		return n && hl_reg_of(px_lua_cur, n) ? &n->ckw : NULL;
	}
	n = hl_cfg_resolve(LK_CONV, name + 4, len - 4, &err);
	free(err);
	return n ? &n->ckw : NULL;
}

/* Checks that <in> registers every name the running configuration uses,
 * with directions its rules need. Returns 0, or -1 with <err> set.
 */
int hl_inst_check_names(struct px_lua_inst *in, char **err)
{
	extern struct px_gen *px_gen_cur;
	const struct px_lua_cfg *lc = px_gen_cur ? px_gen_cur->global.lua : NULL;
	uint32_t i;

	if (!lc)
		return 0;
	for (i = 0; i < lc->nrefs; i++) {
		const struct lua_name *n = lc->refs[i];

		if (!hl_reg_of(in, n)) {
			px_strfmt(err, "the configuration uses the Lua %s '%s', which the new code "
			          "does not register", hl_kind_names[n->kind], n->name);
			return -1;
		}
	}
	return 0;
}

int px_lua_cfg_finish(struct px_cfg_ctx *ctx)
{
	int nerr = 0;

	if (ctx->nerr) {
		parse_ctx = NULL;
		return 0;
	}
	/* Scripts loaded but no name used: load them anyway (tasks, CLI
	 * commands and services from use-service need them).
	 */
	if (ctx->gen->global.lua && ctx->gen->global.lua->files && !ctx->gen->lua) {
		char *err = NULL;

		parse_ctx = ctx;
		if (!ctx->gen->global.lua->failed && !settle(ctx, &err)) {
			report_load_error(ctx, err);
			nerr++;
		}
	}
	/* Once every proxy is known: register_init functions see them. */
	if (!nerr && ctx->gen->lua) {
		char *err = NULL;

		if (hl_inst_init(ctx->gen->lua, ctx->gen, &err) < 0) {
			px_cfg_error(ctx, "%s", err);
			free(err);
			nerr++;
		}
	}
	parse_ctx = NULL;
	return nerr;
}

void px_lua_cfg_abort(void)
{
	parse_ctx = NULL;
}

void px_lua_gen_publish(struct px_gen *gen, struct px_loop *loop)
{
	struct px_lua_inst *old = px_lua_cur, *in = gen ? gen->lua : NULL;

	px_lua_loop = loop;
	if (in == old)
		return;
	if (in) {
		hl_inst_ref(in);
		hl_inst_number(in);
		hl_tasks_start(in, loop);
	}
	px_lua_cur = in;
	if (old) {
		hl_tasks_stop(old);
		hl_inst_unref(old);
	}
}

/* "lua reload [FILE]": a new instance from the running settings. */
int px_lua_reload(const char *file, char **err)
{
	extern struct px_gen *px_gen_cur;
	struct px_lua_inst *in, *old = px_lua_cur;
	int k, found = !file;

	if (!old) {
		px_strfmt(err, "no Lua script is loaded");
		return -1;
	}
	for (k = 0; k < old->nsrc && !found; k++)
		if (!strcmp(old->src[k].path, file))
			found = 1;
	if (!found) {
		px_strfmt(err, "'%s' is not a loaded script (see 'show lua')", file);
		return -1;
	}
	in = hl_inst_build(&old->cfg, file ? old : NULL, file, err);
	if (!in)
		return -1;
	if (hl_inst_init(in, px_gen_cur, err) < 0) {
		hl_inst_unref(in);
		return -1;
	}
	if (hl_inst_check_names(in, err) < 0) {
		hl_inst_unref(in);
		return -1;
	}
	/* The running generation calls the new code from now on. */
	if (px_gen_cur && px_gen_cur->lua == old) {
		hl_inst_ref(in);
		px_gen_cur->lua = in;
		hl_inst_unref(old);
	}
	hl_inst_number(in);
	hl_tasks_start(in, px_lua_loop);
	px_lua_cur = in;
	hl_tasks_stop(old);
	hl_inst_unref(old);
	return 0;
}

/* --- keywords -------------------------------------------------------------------------- */

static int kw_lua_load(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_lua_cfg *lc = cfg_get(ctx);
	struct px_lua_file *f;
	int i;

	if (nargs < 2) {
		px_strfmt(err, "expects a file name, then optional arguments for the script");
		return -1;
	}
	if (!lc) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (ctx->gen->lua) {
		px_strfmt(err, "comes after a use of a Lua name: load every script first");
		return -1;
	}
	f = px_gen_alloc(ctx->gen, sizeof(*f));
	if (!f || !(f->args = px_gen_alloc(ctx->gen, sizeof(char *) * (size_t)nargs))) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	f->path = px_gen_strdup(ctx->gen, args[1]);
	for (i = 2; i < nargs; i++)
		f->args[i - 2] = px_gen_strdup(ctx->gen, args[i]);
	f->nargs = nargs - 2;
	f->cfg_file = px_gen_strdup(ctx->gen, ctx->file ? ctx->file : "");
	f->cfg_line = ctx->line;
	*lc->tail = f;
	lc->tail = &f->next;
	if (!strcmp(args[0], "lua-load-per-thread"))
		px_cfg_warn(ctx, "proxyd runs one event loop with one Lua state: "
		            "'lua-load-per-thread' loads the script as 'lua-load' does");
	return 0;
}

static char *join_path(struct px_cfg_ctx *ctx, const char *old, const char *add)
{
	size_t ol = old ? strlen(old) : 0, al = strlen(add);
	char *p = px_gen_alloc(ctx->gen, ol + al + 2);

	if (!p)
		return NULL;
	memcpy(p, add, al);
	if (old) {
		p[al] = ';';
		memcpy(p + al + 1, old, ol + 1);
	}
	return p;
}

static int kw_prepend_path(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_lua_cfg *lc = cfg_get(ctx);
	int cpath = nargs == 3 && !strcmp(args[2], "cpath");

	if (nargs < 2 || nargs > 3 || (nargs == 3 && !cpath && strcmp(args[2], "path"))) {
		px_strfmt(err, "expects a search pattern ('/etc/proxyd/lua/?.lua') and "
		          "optionally 'path' (the default) or 'cpath'");
		return -1;
	}
	if (!lc) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (cpath) {
		lc->cpath = join_path(ctx, lc->cpath, args[1]);
		if (!lc->unsafe)
			px_cfg_warn(ctx, "C modules load only with 'lua-unsafe-libs'; the cpath "
			            "is kept for when it is given");
	} else {
		lc->path = join_path(ctx, lc->path, args[1]);
	}
	return 0;
}

static int kw_unsafe(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_lua_cfg *lc = cfg_get(ctx);

	if (nargs != 1) {
		px_strfmt(err, "takes no argument");
		return -1;
	}
	if (!lc) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	lc->unsafe = 1;
	return 0;
}

static int kw_tune_lua(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_lua_cfg *lc = cfg_get(ctx);
	const char *kw = args[0] + strlen("tune.lua.");
	uint64_t v;

	if (nargs != 2) {
		px_strfmt(err, "expects one value");
		return -1;
	}
	if (!lc) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (!strcmp(kw, "maxmem")) {
		/* In megabytes, as HAProxy. */
		if (px_parse_uint(args[1], 1024 * 1024, &v) < 0) {
			px_strfmt(err, "invalid size '%s' (megabytes, 0 for no limit)", args[1]);
			return -1;
		}
		lc->maxmem = v * 1024 * 1024;
		return 0;
	}
	if (!strcmp(kw, "forced-yield")) {
		if (px_parse_uint(args[1], 100000000, &v) < 0 || !v) {
			px_strfmt(err, "invalid count '%s' (a positive number of instructions)",
			          args[1]);
			return -1;
		}
		lc->forced_yield = (uint32_t)v;
		return 0;
	}
	if (px_parse_time(args[1], &v, err) < 0)
		return -1;
	if (v > 0x7fffffff) {
		px_strfmt(err, "'%s' is too large", args[1]);
		return -1;
	}
	if (!strcmp(kw, "session-timeout"))
		lc->session_ms = (uint32_t)v;
	else if (!strcmp(kw, "burst-timeout"))
		lc->burst_ms = (uint32_t)v;
	else if (!strcmp(kw, "service-timeout"))
		lc->service_ms = (uint32_t)v;
	else
		lc->task_ms = (uint32_t)v;
	return 0;
}

static const struct px_cfg_kw lua_kws[] = {
	{ .name = "lua-load", .sections = PX_SEC_GLOBAL, .parse = kw_lua_load },
	{ .name = "lua-load-per-thread", .sections = PX_SEC_GLOBAL, .parse = kw_lua_load },
	{ .name = "lua-prepend-path", .sections = PX_SEC_GLOBAL, .parse = kw_prepend_path },
	{ .name = "lua-unsafe-libs", .sections = PX_SEC_GLOBAL, .parse = kw_unsafe },
	{ .name = "tune.lua.maxmem", .sections = PX_SEC_GLOBAL, .parse = kw_tune_lua },
	{ .name = "tune.lua.forced-yield", .sections = PX_SEC_GLOBAL, .parse = kw_tune_lua },
	{ .name = "tune.lua.session-timeout", .sections = PX_SEC_GLOBAL, .parse = kw_tune_lua },
	{ .name = "tune.lua.burst-timeout", .sections = PX_SEC_GLOBAL, .parse = kw_tune_lua },
	{ .name = "tune.lua.service-timeout", .sections = PX_SEC_GLOBAL, .parse = kw_tune_lua },
	{ .name = "tune.lua.task-timeout", .sections = PX_SEC_GLOBAL, .parse = kw_tune_lua },
	{ 0 }
};

static struct px_cfg_kw_list lua_kw_list = { .kws = lua_kws };

__attribute__((constructor)) static void lua_register_kws(void)
{
	px_cfg_register(&lua_kw_list);
}

void px_lua_explain(int fetch, const char *name, size_t len, char **err)
{
	struct lua_name *n = hl_cfg_resolve(fetch ? LK_FETCH : LK_CONV, name, len, err);

	if (n)
		px_strfmt(err, "'lua.%.*s' cannot be used here", (int)len, name);
}
