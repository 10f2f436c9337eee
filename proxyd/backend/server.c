/* Servers: the "server" and "default-server" keywords of backend, listen
 * and defaults sections and the static settings they carry, health check
 * settings included. Connections to servers are srvconn.c's job, choosing
 * one is lb.c's, running the checks is check.c's.
 */
#include <stdlib.h>
#include <string.h>
#include "backend/check.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "backend/srvconn.h"
#include "cfg/cfg.h"
#include "ssl/ssl.h"
#include "cfg/proxy.h"
#include "core/net.h"
#include "core/util.h"

static int valid_id(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' ||
		      *s == ':'))
			return 0;
	return 1;
}

/* Stops the checks and closes the idle connections of a server whose
 * generation ends.
 */
static void server_cleanup(void *arg)
{
	struct px_server *srv = arg;

	px_check_stop(srv);
	while (!px_list_empty(&srv->idle))
		px_srvconn_close(px_container_of(srv->idle.next, struct px_srvconn, link), 0);
}

/* Settings of a server line without options, as HAProxy's. */
static void server_builtin_defaults(struct px_server *srv)
{
	srv->weight = 1;
	srv->check.inter = 2000;
	srv->check.rise = 2;
	srv->check.fall = 3;
}

/* --- server options ---------------------------------------------------------- */

/* Parses the argument of option <name> into <srv>. Returns 0, or -1 with
 * a message in <err>.
 */
typedef int (*srv_opt_fn)(struct px_server *srv, const char *name, const char *arg,
                          struct px_cfg_ctx *ctx, char **err);

static int opt_flag(struct px_server *srv, const char *name, const char *arg,
                    struct px_cfg_ctx *ctx, char **err)
{
	if (!strcmp(name, "disabled"))
		srv->disabled = 1;
	else if (!strcmp(name, "enabled"))
		srv->disabled = 0;
	else if (!strcmp(name, "backup"))
		srv->backup = 1;
	else if (!strcmp(name, "no-backup"))
		srv->backup = 0;
	else if (!strcmp(name, "check"))
		srv->check.enabled = 1;
	else if (!strcmp(name, "no-check"))
		srv->check.enabled = 0;
	return 0;
}

static int opt_count(struct px_server *srv, const char *name, const char *arg,
                     struct px_cfg_ctx *ctx, char **err)
{
	int is_weight = !strcmp(name, "weight"), is_maxconn = !strcmp(name, "maxconn");
	uint64_t max = is_weight ? 256 : is_maxconn ? 10000000 : 1000000;
	uint64_t v;

	if (px_parse_uint(arg, max, &v) < 0 || (!is_weight && !is_maxconn && !v)) {
		px_strfmt(err, "'%s' expects a number from %d to %llu", name,
		          !is_weight && !is_maxconn, (unsigned long long)max);
		return -1;
	}
	if (is_weight)
		srv->weight = (uint32_t)v;
	else if (is_maxconn)
		srv->maxconn = (uint32_t)v;
	else if (!strcmp(name, "rise"))
		srv->check.rise = (uint32_t)v;
	else
		srv->check.fall = (uint32_t)v;
	return 0;
}

static int opt_interval(struct px_server *srv, const char *name, const char *arg,
                        struct px_cfg_ctx *ctx, char **err)
{
	uint64_t ms;
	char *perr = NULL;

	if (px_parse_time(arg, &ms, &perr) < 0) {
		px_strfmt(err, "'%s': %s", name, perr);
		free(perr);
		return -1;
	}
	/* As HAProxy, a check interval is at least a millisecond and fits
	 * the 24-day range of its timers.
	 */
	if (!ms || ms > 0x7fffffff) {
		px_strfmt(err, "'%s' expects a delay from 1ms to 24d ('%s' given)", name, arg);
		return -1;
	}
	if (!strcmp(name, "inter"))
		srv->check.inter = (uint32_t)ms;
	else if (!strcmp(name, "fastinter"))
		srv->check.fastinter = (uint32_t)ms;
	else
		srv->check.downinter = (uint32_t)ms;
	return 0;
}

static int opt_port(struct px_server *srv, const char *name, const char *arg,
                    struct px_cfg_ctx *ctx, char **err)
{
	uint64_t v;

	if (px_parse_uint(arg, 65535, &v) < 0 || !v) {
		px_strfmt(err, "'port' expects a port number from 1 to 65535");
		return -1;
	}
	srv->check.port = (int)v;
	return 0;
}

