/* Servers: the "server" and "default-server" keywords of backend, listen
 * and defaults sections and the static settings they carry, health check
 * settings included. Connections to servers are srvconn.c's job, choosing
 * one is lb.c's, running the checks is check.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backend/check.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "core/netns.h"
#include "backend/srvconn.h"
#include "cfg/cfg.h"
#include "ssl/ssl.h"
#include "cfg/proxy.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"
#include "proto/sess.h"
#include "proto/stream.h"

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
	else if (!strcmp(name, "tfo"))
		srv->tfo = 1;
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
	{ "tfo", 0, opt_flag },
	{ "inter", 1, opt_interval },
	{ "fastinter", 1, opt_interval },
	{ "downinter", 1, opt_interval },
	{ "rise", 1, opt_count },
	{ "fall", 1, opt_count },
	{ "port", 1, opt_port },
	{ "addr", 1, opt_addr },
};

static char *gen_dup(void *gen, const char *str)
{
	return px_gen_strdup(gen, str);
}

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
	names[i++] = "source";
	names[i++] = "namespace";
	{
		size_t base = i;

		for (n = i; n < PX_ARRAY_SIZE(names) && px_ssl_srv_kw_names[n - base]; n++)
			names[n] = px_ssl_srv_kw_names[n - base];
	}
	for (a = first; a < nargs; a++) {
		if (!strcmp(args[a], "source")) {
			int used;

			if (px_source_parse(&srv->src, args + a, nargs - a, &used, gen_dup, ctx->gen,
			                    err) < 0)
				return -1;
			a += used - 1;
			continue;
		}
		if (!strcmp(args[a], "namespace")) {
			if (a + 1 >= nargs || !*args[a + 1] || strchr(args[a + 1], '/')) {
				px_strfmt(err, "'namespace' expects the name of a network namespace");
				return -1;
			}
			srv->netns = px_gen_strdup(ctx->gen, args[++a]);
			continue;
		}
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
			if (be->srv[i]->line)
				px_strfmt(err, "server '%s' already declared in %s '%s' at %s:%d",
				          args[1], be->kind, be->id, be->srv[i]->file,
				          be->srv[i]->line);
			else
				px_strfmt(err, "server '%s' already added to %s '%s' at run time",
				          args[1], be->kind, be->id);
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
void px_srv_note_change(struct px_server *srv)
{
	int64_t now = (int64_t)time(NULL);

	if (srv->last_change && srv->down && now > srv->last_change)
		srv->down_time += (uint64_t)(now - srv->last_change);
	srv->last_change = now;
	srv->down = srv->disabled || srv->state == PX_SRV_DOWN;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_source(const struct px_source *a, const struct px_source *b)
{
	return a->set == b->set && a->usesrc == b->usesrc && a->family == b->family &&
	       a->port == b->port && !memcmp(a->addr, b->addr, sizeof(a->addr)) &&
	       a->usesrc_port == b->usesrc_port &&
	       !memcmp(a->usesrc_addr, b->usesrc_addr, sizeof(a->usesrc_addr)) &&
	       same_str(a->iface, b->iface);
}

int px_server_same_route(const struct px_server *a, const struct px_server *b)
{
	return !a->ssl && !b->ssl && a->be->mode == PX_MODE_HTTP && b->be->mode == PX_MODE_HTTP &&
	       a->addrlen == b->addrlen && !memcmp(&a->addr, &b->addr, a->addrlen) &&
	       same_str(a->netns, b->netns) && same_source(&a->src, &b->src) &&
	       same_source(&a->be->src, &b->be->src);
}

struct px_server *px_server_successor(const struct px_server *srv)
{
	struct px_proxy *be = px_gen_cur ? px_proxy_find(px_gen_cur, srv->be->id, PX_CAP_BE) :
	                      NULL;
	uint32_t i;

	if (!be)
		return NULL;
	for (i = 0; i < be->nsrv; i++)
		if (!strcmp(be->srv[i]->id, srv->id))
			return px_server_same_route(be->srv[i], srv) ? be->srv[i] : NULL;
	return NULL;
}

/* "tfo" applies to TCP servers of HTTP backends, where the request is
 * ready to go with the SYN. In TCP mode the server may be the one to speak
 * first, and a deferred connect would never leave: proxyd says so instead.
 */
