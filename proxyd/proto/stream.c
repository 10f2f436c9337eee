/* Streams: allocation, the server side common to HTTP and TCP (choosing a
 * server, queues, connecting, retries and redispatch), termination codes,
 * local responses and the traffic log line. The HTTP and TCP exchanges
 * themselves are in http.c and tcp.c; px_stream_process() dispatches to
 * them.
 */
#include <errno.h>
#include <string.h>
#include "admin/counters.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "backend/srvconn.h"
#include "cfg/proxy.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/pool.h"
#include "proto/errors.h"
#include "proto/h1.h"
#include "proto/http.h"
#include "proto/sess.h"
#include "proto/stream.h"
#include "script/hlua.h"
#include "proto/tcp.h"
#include "core/buf.h"
#include "ssl/ssl-t.h"
#include "ssl/sslsrv.h"
#include "rules/fmt.h"
#include "rules/rules.h"
#include "rules/vars.h"

uint32_t px_stream_maxhdr = 100;
uint32_t px_stream_logurilen = 1024;

static __thread struct px_pool stream_pool =
	PX_POOL_INIT("stream", sizeof(struct px_stream));

static void stream_task(struct px_task *t);

/* Sizes the stream pool for <maxhdr> header lines per message (the start
 * line excluded) and a request line copy of <logurilen> bytes. Called
 * before any stream exists.
 */
int px_stream_setup(uint32_t maxhdr, uint32_t logurilen)
{
	if (stream_pool.used)
		return maxhdr == px_stream_maxhdr && logurilen == px_stream_logurilen ? 0 : -1;
	while (stream_pool.free_list) {
		void *obj = stream_pool.free_list;

		stream_pool.free_list = *(void **)obj;
		stream_pool.nfree--;
		free(obj);
	}
	px_stream_maxhdr = maxhdr;
	px_stream_logurilen = logurilen;
	stream_pool.size = sizeof(struct px_stream) +
	                   2 * maxhdr * sizeof(struct px_h1_hdr) + logurilen;
	return 0;
}

/* Requests (or TCP sessions) started by this process, for %rt. */
static uint64_t req_counter;

struct px_stream *px_stream_new(struct px_sess *sess)
{
	struct px_stream *s = px_pool_alloc(&stream_pool);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->sess = sess;
	s->fe = sess->fe;
	s->term[0] = '-';
	s->term[1] = '-';
	px_list_init(&s->qlink);
	px_task_init(&s->task, stream_task);
	px_h1_msg_init(&s->req, 1, s->hdrs, px_stream_maxhdr);
	px_h1_msg_init(&s->res, 0, s->hdrs + px_stream_maxhdr, px_stream_maxhdr);
	s->rline = (char *)(s->hdrs + 2 * px_stream_maxhdr);
	s->t_start = sess->loop->now_ms;
	s->start_tv = sess->loop->now_tv;
	s->rid = req_counter++;
	return s;
}

/* Sets the termination code once: the first cause recorded wins. */
void px_stream_term(struct px_stream *s, char cause, char phase)
{
	if (s->term[0] != '-')
		return;
	s->term[0] = cause;
	s->term[1] = phase;
}

/* --- queues ---------------------------------------------------------------- */

static void queue_remove(struct px_stream *s)
{
	if (px_list_empty(&s->qlink))
		return;
	px_list_del(&s->qlink);
	if (s->flags & PX_STF_QUEUED_SRV)
		s->srv->nqueued--;
	else
		s->be->nqueued--;
	s->flags &= ~PX_STF_QUEUED_SRV;
	s->t_dequeue = s->sess->loop->now_ms;
}

/* Hands free slots of <srv> to queued streams: its own queue first, then
 * its backend's.
 */
static void queue_drain(struct px_server *srv)
{
	while (px_srv_usable(srv) && (!srv->maxconn || srv->cur_sess < srv->maxconn)) {
		struct px_stream *s;

		if (srv->nqueued) {
			s = px_container_of(srv->queue.next, struct px_stream, qlink);
		} else if (srv->be->nqueued) {
			s = px_container_of(srv->be->queue.next, struct px_stream, qlink);
			s->srv = srv;
		} else {
			break;
		}
		queue_remove(s);
		srv->cur_sess++;
		srv->cum_sess++;
		px_counters_srv_take(s, srv, 0);
		s->scs = PX_SC_NONE;
		px_stream_wake(s);
	}
}

