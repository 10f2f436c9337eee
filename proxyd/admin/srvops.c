/* Command socket: operating servers and frontends (HAProxy's commands and
 * answers), and "show names" for pxsh's completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/cli.h"
#include "admin/runtime.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "cfg/text.h"
#include "core/util.h"
#include "proto/listener.h"
#include "proto/listener-t.h"
#include "proto/sess.h"
#include "rules/acl.h"
#include "rules/map.h"
#include "rules/rules-t.h"

/* The server named by args[i], or NULL after answering the error. */
static struct px_server *server_arg(struct px_cli_conn *c, char **args, int nargs, int i)
{
	struct px_server *srv;
	char *err = NULL;

	if (i >= nargs) {
		px_cli_error(c, 400, "Require 'backend/server'.");
		return NULL;
	}
	srv = px_server_find(px_cli_gen(), args[i], &err);
	if (!srv) {
		px_cli_error(c, 404, "%s", err);
		free(err);
	}
	return srv;
}

static int cmd_enable_server(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);

	if (srv && !px_txn_defer(c, args, nargs))
		px_server_set_maint(srv, 0, "stats socket command");
	return 0;
}

static int cmd_disable_server(struct px_cli_conn *c, char **args, int nargs,
                              const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);

	if (srv && !px_txn_defer(c, args, nargs))
		px_server_set_maint(srv, 1, "stats socket command");
	return 0;
}

static void set_weight(struct px_cli_conn *c, struct px_server *srv, const char *val)
{
	char *err = NULL;

	if (px_server_set_weight(srv, val, &err) < 0) {
		px_cli_error(c, 400, "%s", err);
		free(err);
	}
}

/* set server B/S state ready|drain|maint | weight W | addr IP [port P] */
static int cmd_set_server(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);
	const char *what = nargs > 3 ? args[3] : "";
	char *msg = NULL, *err = NULL;

	if (!srv || px_txn_defer(c, args, nargs))
		return 0;
	if (!strcmp(what, "state")) {
		const char *st = nargs == 5 ? args[4] : "";

		if (!strcmp(st, "ready")) {
			px_server_set_drain(srv, 0, "stats socket command");
			px_server_set_maint(srv, 0, "stats socket command");
		} else if (!strcmp(st, "drain")) {
			px_server_set_maint(srv, 0, "stats socket command");
			px_server_set_drain(srv, 1, "stats socket command");
		} else if (!strcmp(st, "maint")) {
			/* As HAProxy: maintenance replaces a drain. */
			px_server_set_maint(srv, 1, "stats socket command");
			px_server_set_drain(srv, 0, "stats socket command");
		} else {
			px_cli_error(c, 400, "'set server <srv> state' expects 'ready', 'drain' "
			             "or 'maint'.");
		}
		return 0;
	}
	if (!strcmp(what, "weight")) {
		if (nargs != 5)
			px_cli_error(c, 400, "'set server <srv> weight' expects a weight (N or N%%).");
		else
			set_weight(c, srv, args[4]);
		return 0;
	}
	if (!strcmp(what, "addr")) {
		const char *port = NULL;

		if (nargs == 7 && !strcmp(args[5], "port"))
			port = args[6];
		else if (nargs != 5) {
			px_cli_error(c, 400, "'set server <srv> addr' expects an IP address and "
			             "optionally 'port <port>'.");
			return 0;
		}
		if (px_server_set_addr(srv, args[4], port, &msg, &err) < 0) {
			px_cli_error(c, 400, "%s", err);
			free(err);
			return 0;
		}
		px_cli_printf(c, "%s\n", msg);
		free(msg);
		return 0;
	}
	if (!strcmp(what, "health")) {
		const char *st = nargs == 5 ? args[4] : "";

		if (!strcmp(st, "up") || !strcmp(st, "down") || !strcmp(st, "stopping")) {
			px_cli_error(c, 400, "'set server <srv> health' is not supported: use "
			             "'enable health' / 'disable health'.");
			return 0;
		}
	}
	px_cli_error(c, 400, "'set server <srv>' only supports 'state', 'weight' and 'addr'.");
	return 0;
}

static int cmd_get_weight(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);

	if (srv)
		px_cli_printf(c, "%u (initial %u)\n", srv->weight, srv->iweight);
	return 0;
}

