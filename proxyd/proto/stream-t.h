/* Types of streams: one request/response exchange, or one TCP session. */
#ifndef PX_PROTO_STREAM_T_H
#define PX_PROTO_STREAM_T_H

#include <stdint.h>
#include <sys/time.h>
#include "core/ev-t.h"
#include "core/list.h"
#include "proto/h1-t.h"

struct px_sess;
struct px_proxy;
struct px_server;
struct px_srvconn;
struct px_errmsg;
struct px_var;
struct px_lua_call;
struct px_splice;
struct px_rule;

/* Request side: how far the request was received. */
enum px_rq_state {
	PX_RQ_HDR = 0,      /* receiving the head */
	PX_RQ_BODY,         /* head analysed; receiving the body */
	PX_RQ_DONE,         /* the whole request was received */
	PX_RQ_TUNNEL,       /* raw bytes both ways (upgrade, TCP mode) */
	PX_RQ_CLOSED,       /* the client shut its side (TCP/tunnel) */
};

/* Response side. */
enum px_rs_state {
	PX_RS_NONE = 0,     /* no server connection yet */
	PX_RS_HDR,          /* waiting for the response head */
	PX_RS_BODY,         /* forwarding the body */
	PX_RS_DONE,         /* the whole response was received */
	PX_RS_TUNNEL,       /* raw bytes (upgrade, TCP mode) */
	PX_RS_CLOSED,       /* the server shut its side (TCP/tunnel) */
};

/* Server side progress. */
enum px_sc_state {
	PX_SC_NONE = 0,     /* nothing asked yet */
	PX_SC_QUEUED,       /* waiting in a queue for a slot */
	PX_SC_TURNAROUND,   /* waiting before a retry */
	PX_SC_CONNECTING,   /* connect() in progress */
	PX_SC_READY,        /* connected */
	PX_SC_FAILED,       /* gave up (an error response is on its way) */
};

/* Stream flags. */
#define PX_STF_CLI_KEEP     0x0001  /* client connection stays open after */
#define PX_STF_SRV_KEEP     0x0002  /* server connection may be reused after */
#define PX_STF_RETAIN       0x0004  /* request bytes kept until a response byte */
#define PX_STF_REUSED       0x0008  /* the server connection was idle before */
#define PX_STF_HEAD         0x0010  /* HEAD request: response has no body */
#define PX_STF_IDEMPOTENT   0x0020  /* request may be sent again */
#define PX_STF_REQ_CLOSE    0x0040  /* client asked to close */
#define PX_STF_REQ_KA10     0x0080  /* HTTP/1.0 client asked for keep-alive */
#define PX_STF_UPGRADE      0x0100  /* request asks for a protocol upgrade */
#define PX_STF_CONNECT      0x0200  /* CONNECT method */
#define PX_STF_LOCAL        0x0400  /* proxyd answers itself (s->local) */
#define PX_STF_SRV_DONE     0x0800  /* server side finished with */
#define PX_STF_RES_STARTED  0x1000  /* response bytes were sent to the client */
#define PX_STF_ABORT        0x2000  /* abort both sides, no more I/O */
#define PX_STF_DONTLOG      0x4000  /* do not log this stream */
#define PX_STF_CL_DROPPED   0x8000  /* response Content-Length dropped (row 39) */
#define PX_STF_QUEUED_SRV   0x10000 /* queued on a server, not the backend */
#define PX_STF_TIMEOUT_CONN 0x20000 /* last connect attempt timed out */
#define PX_STF_TUNNEL_NEXT  0x40000 /* become a tunnel once the response head is sent */
#define PX_STF_DECHUNK      0x80000 /* chunked response to an HTTP/1.0 client */
#define PX_STF_REDISPATCHED 0x100000 /* moved to another server after failures */
#define PX_STF_LEFT_BE      0x200000 /* no longer counted in its backend */
#define PX_STF_CK_VALID     0x400000 /* the request named a usable server by cookie */
#define PX_STF_POST         0x800000 /* POST request (cookie postonly) */
#define PX_STF_LOCAL_KA     0x1000000 /* proxyd's own response keeps the connection */
#define PX_STF_BY_RULE      0x2000000 /* the local response comes from a rule */
#define PX_STF_REQ_WHOLE    0x4000000 /* the whole request body is in the buffer */
#define PX_STF_LUA_WAIT     0x8000000 /* rules wait on a Lua action (s->lua) */
#define PX_STF_LUA_PRIV     0x10000000 /* Lua private data is kept for it */
#define PX_STF_INSPECT      0x20000000 /* TCP: tcp-request content rules pending */