static int opt_addr(struct px_server *srv, const char *name, const char *arg,
                    struct px_cfg_ctx *ctx, char **err)
{
	union px_sockaddr sa;
	socklen_t len;

	if (px_addr_parse(arg, &sa, &len, PX_ADDR_PORT_OPTIONAL, 0, err) < 0)
		return -1;
	if (sa.sa.sa_family == AF_UNIX) {
		px_strfmt(err, "'addr' expects an IPv4 or IPv6 address");
		return -1;
	}
	srv->check.addr_str = px_gen_strdup(ctx->gen, arg);
	if (!srv->check.addr_str) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	return 0;
}

/* cookie VALUE: what the backend's persistence cookie says for it. */
static int opt_cookie(struct px_server *srv, const char *name, const char *arg,
                      struct px_cfg_ctx *ctx, char **err)
{
	const char *p;

	if (!*arg) {
		px_strfmt(err, "'cookie' expects a value");
		return -1;
	}
	for (p = arg; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\";,\\|~", *p)) {
			px_strfmt(err, "'cookie' value '%s' holds '%c' (cookie values are visible "
			          "ASCII without quotes, ';', ',', '\\', '|' or '~')", arg, *p);
			return -1;
		}
	srv->cookie = px_gen_strdup(ctx->gen, arg);
	srv->cookie_len = (uint32_t)strlen(arg);
	return srv->cookie ? 0 : -1;
}

static const struct {
	const char *name;
	int has_arg;
	srv_opt_fn parse;
} srv_opts[] = {
	{ "cookie", 1, opt_cookie },
	{ "maxconn", 1, opt_count },
	{ "weight", 1, opt_count },
	{ "disabled", 0, opt_flag },
	{ "enabled", 0, opt_flag },
	{ "backup", 0, opt_flag },
	{ "no-backup", 0, opt_flag },
	{ "check", 0, opt_flag },
	{ "no-check", 0, opt_flag },
	{ "inter", 1, opt_interval },
	{ "fastinter", 1, opt_interval },
	{ "downinter", 1, opt_interval },
	{ "rise", 1, opt_count },
	{ "fall", 1, opt_count },
	{ "port", 1, opt_port },
	{ "addr", 1, opt_addr },
};

/* Applies the options args[first..nargs-1] to <srv>. Returns 0, or -1
 * with a message in <err>.
 */
static int parse_options(struct px_server *srv, char **args, int first, int nargs,
                         struct px_cfg_ctx *ctx, char **err)
{
	const char *names[PX_ARRAY_SIZE(srv_opts) + 64];
	const char *near;
	size_t i, n;
	int a;

