/* Traffic counters of proxies and servers, as "show stat" reports them
 * (see counters.h). Updated once per stream, when it ends, and at a few
 * events (a connection accepted, a stream entering a backend, a server
 * assigned, a stream queued, a denial, a check result).
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

/* How many of the last samples an average covers (HAProxy's
 * TIME_STATS_SAMPLES).
 */
#define PX_TIME_SAMPLES 1024

/* A running average of one duration (ms) over the last PX_TIME_SAMPLES
 * samples, and the highest value seen. <sum> stands for the sum of the
 * samples in the window: while fewer than PX_TIME_SAMPLES were taken it is
 * their exact sum, then each new value v makes it sum - sum / N + v (the
 * oldest sample is forgotten as an average one), so the average is always
 * sum / min(count, N): avg' = avg + (v - avg) / N once the window is full.
 */
struct px_avg {
	uint64_t sum;
	uint32_t max;
};

/* What a frontend counts (the frontend side of a frontend or listen
 * proxy). A listen proxy shows a FRONTEND and a BACKEND row, each with its
 * own bytes and responses, as HAProxy's fe_counters and be_counters.
 */
struct px_fe_counters {
	uint64_t bytes_in;              /* bin: bytes from clients */
	uint64_t bytes_out;             /* bout: bytes to clients */
	uint64_t denied_req, denied_resp;       /* dreq, dresp */
	uint64_t failed_req;            /* ereq: invalid or aborted requests */
	uint64_t rsp[6];                /* hrsp_1xx .. hrsp_5xx, hrsp_other (index 0) */
	uint64_t req_tot;               /* HTTP requests */
	uint64_t intercepted;           /* answered by a rule (return, redirect) */
	uint64_t rewrite_fail;          /* wrew: rewrites that failed */
	uint32_t smax;                  /* highest feconn */
	struct px_rate sess_rate;       /* connections per second */
	struct px_rate req_rate;        /* HTTP requests per second */
};

/* Embedded as "ctr" in proxies and servers. The fields outside <fe> are
 * the backend side of a proxy, or a server's own.
 */
struct px_counters {
	struct px_fe_counters fe;       /* proxies with PX_CAP_FE only */
	uint64_t bytes_in;              /* bin: bytes from clients */
	uint64_t bytes_out;             /* bout: bytes to clients */
	uint64_t denied_req, denied_resp;       /* dreq, dresp */
	uint64_t failed_conns;          /* econ: streams that could not connect */
	uint64_t failed_resp;           /* eresp: invalid or aborted responses */
	uint64_t cli_aborts, srv_aborts;        /* cli_abrt, srv_abrt */
	uint64_t retries, redispatches;         /* wretr, wredis (backends) */
	uint64_t rsp[6];                /* hrsp_1xx .. hrsp_5xx, hrsp_other (index 0) */
	uint64_t req_tot;               /* HTTP requests */
	uint64_t intercepted;           /* answered by a rule (return, redirect) */
	uint64_t rewrite_fail;          /* wrew: rewrites that failed */
	uint64_t lbtot;                 /* times chosen by load balancing */
	uint64_t connect;               /* new server connections attempted */
	uint64_t reuse;                 /* idle server connections reused */
	uint64_t chk_fail;              /* chkfail: failed checks while UP (servers) */
	uint32_t smax;                  /* highest beconn, or cur_sess of a server */
	uint32_t qmax;                  /* highest queue length */
	struct px_rate sess_rate;       /* streams assigned per second */
	int64_t last_sess;              /* wall time (s) of the last stream assigned, 0: never */
	/* Times of the last PX_TIME_SAMPLES streams that reached a server. */
	uint32_t nsamples;              /* samples taken, up to PX_TIME_SAMPLES */
	struct px_avg qtime, ctime, rtime, ttime;
};

/* Counters of the whole process, kept across reloads ("show info"). */
struct px_proc_counters {
	uint64_t cum_conns;             /* CumConns: connections accepted */
	uint64_t cum_req;               /* CumReq: HTTP requests */
	uint64_t bytes_out;             /* TotalBytesOut */
	struct px_rate conn_rate;       /* ConnRate, MaxConnRate */
	struct px_rate req_rate;        /* for HTTP requests per second */
};

#endif