static int cmd_set_weight(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);

	if (!srv || px_txn_defer(c, args, nargs))
		return 0;
	if (nargs != 4)
		px_cli_error(c, 400, "Require <weight> or <weight%%>.");
	else
		set_weight(c, srv, args[3]);
	return 0;
}

static int cmd_health(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);

	if (!srv)
		return 0;
	if (!srv->check.enabled) {
		px_cli_error(c, 409, "Server %s/%s has no health check ('check' is not set).",
		             srv->be->id, srv->id);
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	px_server_set_health(srv, !strcmp(args[0], "enable"));
	return 0;
}

/* add server B/S ADDR:PORT [OPTIONS]: a "server" line added to the running
 * configuration (so that it stays through commits and "save config"),
 * parsed by the keyword itself; as in HAProxy the new server starts in
 * maintenance, until "enable server" or "set server ... state ready".
 */
struct server_edit {
	const char *be, *name;
	char *line;                   /* the line to add, NULL to delete */
};

static int edit_server(struct px_cfg_text *t, void *arg, char **err)
{
	struct server_edit *e = arg;
	uint32_t end;
	int pos = px_live_server_line(t, e->be, e->name, &end);

	if (pos == -2) {
		px_strfmt(err, "No such backend.");
		return -1;
	}
	if (e->line) {
		char buf[16400];

		if (pos >= 0) {
			px_strfmt(err, "Server '%s' already exists in backend '%s'.", e->name, e->be);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%sserver %s %s", px_live_indent(t, e->be), e->name,
		         e->line);
		if (!px_cfg_text_insert(t, end, buf)) {
			px_strfmt(err, "Out of memory.");
			return -1;
		}
		return 0;
	}
	if (pos < 0) {
		px_strfmt(err, "No 'server %s' line in backend '%s' to remove.", e->name, e->be);
		return -1;
	}
	px_cfg_text_delete(t, (uint32_t)pos);
	return 0;
}

static int cmd_add_server(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const char *slash = nargs > 2 ? strchr(args[2], '/') : NULL;
	struct server_edit e;
	char be[256], op[600];
	uint32_t id;

	if (!slash || slash == args[2] || !slash[1] || nargs < 4) {
		px_cli_error(c, 400, "'add server' expects <backend>/<server> <addr>:<port> "
		             "[options].");
		return 0;
	}
	if ((size_t)(slash - args[2]) >= sizeof(be) || strlen(slash + 1) > 200) {
		px_cli_error(c, 400, "Name too long.");
		return 0;
	}
	memcpy(be, args[2], (size_t)(slash - args[2]));
	be[slash - args[2]] = '\0';
	if (!px_gen_cur || !px_proxy_find(px_gen_cur, be, PX_CAP_BE)) {
		px_cli_error(c, 404, "No such backend.");
		return 0;
	}
	e.be = be;
	e.name = slash + 1;
	e.line = px_cli_rest(c, args, 3);
	if (!e.line) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	snprintf(op, sizeof(op), "set server %s/%s state maint", be, slash + 1);
	id = px_live_text_edit(c, edit_server, &e, op);
	free(e.line);
	if (id == 1)
		px_cli_puts(c, "New server registered in the transaction (in maintenance once "
		            "committed).\n");
	else if (id)
		px_cli_printf(c, "New server registered (generation %u), in maintenance: 'enable "
		              "server' or 'set server ... state ready' puts it to work.\n", id);
	return 0;
}

/* del server B/S: only a server in maintenance without streams, as HAProxy
 * requires; its line leaves the running configuration.
 */
static int cmd_del_server(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_server *srv = server_arg(c, args, nargs, 2);
	struct server_edit e;
	uint32_t id;

	if (!srv)
		return 0;
	if (!srv->disabled) {
		px_cli_error(c, 409, "Only servers in maintenance mode can be deleted.");
		return 0;
	}
	if (srv->cur_sess || srv->nqueued) {
		px_cli_error(c, 409, "Server still has %u active and %u queued sessions.",
		             srv->cur_sess, srv->nqueued);
		return 0;
	}
	e.be = srv->be->id;
	e.name = srv->id;
	e.line = NULL;
	id = px_live_text_edit(c, edit_server, &e, NULL);
	if (id == 1)
		px_cli_puts(c, "Server deleted in the transaction.\n");
	else if (id)
		px_cli_printf(c, "Server deleted (generation %u).\n", id);
	return 0;
}

