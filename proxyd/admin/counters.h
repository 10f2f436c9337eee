/* Traffic counters for "show stat" and "show info" (see counters-t.h).
 *
 * Everything here runs on the hot path: plain additions and comparisons on
 * counters embedded in the proxies and servers, no allocation, no lock
 * (one event loop owns them all). The hooks are called by the modules that
 * see the events; px_counters_stream_end() does the bulk once per stream.
 */
#ifndef PX_ADMIN_COUNTERS_H
#define PX_ADMIN_COUNTERS_H

#include <stdint.h>
#include "admin/counters-t.h"

struct px_proxy;
struct px_server;
struct px_stream;

extern struct px_proc_counters px_proc_ctr;

/* A server's status as "show stat" words it (stats.c): MAINT, DRAIN,
 * "DOWN 1/2", "UP 1/3", UP or "no check". <buf> holds the composed forms.
 */
const char *px_stats_srv_status(const struct px_server *srv, char *buf, unsigned long size);

void px_rate_add(struct px_rate *r, uint32_t now_sec, uint32_t n);
uint32_t px_rate_read(const struct px_rate *r, uint32_t now_sec);

/* Running averages (see struct px_avg): <n> is the number of samples
 * already taken (the caller counts them, one count for several averages).
 */
void px_avg_add(struct px_avg *a, uint32_t n, uint32_t v);
uint32_t px_avg_read(const struct px_avg *a, uint32_t n);

/* A connection accepted by frontend <fe> (its feconn already counts it). */
void px_counters_accept(struct px_proxy *fe, uint32_t now_sec);
/* A session moved to frontend <fe> of a new generation: counted by <fe>
 * as a connection, but not again in the process totals.
 */
void px_counters_moved(struct px_proxy *fe, uint32_t now_sec);
/* Stream <s> entered its backend s->be (beconn already counts it). */
void px_counters_be_enter(const struct px_stream *s);
/* Server <srv> took stream <s> (its cur_sess already counts it); <lb>:
 * the load balancing algorithm chose it.
 */
void px_counters_srv_take(const struct px_stream *s, struct px_server *srv, int lb);
/* Stream <s> was queued on s->srv or on s->be. */
void px_counters_queued(const struct px_stream *s);
/* Stream <s> opens a connection to s->srv, or <reused> an idle one. */
void px_counters_connect(const struct px_stream *s, int reused);
/* A deny rule refused the request, or the response when <resp>. */
void px_counters_deny(const struct px_stream *s, int resp);
/* A rule of stream <s> failed (a rewrite without room, mostly). */
void px_counters_rewrite_fail(const struct px_stream *s);
/* A health check of <srv> ended, <ok> or not (before the state moves). */
void px_counters_check(struct px_server *srv, int ok);
/* A stream ends: its bytes, status, errors and times are added to its
 * frontend, backend and server.
 */
void px_counters_stream_end(const struct px_stream *s);

#endif
