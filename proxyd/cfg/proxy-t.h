/* Types of proxies: frontends, backends, listen and defaults sections. */
#ifndef PX_CFG_PROXY_T_H
#define PX_CFG_PROXY_T_H

#include <stdint.h>
#include "admin/counters-t.h"
#include "backend/lb-t.h"
#include "core/list.h"
#include "core/netns-t.h"

/* Capabilities of a proxy. */
#define PX_CAP_FE   0x01    /* accepts connections (frontend, listen) */
#define PX_CAP_BE   0x02    /* has servers (backend, listen) */
#define PX_CAP_DEF  0x04    /* a defaults section */

enum px_mode {
	PX_MODE_TCP = 0,        /* plain TCP forwarding */
	PX_MODE_HTTP,           /* HTTP/1.x processing */
};

/* How HTTP connections are kept (option http-keep-alive & co). */
enum px_http_mode {
	PX_HTTP_KAL = 0,        /* keep-alive on both sides (default) */
	PX_HTTP_SCL,            /* close the server side after each response */
	PX_HTTP_CLO,            /* close both sides after each response */
};

/* http-reuse strategies, as HAProxy names them. */
enum px_reuse {
	PX_REUSE_SAFE = 0,      /* default; see docs/configuration.md */
	PX_REUSE_NEVER,         /* server connections stay with their session */
	PX_REUSE_AGGRESSIVE,    /* first requests reuse proven connections */
	PX_REUSE_ALWAYS,        /* first requests reuse any idle connection */
};

enum px_lb_algo {
	PX_LB_RR = 0,           /* weighted round robin */
	PX_LB_LC,               /* least connections */
	PX_LB_SRC,              /* hash of the client address */
	PX_LB_FIRST,            /* first server with a free slot */
	PX_LB_STATIC_RR,        /* weighted round robin over a fixed map */
	PX_LB_URI,              /* hash of the request URI (s->lb_hash) */
	PX_LB_HDR,              /* hash of header lb_hdr (s->lb_hash) */
	PX_LB_RANDOM,           /* least loaded of N weighted random draws */
};

/* Options (bits of px_proxy.options). */
#define PX_OPT_FORWARDFOR   0x0001   /* add X-Forwarded-For */
#define PX_OPT_HTTPLOG      0x0002   /* HTTP log format */
#define PX_OPT_TCPLOG       0x0004   /* TCP log format */
#define PX_OPT_IGN_PROBES   0x0008   /* silent close of empty connections */
#define PX_OPT_DONTLOGNULL  0x0010   /* do not log empty connections */
#define PX_OPT_REDISPATCH   0x0020   /* last retry goes to another server */
#define PX_OPT_LOG_GLOBAL   0x0040   /* "log global" */
#define PX_OPT_HTTPLOG_CLF  0x0080   /* "option httplog clf" */
#define PX_OPT_FWDFOR_IFNONE 0x0100  /* forwardfor if-none */
#define PX_OPT_ALLBACKUPS   0x0200   /* balance over every backup server */
#define PX_OPT_HTTPSLOG     0x0400   /* HTTPS log format (httplog + TLS facts) */
#define PX_OPT_LOGFMTS      (PX_OPT_HTTPLOG | PX_OPT_HTTPSLOG | PX_OPT_TCPLOG)
#define PX_OPT_CLITCPKA     0x0800   /* SO_KEEPALIVE on client connections */
#define PX_OPT_SRVTCPKA     0x1000   /* SO_KEEPALIVE on server connections */
#define PX_OPT_SPLICE_AUTO  0x2000   /* splice() raw forwarding both ways */
#define PX_OPT_SPLICE_REQ   0x4000   /* splice() client to server */
#define PX_OPT_SPLICE_RES   0x8000   /* splice() server to client */

/* Timeouts in milliseconds, 0 when not set. */
struct px_timeouts {
	uint32_t client;
	uint32_t server;
	uint32_t connect;
	uint32_t http_request;
	uint32_t http_keep_alive;
	uint32_t queue;
	uint32_t tunnel;
	uint32_t client_fin;
	uint32_t server_fin;
	uint32_t check;         /* health check read timeout (backend/check.c) */
};

/* Status codes proxyd can answer itself, each with a default page that
 * "errorfile" may replace.
 */
enum px_err {
	PX_ERR_200 = 0, PX_ERR_400, PX_ERR_401, PX_ERR_403, PX_ERR_404,
	PX_ERR_405, PX_ERR_407, PX_ERR_408, PX_ERR_410, PX_ERR_413, PX_ERR_414,
	PX_ERR_425, PX_ERR_429, PX_ERR_431, PX_ERR_500, PX_ERR_501, PX_ERR_502,
	PX_ERR_503, PX_ERR_504, PX_ERR_505,
	PX_ERR_NB
};