/* Gives free slots of <srv>, just marked UP, to queued streams. Returns
 * how many streams got one.
 */
uint32_t px_stream_queue_grab(struct px_server *srv)
{
	uint64_t before = srv->cum_sess;

	queue_drain(srv);
	return (uint32_t)(srv->cum_sess - before);
}

/* Sends the streams waiting in the queue of <srv>, just marked DOWN, back
 * to server selection (on their next turn). Returns how many.
 */
uint32_t px_stream_requeue_srv(struct px_server *srv)
{
	uint32_t n = 0;

	while (srv->nqueued) {
		struct px_stream *s = px_container_of(srv->queue.next, struct px_stream, qlink);

		queue_remove(s);
		s->srv = NULL;
		s->scs = PX_SC_NONE;
		px_stream_wake(s);
		n++;
	}
	return n;
}

static void enqueue(struct px_stream *s, struct px_server *srv)
{
	struct px_proxy *be = s->be;

	s->scs = PX_SC_QUEUED;
	s->t_queue = s->sess->loop->now_ms;
	s->be_queue_pos = be->nqueued;
	if (srv) {
		s->srv = srv;
		s->srv_queue_pos = srv->nqueued;
		s->flags |= PX_STF_QUEUED_SRV;
		px_list_append(&srv->queue, &s->qlink);
		srv->nqueued++;
	} else {
		px_list_append(&be->queue, &s->qlink);
		be->nqueued++;
	}
	px_counters_queued(s);
}

/* Gives back the server slot of <s> (if it holds one). */
static void release_slot(struct px_stream *s)
{
	struct px_server *srv = s->srv;

	if (!srv || s->scs == PX_SC_QUEUED)
		return;
	srv->cur_sess--;
	s->prev_srv = srv;
	s->srv = NULL;
	queue_drain(srv);
}

/* --- server connections ----------------------------------------------------- */

/* Ends the use of the server connection: kept for reuse when <keep>. */
void px_stream_srv_detach(struct px_stream *s, int keep)
{
	struct px_srvconn *sc = s->sc;

	if (!sc)
		return;
	s->sc = NULL;
	sc->strm = NULL;
	if (keep && s->be->reuse == PX_REUSE_NEVER) {
		px_sess_keep_srvconn(s->sess, sc);
		return;
	}
	if (keep)
		px_srvconn_release(sc, 1);
	else
		px_srvconn_close(sc, !(s->flags & PX_STF_SRV_DONE));
}

/* Prepares a proxyd response <status> (its errorfile or default page),
 * dropping the server side.
 */
/* Makes <data> the response of <s>, in a buffer of its own, after the
 * http-after-response rules had their say on it.
 */
static void local_set(struct px_stream *s, const char *data, uint32_t len)
{
	struct px_buf b = { 0 };
	struct px_errmsg *m;
	uint32_t room;

	if (!s->dyn) {
		if (px_buf_alloc_large(&b) < 0)
			return;
		s->dyn = b.area;
	}
	m = (struct px_errmsg *)s->dyn;
	room = 2 * px_bufsize - sizeof(*m);
	if (len > room)
		len = room;
	if (data != s->dyn + sizeof(*m))
		memmove(s->dyn + sizeof(*m), data, len);
	m->data = s->dyn + sizeof(*m);
	m->len = len;
	if (px_rules_have_after(s))
		m->len = px_http_after_local(s, s->dyn + sizeof(*m), m->len, room);
	s->local = m;
}