/* --- frontends --------------------------------------------------------------- */

static struct px_proxy *frontend_arg(struct px_cli_conn *c, char **args, int nargs, int i)
{
	struct px_proxy *fe;

	if (i >= nargs) {
		px_cli_error(c, 400, "A frontend name is expected.");
		return NULL;
	}
	fe = px_cli_gen() ? px_proxy_find(px_cli_gen(), args[i], PX_CAP_FE) : NULL;
	if (!fe)
		px_cli_error(c, 404, "No such frontend.");
	return fe;
}

static void pause_frontend(struct px_loop *loop, struct px_proxy *fe)
{
	struct px_list *e;

	px_list_for_each(e, &fe->binds) {
		struct px_bind *b = px_container_of(e, struct px_bind, link);

		if (b->li)
			px_listener_pause(loop, b->li);
	}
}

const struct px_runtime_ops *px_runtime;

void px_proxies_apply_admin(struct px_loop *loop, struct px_gen *gen)
{
	struct px_list *e;

	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		if ((px->cap & PX_CAP_FE) && px->admin_stopped)
			pause_frontend(loop, px);
	}
}

static int cmd_disable_frontend(struct px_cli_conn *c, char **args, int nargs,
                                const char *payload)
{
	struct px_proxy *fe = frontend_arg(c, args, nargs, 2);

	if (!fe || px_txn_defer(c, args, nargs))
		return 0;
	if (fe->admin_stopped) {
		px_cli_error(c, 409, "Frontend is already disabled.");
		return 0;
	}
	fe->admin_stopped = 1;
	/* A commit being built pauses it once published. */
	if (!px_cli_target)
		pause_frontend(px_cli_loop(), fe);
	return 0;
}

static int cmd_enable_frontend(struct px_cli_conn *c, char **args, int nargs,
                               const char *payload)
{
	struct px_proxy *fe = frontend_arg(c, args, nargs, 2);

	if (!fe || px_txn_defer(c, args, nargs))
		return 0;
	if (!fe->admin_stopped) {
		px_cli_error(c, 409, "Frontend is already enabled.");
		return 0;
	}
	fe->admin_stopped = 0;
	if (!px_cli_target && px_actconn < px_global_maxconn && (!fe->maxconn || fe->feconn < fe->maxconn))
		px_listeners_resume(px_cli_loop(), fe);
	return 0;
}

