/* Traffic counters of proxies and servers (see counters.h), counted the
 * way HAProxy's "show stat" defines its columns (management guide, 9.1).
 *
 * Most of the work happens once per stream, when it ends, from what the
 * stream recorded: its byte counts, the status sent, its termination code
 * (s->term, as in the log line: cause then phase) and its timestamps. The
 * few values that must be seen when they happen (high-water marks, rates,
 * denials) have their own hooks. This file reads streams, proxies and
 * servers; it changes nothing but counters.
 */
#include "admin/counters.h"
#include "backend/server-t.h"
#include "cfg/proxy-t.h"
#include "core/ev-t.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"

struct px_proc_counters px_proc_ctr;

/* Counts <n> events at second <now_sec>. */
void px_rate_add(struct px_rate *r, uint32_t now_sec, uint32_t n)
{
	if (r->sec != now_sec) {
		r->prev = r->sec + 1 == now_sec ? r->cur : 0;
		r->cur = 0;
		r->sec = now_sec;
	}
	r->cur += n;
	if (r->cur > r->max)
		r->max = r->cur;
}

/* Events over the last second: the previous second's count weighted by
 * how much of it the sliding window still covers, plus the current one's
 * (as HAProxy's freq counters do, at one-second granularity).
 */
uint32_t px_rate_read(const struct px_rate *r, uint32_t now_sec)
{
	if (r->sec == now_sec)
		return r->cur > r->prev ? r->cur : r->prev;
	if (r->sec + 1 == now_sec)
		return r->cur;
	return 0;
}

/* Adds sample <v> to <a>, which holds <n> samples already. While the
 * window is not full the sum is exact; then the oldest sample is taken to
 * be an average one: sum' = sum - sum / N + v, i.e. avg' = avg + (v - avg) / N
 * (HAProxy's "swrate", sliding window rate, over N = 1024 samples).
 */
void px_avg_add(struct px_avg *a, uint32_t n, uint32_t v)
{
	if (n >= PX_TIME_SAMPLES)
		a->sum -= a->sum / PX_TIME_SAMPLES;
	a->sum += v;
	if (v > a->max)
		a->max = v;
}

/* The average of <a> holding <n> samples, rounded to the nearest ms. */
uint32_t px_avg_read(const struct px_avg *a, uint32_t n)
{
	if (!n)
		return 0;
	if (n > PX_TIME_SAMPLES)
		n = PX_TIME_SAMPLES;
	return (uint32_t)((a->sum + n / 2) / n);
}

static inline void set_max(uint32_t *max, uint32_t v)
{
	if (v > *max)
		*max = v;
}

static inline uint32_t now_sec(const struct px_stream *s)
{
	return (uint32_t)s->sess->loop->now_tv.tv_sec;
}

/* A dry run ("trace request") runs the rules on a session without a
 * socket: it must leave the counters alone.
 */
static inline int dry_run(const struct px_stream *s)
{
	return s->sess->cli.io.fd < 0;
}

void px_counters_moved(struct px_proxy *fe, uint32_t sec)
{
	struct px_fe_counters *c = &fe->ctr.fe;

	px_rate_add(&c->sess_rate, sec, 1);
	set_max(&c->smax, fe->feconn);
}

void px_counters_accept(struct px_proxy *fe, uint32_t sec)
{
	px_counters_moved(fe, sec);
	px_proc_ctr.cum_conns++;
	px_rate_add(&px_proc_ctr.conn_rate, sec, 1);
}

void px_counters_be_enter(const struct px_stream *s)
{
	struct px_counters *c = &s->be->ctr;
	uint32_t sec = now_sec(s);

	if (dry_run(s))
		return;
	px_rate_add(&c->sess_rate, sec, 1);
	set_max(&c->smax, s->be->beconn);
	c->last_sess = sec;
}