struct px_stream {
	struct px_sess *sess;
	struct px_proxy *fe;
	struct px_proxy *be;           /* NULL until chosen */
	struct px_server *srv;         /* server assigned (holds a slot) */
	struct px_server *prev_srv;    /* server of a failed attempt */
	struct px_srvconn *sc;         /* server connection, or NULL */
	struct px_list qlink;          /* in a queue while queued */
	struct px_task task;           /* deferred processing */
	uint32_t flags;                /* PX_STF_* */
	uint8_t rq;                    /* enum px_rq_state */
	uint8_t rs;                    /* enum px_rs_state */
	uint8_t scs;                   /* enum px_sc_state */
	char term[2];                  /* termination cause and phase, '-' when normal */
	uint8_t retries;               /* connection retries done */
	uint16_t status;               /* status sent to the client */

	/* Request direction (client buffer). */
	struct px_h1_msg req;
	uint8_t req_body;              /* enum px_h1_body */
	uint64_t req_left;             /* Content-Length bytes not yet classified */
	struct px_h1_chunk req_chunk;
	uint32_t req_fwd;              /* bytes at the buffer head ready to send */
	uint32_t req_sent;             /* of which already sent */

	/* Response direction (server connection buffer). */
	struct px_h1_msg res;
	uint8_t res_body;
	uint64_t res_left;
	struct px_h1_chunk res_chunk;
	uint32_t res_fwd;
	const struct px_errmsg *local; /* proxyd's own response being sent */
	uint32_t local_sent;

	/* Deadlines on the loop clock, 0 when not armed. */
	uint64_t exp_req;              /* complete request head (http-request) */
	uint64_t exp_cli;              /* client inactivity */
	uint64_t exp_srv;              /* server inactivity */
	uint64_t exp_conn;             /* connect, queue or turn-around */

	/* Timestamps on the loop clock, for logs (0 = never). */
	struct timeval start_tv;       /* wall clock when the request started */
	uint64_t t_start;              /* first byte of the request (or accept) */
	uint64_t t_hdr;                /* request head complete */
	uint64_t t_queue;              /* entered a queue */
	uint64_t t_dequeue;            /* left the queue */
	uint64_t t_assign;             /* first attempt on the current server: Tw ends, Tc starts */
	uint64_t t_connect;            /* last connect() started */
	uint64_t t_connected;          /* connection established */
	uint64_t t_res;                /* response head complete */
	uint64_t t_idle;               /* idle time before the request (Ti) */
	uint32_t t_hs;                 /* TLS handshake time (Th), first request only */
	uint64_t t_cli_act;            /* last progress on the client side */
	uint64_t t_srv_act;            /* last progress on the server side */
	uint64_t bytes_in;             /* bytes received from the client */
	uint64_t bytes_out;            /* bytes sent to the client */
	uint32_t srv_queue_pos;        /* queue sizes seen when queued (%sq/%bq) */
	uint32_t lb_hash;              /* balance uri/hdr key, when lb_has_hash */
	uint8_t lb_has_hash;
	struct px_server *persist;     /* server named by the persistence cookie */
	uint32_t ck_first;             /* first-seen date of a maxlife cookie */
	char ck_req;                   /* %tsc 3rd char: request cookie, 0 = '-' */
	char ck_set;                   /* %tsc 4th char: response cookie, 0 = '-' */
	char *dyn;                     /* buffer of a response made by a rule */
	struct px_errmsg *dyn_msg;
	struct px_var *vars;           /* txn, req and res variables */
	char *caps;                    /* captured values (fe->cap_size bytes) */
	char *uid;                     /* unique-id-format's value, NUL-terminated */
	char *sni;                     /* SNI for a TLS server ("sni"), or NULL */
	uint64_t rid;                  /* request number in the process (%rt) */
	uint8_t log_level;             /* set-log-level, 0 = the logger's */
	uint32_t srv_timeout;          /* set-timeout server, 0 = the backend's */
	uint32_t tun_timeout;          /* set-timeout tunnel */
	uint32_t be_queue_pos;
	struct px_lua_call *lua;       /* a Lua call waiting to go on, or NULL */
	struct px_splice *spl;         /* kernel pipes of spliced forwarding, or NULL */
	const struct px_rule *rr_rule; /* the rule to resume the rules at */
	uint8_t rr_stage;              /* 1: first proxy's rules, 2: second's */

	/* The request line as received, for %r; its storage follows the
	 * header index arrays.
	 */
	char *rline;
	uint32_t rline_len;
	struct px_h1_hdr hdrs[];       /* request then response header index */
};

#endif