void px_stream_local(struct px_stream *s, int status, char cause, char phase)
{
	const struct px_errmsg *m;

	px_stream_term(s, cause, phase);
	if (s->sc)
		px_stream_srv_detach(s, 0);
	queue_remove(s);
	release_slot(s);
	s->scs = PX_SC_FAILED;
	s->status = status;
	/* As HAProxy: the backend's errorfile first, then the frontend's. */
	if (s->be && s->be->errmsg[px_err_index(status) < 0 ? PX_ERR_500 : px_err_index(status)])
		m = px_errmsg_get(s->be, status);
	else
		m = px_errmsg_get(s->fe, status);
	s->local = m;
	s->local_sent = 0;
	s->flags |= PX_STF_LOCAL;
	s->flags &= ~(PX_STF_CLI_KEEP | PX_STF_LOCAL_KA);
	/* An empty errorfile means "close silently": nothing to rewrite. */
	if (m->len && px_rules_have_after(s))
		local_set(s, m->data, m->len);
}

void px_stream_local_dyn(struct px_stream *s, int status, char cause, char phase,
                         const char *data, uint32_t len, int keep)
{
	px_stream_term(s, cause, phase);
	if (s->sc)
		px_stream_srv_detach(s, 0);
	queue_remove(s);
	release_slot(s);
	s->scs = PX_SC_FAILED;
	s->status = status;
	s->local = px_errmsg_get(s->fe, 500);
	s->local_sent = 0;
	s->flags |= PX_STF_LOCAL | PX_STF_BY_RULE;
	s->flags &= ~(PX_STF_CLI_KEEP | PX_STF_LOCAL_KA);
	if (keep)
		s->flags |= PX_STF_LOCAL_KA;
	local_set(s, data, len);
}

/* What tells a client's address apart (FNV-1a of the address, and the
 * port when <with_port>), never 0.
 */
static uint64_t client_key(const union px_inaddr *a, int with_port)
{
	const uint8_t *p = a->sa.sa_family == AF_INET6 ? (const uint8_t *)&a->in6.sin6_addr :
	                   (const uint8_t *)&a->in4.sin_addr;
	size_t n = a->sa.sa_family == AF_INET6 ? 16 : 4, i;
	uint64_t h = 1469598103934665603ull;
	uint16_t port = a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in4.sin_port;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	if (with_port)
		h = ((h ^ (port & 0xff)) * 1099511628211ull ^ (port >> 8)) * 1099511628211ull;
	return h | 1;
}

static int attach_conn(struct px_stream *s, struct px_srvconn *sc, int reused)
{
	struct px_loop *loop = s->sess->loop;

	sc->strm = s;
	sc->nreq++;
	s->sc = sc;
	px_counters_connect(s, reused);
	s->t_connect = loop->now_ms;
	if (!s->t_assign)
		s->t_assign = s->t_connect;
	s->t_srv_act = loop->now_ms;
	if (reused) {
		s->flags |= PX_STF_REUSED;
		s->t_connected = loop->now_ms;
		s->scs = PX_SC_READY;
		/* Keep the request bytes until the server answers, so a
		 * connection the server had just closed costs a resend, not
		 * an error.
		 */
		if (s->flags & PX_STF_IDEMPOTENT)
			s->flags |= PX_STF_RETAIN;
		return 1;
	}
	s->flags &= ~(PX_STF_REUSED | PX_STF_RETAIN);
	s->scs = PX_SC_CONNECTING;
	return 0;
}

static int conn_failed(struct px_stream *s, int timeout);

/* Connects the stream to its server: the session's own connection, an
 * idle one, or a new one. Returns 1 when ready, 0 when in progress, -1
 * when it failed for good (a local response is set).
 */