void px_counters_srv_take(const struct px_stream *s, struct px_server *srv, int lb)
{
	struct px_counters *c = &srv->ctr;
	uint32_t sec = now_sec(s);

	px_rate_add(&c->sess_rate, sec, 1);
	set_max(&c->smax, srv->cur_sess);
	c->last_sess = sec;
	if (lb) {
		c->lbtot++;
		srv->be->ctr.lbtot++;
	}
}

void px_counters_queued(const struct px_stream *s)
{
	if (s->flags & PX_STF_QUEUED_SRV)
		set_max(&s->srv->ctr.qmax, s->srv->nqueued);
	else
		set_max(&s->be->ctr.qmax, s->be->nqueued);
}

void px_counters_connect(const struct px_stream *s, int reused)
{
	if (reused) {
		s->srv->ctr.reuse++;
		s->be->ctr.reuse++;
	} else {
		s->srv->ctr.connect++;
		s->be->ctr.connect++;
	}
}

/* The server a stream was last sent to (as the log line's %s). */
static inline struct px_server *stream_srv(const struct px_stream *s)
{
	return s->srv ? s->srv : s->prev_srv;
}

/* As HAProxy: the frontend always counts a denial; the backend when the
 * stream had entered one (a backend's rule, or any response rule); the
 * server for a response it sent.
 */
void px_counters_deny(const struct px_stream *s, int resp)
{
	struct px_server *srv = stream_srv(s);

	if (dry_run(s))
		return;
	if (!resp) {
		s->fe->ctr.fe.denied_req++;
		if (s->be)
			s->be->ctr.denied_req++;
		return;
	}
	s->fe->ctr.fe.denied_resp++;
	if (s->be)
		s->be->ctr.denied_resp++;
	if (srv)
		srv->ctr.denied_resp++;
}

void px_counters_rewrite_fail(const struct px_stream *s)
{
	struct px_server *srv;

	if (!s || dry_run(s))
		return;
	srv = stream_srv(s);
	s->fe->ctr.fe.rewrite_fail++;
	if (s->be)
		s->be->ctr.rewrite_fail++;
	if (srv)
		srv->ctr.rewrite_fail++;
}

/* "chkfail" counts the failed checks of a server that was UP (HAProxy's
 * definition), not those of a server already known to be DOWN.
 */
void px_counters_check(struct px_server *srv, int ok)
{
	if (!ok && srv->state == PX_SRV_UP)
		srv->ctr.chk_fail++;
}

/* hrsp_1xx..hrsp_5xx by status class, hrsp_other (index 0) for the rest. */
static inline void count_status(uint64_t *rsp, unsigned status)
{
	rsp[status >= 100 && status <= 599 ? status / 100 : 0]++;
}

static inline uint32_t span(uint64_t from, uint64_t to)
{
	return to > from ? (uint32_t)(to - from) : 0;
}

/* Adds the queue, connect, response and total times of <s> to <c>: the
 * %Tw, %Tc, %Tr and %Tt of its log line (rules/fmt.c). Like HAProxy, only
 * streams that connected to a server and, in HTTP, got a response head
 * count; a TCP stream has no response time (0).
 */
static void add_times(struct px_counters *c, const struct px_stream *s, int http, uint64_t end)
{
	uint32_t tw = s->t_queue ? span(s->t_queue, s->t_dequeue ? s->t_dequeue : end) : 0;
	uint32_t tc = span(s->t_assign, s->t_connected);
	uint32_t tr = http ? span(s->t_connected, s->t_res) : 0;
	uint32_t tt = span(s->sess->accept_ms, end);

	px_avg_add(&c->qtime, c->nsamples, tw);
	px_avg_add(&c->ctime, c->nsamples, tc);
	px_avg_add(&c->rtime, c->nsamples, tr);
	px_avg_add(&c->ttime, c->nsamples, tt);
	if (c->nsamples < PX_TIME_SAMPLES)
		c->nsamples++;
}