static void tfo_check(struct px_cfg_ctx *ctx, struct px_server *srv)
{
	const char *file = ctx->file;
	int line = ctx->line;
	long v;

	ctx->file = srv->file;
	ctx->line = srv->line;

	if (srv->addr.sa.sa_family == AF_UNIX || srv->be->mode != PX_MODE_HTTP) {
		px_cfg_warn(ctx, "server '%s/%s': 'tfo' is ignored %s", srv->be->id, srv->id,
		            srv->addr.sa.sa_family == AF_UNIX ? "on a Unix socket" :
		            "in TCP mode (the server may speak first; only HTTP "
		            "requests go with the SYN)");
		srv->tfo = 0;
	} else {
		v = px_netns_sysctl(srv->netns, "net.ipv4.tcp_fastopen");
		if (v >= 0 && !(v & 1))
			px_cfg_warn(ctx, "server '%s/%s': 'tfo': net.ipv4.tcp_fastopen is %ld, "
			            "which does not allow Fast Open as a client: connections "
			            "will make normal handshakes (set it to 1 or 3)", srv->be->id,
			            srv->id, v);
	}
	ctx->file = file;
	ctx->line = line;
}

void px_server_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be)
{
	uint32_t i;

	for (i = 0; i < be->nsrv; i++) {
		struct px_server *srv = be->srv[i];
		struct px_check *chk = &srv->check;
		int port = px_addr_port(&srv->addr);
		char *err = NULL;

		srv->iweight = srv->weight;
		srv->cfg_disabled = (uint8_t)!!srv->disabled;
		px_srv_note_change(srv);
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
		if (srv->tfo)
			tfo_check(ctx, srv);
	}
	for (i = 0; i < be->nsrv; i++)
		px_ssl_srv_finalize(ctx, be->srv[i]);
	px_check_finalize(ctx, be);
	px_lb_finalize(ctx, be);
}

/* --- run-time changes (command socket) ---------------------------------------- */

/* Logs <msg> on stderr and to the backend's loggers, as state changes from
 * health checks are.
 */
static void log_change(struct px_server *srv, int level, const char *msg)
{
	struct px_loop *loop = px_sess_loop();
	struct timeval tv;

	if (level <= PX_LOG_ALERT)
		px_alert("%s", msg);
	else
		px_warning("%s", msg);
	if (loop)
		tv = loop->now_tv;
	else
		gettimeofday(&tv, NULL);
	px_log_send(srv->be->loggers, srv->be->nloggers, level, &tv, msg, strlen(msg));
}

static void usability_changed(struct px_server *srv, int was_usable, const char *what)
{
	struct px_proxy *be = srv->be;
	char msg[512];
	uint32_t moved = 0;

	px_srv_note_change(srv);
	px_lb_update(be);
	if (was_usable && !px_srv_usable(srv)) {
		moved = px_stream_requeue_srv(srv);
		snprintf(msg, sizeof(msg), "%sServer %s/%s is %s. %u active and %u backup servers "
		         "left.%s %u sessions active, %u requeued, %u remaining in queue.",
		         srv->backup ? "Backup " : "", be->id, srv->id, what, be->lbprm.srv_act,
		         be->lbprm.srv_bck,
		         be->lbprm.srv_bck && !be->lbprm.srv_act ? " Running on backup." : "",
		         srv->cur_sess, moved, srv->nqueued);
		log_change(srv, PX_LOG_ALERT, msg);
	} else if (!was_usable && px_srv_usable(srv)) {
		moved = px_stream_queue_grab(srv);
		snprintf(msg, sizeof(msg), "%sServer %s/%s is %s. %u active and %u backup servers "
		         "online. %u sessions requeued, %u total in queue.",
		         srv->backup ? "Backup " : "", be->id, srv->id, what, be->lbprm.srv_act,
		         be->lbprm.srv_bck, moved, be->nqueued + srv->nqueued);
		log_change(srv, PX_LOG_NOTICE, msg);
	}
}

/* Puts <srv> in maintenance or takes it out. In maintenance it gets no new
 * stream, persistent ones included; the streams it has finish, and those
 * queued for it go back to balancing. Health checks go on, so that leaving
 * maintenance finds the server in the state its checks see.
 */
