/* The command socket's configuration: "stats socket" and "stats timeout"
 * in the global section (the sockets themselves are cli.c's).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/cli.h"
#include "cfg/cfg.h"
#include "core/net.h"
#include "core/util.h"

/* --- configuration ------------------------------------------------------- */

static struct px_cli_cfg *cli_cfg(struct px_cfg_ctx *ctx)
{
	struct px_global *g = &ctx->gen->global;

	if (!g->cli) {
		g->cli = px_gen_alloc(ctx->gen, sizeof(*g->cli));
		if (!g->cli)
			return NULL;
		memset(g->cli, 0, sizeof(*g->cli));
		g->cli->tail = &g->cli->binds;
	}
	return g->cli;
}

/* Reads a user or group name, or a number, for "user"/"group"/"uid"/"gid". */
static int owner_id(const char *kw, const char *val, int *out, char **err)
{
	uint64_t v;

	if (!strcmp(kw, "uid") || !strcmp(kw, "gid")) {
		if (px_parse_uint(val, 0x7fffffff, &v) < 0) {
			px_strfmt(err, "'%s' expects a number ('%s' found)", kw, val);
			return -1;
		}
		*out = (int)v;
		return 0;
	}
	if (!strcmp(kw, "user")) {
		struct passwd *pw = getpwnam(val);

		if (pw) {
			*out = (int)pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(val);

		if (gr) {
			*out = (int)gr->gr_gid;
			return 0;
		}
	}
	px_strfmt(err, "unknown %s '%s'", kw, val);
	return -1;
}

static int socket_line(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_cli_cfg *cfg = cli_cfg(ctx);
	struct px_cli_bind *b;
	const char *name = args[2];
	int i;

	if (!cfg)
		goto oom;
	if (nargs < 3) {
		px_strfmt(err, "'stats socket' expects a path or ipv4@ADDR:PORT");
		return -1;
	}
	b = px_gen_alloc(ctx->gen, sizeof(*b));
	if (!b)
		goto oom;
	memset(b, 0, sizeof(*b));
	b->mode = -1;
	b->uid = b->gid = -1;
	b->level = PX_CLI_OPERATOR;
	b->name = px_gen_strdup(ctx->gen, name);
	b->file = px_gen_strdup(ctx->gen, ctx->file);
	b->line = ctx->line;
	if (!b->name || !b->file)
		goto oom;
	if (!strncmp(name, "ipv4@", 5)) {
		char *perr = NULL;

		if (px_addr_parse(name + 5, &b->addr, &b->addrlen, PX_ADDR_PORT_REQUIRED, 0,
		                  &perr) < 0 || b->addr.sa.sa_family != AF_INET) {
			px_strfmt(err, "'stats socket %s': %s", name,
			          perr ? perr : "expects an IPv4 address and a port");
			free(perr);
			return -1;
		}
		/* The socket has no authentication: only this host may reach it. */
		if ((ntohl(b->addr.in4.sin_addr.s_addr) >> 24) != 127) {
			px_strfmt(err, "'stats socket %s': only loopback addresses (127.x.x.x) "
			          "are accepted; the command socket has no authentication", name);
			return -1;
		}
		b->is_inet = 1;
	} else {
		const char *path = !strncmp(name, "unix@", 5) ? name + 5 : name;
		const char *at = strchr(path, '@');

		/* Other HAProxy address families (ipv6@, abns@, fd@...) are not
		 * taken for a file name.
		 */
		if (at && !strchr(path, '/') && at < path + 16) {
			px_strfmt(err, "'stats socket %s': unsupported address family '%.*s@' "
			          "(expected a path, unix@PATH or ipv4@ADDR:PORT)", name,
			          (int)(at - path), path);
			return -1;
		}

		if (!*path || strlen(path) >= sizeof(b->addr.un.sun_path) - 16) {
			px_strfmt(err, "'stats socket %s': the path is empty or too long "
			          "(at most %zu bytes)", name, sizeof(b->addr.un.sun_path) - 17);
			return -1;
		}
		b->addr.un.sun_family = AF_UNIX;
		strcpy(b->addr.un.sun_path, path);
		b->addrlen = sizeof(b->addr.un);
	}
	for (i = 3; i < nargs; i++) {
		const char *kw = args[i];

		if (i + 1 >= nargs) {
			px_strfmt(err, "'stats socket': '%s' expects a value", kw);
			return -1;
		}
		if (!strcmp(kw, "level")) {
			int lv = px_cli_level_parse(args[i + 1]);

			if (lv < 0) {
				px_strfmt(err, "'stats socket': unknown level '%s' (expected user, "
				          "operator or admin)", args[i + 1]);
				return -1;
			}
			b->level = (uint8_t)lv;
		} else if (!strcmp(kw, "mode")) {
			char *end;
			long m = strtol(args[i + 1], &end, 8);

			if (*end || end == args[i + 1] || m < 0 || m > 0777) {
				px_strfmt(err, "'stats socket': mode expects an octal value such as "
				          "600 ('%s' found)", args[i + 1]);
				return -1;
			}
			b->mode = (int)m;
		} else if (!strcmp(kw, "uid") || !strcmp(kw, "user")) {
			if (owner_id(kw, args[i + 1], &b->uid, err) < 0)
				return -1;
		} else if (!strcmp(kw, "gid") || !strcmp(kw, "group")) {
			if (owner_id(kw, args[i + 1], &b->gid, err) < 0)
				return -1;
		} else {
			px_strfmt(err, "'stats socket': unknown option '%s' (expected level, "
			          "mode, uid, gid, user or group)", kw);
			return -1;
		}
		if (b->is_inet && strcmp(kw, "level")) {
			px_strfmt(err, "'stats socket': '%s' applies to Unix sockets only", kw);
			return -1;
		}
		i++;
	}
	for (struct px_cli_bind *o = cfg->binds; o; o = o->next) {
		if (!strcmp(o->name, b->name)) {
			px_strfmt(err, "'stats socket %s' is already declared at %s:%d",
			          name, o->file, o->line);
			return -1;
		}
	}
	*cfg->tail = b;
	cfg->tail = &b->next;
	return 0;
oom:
	px_strfmt(err, "out of memory");
	return -1;
}

static int kw_stats(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (nargs >= 2 && !strcmp(args[1], "socket"))
		return socket_line(args, nargs, ctx, err);
	if (nargs >= 2 && !strcmp(args[1], "timeout")) {
		struct px_cli_cfg *cfg = cli_cfg(ctx);
		uint64_t ms;

		if (!cfg) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		if (nargs != 3) {
			px_strfmt(err, "'stats timeout' expects one delay");
			return -1;
		}
		if (px_parse_time(args[2], &ms, err) < 0)
			return -1;
		if (!ms || ms > 0x7fffffff) {
			px_strfmt(err, "'stats timeout' must be between 1ms and 24 days");
			return -1;
		}
		cfg->timeout_ms = (uint32_t)ms;
		return 0;
	}
	px_strfmt(err, "in the global section, 'stats' expects 'socket' or 'timeout'%s%s%s",
	          nargs >= 2 ? " ('" : "", nargs >= 2 ? args[1] : "", nargs >= 2 ? "' found)" : "");
	return -1;
}

static const struct px_cfg_kw cli_kws[] = {
	{ .name = "stats", .sections = PX_SEC_GLOBAL, .parse = kw_stats },
	{ 0 }
};

static struct px_cfg_kw_list cli_kw_list = { .kws = cli_kws };

__attribute__((constructor)) static void clicfg_register(void)
{
	px_cfg_register(&cli_kw_list);
}
