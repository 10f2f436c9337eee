/* Types of servers (see server.h). */
#ifndef PX_BACKEND_SERVER_T_H
#define PX_BACKEND_SERVER_T_H

#include <stdint.h>
#include "admin/counters-t.h"
#include "backend/check-t.h"
#include "core/list.h"
#include "core/net-t.h"
#include "core/netns-t.h"

struct px_proxy;
struct px_ssl_srv;

/* Health of a server as its checks see it. */
enum px_srv_state {
	PX_SRV_UP = 0,              /* may receive traffic (servers start so) */
	PX_SRV_DOWN,                /* failed its health checks */
};

struct px_server {
	char *id;
	struct px_proxy *be;
	char *file;                 /* where it was declared */
	int line;
	uint32_t puid;              /* position in the backend, from 1 */
	char *addr_str;             /* address as written */
	union px_sockaddr addr;
	socklen_t addrlen;
	uint32_t maxconn;           /* concurrent streams, 0 = no limit */
	uint32_t weight;            /* 0 to 256; 0 receives no new traffic */
	int disabled;               /* "disabled": in maintenance */
	int backup;                 /* "backup": used when no active server is */
	struct px_check check;      /* health check settings and state */
	char *cookie;               /* "cookie VALUE": persistence cookie value */
	uint32_t cookie_len;
	struct px_ssl_srv *ssl;     /* TLS to the server, or NULL */
	struct px_source src;       /* "source" of the server line, else the backend's */
	char *netns;                /* "namespace NAME": connect from that namespace */
	uint8_t tfo;                /* "tfo": TCP Fast Open to the server */

	/* Run-time state. */
	uint8_t state;              /* enum px_srv_state */
	uint8_t drain;              /* drained from the command socket */
	uint8_t chk_paused;         /* "disable health": checks suspended */
	uint32_t iweight;           /* weight from the configuration */
	uint8_t cfg_disabled;       /* "disabled" in the configuration */
	uint8_t addr_changed;       /* "set server ... addr" moved it */
	uint8_t chk_inherited;      /* health taken over from the previous generation */
	int64_t last_change;        /* wall clock (s) of the last state change */
	uint32_t down_trans;        /* times it went from UP to DOWN */
	uint64_t down_time;         /* seconds DOWN or in maintenance before last_change */
	uint8_t down;               /* DOWN or in maintenance since last_change */
	uint8_t retired;            /* its generation was replaced (connections move on) */
	uint32_t cur_sess;          /* streams assigned to it now */
	uint64_t cum_sess;          /* streams ever assigned */
	struct px_list queue;       /* streams waiting for this server */
	uint32_t nqueued;
	struct px_list idle;        /* idle connections, most recent first */
	uint32_t nidle;
	uint32_t cur_conns;         /* open connections, idle ones included */
	int64_t rr_weight;          /* smooth weighted round robin state */
	uint64_t failed_conns;      /* connection attempts that failed */
	uint64_t retries;           /* retries on this server */
	uint64_t redispatches;      /* streams moved to another server */
	struct px_counters ctr;     /* "show stat" counters (admin/counters.c) */
};

#endif
