/* Proxies: "defaults", "frontend", "backend" and "listen" section headers,
 * the generic proxy keywords (mode, maxconn, timeout, option, retries,
 * http-reuse, default_backend, log), inheritance from defaults sections and
 * the checks run once every file is read. Keywords of servers, listeners,
 * load balancing and error pages live in their own modules.
 */
#include <stdlib.h>
#include <string.h>
#include "backend/check.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/global.h"
#include "cfg/proxy.h"
#include "core/util.h"
#include "proto/h1.h"
#include "rules/fmt.h"
#include "rules/sample-t.h"

#define HTTPLOG_FMT "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS " \
	"%tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
#define HTTPSLOG_FMT HTTPLOG_FMT " %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/" \
	"%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc"
#define TCPLOG_FMT "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts " \
	"%ac/%fc/%bc/%sc/%rc %sq/%bq"

static uint32_t next_uuid;

static void proxy_builtin_defaults(struct px_proxy *px)
{
	px->mode = PX_MODE_TCP;
	px->http_mode = PX_HTTP_KAL;
	px->retries = 3;
	px->redispatch_every = -1;
	px->reuse = PX_REUSE_SAFE;
	px->lb = PX_LB_RR;
}

static struct px_proxy *proxy_new(struct px_cfg_ctx *ctx, const char *id,
                                  unsigned cap, const char *kind,
                                  const struct px_proxy *from)
{
	struct px_proxy *px = px_gen_alloc(ctx->gen, sizeof(*px));

	if (!px)
		return NULL;
	if (from) {
		*px = *from;
	} else {
		proxy_builtin_defaults(px);
	}
	px->id = px_gen_strdup(ctx->gen, id);
	px->cap = cap;
	px->kind = kind;
	px->file = ctx->file ? px_gen_strdup(ctx->gen, ctx->file) : NULL;
	px->line = ctx->line;
	px->uuid = ++next_uuid;
	px->defbe = NULL;
	px->srv = NULL;
	px->nsrv = 0;
	px->logfmt = NULL;
	px->uid_fmt = NULL;
	px->rules = NULL;
	px->req_caps = px->res_caps = NULL;
	px->nreq_caps = px->nres_caps = px->cap_size = 0;
	px->feconn = px->beconn = 0;
	px->cum_feconn = px->cum_req = px->cum_beconn = 0;
	px->nqueued = 0;
	px->lb_next = 0;
	px->paused = 0;
	px_list_init(&px->link);
	px_list_init(&px->binds);
	px_list_init(&px->queue);
	px_list_init(&px->paused_listeners);
	return px;
}

/* Creates the built-in defaults in effect before any "defaults" section. */
int px_proxy_defaults_init(struct px_cfg_ctx *ctx)
{
	/* Ids are positions in the configuration: each generation counts
	 * from the start, so an unchanged proxy keeps its id across commits
	 * and reloads, as in HAProxy.
	 */
	next_uuid = 0;
	ctx->defaults = proxy_new(ctx, "", PX_CAP_DEF, "defaults", NULL);
	return ctx->defaults ? 0 : -1;
}

struct px_proxy *px_proxy_find(struct px_gen *gen, const char *name, unsigned cap)
{
	struct px_list *e;

	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		if ((px->cap & cap) && !strcmp(px->id, name))
			return px;
	}
	return NULL;
}

static struct px_proxy *find_defaults(struct px_gen *gen, const char *name)
{
	struct px_list *e;
	struct px_proxy *found = NULL;

	/* The last one of that name wins, as with redefinitions. */
	px_list_for_each(e, &gen->defaults) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		if (!strcmp(px->id, name))
			found = px;
	}
	return found;
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.' || *s == ':'))
			return 0;
	return 1;
}

/* Starts a defaults, frontend, backend or listen section:
 *   KIND [NAME] [from DEFAULTS]
 */