static int srv_connect(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_server *srv = s->srv;
	struct px_srvconn *sc = NULL;
	uint64_t key = srv->ssl ? px_ssl_srv_key(srv, s) : 0;
	const struct px_source *src = srv->src.set ? &srv->src : &srv->be->src;

	/* A connection made from the client's own address serves that
	 * client only.
	 */
	if (src->usesrc == PX_USESRC_CLIENTIP || src->usesrc == PX_USESRC_CLIENT)
		key = key * 1000003u + client_key(&sess->src, src->usesrc == PX_USESRC_CLIENT);
	int err = 0;

	if (sess->own) {
		if (sess->own->srv == srv && sess->own->key == key &&
		    !(s->flags & PX_STF_TIMEOUT_CONN)) {
			sc = px_sess_take_srvconn(sess);
			return attach_conn(s, sc, 1);
		}
		px_sess_drop_srvconn(sess);
	}
	if (!(s->flags & PX_STF_REUSED))
		sc = px_srvconn_take_idle(srv, s->be->reuse, sess->nreq <= 1,
		                          !!(s->flags & PX_STF_IDEMPOTENT), key);
	if (sc)
		return attach_conn(s, sc, 1);
	s->flags &= ~PX_STF_REUSED;
	sc = px_srvconn_connect(sess->loop, srv, &sess->src.sa, &err);
	if (!sc) {
		s->t_connect = sess->loop->now_ms;
		if (!s->t_assign)
			s->t_assign = s->t_connect;
		if (err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS) {
			px_stream_local(s, 503, 'R', 'C');
			return -1;
		}
		return conn_failed(s, 0);
	}
	sc->key = key;
	if (srv->ssl && srv->ssl->enabled && px_ssl_srv_start(sc, s) < 0) {
		px_srvconn_close(sc, 1);
		s->t_connect = sess->loop->now_ms;
		if (!s->t_assign)
			s->t_assign = s->t_connect;
		px_stream_local(s, 503, 'R', 'C');
		return -1;
	}
	attach_conn(s, sc, 0);
	return 0;
}

/* As HAProxy: with option redispatch, a failed server is left at its first
 * failure when it is down, or when nothing ties the request to it: no
 * persistence cookie chose it, the algorithm does not hash, and another
 * active server is usable. Waiting for it would gain nothing.
 */
static int redispatch_now(const struct px_stream *s)
{
	const struct px_proxy *be = s->be;
	const struct px_server *srv = s->srv;

	if (!srv)
		return 0;
	if (!px_srv_usable(srv))
		return 1;
	if (s->persist && s->persist == srv)
		return 0;
	return be->lb != PX_LB_SRC && be->lb != PX_LB_URI && be->lb != PX_LB_HDR &&
	       be->lbprm.srv_act > 1;
}

/* A connection attempt failed (refused, reset, timed out). Retries, maybe
 * on another server, or answers 503. Returns 0 when a retry is planned,
 * -1 when giving up.
 */
static int conn_failed(struct px_stream *s, int timeout)
{
	struct px_proxy *be = s->be;
	struct px_server *srv = s->srv;
	struct px_loop *loop = s->sess->loop;

	if (s->sc) {
		struct px_srvconn *sc = s->sc;

		s->sc = NULL;
		sc->strm = NULL;
		px_srvconn_close(sc, 1);
	}
	if (srv)
		srv->failed_conns++;
	if (s->retries >= be->retries) {
		px_stream_local(s, 503, timeout ? 's' : 'S', 'C');
		return -1;
	}
	s->retries++;
	if (srv)
		srv->retries++;
	if ((be->options & PX_OPT_REDISPATCH) && be->nsrv > 1 &&
	    ((be->redispatch_every < 0 ?
	      (int)s->retries == (int)be->retries + 1 + be->redispatch_every :
	      s->retries % be->redispatch_every == 0) || redispatch_now(s))) {
		/* Another server, at once. */
		if (srv)
			srv->redispatches++;
		s->flags |= PX_STF_REDISPATCHED;
		s->t_assign = 0;   /* as HAProxy: Tw then covers the failed attempts */
		/* The cookie's server failed: "D" in %tsc, as HAProxy says it. */
		if (s->persist && s->persist == srv && s->ck_req == 'V')
			s->ck_req = 'D';
		release_slot(s);
		s->scs = PX_SC_NONE;
		return 0;
	}
	if (timeout) {
		s->scs = PX_SC_NONE;
		return 0;
	}
	/* As HAProxy: wait min(timeout connect, 1s) before retrying a
	 * server that refused, so that a restarting server is not hammered.
	 */
	s->scs = PX_SC_TURNAROUND;
	s->exp_conn = loop->now_ms + (be->to.connect && be->to.connect < 1000 ?
	                              be->to.connect : 1000);
	return 0;
}