void px_server_set_maint(struct px_server *srv, int on, const char *why)
{
	int was = px_srv_usable(srv);

	if (!!srv->disabled == !!on)
		return;
	srv->disabled = !!on;
	if (!on && srv->check.enabled && !srv->check.loop && !srv->chk_paused)
		px_check_server_start(px_sess_loop(), srv);
	usability_changed(srv, was, on ? "going DOWN for maintenance" :
	                  srv->state == PX_SRV_UP ? "UP (leaving forced maintenance)" :
	                  "leaving forced maintenance, still DOWN");
	(void)why;
}

/* Drains <srv> or ends the drain: a draining server takes no new client,
 * but clients that persistence sends to it still reach it.
 */
void px_server_set_drain(struct px_server *srv, int on, const char *why)
{
	int was = px_srv_usable(srv);

	if (!!srv->drain == !!on)
		return;
	srv->drain = !!on;
	usability_changed(srv, was, on ? "entering drain mode" : "UP (leaving drain mode)");
	(void)why;
}

/* "N" (0 to 256) or "N%" of the configured weight. */
int px_server_set_weight(struct px_server *srv, const char *val, char **err)
{
	size_t len = strlen(val);
	uint64_t v;
	int was = px_srv_usable(srv);
	int pct = len && val[len - 1] == '%';
	char num[32];

	if (!len || len >= sizeof(num)) {
		px_strfmt(err, "Require <weight> or <weight%%>.");
		return -1;
	}
	memcpy(num, val, len + 1);
	if (pct)
		num[len - 1] = '\0';
	if (px_parse_uint(num, pct ? 100000 : 256, &v) < 0) {
		px_strfmt(err, pct ? "Relative weight must be a positive integer percentage." :
		          "Absolute weight can only be between 0 and 256 inclusive.");
		return -1;
	}
	if (pct) {
		v = (uint64_t)srv->iweight * v / 100;
		if (v > 256) {
			px_strfmt(err, "Relative weight too large (%s of %u is above 256).", val,
			          srv->iweight);
			return -1;
		}
	}
	srv->weight = (uint32_t)v;
	if (px_srv_usable(srv) == was)
		px_lb_update(srv->be);
	else
		usability_changed(srv, was, v ? "UP (weight restored)" : "drained (weight 0)");
	return 0;
}

/* Closes the idle connections of <srv> (its address changed, or it goes). */
static void purge_idle(struct px_server *srv)
{
	while (!px_list_empty(&srv->idle))
		px_srvconn_close(px_container_of(srv->idle.next, struct px_srvconn, link), 0);
}

int px_server_set_addr(struct px_server *srv, const char *ip, const char *port,
                       char **msg, char **err)
{
	union px_sockaddr a;
	socklen_t alen;
	char old_ip[64], new_ip[64], *perr = NULL;
	int old_port = px_addr_port(&srv->addr), new_port = old_port;
	uint64_t p;

	if (port) {
		if (px_parse_uint(port, 65535, &p) < 0 || !p) {
			px_strfmt(err, "Invalid port '%s'.", port);
			return -1;
		}
		new_port = (int)p;
	}
	if (px_addr_parse(ip, &a, &alen, PX_ADDR_PORT_OPTIONAL, new_port, &perr) < 0 ||
	    (a.sa.sa_family != AF_INET && a.sa.sa_family != AF_INET6)) {
		px_strfmt(err, "Invalid IP address '%s'%s%s.", ip, perr ? ": " : "",
		          perr ? perr : "");
		free(perr);
		return -1;
	}
	if (a.sa.sa_family == AF_INET)
		a.in4.sin_port = htons((uint16_t)new_port);
	else
		a.in6.sin6_port = htons((uint16_t)new_port);
	px_addr_ip_str(&srv->addr.sa, old_ip, sizeof(old_ip));
	px_addr_ip_str(&a.sa, new_ip, sizeof(new_ip));
	/* Checks follow the server unless they have an address of their own. */
	if (!srv->check.addr_str) {
		int cport = srv->check.port ? srv->check.port : new_port;

		srv->check.addr = a;
		srv->check.addrlen = alen;
		if (a.sa.sa_family == AF_INET)
			srv->check.addr.in4.sin_port = htons((uint16_t)cport);
		else
			srv->check.addr.in6.sin6_port = htons((uint16_t)cport);
	}
	srv->addr = a;
	srv->addrlen = alen;
	srv->addr_changed = 1;
	purge_idle(srv);
	if (strcmp(old_ip, new_ip) && old_port != new_port)
		px_strfmt(msg, "IP changed from '%s' to '%s', port changed from '%d' to '%d' "
		          "by 'stats socket command'", old_ip, new_ip, old_port, new_port);
	else if (strcmp(old_ip, new_ip))
		px_strfmt(msg, "IP changed from '%s' to '%s' by 'stats socket command'",
		          old_ip, new_ip);
	else if (old_port != new_port)
		px_strfmt(msg, "port changed from '%d' to '%d' by 'stats socket command'",
		          old_port, new_port);
	else
		px_strfmt(msg, "no need to change the addr and port");
	return 0;
}