void px_proxy_section(char **args, int nargs, struct px_cfg_ctx *ctx)
{
	const struct px_proxy *from = ctx->defaults;
	const char *name = "";
	unsigned cap;
	struct px_proxy *px;
	int i = 1, has_from = 0;

	switch (ctx->section) {
	case PX_SEC_DEFAULTS: cap = PX_CAP_DEF; break;
	case PX_SEC_FRONTEND: cap = PX_CAP_FE; break;
	case PX_SEC_BACKEND:  cap = PX_CAP_BE; break;
	default:              cap = PX_CAP_FE | PX_CAP_BE; break;
	}
	if (nargs > 1 && strcmp(args[1], "from")) {
		name = args[1];
		i = 2;
	}
	if (ctx->section != PX_SEC_DEFAULTS && !*name) {
		px_cfg_error(ctx, "'%s' section needs a name", args[0]);
		return;
	}
	if (*name && !valid_name(name)) {
		px_cfg_error(ctx, "invalid name '%s' for a %s section (letters, digits, "
		             "'-', '_', '.' and ':' only)", name, args[0]);
		return;
	}
	if (i < nargs) {
		if (strcmp(args[i], "from") || i + 2 != nargs) {
			px_cfg_error(ctx, "unexpected '%s' after the %s name (only 'from "
			             "DEFAULTS' may follow)", args[i], args[0]);
			return;
		}
		from = find_defaults(ctx->gen, args[i + 1]);
		has_from = 1;
		if (!from) {
			px_cfg_error(ctx, "no defaults section named '%s'", args[i + 1]);
			return;
		}
	}
	if (cap & (PX_CAP_FE | PX_CAP_BE)) {
		struct px_proxy *dup = px_proxy_find(ctx->gen, name, cap);

		if (dup) {
			px_cfg_error(ctx, "%s '%s' has the same name as %s '%s' declared at %s:%d",
			             args[0], name, dup->kind, dup->id, dup->file, dup->line);
			return;
		}
	}
	/* A new defaults section starts from the built-in values unless it
	 * names one to inherit from, as in HAProxy.
	 */
	if (cap == PX_CAP_DEF && !has_from)
		from = NULL;
	/* The kind outlives the line being parsed: a static string. */
	px = proxy_new(ctx, name, cap, ctx->section_name, from);
	if (!px) {
		px_cfg_error(ctx, "out of memory");
		return;
	}
	if (cap == PX_CAP_DEF) {
		px_list_append(&ctx->gen->defaults, &px->link);
		ctx->defaults = px;
	} else {
		px_list_append(&ctx->gen->proxies, &px->link);
	}
	ctx->px = px;
}

/* --- keywords ---------------------------------------------------------- */

static int kw_mode(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 2) {
		px_strfmt(err, "expects 'http' or 'tcp'");
		return -1;
	}
	if (!strcmp(args[1], "http"))
		ctx->px->mode = PX_MODE_HTTP;
	else if (!strcmp(args[1], "tcp"))
		ctx->px->mode = PX_MODE_TCP;
	else {
		px_strfmt(err, "unknown mode '%s' (expects 'http' or 'tcp')", args[1]);
		return -1;
	}
	return 0;
}

/* log-format FMT: compiled at the end of parsing, when the proxy's mode
 * and loggers are known. The last one wins, as "option httplog" does.
 */
static int kw_log_format(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *px = ctx->px;

	if (nargs != 2) {
		px_strfmt(err, "expects one format string (quote it, or escape its blanks "
		          "with '\\ ')");
		return -1;
	}
	px->logfmt_str = px_gen_strdup(ctx->gen, args[1]);
	px->logfmt_file = px_gen_strdup(ctx->gen, ctx->file ? ctx->file : "");
	px->logfmt_line = ctx->line;
	if (!px->logfmt_str || !px->logfmt_file) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	return 0;
}

