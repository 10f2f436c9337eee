/* Client sessions: accepting a connection, waiting for the first byte of
 * each request (the http-request and http-keep-alive timeouts, probes that
 * never send anything), starting a stream per request, and closing:
 * gracefully with a drain, silently, or with a reset. A session waiting
 * for a request holds no buffer and no stream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "admin/counters.h"
#include "backend/srvconn.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/buf.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "core/pool.h"
#include "proto/conn.h"
#include "proto/http.h"
#include "proto/listener.h"
#include "proto/sess.h"
#include "proto/stream.h"
#include "rules/fmt.h"
#include "rules/vars.h"
#include "proto/tcp.h"
#include "ssl/ssl-t.h"
#include "ssl/sslsock.h"

#define LINGER_MS 1000

uint32_t px_actconn;            /* client connections of the process */
uint32_t px_global_maxconn = 4096;
int px_stopping;                /* soft stop: finish, do not keep alive */

static __thread struct px_pool sess_pool = PX_POOL_INIT("session", sizeof(struct px_sess));
static __thread struct px_loop *sess_loop;
static __thread struct px_list sessions;
static __thread uint32_t nsessions;
static __thread struct px_list cursors;   /* struct px_sess_cursor */
static __thread uint64_t last_id;
static __thread struct px_timer pressure_timer;
static __thread struct px_list pressure_paused;

static void sess_io(struct px_io *io, uint32_t events);
static void sess_timeout(struct px_timer *t);
static void idle_read(struct px_sess *sess);
static void tcp_start(struct px_sess *sess);
static void tcp_handshake(struct px_sess *sess);
static void pressure_resume(struct px_timer *t);

int px_sess_init(struct px_loop *loop)
{
	sess_loop = loop;
	px_list_init(&sessions);
	px_list_init(&cursors);
	px_list_init(&pressure_paused);
	px_timer_init(&pressure_timer, pressure_resume);
	return 0;
}

struct px_loop *px_sess_loop(void)
{
	return sess_loop;
}

uint32_t px_sess_count(void)
{
	return nsessions;
}

int px_sess_full(const struct px_listener *li)
{
	const struct px_proxy *fe = li->bind->fe;

	return px_actconn >= px_global_maxconn || (fe->maxconn && fe->feconn >= fe->maxconn);
}

int px_sess_stopping(const struct px_sess *sess)
{
	(void)sess;
	return px_stopping;
}

void px_sess_set_timer(struct px_sess *sess, uint64_t expire)
{
	px_timer_set(sess->loop, &sess->timer, expire);
}

/* A client socket joins epoll only once the session has to wait for it:
 * until then reads and writes are tried directly (speculatively), so a
 * short-lived connection whose request is already there when it is
 * accepted, and whose response fits the socket, never costs an
 * epoll_ctl(). Registration is edge-triggered and reports the socket's
 * current state, so nothing that happened before it is lost. Returns 0,
 * or -1 when epoll refuses the socket.
 */