/* Suspends the health checks of <srv> (it is then taken as UP) or resumes
 * them (the last result they had applies again until the next one).
 */
void px_server_set_health(struct px_server *srv, int on)
{
	int was = px_srv_usable(srv);

	if (!srv->check.enabled || !!srv->chk_paused == !on)
		return;
	srv->chk_paused = !on;
	if (!on) {
		px_check_stop(srv);
		srv->state = PX_SRV_UP;
	} else {
		srv->state = srv->check.health >= srv->check.rise ? PX_SRV_UP : PX_SRV_DOWN;
		if (!srv->disabled)
			px_check_server_start(px_sess_loop(), srv);
	}
	if (px_srv_usable(srv) != was)
		usability_changed(srv, was, on ? "DOWN (health checks resumed)" :
		                  "UP (health checks suspended)");
}

/* Finds "BACKEND/SERVER" in <gen>. */
struct px_server *px_server_find(struct px_gen *gen, const char *bs, char **err)
{
	const char *slash = strchr(bs, '/');
	struct px_proxy *be;
	char name[256];
	uint32_t i;

	if (!slash || slash == bs || !slash[1] || (size_t)(slash - bs) >= sizeof(name)) {
		px_strfmt(err, "Require 'backend/server'.");
		return NULL;
	}
	memcpy(name, bs, (size_t)(slash - bs));
	name[slash - bs] = '\0';
	be = gen ? px_proxy_find(gen, name, PX_CAP_BE) : NULL;
	if (!be) {
		px_strfmt(err, "No such backend.");
		return NULL;
	}
	for (i = 0; i < be->nsrv; i++)
		if (!strcmp(be->srv[i]->id, slash + 1))
			return be->srv[i];
	px_strfmt(err, "No such server.");
	return NULL;
}

/* HAProxy's words for the state of <srv> (as "show stat" and "show servers
 * state" describe it).
 */
const char *px_server_state_str(const struct px_server *srv)
{
	if (srv->disabled)
		return "MAINT";
	if (srv->state == PX_SRV_DOWN)
		return "DOWN";
	if (srv->drain || !srv->weight)
		return "DRAIN";
	return "UP";
}

/* source ADDR[:PORT] [usesrc clientip|client|ADDR[:PORT]] [interface NAME]:
 * where a backend's connections to its servers come from.
 */
static int kw_source(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	int used;

	if (px_source_parse(&ctx->px->src, args, nargs, &used, gen_dup, ctx->gen, err) < 0)
		return -1;
	if (used != nargs) {
		px_strfmt(err, "unexpected '%s' (source ADDR[:PORT] [usesrc clientip|client|"
		          "ADDR[:PORT]] [interface NAME])", args[used]);
		return -1;
	}
	return 0;
}

static const struct px_cfg_kw server_kws[] = {
	{ .name = "server", .sections = PX_SEC_BE, .parse = kw_server },
	{ .name = "source", .sections = PX_SEC_BE, .parse = kw_source },
	{ .name = "default-server", .sections = PX_SEC_BE, .parse = kw_default_server },
	{ 0 }
};

static struct px_cfg_kw_list server_kw_list = { .kws = server_kws };

__attribute__((constructor)) static void server_register(void)
{
	px_cfg_register(&server_kw_list);
}