/* The termination code <cause><phase> (the log's first two %ts letters)
 * tells which error counters a stream adds to:
 *   ereq      phase R (request head) unless a rule answered: bad requests,
 *             clients that left or timed out before sending a whole head,
 *             connections closed without a byte (as HAProxy, a 400)
 *   econ      cause S/s in phase C (connect) or Q (queue): the server
 *             refused, did not answer in time, or none was available
 *   eresp     cause S/s in phase H or D (the server closed, reset or timed
 *             out), or P in phase H (invalid response head) or D after the
 *             whole request (invalid response body), unless a rule answered
 *   cli_abrt  cause C/c in phase H or D: the client left (or timed out)
 *             while the response was awaited or transferred
 *   srv_abrt  cause S/s in phase D (also counted in eresp)
 * Denials are counted when they happen (px_counters_deny()).
 */
void px_counters_stream_end(const struct px_stream *s)
{
	struct px_proxy *fe = s->fe, *be = s->be;
	struct px_server *srv = stream_srv(s);
	struct px_fe_counters *f = &fe->ctr.fe;
	int http = fe->mode == PX_MODE_HTTP;
	int by_rule = !!(s->flags & PX_STF_BY_RULE);
	char cause = s->term[0], phase = s->term[1];
	int srv_side = cause == 'S' || cause == 's';
	int intercepted = by_rule && cause == 'L';
	uint64_t end = s->sess->loop->now_ms;
	uint32_t sec = now_sec(s);
	int econ, eresp, cli_abort, srv_abort;

	px_proc_ctr.bytes_out += s->bytes_out;
	f->bytes_in += s->bytes_in;
	f->bytes_out += s->bytes_out;
	if (http) {
		px_proc_ctr.cum_req++;
		px_rate_add(&px_proc_ctr.req_rate, sec, 1);
		f->req_tot++;
		px_rate_add(&f->req_rate, sec, 1);
		if (s->status)
			count_status(f->rsp, s->status);
	}
	if (phase == 'R' && !by_rule && cause != 'L')
		f->failed_req++;
	if (intercepted)
		f->intercepted++;
	if (!be)
		return;

	econ = srv_side && (phase == 'C' || phase == 'Q');
	srv_abort = srv_side && phase == 'D';
	cli_abort = (cause == 'C' || cause == 'c') && (phase == 'H' || phase == 'D');
	eresp = (srv_side && (phase == 'H' || phase == 'D')) ||
	        (cause == 'P' && !by_rule &&
	         (phase == 'H' || (phase == 'D' && s->rq == PX_RQ_DONE)));

	be->ctr.bytes_in += s->bytes_in;
	be->ctr.bytes_out += s->bytes_out;
	if (http) {
		be->ctr.req_tot++;
		if (s->status)
			count_status(be->ctr.rsp, s->status);
	}
	if (intercepted)
		be->ctr.intercepted++;
	be->ctr.failed_conns += econ;
	be->ctr.failed_resp += eresp;
	be->ctr.cli_aborts += cli_abort;
	be->ctr.srv_aborts += srv_abort;
	be->ctr.retries += s->retries;
	if (s->flags & PX_STF_REDISPATCHED)
		be->ctr.redispatches++;
	if (s->t_connected && (!http || s->t_res))
		add_times(&be->ctr, s, http, end);
	if (!srv)
		return;

	/* The server counts what went through it. Its responses are the ones
	 * it sent (before any rule replaced them), and its requests those it
	 * was connected for.
	 */
	srv->ctr.bytes_in += s->bytes_in;
	srv->ctr.bytes_out += s->bytes_out;
	if (http && s->t_connected)
		srv->ctr.req_tot++;
	if (http && s->t_res && s->res.status)
		count_status(srv->ctr.rsp, s->res.status);
	srv->ctr.failed_conns += econ;
	srv->ctr.failed_resp += eresp;
	srv->ctr.cli_aborts += cli_abort;
	srv->ctr.srv_aborts += srv_abort;
	if (s->t_connected && (!http || s->t_res))
		add_times(&srv->ctr, s, http, end);
}