static int cmd_set_maxconn_fe(struct px_cli_conn *c, char **args, int nargs,
                              const char *payload)
{
	struct px_proxy *fe = frontend_arg(c, args, nargs, 3);
	uint64_t v;

	if (!fe)
		return 0;
	if (nargs != 5 || px_parse_uint(args[4], 1000000, &v) < 0) {
		px_cli_error(c, 400, "Integer value expected.");
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	if (!fe->maxconn_changed)
		fe->cfg_maxconn = fe->maxconn;
	fe->maxconn = (uint32_t)v;
	fe->maxconn_changed = 1;
	/* A higher limit takes effect at once for a frontend that was full. */
	if (!px_cli_target && !fe->admin_stopped && (!v || fe->feconn < v) &&
	    px_actconn < px_global_maxconn)
		px_listeners_resume(px_cli_loop(), fe);
	return 0;
}

/* --- names, for completion ----------------------------------------------------- */

struct names_ctx {
	int kind;
	int json;
	uint32_t count;
	struct px_list *px;               /* next proxy */
	uint32_t srv;                     /* next server of it */
	struct px_sess_cursor cur;
	int cur_on;
};

enum { N_FE, N_BE, N_PX, N_SRV, N_SESS };

static void names_release(void *arg)
{
	struct names_ctx *n = arg;

	if (n->cur_on)
		px_sess_cursor_stop(&n->cur);
	free(n);
}

static void name_out(struct px_cli_conn *c, struct names_ctx *n, const char *a, const char *b)
{
	char buf[600];

	snprintf(buf, sizeof(buf), "%s%s%s", a, b ? "/" : "", b ? b : "");
	if (!n->json) {
		px_cli_printf(c, "%s\n", buf);
		return;
	}
	px_cli_puts(c, n->count++ ? ",\n" : "");
	px_cli_json_str(c, buf, strlen(buf));
}

static int names_dump(struct px_cli_conn *c)
{
	struct names_ctx *n = px_cli_ctx(c);

	if (n->kind == N_SESS) {
		struct px_sess *sess;

		while (!px_cli_full(c) && (sess = px_sess_cursor_next(&n->cur))) {
			char id[32];

			snprintf(id, sizeof(id), "0x%llx", (unsigned long long)sess->id);
			name_out(c, n, id, NULL);
		}
		if (px_cli_full(c))
			return 1;
		if (n->json)
			px_cli_puts(c, "]\n");
		return 0;
	}
	if (!px_cli_gen())
		return 0;
	if (!n->px)
		n->px = px_cli_gen()->proxies.next;
	for (; n->px != &px_cli_gen()->proxies; n->px = n->px->next, n->srv = 0) {
		struct px_proxy *px = px_container_of(n->px, struct px_proxy, link);

		if (px_cli_full(c))
			return 1;
		if (n->kind == N_SRV) {
			for (; n->srv < px->nsrv; n->srv++) {
				if (px_cli_full(c))
					return 1;
				name_out(c, n, px->id, px->srv[n->srv]->id);
			}
			continue;
		}
		if ((n->kind == N_FE && !(px->cap & PX_CAP_FE)) ||
		    (n->kind == N_BE && !(px->cap & PX_CAP_BE)))
			continue;
		name_out(c, n, px->id, NULL);
	}
	if (n->json)
		px_cli_puts(c, "]\n");
	return 0;
}

static int cmd_show_names(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	static const char *const kinds[] = { "frontends", "backends", "proxies", "servers",
	                                     "sessions" };
	struct names_ctx *n;
	int k, json = nargs == 4 && !strcmp(args[3], "json");

	if (json) {
		px_cli_set_json(c, 1);
		nargs--;
	}

	for (k = 0; k < 5 && (nargs != 3 || strcmp(args[2], kinds[k])); k++)
		;
	if (nargs == 3 && (!strcmp(args[2], "acls") || !strcmp(args[2], "maps"))) {
		struct names_ctx one = { .json = json };
		const struct px_acl_file *af;
		const struct px_map *m;

		if (json)
			px_cli_puts(c, "[");
		if (args[2][0] == 'a')
			for (af = px_acl_file_next(px_cli_gen(), NULL); af;
			     af = px_acl_file_next(px_cli_gen(), af))
				name_out(c, &one, af->path, NULL);
		else
			for (m = px_map_next(px_cli_gen(), NULL); m; m = px_map_next(px_cli_gen(), m))
				name_out(c, &one, m->path, NULL);
		if (json)
			px_cli_puts(c, "]\n");
		return 0;
	}
	if (k == 5) {
		px_cli_error(c, 400, "'show names' expects frontends, backends, proxies, servers, "
		             "sessions, acls or maps.");
		return 0;
	}
	if (k == N_SESS && px_cli_level(c) < PX_CLI_OPERATOR) {
		px_cli_error(c, 403, "Permission denied");
		return 0;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	n->kind = k;
	n->json = json;
	if (json)
		px_cli_puts(c, "[");
	if (k == N_SESS) {
		px_sess_cursor_start(&n->cur);
		n->cur_on = 1;
	}
	return px_cli_dump(c, names_dump, n, names_release);
}

static const struct px_cli_handler srvops_handlers[] = {
	{ "enable server", cmd_enable_server },
	{ "disable server", cmd_disable_server },
	{ "set server", cmd_set_server },
	{ "get weight", cmd_get_weight },
	{ "set weight", cmd_set_weight },
	{ "enable health", cmd_health },
	{ "disable health", cmd_health },
	{ "add server", cmd_add_server },
	{ "del server", cmd_del_server },
	{ "enable frontend", cmd_enable_frontend },
	{ "disable frontend", cmd_disable_frontend },
	{ "set maxconn frontend", cmd_set_maxconn_fe },
	{ "show names", cmd_show_names },
	{ NULL }
};

static struct px_cli_handler_list srvops_list = { .h = srvops_handlers };

__attribute__((constructor)) static void srvops_register(void)
{
	px_cli_register(&srvops_list);
}