/* unique-id-format FMT / unique-id-header NAME */
static int kw_unique_id(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *px = ctx->px;
	int hdr = !strcmp(args[0], "unique-id-header");

	if (nargs != 2) {
		px_strfmt(err, "expects one %s", hdr ? "header name" : "format string (quote it, "
		          "or escape its blanks with '\\ ')");
		return -1;
	}
	if (hdr && !px_h1_is_token(args[1])) {
		px_strfmt(err, "invalid header name '%s'", args[1]);
		return -1;
	}
	if (hdr) {
		px->uid_hdr = px_gen_strdup(ctx->gen, args[1]);
		return px->uid_hdr ? 0 : -1;
	}
	px->uid_str = px_gen_strdup(ctx->gen, args[1]);
	px->uid_file = px_gen_strdup(ctx->gen, ctx->file ? ctx->file : "");
	px->uid_line = ctx->line;
	return px->uid_str && px->uid_file ? 0 : -1;
}

static int kw_maxconn(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	uint64_t v;

	if (nargs != 2 || px_parse_uint(args[1], 10000000, &v) < 0) {
		px_strfmt(err, "expects a number of connections");
		return -1;
	}
	ctx->px->maxconn = (uint32_t)v;
	return 0;
}

static const struct {
	const char *name;
	size_t off;
	unsigned cap;     /* side it applies to */
} timeouts[] = {
	{ "client", offsetof(struct px_timeouts, client), PX_CAP_FE },
	{ "server", offsetof(struct px_timeouts, server), PX_CAP_BE },
	{ "connect", offsetof(struct px_timeouts, connect), PX_CAP_BE },
	{ "http-request", offsetof(struct px_timeouts, http_request), PX_CAP_FE },
	{ "http-keep-alive", offsetof(struct px_timeouts, http_keep_alive), PX_CAP_FE },
	{ "queue", offsetof(struct px_timeouts, queue), PX_CAP_BE },
	{ "tunnel", offsetof(struct px_timeouts, tunnel), PX_CAP_BE },
	{ "client-fin", offsetof(struct px_timeouts, client_fin), PX_CAP_FE },
	{ "server-fin", offsetof(struct px_timeouts, server_fin), PX_CAP_BE },
	{ "check", offsetof(struct px_timeouts, check), PX_CAP_BE },
};

static int kw_timeout(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	const char *names[PX_ARRAY_SIZE(timeouts)];
	uint64_t ms;
	size_t i;

	if (nargs < 2) {
		px_strfmt(err, "expects a timeout name (client, server, connect, "
		          "http-request, http-keep-alive, queue, tunnel, client-fin, "
		          "server-fin, check) and a value");
		return -1;
	}
	for (i = 0; i < PX_ARRAY_SIZE(timeouts); i++) {
		names[i] = timeouts[i].name;
		if (strcmp(args[1], timeouts[i].name))
			continue;
		if (nargs != 3) {
			px_strfmt(err, "expects one value");
			return -1;
		}
		if (px_parse_time(args[2], &ms, err) < 0)
			return -1;
		if (!(ctx->px->cap & PX_CAP_DEF) && !(ctx->px->cap & timeouts[i].cap))
			px_cfg_warn(ctx, "'timeout %s' is ignored in %s '%s', which has no %s "
			            "side", args[1], ctx->px->kind, ctx->px->id,
			            timeouts[i].cap == PX_CAP_FE ? "frontend" : "backend");
		*(uint32_t *)((char *)&ctx->px->to + timeouts[i].off) = (uint32_t)ms;
		return 0;
	}
	{
		const char *near = px_closest(args[1], names, PX_ARRAY_SIZE(names));

		px_strfmt(err, "unknown timeout%s%s%s", near ? " (did you mean '" : "",
		          near ? near : "", near ? "'?)" : "");
	}
	return -1;
}

static int kw_default_backend(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (nargs != 2) {
		px_strfmt(err, "expects a backend name");
		return -1;
	}
	ctx->px->defbe_name = px_gen_strdup(ctx->gen, args[1]);
	return 0;
}