/* A complete HTTP response sent as is. An empty one means "close without
 * sending anything" (errorfile CODE /dev/null).
 */
struct px_errmsg {
	const char *data;
	uint32_t len;
};

struct px_server;
struct px_expr;
struct px_httpchk;
struct px_logger;
struct px_rules;
struct px_cookie;

/* A capture slot: "capture request|response header NAME len N" (<name>
 * set) or "http-request capture EXPR len N". Values are stored per stream
 * at <off>: a two-byte length (0xffff when nothing was captured) then up
 * to <len> bytes.
 */
struct px_capture {
	char *name;
	uint32_t nlen;
	uint32_t len;
	uint32_t off;
};
struct px_logfmt;

struct px_proxy {
	struct px_list link;            /* in gen->proxies or gen->defaults */
	char *id;
	unsigned cap;                   /* PX_CAP_* */
	const char *kind;               /* "frontend", "backend", "listen", "defaults" */
	char *file;                     /* where it was declared */
	int line;
	enum px_mode mode;
	enum px_http_mode http_mode;
	uint32_t options;               /* PX_OPT_* */
	uint32_t maxconn;               /* frontend: concurrent connections */
	struct px_timeouts to;
	uint32_t retries;
	int redispatch_every;           /* redispatch on every Nth retry, -1 = last */
	enum px_reuse reuse;
	enum px_lb_algo lb;
	char *lb_hdr;                   /* balance hdr(NAME): the header name */
	struct px_lbprm lbprm;          /* balance options, server map (lb-t.h) */
	struct px_source src;           /* "source": where server connections come from */
	struct px_httpchk *httpchk;     /* option httpchk, NULL: TCP checks */
	struct px_server *defsrv;       /* default-server settings, or NULL */
	struct px_expr *ssl_sni;        /* first TLS server's "sni" expression */
	char *fwdfor_hdr;               /* header name for option forwardfor */
	char *defbe_name;               /* default_backend as written */
	struct px_proxy *defbe;         /* resolved at the end of parsing */
	struct px_list binds;           /* struct px_bind */
	struct px_server **srv;         /* servers in declaration order */
	uint32_t nsrv;
	const struct px_errmsg *errmsg[PX_ERR_NB];   /* NULL: the default page */
	struct px_logger **loggers;
	int nloggers;
	struct px_logfmt *logfmt;       /* traffic log format, NULL: no log */
	char *logfmt_str;               /* "log-format" as written, NULL: none */
	char *logfmt_file;              /* where it was written */
	int logfmt_line;
	char *uid_str;                  /* "unique-id-format" as written */
	char *uid_file;
	int uid_line;
	struct px_logfmt *uid_fmt;      /* compiled at the end of parsing */
	char *uid_hdr;                  /* "unique-id-header" NAME, or NULL */
	int log_at_accept;              /* default format: log the connection */
	uint32_t uuid;                  /* position in the configuration */
	uint32_t tcp_inspect_ms;        /* tcp-request inspect-delay, 0: none */
	struct px_rules *rules;         /* ACLs and rules, NULL when none */
	struct px_cookie *ck;           /* "cookie" persistence, NULL when none */
	struct px_capture *req_caps;    /* request captures, in %hr order */
	uint32_t nreq_caps;
	struct px_capture *res_caps;    /* response captures, in %hs order */
	uint32_t nres_caps;
	uint32_t cap_size;              /* bytes of s->caps for all slots */

	/* Run-time state of this generation's proxy. */
	uint32_t feconn;                /* client connections open now */
	uint32_t beconn;                /* streams using the backend now */
	uint64_t cum_feconn;            /* client connections accepted */
	uint64_t cum_req;               /* HTTP requests received */
	uint64_t cum_beconn;            /* streams sent to the backend */
	struct px_list queue;           /* streams waiting for any server */
	uint32_t nqueued;
	uint32_t lb_next;               /* round robin / first position */
	int paused;                     /* frontend not accepting (maxconn) */
	int admin_stopped;              /* "disable frontend" from the command socket */
	int maxconn_changed;            /* "set maxconn frontend" changed maxconn */
	uint32_t cfg_maxconn;           /* ... from this value in the configuration */
	struct px_list paused_listeners;
	struct px_counters ctr;         /* "show stat" counters (admin/counters.c) */
};

#endif
