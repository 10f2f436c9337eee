/* The "global" section: its keywords (daemon, pidfile, user, group,
 * maxconn, log, tune.*) and their checks. Applying them to the process
 * (daemonizing, dropping privileges, resource limits) is main.c's job.
 */
#include <grp.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "cfg/cfg.h"
#include "cfg/global.h"
#include "core/log.h"
#include "core/util.h"

void px_global_init(struct px_global *g)
{
	memset(g, 0, sizeof(*g));
	g->uid = -1;
	g->gid = -1;
	g->bufsize = 16384;
	g->maxrewrite = 1024;
	g->maxhdr = 101;
	g->logurilen = 1024;
}

void px_global_section(char **args, int nargs, struct px_cfg_ctx *ctx)
{
	if (nargs > 1)
		px_cfg_error(ctx, "'global' section takes no argument ('%s' found)", args[1]);
}

static int no_arg(char **args, int nargs, char **err)
{
	if (nargs > 1) {
		px_strfmt(err, "takes no argument");
		return -1;
	}
	return 0;
}

static int one_arg(char **args, int nargs, char **err)
{
	if (nargs != 2) {
		px_strfmt(err, "expects exactly one argument");
		return -1;
	}
	return 0;
}

static int kw_daemon(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (no_arg(args, nargs, err) < 0)
		return -1;
	ctx->gen->global.daemon = !ctx->negate;
	return 0;
}

static int kw_pidfile(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (one_arg(args, nargs, err) < 0)
		return -1;
	ctx->gen->global.pidfile = px_gen_strdup(ctx->gen, args[1]);
	return 0;
}

static int kw_user(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_global *g = &ctx->gen->global;
	uint64_t id;

	if (one_arg(args, nargs, err) < 0)
		return -1;
	if (!strcmp(args[0], "uid") || !strcmp(args[0], "gid")) {
		if (px_parse_uint(args[1], 0x7fffffff, &id) < 0) {
			px_strfmt(err, "invalid id '%s'", args[1]);
			return -1;
		}
		if (args[0][0] == 'u')
			g->uid = (int)id;
		else
			g->gid = (int)id;
		return 0;
	}
	if (!strcmp(args[0], "user")) {
		struct passwd *pw = getpwnam(args[1]);

		if (!pw) {
			px_strfmt(err, "unknown user '%s'", args[1]);
			return -1;
		}
		g->uid = (int)pw->pw_uid;
		g->user = px_gen_strdup(ctx->gen, args[1]);
	} else {
		struct group *gr = getgrnam(args[1]);

		if (!gr) {
			px_strfmt(err, "unknown group '%s'", args[1]);
			return -1;
		}
		g->gid = (int)gr->gr_gid;
		g->group = px_gen_strdup(ctx->gen, args[1]);
	}
	return 0;
}

static int kw_maxconn(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	uint64_t v;

	if (one_arg(args, nargs, err) < 0)
		return -1;
	if (px_parse_uint(args[1], 10000000, &v) < 0 || !v) {
		px_strfmt(err, "invalid value '%s' (a positive number is expected)", args[1]);
		return -1;
	}
	ctx->gen->global.maxconn = (uint32_t)v;
	return 0;
}

/* nbthread N: proxyd runs one event loop, whatever N says. Accepted so
 * that HAProxy configurations load; more than one thread is a warning.
 */
static int kw_nbthread(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	uint64_t v;

	if (one_arg(args, nargs, err) < 0)
		return -1;
	if (px_parse_uint(args[1], 4096, &v) < 0 || !v) {
		px_strfmt(err, "invalid value '%s' (a positive number is expected)", args[1]);
		return -1;
	}
	if (v > 1)
		px_cfg_warn(ctx, "nbthread %s: proxyd runs a single event loop; the "
		            "setting is ignored", args[1]);
	return 0;
}

/* Appends <lg> to a logger array, allocating in the generation. */
int px_loggers_add(struct px_gen *gen, struct px_logger ***arr, int *n,
                   struct px_logger *lg)
{
	struct px_logger **na = px_gen_alloc(gen, sizeof(*na) * (*n + 1));

	if (!na)
		return -1;
	if (*n)
		memcpy(na, *arr, sizeof(*na) * *n);
	na[(*n)++] = lg;
	*arr = na;
	return 0;
}

static void free_logger(void *arg)
{
	px_logger_free(arg);
}

/* Parses a "log" line into a logger owned by the generation. */
struct px_logger *px_cfg_parse_logger(char **args, int nargs, struct px_cfg_ctx *ctx,
                                      char **err)
{
	struct px_logger *lg = px_logger_parse(args + 1, nargs - 1, ctx->check_only, err);

	if (!lg)
		return NULL;
	if (px_gen_on_free(ctx->gen, free_logger, lg) < 0) {
		px_logger_free(lg);
		px_strfmt(err, "out of memory");
		return NULL;
	}
	return lg;
}