static int kw_retries(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	uint64_t v;

	if (nargs != 2 || px_parse_uint(args[1], 1000, &v) < 0) {
		px_strfmt(err, "expects a number of retries (0 to 1000)");
		return -1;
	}
	ctx->px->retries = (uint32_t)v;
	return 0;
}

static int kw_http_reuse(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	static const char *const modes[] = {
		[PX_REUSE_SAFE] = "safe", [PX_REUSE_NEVER] = "never",
		[PX_REUSE_AGGRESSIVE] = "aggressive", [PX_REUSE_ALWAYS] = "always",
	};
	size_t i;

	if (nargs == 2)
		for (i = 0; i < PX_ARRAY_SIZE(modes); i++)
			if (!strcmp(args[1], modes[i])) {
				ctx->px->reuse = i;
				return 0;
			}
	px_strfmt(err, "expects 'never', 'safe', 'aggressive' or 'always'");
	return -1;
}

static int kw_log(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *px = ctx->px;
	struct px_logger *lg;

	if (ctx->negate) {
		if (nargs != 1) {
			px_strfmt(err, "takes no argument");
			return -1;
		}
		px->loggers = NULL;
		px->nloggers = 0;
		px->options &= ~PX_OPT_LOG_GLOBAL;
		return 0;
	}
	if (nargs == 2 && !strcmp(args[1], "global")) {
		px->options |= PX_OPT_LOG_GLOBAL;
		return 0;
	}
	lg = px_cfg_parse_logger(args, nargs, ctx, err);
	if (!lg)
		return -1;
	return px_loggers_add(ctx->gen, &px->loggers, &px->nloggers, lg);
}

/* --- options ------------------------------------------------------------ */

static int opt_http_mode(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	enum px_http_mode m = !strcmp(args[1], "http-keep-alive") ? PX_HTTP_KAL :
	                      !strcmp(args[1], "http-server-close") ? PX_HTTP_SCL :
	                      PX_HTTP_CLO;

	if (nargs > 2) {
		px_strfmt(err, "takes no argument");
		return -1;
	}
	if (ctx->negate) {
		if (ctx->px->http_mode == m)
			ctx->px->http_mode = PX_HTTP_KAL;
		return 0;
	}
	ctx->px->http_mode = m;
	return 0;
}

static int opt_forwardfor(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *px = ctx->px;
	int i;

	if (ctx->negate) {
		px->options &= ~(PX_OPT_FORWARDFOR | PX_OPT_FWDFOR_IFNONE);
		return 0;
	}
	px->options |= PX_OPT_FORWARDFOR;
	px->options &= ~PX_OPT_FWDFOR_IFNONE;
	px->fwdfor_hdr = NULL;
	for (i = 2; i < nargs; i++) {
		if (!strcmp(args[i], "header") && i + 1 < nargs) {
			if (!px_h1_is_token(args[i + 1])) {
				px_strfmt(err, "invalid header name '%s'", args[i + 1]);
				return -1;
			}
			px->fwdfor_hdr = px_gen_strdup(ctx->gen, args[++i]);
		} else if (!strcmp(args[i], "if-none")) {
			px->options |= PX_OPT_FWDFOR_IFNONE;
		} else {
			px_strfmt(err, "unexpected '%s' (expects 'header NAME' or 'if-none')",
			          args[i]);
			return -1;
		}
	}
	return 0;
}