int px_sess_poll(struct px_sess *sess, int want_read, int want_write)
{
	uint32_t f = sess->cli.flags;

	if (sess->flags & PX_SF_POLLED)
		return 0;
	if (!(want_read && !(f & PX_CF_RD_READY)) && !(want_write && !(f & PX_CF_WR_READY)))
		return 0;
	sess->flags |= PX_SF_POLLED;
	return px_io_add(sess->loop, &sess->cli.io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

/* Out of descriptors or memory: stop accepting on <li> for a moment. */
void px_sess_accept_pressure(struct px_listener *li)
{
	if (li->paused)
		return;
	li->paused = 1;
	px_io_del(sess_loop, &li->io);
	px_list_del(&li->pause_link);
	px_list_append(&pressure_paused, &li->pause_link);
	if (!pressure_timer.expire)
		px_timer_set(sess_loop, &pressure_timer, sess_loop->now_ms + 100);
}

static void pressure_resume(struct px_timer *t)
{
	(void)t;
	while (!px_list_empty(&pressure_paused)) {
		struct px_listener *li = px_container_of(pressure_paused.next,
		                                         struct px_listener, pause_link);

		px_list_del(&li->pause_link);
		if (li->paused) {
			li->paused = 0;
			px_io_add(sess_loop, &li->io, EPOLLIN);
		}
	}
}

static void sess_release_mem(void *obj)
{
	px_pool_free(&sess_pool, obj);
}

/* Frees the session and its connection. <rst> resets the connection. */
static void sess_close(struct px_sess *sess, int rst)
{
	struct px_proxy *fe = sess->fe;
	int was_full;

	if (sess->strm) {
		struct px_stream *s = sess->strm;

		sess->strm = NULL;
		if (s->sc)
			px_stream_srv_detach(s, 0);
		px_stream_free(s);
	}
	if (sess->own)
		px_sess_drop_srvconn(sess);
	if (sess->vars)
		px_var_free_all(&sess->vars);
	px_timer_del(sess->loop, &sess->timer);
	if (!px_list_empty(&cursors)) {
		struct px_list *e;

		/* A listing that was to show this session next goes on with
		 * the one after it.
		 */
		px_list_for_each(e, &cursors) {
			struct px_sess_cursor *cur = px_container_of(e, struct px_sess_cursor, link);

			if (cur->next == sess)
				cur->next = sess->link.next == &sessions ? NULL :
				            px_container_of(sess->link.next, struct px_sess, link);
		}
	}
	px_list_del(&sess->link);
	nsessions--;
	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(sess->cli.io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (sess->cli.ssl)
		px_ssl_close(&sess->cli, !rst);
	close(sess->cli.io.fd);
	sess->cli.io.fd = -1;
	sess->cli.io.fn = NULL;
	px_buf_release(&sess->cli.buf);

	was_full = px_actconn >= px_global_maxconn;
	fe->feconn--;
	px_actconn--;
	if (!px_list_empty(&fe->paused_listeners) && px_actconn < px_global_maxconn &&
	    (!fe->maxconn || fe->feconn < fe->maxconn))
		px_listeners_resume(sess->loop, fe);
	if (was_full && px_gen_cur) {
		struct px_list *e;

		px_list_for_each(e, &px_gen_cur->proxies) {
			struct px_proxy *px = px_container_of(e, struct px_proxy, link);

			if (px != fe && (!px->maxconn || px->feconn < px->maxconn))
				px_listeners_resume(sess->loop, px);
		}
	}
	px_gen_unref(sess->gen);
	sess->gen = NULL;
	px_loop_defer(sess->loop, sess_release_mem, sess);
}

/* Logs "Connect from" for frontends with a log target but no log format
 * option, as HAProxy does.
 */
static void log_connect(struct px_sess *sess)
{
	struct px_proxy *fe = sess->fe;
	union px_sockaddr local;
	socklen_t len = sizeof(local);
	char src[64], dst[64], line[512];
	int n;

	if (getsockname(sess->cli.io.fd, &local.sa, &len) < 0)
		memset(&local, 0, sizeof(local));
	px_addr_ip_str(&sess->src.sa, src, sizeof(src));
	px_addr_ip_str(&local.sa, dst, sizeof(dst));
	n = snprintf(line, sizeof(line), "Connect from %s:%d to %s:%d (%s/%s)", src,
	             px_addr_port((const union px_sockaddr *)&sess->src), dst,
	             px_addr_port(&local), fe->id, fe->mode == PX_MODE_HTTP ? "HTTP" : "TCP");
	px_log_send(fe->loggers, fe->nloggers, PX_LOG_INFO, &sess->loop->now_tv, line,
	            n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	if (px_log_tap)
		px_log_tap(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A TLS handshake that failed or timed out: logged as HAProxy does
 * ("<ip>:<port> [<date>] <frontend>/<bind>: <reason>"), then closed.
 * "option dontlognull" drops the connections that ended before sending a
 * whole ClientHello (closed or reset), as HAProxy does.
 */
static void ssl_hs_end(struct px_sess *sess)
{
	struct px_proxy *fe = sess->fe;
	char src[64], bind[24], date[64], line[512];
	const char *bname = bind;
	int n;

	if (fe->nloggers && !((fe->options & PX_OPT_DONTLOGNULL) &&
	                      (sess->cli.ssl_fail == PX_SSL_FAIL_EMPTY ||
	                       sess->cli.ssl_fail == PX_SSL_FAIL_ABORT))) {
		px_fmt_date(&sess->accept_tv, 0, 1, date, sizeof(date));
		px_addr_ip_str(&sess->src.sa, src, sizeof(src));
		if (sess->bind && sess->bind->name)
			bname = sess->bind->name;
		else
			snprintf(bind, sizeof(bind), "%u", sess->bind ? sess->bind->luid : 0);
		n = snprintf(line, sizeof(line), "%s:%d [%s] %s/%s: %s", src,
		             px_addr_port((const union px_sockaddr *)&sess->src), date, fe->id,
		             bname, px_ssl_fail_str(sess->cli.ssl_fail));
		px_log_send(fe->loggers, fe->nloggers, PX_LOG_INFO, &sess->loop->now_tv, line,
		            n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
		if (px_log_tap)
			px_log_tap(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	sess_close(sess, 0);
}

/* The TCP stream of a session (mode tcp). */
static void tcp_start(struct px_sess *sess)
{
	struct px_stream *s;

	px_timer_del(sess->loop, &sess->timer);
	s = px_stream_new(sess);
	if (!s) {
		sess_close(sess, 1);
		return;
	}
	sess->strm = s;
	sess->state = PX_SESS_ACTIVE;
	sess->nreq = 1;
	s->t_hs = sess->hs_ms;
	px_tcp_start(s);
	px_stream_process(s);
}

/* Records when the TLS handshake of <sess> finished (%Th). */
static void hs_note(struct px_sess *sess, uint32_t before)
{
	if ((before & PX_CF_SSL_HS) && !(sess->cli.flags & PX_CF_SSL_HS)) {
		uint64_t d = sess->loop->now_ms - sess->accept_ms;

		sess->hs_ms = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

/* mode tcp over TLS: drives the handshake, then starts the stream. */
static void tcp_handshake(struct px_sess *sess)
{
	struct px_conn *c = &sess->cli;
	uint32_t before = c->flags;
	int r = px_ssl_handshake(c);

	hs_note(sess, before);
	if (r > 0) {
		tcp_start(sess);
		return;
	}
	if (r < 0) {
		ssl_hs_end(sess);
		return;
	}
	if (px_sess_poll(sess, 1, 0) < 0)
		sess_close(sess, 1);
}

void px_sess_accept(struct px_listener *li, int fd, const union px_sockaddr *addr,
                    socklen_t len)
{
	struct px_proxy *fe = li->bind->fe;
	struct px_loop *loop = sess_loop;
	struct px_sess *sess;

	sess = px_pool_alloc(&sess_pool);
	if (!sess) {
		close(fd);
		return;
	}
	memset(sess, 0, sizeof(*sess));
	sess->cli.io.fd = fd;
	sess->cli.io.fn = sess_io;
	sess->loop = loop;
	sess->fe = fe;
	sess->gen = px_gen_ref(px_gen_cur);
	if (addr->sa.sa_family == AF_INET)
		sess->src.in4 = addr->in4;
	else if (addr->sa.sa_family == AF_INET6)
		sess->src.in6 = addr->in6;
	else
		sess->src.sa.sa_family = addr->sa.sa_family;
	(void)len;
	sess->accept_ms = sess->idle_ms = loop->now_ms;
	sess->accept_tv = loop->now_tv;
	sess->id = ++last_id;
	px_timer_init(&sess->timer, sess_timeout);
	px_list_append(&sessions, &sess->link);
	nsessions++;
	fe->feconn++;
	fe->cum_feconn++;
	px_counters_accept(fe, (uint32_t)loop->now_tv.tv_sec);
	px_actconn++;
	/* TCP_NODELAY comes from the listening socket. The request is often
	 * already there: try it before asking epoll (see px_sess_poll()).
	 */
	sess->cli.flags = PX_CF_RD_READY | PX_CF_WR_READY;
	if (fe->log_at_accept)
		log_connect(sess);
	if (li->bind->ssl) {
		sess->bind = li->bind;
		if (px_ssl_accept(&sess->cli, li->bind->ssl) < 0) {
			sess_close(sess, 1);
			return;
		}
	}

	if (fe->mode == PX_MODE_TCP) {
		/* Over TLS the stream waits for the handshake: its rules see
		 * the SNI, and a client that fails never reaches a server.
		 */
		if (sess->cli.ssl) {
			px_sess_set_timer(sess, px_tick_add(sess->accept_ms, fe->to.client));
			tcp_handshake(sess);
			return;
		}
		tcp_start(sess);
		return;
	}
	px_sess_set_timer(sess, px_tick_add(sess->accept_ms,
	                                    px_proxy_http_request_timeout(fe)));
	idle_read(sess);
}

/* Moves a session between requests to the running generation, so that a
 * kept-alive connection sees a reload from its next request on (requests
 * in flight finish on the generation they started with). Returns -1 when
 * its frontend is gone or changed mode: the connection must close.
 */
static int refresh_gen(struct px_sess *sess)
{
	struct px_proxy *nfe;

	if (!px_gen_cur || sess->gen == px_gen_cur)
		return 0;
	nfe = px_proxy_find(px_gen_cur, sess->fe->id, PX_CAP_FE);
	if (!nfe || nfe->mode != sess->fe->mode)
		return -1;
	px_sess_drop_srvconn(sess);
	sess->fe->feconn--;
	nfe->feconn++;
	nfe->cum_feconn++;
	px_counters_moved(nfe, (uint32_t)sess->loop->now_tv.tv_sec);
	sess->fe = nfe;
	px_gen_unref(sess->gen);
	sess->gen = px_gen_ref(px_gen_cur);
	return 0;
}

/* Starts a stream on the bytes waiting in the client buffer. Returns NULL
 * when the session must close instead.
 */
static struct px_stream *start_stream(struct px_sess *sess)
{
	struct px_stream *s;

	if (refresh_gen(sess) < 0)
		return NULL;
	s = px_stream_new(sess);
	if (!s)
		return NULL;
	sess->strm = s;
	sess->state = PX_SESS_ACTIVE;
	sess->nreq++;
	s->t_idle = s->t_start - sess->idle_ms;
	/* The first request's wait splits into the handshake and the rest. */
	if (sess->nreq == 1 && sess->hs_ms) {
		s->t_hs = sess->hs_ms < s->t_idle ? sess->hs_ms : (uint32_t)s->t_idle;
		s->t_idle -= s->t_hs;
	}
	s->t_cli_act = s->t_start;
	px_http_start(s);
	return s;
}

/* A connection that never sent a byte ends (client closed, or 408). */
static void empty_end(struct px_sess *sess, int timeout)
{
	struct px_proxy *fe = sess->fe;
	struct px_stream *s;

	if ((fe->options & PX_OPT_IGN_PROBES) && !(sess->cli.flags & PX_CF_RD_ANY)) {
		sess_close(sess, 0);
		return;
	}
	s = start_stream(sess);
	if (!s) {
		sess_close(sess, 0);
		return;
	}
	fe = sess->fe;   /* the running generation's, after start_stream() */
	/* Nothing arrived: the exchange spans the whole connection. */
	s->t_start = sess->accept_ms;
	s->start_tv = sess->accept_tv;
	s->t_idle = 0;
	if (fe->options & PX_OPT_DONTLOGNULL)
		s->flags |= PX_STF_DONTLOG;
	if (timeout) {
		px_stream_local(s, 408, 'c', 'R');
		px_stream_process(s);
		return;
	}
	/* The client closed without sending anything: nothing to answer. */
	s->status = 400;
	px_stream_term(s, 'C', 'R');
	px_stream_log(s);
	sess->strm = NULL;
	px_stream_free(s);
	sess_close(sess, 0);
}

static void idle_read(struct px_sess *sess)
{
	struct px_conn *c = &sess->cli;
	uint32_t before = c->flags;
	struct px_stream *s;
	int n;

	if (!(c->flags & PX_CF_RD_READY))
		return;
	n = px_conn_recv(c);
	if (c->ssl)
		hs_note(sess, before);
	if (n > 0) {
		s = start_stream(sess);
		if (!s) {
			sess_close(sess, 0);
			return;
		}
		s->bytes_in = n;
		px_stream_process(s);
		return;
	}
	if (n == -2) {
		if (!c->buf.len)
			px_buf_release(&c->buf);
		if (px_sess_poll(sess, 1, 0) < 0)
			sess_close(sess, 1);
		return;
	}
	/* End of stream or error while idle. */
	if (c->flags & PX_CF_SSL_HS) {
		ssl_hs_end(sess);
		return;
	}
	if (sess->flags & PX_SF_KEEPALIVE)
		sess_close(sess, 0);
	else
		empty_end(sess, 0);
}

static void linger_read(struct px_sess *sess)
{
	char sink[4096];
	ssize_t n;

	for (;;) {
		n = recv(sess->cli.io.fd, sink, sizeof(sink), 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		sess_close(sess, 0);
		return;
	}
}

static void sess_io(struct px_io *io, uint32_t events)
{
	struct px_sess *sess = px_container_of(io, struct px_sess, cli.io);

	px_conn_note_events(&sess->cli, events);
	if (sess->strm) {
		px_stream_process(sess->strm);
		return;
	}
	if (sess->state == PX_SESS_LINGER) {
		linger_read(sess);
		return;
	}
	if (sess->fe->mode == PX_MODE_TCP && (sess->cli.flags & PX_CF_SSL_HS)) {
		tcp_handshake(sess);
		return;
	}
	idle_read(sess);
}

static void sess_timeout(struct px_timer *t)
{
	struct px_sess *sess = px_container_of(t, struct px_sess, timer);

	if (sess->strm) {
		px_stream_process(sess->strm);
		return;
	}
	if (sess->cli.flags & PX_CF_SSL_HS) {
		sess->cli.ssl_fail = PX_SSL_FAIL_TIMEOUT;
		ssl_hs_end(sess);
		return;
	}
	if (sess->state == PX_SESS_LINGER || (sess->flags & PX_SF_KEEPALIVE)) {
		/* Keep-alive expiry closes silently, as HAProxy does. */
		sess_close(sess, 0);
		return;
	}
	empty_end(sess, 1);
}

/* Called by a stream as it ends: decides what becomes of the client
 * connection. The stream is freed here.
 */
void px_sess_stream_done(struct px_sess *sess, struct px_stream *s, enum px_sess_end how)
{
	struct px_conn *c = &sess->cli;
	struct px_proxy *fe = sess->fe;
	struct px_stream *next;
	/* The client is done sending when its whole request was read and
	 * nothing more is waiting: then a plain close cannot turn into a
	 * reset, and lingering would only cost system calls.
	 */
	int quiet = s->rq == PX_RQ_DONE && !c->buf.len && !(c->flags & PX_CF_RD_READY);

	sess->strm = NULL;
	px_stream_free(s);
	if (how == PX_SESS_END_KEEP && (px_stopping || (c->flags & (PX_CF_RD_EOF | PX_CF_ERROR))))
		how = (c->flags & PX_CF_ERROR) ? PX_SESS_END_ABORT : PX_SESS_END_CLOSE;

	switch (how) {
	case PX_SESS_END_KEEP:
		sess->state = PX_SESS_IDLE;
		sess->flags |= PX_SF_KEEPALIVE;
		sess->idle_ms = sess->loop->now_ms;
		if (c->buf.len) {
			/* Pipelined request already here: run it on the next
			 * loop turn, never recursively.
			 */
			next = start_stream(sess);
			if (!next) {
				sess_close(sess, 0);
				return;
			}
			px_stream_wake(next);
			return;
		}
		px_buf_release(&c->buf);
		px_sess_set_timer(sess, px_tick_add(sess->idle_ms, fe->to.http_keep_alive ?
		                  fe->to.http_keep_alive : px_proxy_http_request_timeout(fe)));
		/* Bytes may have arrived meanwhile without a new edge. */
		if (c->flags & PX_CF_RD_READY)
			idle_read(sess);
		else if (px_sess_poll(sess, 1, 0) < 0)
			sess_close(sess, 1);
		return;
	case PX_SESS_END_CLOSE:
		if (quiet || (c->flags & (PX_CF_RD_EOF | PX_CF_ERROR))) {
			sess_close(sess, 0);
			return;
		}
		/* Shut our side and drain what the client still sends, so
		 * that unread bytes do not turn our close into a reset that
		 * could destroy the response in flight.
		 */
		px_conn_shutw(c);
		px_buf_release(&c->buf);
		sess->state = PX_SESS_LINGER;
		px_sess_set_timer(sess, sess->loop->now_ms + LINGER_MS);
		c->flags &= ~PX_CF_RD_READY;
		if (px_sess_poll(sess, 1, 0) < 0) {
			sess_close(sess, 1);
			return;
		}
		linger_read(sess);
		return;
	case PX_SESS_END_SILENT:
		sess_close(sess, 0);
		return;
	case PX_SESS_END_ABORT:
		sess_close(sess, 1);
		return;
	}
}

/* Soft stop: idle sessions close now; active ones finish their exchange
 * and then close.
 */
void px_sess_soft_stop(void)
{
	struct px_list *e, *tmp;

	px_stopping = 1;
	px_list_for_each_safe(e, tmp, &sessions) {
		struct px_sess *sess = px_container_of(e, struct px_sess, link);

		if (!sess->strm)
			sess_close(sess, 0);
	}
}

void px_sess_close_all(void)
{
	while (!px_list_empty(&sessions))
		sess_close(px_container_of(sessions.next, struct px_sess, link), 0);
}

/* --- server connections kept by a session (http-reuse never) ------------ */

void px_sess_keep_srvconn(struct px_sess *sess, struct px_srvconn *sc)
{
	if (sess->own && sess->own != sc)
		px_sess_drop_srvconn(sess);
	sc->owner = sess;
	sc->strm = NULL;
	if (sc->conn.buf.len || (sc->conn.flags & (PX_CF_RD_EOF | PX_CF_ERROR | PX_CF_HUP))) {
		sc->owner = NULL;
		px_srvconn_close(sc, 0);
		return;
	}
	px_buf_release(&sc->conn.buf);
	sess->own = sc;
}

struct px_srvconn *px_sess_take_srvconn(struct px_sess *sess)
{
	struct px_srvconn *sc = sess->own;

	sess->own = NULL;
	if (sc)
		sc->owner = NULL;
	return sc;
}

void px_sess_drop_srvconn(struct px_sess *sess)
{
	struct px_srvconn *sc = sess->own;

	if (!sc)
		return;
	sess->own = NULL;
	sc->owner = NULL;
	px_srvconn_close(sc, 0);
}

/* The server closed a connection a session was keeping. */
void px_sess_srvconn_lost(struct px_srvconn *sc)
{
	struct px_sess *sess = sc->owner;

	if (sess && sess->own == sc)
		sess->own = NULL;
	sc->owner = NULL;
	px_srvconn_close(sc, 0);
}

/* --- listing and closing sessions (command socket) ---------------------------- */

/* Starts a walk over the sessions that stays valid while sessions close
 * between two steps (px_sess_cursor_next() may be called from different
 * loop turns). Sessions accepted during the walk are visited too.
 */
void px_sess_cursor_start(struct px_sess_cursor *cur)
{
	cur->next = px_list_empty(&sessions) ? NULL :
	            px_container_of(sessions.next, struct px_sess, link);
	px_list_append(&cursors, &cur->link);
}

struct px_sess *px_sess_cursor_next(struct px_sess_cursor *cur)
{
	struct px_sess *sess = cur->next;

	if (sess)
		cur->next = sess->link.next == &sessions ? NULL :
		            px_container_of(sess->link.next, struct px_sess, link);
	return sess;
}

void px_sess_cursor_stop(struct px_sess_cursor *cur)
{
	px_list_del(&cur->link);
}

struct px_sess *px_sess_by_id(uint64_t id)
{
	struct px_list *e;

	px_list_for_each(e, &sessions) {
		struct px_sess *sess = px_container_of(e, struct px_sess, link);

		if (sess->id == id)
			return sess;
	}
	return NULL;
}

/* Closes <sess> for the operator: a running exchange ends as killed ('K'
 * in the log's termination state, with the phase it was in) on the next
 * loop turn; a session between requests closes now.
 */
void px_sess_kill(struct px_sess *sess)
{
	struct px_stream *s = sess->strm;
	char phase;

	if (!s) {
		sess_close(sess, 0);
		return;
	}
	if (s->rq == PX_RQ_HDR)
		phase = 'R';
	else if (s->scs == PX_SC_QUEUED)
		phase = 'Q';
	else if (s->scs == PX_SC_CONNECTING || s->scs == PX_SC_TURNAROUND)
		phase = 'C';
	else if (s->rs == PX_RS_HDR || s->rs == PX_RS_NONE)
		phase = 'H';
	else
		phase = 'D';
	px_stream_term(s, 'K', phase);
	s->flags |= PX_STF_ABORT;
	px_stream_wake(s);
}
