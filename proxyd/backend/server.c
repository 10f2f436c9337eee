/* Servers: the "server" keyword of backend and listen sections and the
 * static settings it carries. Connections to servers are srvconn.c's job,
 * choosing one is lb.c's.
 */
#include <stdlib.h>
#include <string.h>
#include "backend/server.h"
#include "backend/srvconn.h"
#include "cfg/cfg.h"
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

/* Closes the idle connections of a server whose generation ends. */
static void server_cleanup(void *arg)
{
	struct px_server *srv = arg;

	while (!px_list_empty(&srv->idle))
		px_srvconn_close(px_container_of(srv->idle.next, struct px_srvconn, link), 0);
}

/* server NAME ADDR:PORT [maxconn N] [weight N] [disabled] */
static int kw_server(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	static const char *const opts[] = { "maxconn", "weight", "disabled", "enabled" };
	struct px_proxy *be = ctx->px;
	struct px_server *srv, **arr;
	uint32_t i;
	int a;

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
	srv->id = px_gen_strdup(ctx->gen, args[1]);
	srv->be = be;
	srv->file = px_gen_strdup(ctx->gen, ctx->file);
	srv->line = ctx->line;
	srv->addr_str = px_gen_strdup(ctx->gen, args[2]);
	srv->weight = 1;
	px_list_init(&srv->queue);
	px_list_init(&srv->idle);
	if (px_gen_on_free(ctx->gen, server_cleanup, srv) < 0) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (px_addr_parse(args[2], &srv->addr, &srv->addrlen, PX_ADDR_PORT_REQUIRED,
	                  0, err) < 0)
		return -1;
	for (a = 3; a < nargs; a++) {
		uint64_t v;

		if (!strcmp(args[a], "disabled")) {
			srv->disabled = 1;
			continue;
		}
		if (!strcmp(args[a], "enabled")) {
			srv->disabled = 0;
			continue;
		}
		if (!strcmp(args[a], "maxconn") || !strcmp(args[a], "weight")) {
			int is_w = args[a][0] == 'w';

			if (a + 1 >= nargs || px_parse_uint(args[a + 1], is_w ? 256 : 10000000, &v) < 0) {
				px_strfmt(err, "'%s' expects a number%s", args[a],
				          is_w ? " from 0 to 256" : "");
				return -1;
			}
			if (is_w)
				srv->weight = (uint32_t)v;
			else
				srv->maxconn = (uint32_t)v;
			a++;
			continue;
		}
		{
			const char *near = px_closest(args[a], opts, PX_ARRAY_SIZE(opts));

			px_strfmt(err, "unknown server option '%s'%s%s%s", args[a],
			          near ? " (did you mean '" : "", near ? near : "",
			          near ? "'?)" : "");
		}
		return -1;
	}
	if (be->nsrv)
		memcpy(arr, be->srv, sizeof(*arr) * be->nsrv);
	arr[be->nsrv++] = srv;
	be->srv = arr;
	srv->puid = be->nsrv;
	return 0;
}

static const struct px_cfg_kw server_kws[] = {
	{ .name = "server", .sections = PX_SEC_BE, .parse = kw_server },
	{ 0 }
};

static struct px_cfg_kw_list server_kw_list = { .kws = server_kws };

__attribute__((constructor)) static void server_register(void)
{
	px_cfg_register(&server_kw_list);
}
