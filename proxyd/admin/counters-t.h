/* Traffic counters of proxies and servers, as "show stat" reports them
 * (see counters.h). Updated once per stream, when it ends, and at a few
 * events (a connection accepted, a session assigned to a server).
 */
#ifndef PX_ADMIN_COUNTERS_T_H
#define PX_ADMIN_COUNTERS_T_H

#include <stdint.h>

/* Events counted over the current second and the previous one, for the
 * per-second rates HAProxy shows.
 */
struct px_rate {
	uint32_t sec;                   /* the second <cur> counts */
	uint32_t cur, prev;
	uint32_t max;                   /* highest rate seen */
};

struct px_counters {
	uint64_t bytes_in;              /* bin: bytes from clients */
	uint64_t bytes_out;             /* bout: bytes to clients */
	uint64_t denied_req, denied_resp;       /* dreq, dresp */
	uint64_t failed_req;            /* ereq: invalid requests */
	uint64_t failed_conns;          /* econ: connection attempts that failed */
	uint64_t failed_resp;           /* eresp: invalid or aborted responses */
	uint64_t cli_aborts, srv_aborts;        /* cli_abrt, srv_abrt */
	uint64_t retries, redispatches;         /* wretr, wredis */
	uint64_t rsp[6];                /* hrsp_1xx .. hrsp_5xx, hrsp_other (index 0) */
	uint64_t req_tot;               /* HTTP requests */
	uint64_t intercepted;           /* answered by a rule */
	uint64_t rewrite_fail;          /* wrew: rewrites that failed */
	uint64_t lbtot;                 /* times chosen by load balancing */
	uint32_t smax;                  /* highest concurrent sessions */
	uint32_t qmax;                  /* highest queue length */
	struct px_rate sess_rate;       /* sessions (connections) per second */
	struct px_rate req_rate;        /* HTTP requests per second */
	int64_t last_sess;              /* wall time (s) of the last session, -1: never */
	/* Times of the last 1024 streams, averaged as HAProxy does (ms). */
	uint32_t qtime, ctime, rtime, ttime;
	uint32_t qtime_max, ctime_max, rtime_max, ttime_max;
};

#endif