static int kw_log(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_global *g = &ctx->gen->global;
	struct px_logger *lg;

	if (ctx->negate) {
		g->nloggers = 0;
		return no_arg(args, nargs, err);
	}
	lg = px_cfg_parse_logger(args, nargs, ctx, err);
	if (!lg)
		return -1;
	return px_loggers_add(ctx->gen, &g->loggers, &g->nloggers, lg);
}

static int kw_log_tag(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (one_arg(args, nargs, err) < 0)
		return -1;
	ctx->gen->global.log_tag = px_gen_strdup(ctx->gen, args[1]);
	return 0;
}

static int kw_log_host(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	char host[128];

	if (nargs > 2) {
		px_strfmt(err, "expects at most one argument");
		return -1;
	}
	if (nargs == 2) {
		snprintf(host, sizeof(host), "%s", args[1]);
	} else if (gethostname(host, sizeof(host)) < 0) {
		px_strfmt(err, "cannot read the host name");
		return -1;
	}
	ctx->gen->global.log_host = px_gen_strdup(ctx->gen, host);
	return 0;
}

static int kw_tune(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_global *g = &ctx->gen->global;
	uint64_t v;

	if (one_arg(args, nargs, err) < 0)
		return -1;
	if (px_parse_size(args[1], &v) < 0 || v > 0x7fffffff) {
		px_strfmt(err, "invalid value '%s'", args[1]);
		return -1;
	}
	if (!strcmp(args[0], "tune.bufsize")) {
		if (v < 1024 || v > 1024 * 1024) {
			px_strfmt(err, "must be between 1024 and 1048576");
			return -1;
		}
		g->bufsize = (uint32_t)v;
	} else if (!strcmp(args[0], "tune.maxrewrite")) {
		g->maxrewrite = (uint32_t)v;
	} else if (!strcmp(args[0], "tune.http.maxhdr")) {
		if (v < 2 || v > 32767) {
			px_strfmt(err, "must be between 2 and 32767");
			return -1;
		}
		g->maxhdr = (uint32_t)v;
	} else if (!strcmp(args[0], "tune.http.logurilen")) {
		if (v < 16 || v > 65535) {
			px_strfmt(err, "must be between 16 and 65535");
			return -1;
		}
		g->logurilen = (uint32_t)v;
	}
	return 0;
}

/* Checks the global settings as a whole. */
void px_global_finalize(struct px_cfg_ctx *ctx)
{
	struct px_global *g = &ctx->gen->global;

	if (g->maxrewrite >= g->bufsize / 2)
		px_cfg_error(ctx, "tune.maxrewrite (%u) must be less than half of "
		             "tune.bufsize (%u)", g->maxrewrite, g->bufsize);
	if (!g->maxconn) {
		struct rlimit rl;

		/* As HAProxy: derived from the file descriptor limit, each
		 * connection needing a client and a server descriptor.
		 */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max > 256)
			g->maxconn = (uint32_t)((rl.rlim_max - 256) / 2);
		else
			g->maxconn = 4096;
		if (g->maxconn > 100000)
			g->maxconn = 100000;
	}
}

static const struct px_cfg_kw global_kws[] = {
	{ .name = "daemon", .sections = PX_SEC_GLOBAL, .flags = PX_KWF_NEGATABLE,
	  .parse = kw_daemon },
	{ .name = "pidfile", .sections = PX_SEC_GLOBAL, .parse = kw_pidfile },
	{ .name = "user", .sections = PX_SEC_GLOBAL, .parse = kw_user },
	{ .name = "group", .sections = PX_SEC_GLOBAL, .parse = kw_user },
	{ .name = "uid", .sections = PX_SEC_GLOBAL, .parse = kw_user },
	{ .name = "gid", .sections = PX_SEC_GLOBAL, .parse = kw_user },
	{ .name = "maxconn", .sections = PX_SEC_GLOBAL, .parse = kw_maxconn },
	{ .name = "nbthread", .sections = PX_SEC_GLOBAL, .parse = kw_nbthread },
	{ .name = "log", .sections = PX_SEC_GLOBAL, .flags = PX_KWF_NEGATABLE,
	  .parse = kw_log },
	{ .name = "log-tag", .sections = PX_SEC_GLOBAL, .parse = kw_log_tag },
	{ .name = "log-send-hostname", .sections = PX_SEC_GLOBAL, .parse = kw_log_host },
	{ .name = "tune.bufsize", .sections = PX_SEC_GLOBAL, .parse = kw_tune },
	{ .name = "tune.maxrewrite", .sections = PX_SEC_GLOBAL, .parse = kw_tune },
	{ .name = "tune.http.maxhdr", .sections = PX_SEC_GLOBAL, .parse = kw_tune },
	{ .name = "tune.http.logurilen", .sections = PX_SEC_GLOBAL, .parse = kw_tune },
	{ 0 }
};

static struct px_cfg_kw_list global_kw_list = { .kws = global_kws };

__attribute__((constructor)) static void global_register(void)
{
	px_cfg_register(&global_kw_list);
}