/* Sends the request again on a new connection after a reused connection
 * turned out to be closed by its server before answering.
 */
void px_stream_srv_retry_fresh(struct px_stream *s)
{
	struct px_srvconn *sc = s->sc;

	s->sc = NULL;
	sc->strm = NULL;
	px_srvconn_close(sc, 1);
	s->req_sent = 0;
	s->rs = PX_RS_NONE;
	s->scs = PX_SC_NONE;
	s->flags &= ~PX_STF_RETAIN;
	s->flags |= PX_STF_REUSED;   /* do not pick an idle one again */
	px_h1_msg_init(&s->res, 0, s->hdrs + px_stream_maxhdr, px_stream_maxhdr);
}

void px_stream_req_consume_sent(struct px_stream *s)
{
	px_buf_consume(&s->sess->cli.buf, s->req_sent);
	s->req_fwd -= s->req_sent;
	s->req_sent = 0;
}

int px_stream_tfo_step(struct px_stream *s, int timeout)
{
	int r = px_srvconn_tfo_state(s->sc);

	if (r > 0) {
		s->t_connected = s->sess->loop->now_ms;
		s->exp_conn = 0;
		/* Kept in case the server refused: not needed any more. */
		if ((s->flags & PX_STF_RETAIN) && !(s->flags & PX_STF_REUSED)) {
			s->flags &= ~PX_STF_RETAIN;
			px_stream_req_consume_sent(s);
		}
		return 1;
	}
	if (!r && !timeout)
		return 0;
	/* Refused, unreachable or no answer to the SYN: the server never
	 * saw the request, which goes again from its first byte.
	 */
	if (timeout)
		s->flags |= PX_STF_TIMEOUT_CONN;
	s->req_sent = 0;
	s->rs = PX_RS_NONE;
	s->flags &= ~PX_STF_RETAIN;
	px_h1_msg_init(&s->res, 0, s->hdrs + px_stream_maxhdr, px_stream_maxhdr);
	conn_failed(s, timeout);
	return -1;
}

/* Drives the server side one step. Returns 1 when the connection is
 * ready, 0 while waiting, -1 when it failed (a local response is set).
 */
int px_stream_srv_step(struct px_stream *s)
{
	struct px_loop *loop = s->sess->loop;
	struct px_server *srv;

	for (;;) {
		switch (s->scs) {
		case PX_SC_READY:
			return 1;
		case PX_SC_FAILED:
			return -1;
		case PX_SC_QUEUED:
		case PX_SC_TURNAROUND:
			return 0;
		case PX_SC_CONNECTING: {
			int r = px_srvconn_check_connect(s->sc);

			if (r == -2)
				return 0;
			if (r < 0) {
				if (conn_failed(s, 0) < 0)
					return -1;
				continue;
			}
			s->t_srv_act = loop->now_ms;
			s->scs = PX_SC_READY;
			/* Fast Open: made later, and the request is kept
			 * until then should the server refuse.
			 */
			if (s->sc->conn.flags & PX_CF_TFO)
				s->flags |= PX_STF_RETAIN;
			else
				s->t_connected = loop->now_ms;
			return 1;
		}
		case PX_SC_NONE:
			break;
		}

		/* The persistence cookie's server, unless it already failed
		 * this stream (redispatch).
		 */
		if (!s->srv && s->persist && s->persist != s->prev_srv &&
		    px_srv_persist_ok(s->persist)) {
			srv = s->persist;
			if (!px_srv_has_slot(srv)) {
				enqueue(s, srv);
				return 0;
			}
			s->srv = srv;
			srv->cur_sess++;
			srv->cum_sess++;
			px_counters_srv_take(s, srv, 0);
		}
		if (!s->srv) {
			switch (px_lb_pick(s, s->prev_srv, &srv)) {
			case PX_LB_OK:
				s->srv = srv;
				srv->cur_sess++;
				srv->cum_sess++;
				px_counters_srv_take(s, srv, 1);
				break;
			case PX_LB_SRV_FULL:
				enqueue(s, srv);
				return 0;
			case PX_LB_ALL_FULL:
				enqueue(s, NULL);
				return 0;
			case PX_LB_NONE:
				px_stream_local(s, 503, 'S', 'C');
				return -1;
			}
		}
		if (srv_connect(s) < 0)
			return -1;
		if (s->scs == PX_SC_NONE)
			continue;   /* immediate retry */
		if (s->scs == PX_SC_CONNECTING)
			continue;   /* Unix sockets may connect at once */
		return s->scs == PX_SC_READY ? 1 : 0;
	}
}