	for (i = 0; i < PX_ARRAY_SIZE(srv_opts); i++)
		names[i] = srv_opts[i].name;
	for (n = i; n < PX_ARRAY_SIZE(names) && px_ssl_srv_kw_names[n - i]; n++)
		names[n] = px_ssl_srv_kw_names[n - i];
	for (a = first; a < nargs; a++) {
		for (i = 0; i < PX_ARRAY_SIZE(srv_opts); i++)
			if (!strcmp(args[a], srv_opts[i].name))
				break;
		if (i == PX_ARRAY_SIZE(srv_opts)) {
			int r = px_ssl_srv_opt(&srv->ssl, srv, args, &a, nargs, ctx, err);

			if (r < 0)
				return -1;
			if (r > 0)
				continue;
			break;
		}
		if (srv_opts[i].has_arg && a + 1 >= nargs) {
			px_strfmt(err, "'%s' expects a value", args[a]);
			return -1;
		}
		if (srv_opts[i].parse(srv, args[a], srv_opts[i].has_arg ? args[a + 1] : NULL,
		                      ctx, err) < 0)
			return -1;
		a += srv_opts[i].has_arg;
	}
	if (a == nargs)
		return 0;
	near = px_closest(args[a], names, (int)n);
	px_strfmt(err, "unknown server option '%s'%s%s%s", args[a],
	          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	return -1;
}

/* --- keywords ------------------------------------------------------------------ */

/* server NAME ADDR:PORT [OPTIONS...] */
static int kw_server(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *be = ctx->px;
	struct px_server *srv, **arr;
	uint32_t i;

	if (be->cap & PX_CAP_DEF) {
		px_strfmt(err, "servers belong in backend or listen sections, not in "
		          "defaults");
		return -1;
	}
	if (nargs < 3) {
		px_strfmt(err, "expects a name and an address (server NAME ADDR:PORT ...)");
		return -1;
	}
	if (!valid_id(args[1])) {
		px_strfmt(err, "invalid server name '%s'", args[1]);
		return -1;
	}
	for (i = 0; i < be->nsrv; i++)
		if (!strcmp(be->srv[i]->id, args[1])) {
			px_strfmt(err, "server '%s' already declared in %s '%s' at %s:%d",
			          args[1], be->kind, be->id, be->srv[i]->file, be->srv[i]->line);
			return -1;
		}
	srv = px_gen_alloc(ctx->gen, sizeof(*srv));
	arr = px_gen_alloc(ctx->gen, sizeof(*arr) * (be->nsrv + 1));
	if (!srv || !arr) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (be->defsrv)
		*srv = *be->defsrv;
	else
		server_builtin_defaults(srv);
	srv->id = px_gen_strdup(ctx->gen, args[1]);
	srv->be = be;
	srv->file = px_gen_strdup(ctx->gen, ctx->file);
	srv->line = ctx->line;
	srv->addr_str = px_gen_strdup(ctx->gen, args[2]);
	px_list_init(&srv->queue);
	px_list_init(&srv->idle);
	px_check_init(srv);
	if (px_gen_on_free(ctx->gen, server_cleanup, srv) < 0) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (px_addr_parse(args[2], &srv->addr, &srv->addrlen, PX_ADDR_PORT_REQUIRED,
	                  0, err) < 0)
		return -1;
	if (parse_options(srv, args, 3, nargs, ctx, err) < 0)
		return -1;
	if (be->nsrv)
		memcpy(arr, be->srv, sizeof(*arr) * be->nsrv);
	arr[be->nsrv++] = srv;
	be->srv = arr;
	srv->puid = be->nsrv;
	return 0;
}

/* default-server [OPTIONS...]: the settings later server lines of the
 * section start from. A backend inherits those of its defaults section
 * and changes its own copy.
 */
static int kw_default_server(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *px = ctx->px;
	struct px_server *tpl;

	if (nargs < 2) {
		px_strfmt(err, "expects server options");
		return -1;
	}
	tpl = px->defsrv;
	if (!tpl || tpl->be != px) {
		tpl = px_gen_alloc(ctx->gen, sizeof(*tpl));
		if (!tpl) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		if (px->defsrv)
			*tpl = *px->defsrv;
		else
			server_builtin_defaults(tpl);
		tpl->be = px;
		px->defsrv = tpl;
	}
	return parse_options(tpl, args, 1, nargs, ctx, err);
}

/* End of parsing for backend <be>: where each server's checks connect,
 * then what the check and balancing modules verify and prepare.
 */
void px_server_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be)
{
	uint32_t i;

	for (i = 0; i < be->nsrv; i++) {
		struct px_server *srv = be->srv[i];
		struct px_check *chk = &srv->check;
		int port = px_addr_port(&srv->addr);
		char *err = NULL;

		chk->addr = srv->addr;
		chk->addrlen = srv->addrlen;
		if (chk->addr_str &&
		    px_addr_parse(chk->addr_str, &chk->addr, &chk->addrlen,
		                  PX_ADDR_PORT_OPTIONAL, port, &err) < 0) {
			/* Checked when parsed: only memory could fail here. */
			px_cfg_error(ctx, "server '%s/%s': %s", be->id, srv->id, err);
			free(err);
			continue;
		}
		if (chk->port && chk->addr.sa.sa_family == AF_INET)
			chk->addr.in4.sin_port = htons(chk->port);
		else if (chk->port && chk->addr.sa.sa_family == AF_INET6)
			chk->addr.in6.sin6_port = htons(chk->port);
	}
	for (i = 0; i < be->nsrv; i++)
		px_ssl_srv_finalize(ctx, be->srv[i]);
	px_check_finalize(ctx, be);
	px_lb_finalize(ctx, be);
}

static const struct px_cfg_kw server_kws[] = {
	{ .name = "server", .sections = PX_SEC_BE, .parse = kw_server },
	{ .name = "default-server", .sections = PX_SEC_BE, .parse = kw_default_server },
	{ 0 }
};

static struct px_cfg_kw_list server_kw_list = { .kws = server_kws };

__attribute__((constructor)) static void server_register(void)
{
	px_cfg_register(&server_kw_list);
}