static int opt_redispatch(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	if (ctx->negate) {
		ctx->px->options &= ~PX_OPT_REDISPATCH;
		return 0;
	}
	ctx->px->options |= PX_OPT_REDISPATCH;
	ctx->px->redispatch_every = -1;
	if (nargs == 3) {
		char *end;
		long v = strtol(args[2], &end, 10);

		if (*end || end == args[2] || v < -1000 || v > 1000) {
			px_strfmt(err, "invalid interval '%s' (N: every Nth retry, -N: the Nth "
			          "retry from the last, 0: never)", args[2]);
			return -1;
		}
		/* As HAProxy: 0 disables redispatching. */
		if (!v)
			ctx->px->options &= ~PX_OPT_REDISPATCH;
		ctx->px->redispatch_every = (int)v;
	} else if (nargs > 3) {
		px_strfmt(err, "expects at most one interval");
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	uint32_t flag;         /* simple on/off option bit, or 0 */
	unsigned cap;          /* sides it applies to */
	px_kw_fn parse;        /* for options taking arguments */
} options[] = {
	{ "http-keep-alive", 0, PX_CAP_FE | PX_CAP_BE, opt_http_mode },
	{ "http-server-close", 0, PX_CAP_FE | PX_CAP_BE, opt_http_mode },
	{ "httpclose", 0, PX_CAP_FE | PX_CAP_BE, opt_http_mode },
	{ "forwardfor", 0, PX_CAP_FE | PX_CAP_BE, opt_forwardfor },
	{ "httplog", PX_OPT_HTTPLOG, PX_CAP_FE, NULL },
	{ "tcplog", PX_OPT_TCPLOG, PX_CAP_FE, NULL },
	{ "httpslog", PX_OPT_HTTPSLOG, PX_CAP_FE, NULL },
	{ "http-ignore-probes", PX_OPT_IGN_PROBES, PX_CAP_FE, NULL },
	{ "dontlognull", PX_OPT_DONTLOGNULL, PX_CAP_FE, NULL },
	{ "redispatch", 0, PX_CAP_BE, opt_redispatch },
	{ "httpchk", 0, PX_CAP_BE, px_check_opt_httpchk },
	{ "allbackups", PX_OPT_ALLBACKUPS, PX_CAP_BE, NULL },
	{ "tcpka", PX_OPT_CLITCPKA | PX_OPT_SRVTCPKA, PX_CAP_FE | PX_CAP_BE, NULL },
	{ "clitcpka", PX_OPT_CLITCPKA, PX_CAP_FE, NULL },
	{ "srvtcpka", PX_OPT_SRVTCPKA, PX_CAP_BE, NULL },
	{ "splice-auto", PX_OPT_SPLICE_AUTO, PX_CAP_FE | PX_CAP_BE, NULL },
	{ "splice-request", PX_OPT_SPLICE_REQ, PX_CAP_FE | PX_CAP_BE, NULL },
	{ "splice-response", PX_OPT_SPLICE_RES, PX_CAP_FE | PX_CAP_BE, NULL },
};

static int kw_option(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	const char *names[PX_ARRAY_SIZE(options)];
	const char *near;
	size_t i;

	if (nargs < 2) {
		px_strfmt(err, "expects an option name");
		return -1;
	}
	for (i = 0; i < PX_ARRAY_SIZE(options); i++) {
		names[i] = options[i].name;
		if (strcmp(args[1], options[i].name))
			continue;
		if (!(ctx->px->cap & PX_CAP_DEF) && !(ctx->px->cap & options[i].cap))
			px_cfg_warn(ctx, "'option %s' is ignored in %s '%s', which has no %s side",
			            args[1], ctx->px->kind, ctx->px->id,
			            options[i].cap == PX_CAP_FE ? "frontend" : "backend");
		if (options[i].parse)
			return options[i].parse(args, nargs, ctx, err);
		if (nargs > 2) {
			px_strfmt(err, "takes no argument");
			return -1;
		}
		if (ctx->negate)
			ctx->px->options &= ~options[i].flag;
		else
			ctx->px->options |= options[i].flag;
		/* httplog, httpslog and tcplog replace each other, and a
		 * log-format written before them.
		 */
		if (!ctx->negate && (options[i].flag & PX_OPT_LOGFMTS)) {
			ctx->px->options &= ~(PX_OPT_LOGFMTS & ~options[i].flag);
			ctx->px->logfmt_str = NULL;
		}
		return 0;
	}
	near = px_closest(args[1], names, PX_ARRAY_SIZE(names));
	px_strfmt(err, "unknown option%s%s%s", near ? " (did you mean '" : "",
	          near ? near : "", near ? "'?)" : "");
	return -1;
}

/* --- end of parsing ---------------------------------------------------- */

/* The time a client has to send a complete request head: the shorter of
 * "timeout http-request" and "timeout client" when both are set.
 */
uint32_t px_proxy_http_request_timeout(const struct px_proxy *px)
{
	uint32_t a = px->to.http_request, b = px->to.client;

	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

static void finalize_proxy(struct px_cfg_ctx *ctx, struct px_proxy *px)
{
	struct px_global *g = &ctx->gen->global;
	char *err = NULL;
	const char *fmt;
	int i;

	ctx->file = px->file;
	ctx->line = px->line;

	if (px->options & PX_OPT_LOG_GLOBAL)
		for (i = 0; i < g->nloggers; i++)
			px_loggers_add(ctx->gen, &px->loggers, &px->nloggers, g->loggers[i]);

	if (px->cap & PX_CAP_FE) {
		if (px_list_empty(&px->binds)) {
			if (!(px->cap & PX_CAP_BE)) {
				px_cfg_error(ctx, "frontend '%s' has no 'bind' line; declare it as "
				             "a backend if this was intended", px->id);
				return;
			}
			/* A listen section without bind is only a backend. */
			px->cap &= ~PX_CAP_FE;
		}
	}
	if (px->cap & PX_CAP_FE) {
		if (!px->maxconn)
			px->maxconn = g->maxconn;
		if (px->defbe_name) {
			px->defbe = px_proxy_find(ctx->gen, px->defbe_name, PX_CAP_BE);
			if (!px->defbe) {
				px_cfg_error(ctx, "%s '%s': no backend named '%s' for "
				             "default_backend", px->kind, px->id, px->defbe_name);
				return;
			}
		} else if (px->cap & PX_CAP_BE) {
			px->defbe = px;
		}
		if (px->defbe && px->mode != px->defbe->mode) {
			/* HAProxy can upgrade a TCP frontend's traffic to HTTP in
			 * the backend; proxyd cannot yet, and says so rather than
			 * forwarding raw bytes to an HTTP backend.
			 */
			px_cfg_error(ctx, "%s '%s' is in %s mode and cannot use backend '%s' "
			             "which is in %s mode", px->kind, px->id,
			             px->mode == PX_MODE_HTTP ? "HTTP" : "TCP", px->defbe->id,
			             px->defbe->mode == PX_MODE_HTTP ? "HTTP" : "TCP");
			return;
		}
		if (px->mode == PX_MODE_TCP && (px->options & (PX_OPT_HTTPLOG | PX_OPT_HTTPSLOG))) {
			px_cfg_warn(ctx, "'option %s' needs HTTP mode; %s '%s' falls back "
			            "to 'option tcplog'", px->options & PX_OPT_HTTPLOG ? "httplog" :
			            "httpslog", px->kind, px->id);
			px->options = (px->options & ~PX_OPT_LOGFMTS) | PX_OPT_TCPLOG;
		}
		if (!px->to.client)
			px_cfg_warn(ctx, "missing 'timeout client' in %s '%s': clients that "
			            "stop talking will keep their connection forever; set "
			            "'timeout client', 'timeout connect' and 'timeout server'",
			            px->kind, px->id);
		if (px->uid_str && px->mode == PX_MODE_HTTP) {
			const char *file = ctx->file;
			int line = ctx->line;

			ctx->file = px->uid_file;
			ctx->line = px->uid_line;
			px->uid_fmt = px_fmt_compile(ctx, px->uid_str, PX_FMT_LOG, PX_USE_REQ, &err);
			if (!px->uid_fmt) {
				px_cfg_error(ctx, "unique-id-format: %s", err);
				free(err);
			}
			ctx->file = file;
			ctx->line = line;
			if (!px->uid_fmt)
				return;
		}
		if (px->logfmt_str) {
			const char *file = ctx->file;
			int line = ctx->line;

			ctx->file = px->logfmt_file;
			ctx->line = px->logfmt_line;
			px->logfmt = px_logfmt_compile(ctx, px->logfmt_str, &err);
			if (!px->logfmt) {
				px_cfg_error(ctx, "log-format: %s", err);
				free(err);
			}
			ctx->file = file;
			ctx->line = line;
			if (!px->logfmt)
				return;
			/* Checked even without a log target, as HAProxy does;
			 * rendered only when there is one.
			 */
			if (!px->nloggers)
				px->logfmt = NULL;
		} else if (px->nloggers && !(px->options & PX_OPT_LOGFMTS)) {
			/* Without a log format option, HAProxy logs each
			 * connection as it is accepted (sess.c).
			 */
			px->log_at_accept = 1;
		} else if (px->nloggers) {
			fmt = px->options & PX_OPT_HTTPLOG ? HTTPLOG_FMT :
			      px->options & PX_OPT_HTTPSLOG ? HTTPSLOG_FMT : TCPLOG_FMT;
			px->logfmt = px_logfmt_compile(ctx, fmt, &err);
			if (!px->logfmt) {
				px_cfg_error(ctx, "%s '%s': log format: %s", px->kind, px->id, err);
				free(err);
				return;
			}
		}
	}
	if (px->cap & PX_CAP_BE) {
		if (!px->to.connect || !px->to.server)
			px_cfg_warn(ctx, "missing %s in %s '%s': a server that does not "
			            "answer will hold connections forever",
			            !px->to.connect && !px->to.server ?
			            "'timeout connect' and 'timeout server'" :
			            !px->to.connect ? "'timeout connect'" : "'timeout server'",
			            px->kind, px->id);
		px_server_finalize(ctx, px);
	}
}

/* Resolves references between proxies and checks what can only be
 * checked once every file was read.
 */
void px_proxy_finalize(struct px_cfg_ctx *ctx)
{
	struct px_list *e;

	px_list_for_each(e, &ctx->gen->proxies)
		finalize_proxy(ctx, px_container_of(e, struct px_proxy, link));
	ctx->file = NULL;
}

static const struct px_cfg_kw proxy_kws[] = {
	{ .name = "mode", .sections = PX_SEC_PROXIES, .parse = kw_mode },
	{ .name = "log-format", .sections = PX_SEC_FE, .parse = kw_log_format },
	{ .name = "unique-id-format", .sections = PX_SEC_FE, .parse = kw_unique_id },
	{ .name = "unique-id-header", .sections = PX_SEC_FE, .parse = kw_unique_id },
	{ .name = "maxconn", .sections = PX_SEC_FE, .parse = kw_maxconn },
	{ .name = "timeout", .sections = PX_SEC_PROXIES, .parse = kw_timeout },
	{ .name = "default_backend", .sections = PX_SEC_FE, .parse = kw_default_backend },
	{ .name = "retries", .sections = PX_SEC_BE, .parse = kw_retries },
	{ .name = "http-reuse", .sections = PX_SEC_BE, .parse = kw_http_reuse },
	{ .name = "log", .sections = PX_SEC_PROXIES, .flags = PX_KWF_NEGATABLE,
	  .parse = kw_log },
	{ .name = "option", .sections = PX_SEC_PROXIES, .flags = PX_KWF_NEGATABLE,
	  .parse = kw_option },
	{ 0 }
};

static struct px_cfg_kw_list proxy_kw_list = { .kws = proxy_kws };

__attribute__((constructor)) static void proxy_register(void)
{
	px_cfg_register(&proxy_kw_list);
}