/* Handles an expired connect, queue or turn-around deadline. */
static void conn_deadline(struct px_stream *s)
{
	switch (s->scs) {
	case PX_SC_CONNECTING:
		s->flags |= PX_STF_TIMEOUT_CONN;
		conn_failed(s, 1);
		break;
	case PX_SC_QUEUED:
		queue_remove(s);
		s->srv = NULL;
		px_stream_local(s, 503, 's', 'Q');
		break;
	case PX_SC_TURNAROUND:
		s->scs = PX_SC_NONE;
		break;
	case PX_SC_READY:
		if (s->sc && (s->sc->conn.flags & PX_CF_TFO))
			px_stream_tfo_step(s, 1);
		break;
	default:
		break;
	}
	s->exp_conn = 0;
}

/* --- life cycle -------------------------------------------------------------- */

static void stream_task(struct px_task *t)
{
	px_stream_process(px_container_of(t, struct px_stream, task));
}

/* Schedules processing of <s> on the next loop turn. */
void px_stream_wake(struct px_stream *s)
{
	px_task_wake(s->sess->loop, &s->task);
}

/* Processes <s> after an event or a timer: handles expired deadlines,
 * then runs the exchange of its mode.
 */
void px_stream_process(struct px_stream *s)
{
	uint64_t now = s->sess->loop->now_ms;

	if (s->exp_conn && s->exp_conn <= now)
		conn_deadline(s);
	if (s->sess->fe->mode == PX_MODE_HTTP && s->rq < PX_RQ_TUNNEL)
		px_http_process(s);
	else
		px_tcp_process(s);
}

/* Releases everything <s> holds except the client connection. The server
 * connection must have been detached already.
 */
void px_stream_free(struct px_stream *s)
{
	if (s->sc)
		px_stream_srv_detach(s, 0);
	px_stream_leave_backend(s);
	px_task_cancel(&s->task);
	if (s->dyn) {
		struct px_buf b = { .area = s->dyn, .size = 2 * px_bufsize };

		px_buf_release(&b);
	}
	if (s->vars)
		px_var_free_all(&s->vars);
	if (s->lua || (s->flags & PX_STF_LUA_PRIV))
		px_lua_stream_release(s);
	if (s->spl)
		px_tcp_splice_free(s);
	px_captures_free(s);
	if (s->sni)
		px_ssl_stream_free(s);
	px_pool_free(&stream_pool, s);
}

/* Stops counting <s> in its backend and server (queue, slot, beconn),
 * once. An exchange that completed does this before its log line, so that
 * %bc and %sc read as HAProxy's do.
 */
void px_stream_leave_backend(struct px_stream *s)
{
	queue_remove(s);
	release_slot(s);
	if (s->be && !(s->flags & PX_STF_LEFT_BE))
		s->be->beconn--;
	s->flags |= PX_STF_LEFT_BE;
}

/* Emits the traffic log line of <s> to its frontend's loggers. */
void px_stream_log(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_proxy *fe = sess->fe;
	char line[8192];
	size_t len;

	px_counters_stream_end(s);
	if (!fe->logfmt || (s->flags & PX_STF_DONTLOG))
		return;
	len = px_logfmt_render(fe->logfmt, sess, s, sess->loop->now_ms, line, sizeof(line));
	px_log_send(fe->loggers, fe->nloggers, s->log_level ? s->log_level - 1 : PX_LOG_INFO,
	            &sess->loop->now_tv, line, len);
	if (px_log_tap)
		px_log_tap(line, len);
}
