/* Connections to servers. Opening them (non-blocking connect), keeping the
 * reusable ones in their server's idle list between requests, handing
 * them out according to the backend's http-reuse strategy, and closing
 * idle ones the server closed or that stayed unused too long. The
 * exchange on a connection in use belongs to the stream holding it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend/server.h"
#include "backend/srvconn.h"
#include "cfg/proxy-t.h"
#include "core/log.h"
#include "core/netns.h"
#include "ssl/sslsock.h"
#include "core/buf.h"
#include "core/ev.h"
#include "core/net.h"
#include "core/pool.h"
#include "proto/conn.h"
#include "proto/sess.h"
#include "proto/stream.h"

/* How long an idle server connection is kept (HAProxy's pool-purge-delay). */
uint32_t px_srvconn_idle_ms = 5000;

static __thread struct px_pool srvconn_pool =
	PX_POOL_INIT("srvconn", sizeof(struct px_srvconn));

static void srvconn_io(struct px_io *io, uint32_t events);
static void srvconn_idle_timeout(struct px_timer *t);

/* A connection that cannot even be made (namespace, source address):
 * said once a second per server, the attempt counting as a failure.
 */
static void report_once(struct px_server *srv, const char *why)
{
	static int64_t last;
	int64_t now = (int64_t)time(NULL);

	if (now == last)
		return;
	last = now;
	px_warning("server %s/%s: cannot connect: %s", srv->be->id, srv->id, why ? why : "?");
}

static void srvconn_release_mem(void *obj)
{
	px_pool_free(&srvconn_pool, obj);
}

/* Starts a connection to <srv>. Returns it (PX_CF_CONNECTING set), or NULL
 * with errno-like code in <err>.
 */
struct px_srvconn *px_srvconn_connect(struct px_loop *loop, struct px_server *srv,
                                      const struct sockaddr *client, int *err)
{
	const struct px_source *src = srv->src.set ? &srv->src : &srv->be->src;
	struct px_srvconn *sc;
	char *why = NULL;
	int fd, tfo = 0, deferred = 0;

	fd = px_netns_socket(srv->netns, srv->addr.sa.sa_family,
	                     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, &why);
	if (fd < 0) {
		*err = errno ? errno : EINVAL;
		report_once(srv, why);
		free(why);
		return NULL;
	}
	if (srv->addr.sa.sa_family != AF_UNIX) {
		int one = 1;

		px_sock_nodelay(fd);
		if (srv->be->options & PX_OPT_SRVTCPKA)
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		/* Fast Open: with a cookie from this server, connect() only
		 * prepares and the request leaves with the SYN at the first
		 * write; without one, a normal SYN asks for a cookie.
		 */
		if (srv->tfo)
			tfo = !setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
	}
	if (src->set && srv->addr.sa.sa_family == src->family &&
	    px_source_bind(fd, src, client, &why) < 0) {
		*err = EADDRNOTAVAIL;
		report_once(srv, why);
		free(why);
		close(fd);
		return NULL;
	}
	if (connect(fd, &srv->addr.sa, srv->addrlen) == 0)
		deferred = tfo;
	else if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return NULL;
	}
	sc = px_pool_alloc(&srvconn_pool);
	if (!sc) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	memset(sc, 0, sizeof(*sc));
	sc->conn.io.fd = fd;
	sc->conn.io.fn = srvconn_io;
	/* Responses get a double-size buffer: a typical 16 KiB response and
	 * its head then move in one read and one write.
	 */
	sc->conn.flags = PX_CF_CONNECTING | PX_CF_LARGE_BUF;
	/* A deferred Fast Open connect: writable at once (the write sends
	 * the SYN), made only once the kernel says so (px_srvconn_tfo_state).
	 */
	if (deferred)
		sc->conn.flags |= PX_CF_TFO | PX_CF_WR_READY;
	sc->loop = loop;
	sc->srv = srv;
	px_list_init(&sc->link);
	px_timer_init(&sc->timer, srvconn_idle_timeout);
	if (px_io_add(loop, &sc->conn.io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
		*err = errno;
		close(fd);
		px_pool_free(&srvconn_pool, sc);
		return NULL;
	}
	srv->cur_conns++;
	return sc;
}

/* Tells how a connect() ended once the socket is writable. Returns 0 when
 * connected, -2 when still in progress, or -1 on failure (errno set).
 */
int px_srvconn_check_connect(struct px_srvconn *sc)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (!(sc->conn.flags & PX_CF_CONNECTING))
		return 0;
	if (!(sc->conn.flags & (PX_CF_WR_READY | PX_CF_RD_READY)))
		return -2;
	if (getsockopt(sc->conn.io.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr) {
		errno = soerr;
		return -1;
	}
	/* TLS: the connection is ready once the handshake is done. */
	if (sc->conn.flags & PX_CF_SSL_HS) {
		int r = px_ssl_handshake(&sc->conn);

		if (r == 0)
			return -2;
		if (r < 0) {
			errno = EPROTO;
			return -1;
		}
	}
	/* Past a TLS handshake, a Fast Open connection is made for sure. */
	if (sc->conn.ssl)
		sc->conn.flags &= ~PX_CF_TFO;
	sc->conn.flags &= ~PX_CF_CONNECTING;
	/* A connection reported writable but not yet established would give
	 * ENOTCONN here; that cannot happen with SO_ERROR clear and EPOLLOUT.
	 */
	return 0;
}

int px_srvconn_tfo_state(struct px_srvconn *sc)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int soerr = 0;

	if (!(sc->conn.flags & PX_CF_TFO))
		return 1;
	if (getsockopt(sc->conn.io.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	if (ti.tcpi_state == TCP_SYN_SENT)
		return 0;
	if (ti.tcpi_state == TCP_CLOSE) {
		len = sizeof(soerr);
		if (getsockopt(sc->conn.io.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || !soerr)
			soerr = ECONNREFUSED;
		errno = soerr;
		return -1;
	}
	sc->conn.flags &= ~PX_CF_TFO;
	return 1;
}

/* Finds an idle connection of <srv> that the strategy <reuse> allows for a
 * request that is (or not) the first of its session and that proxyd can
 * (or not) send again should the connection turn out to be closed.
 * Returns it detached from the idle list, or NULL.
 */
struct px_srvconn *px_srvconn_take_idle(struct px_server *srv, enum px_reuse reuse,
                                        int first_req, int retryable, uint64_t key)
{
	struct px_list *e;

	if (px_list_empty(&srv->idle) || reuse == PX_REUSE_NEVER)
		return NULL;
	/* HAProxy's "safe" sends a session's first request on a new
	 * connection so that a connection closed by the server at that
	 * moment costs nothing: the browser retries. proxyd retries such
	 * requests itself, so under "safe" only first requests it cannot
	 * retry still need a new connection; "aggressive" lets those use
	 * connections proven by two requests, "always" any connection.
	 */
	if (first_req && !retryable && reuse == PX_REUSE_SAFE)
		return NULL;
	px_list_for_each(e, &srv->idle) {
		struct px_srvconn *sc = px_container_of(e, struct px_srvconn, link);

		if (first_req && !retryable && reuse == PX_REUSE_AGGRESSIVE && sc->nreq < 2)
			continue;
		if (sc->key != key)
			continue;
		px_list_del(&sc->link);
		srv->nidle--;
		px_timer_del(sc->loop, &sc->timer);
		return sc;
	}
	return NULL;
}

void px_srvconn_move_idle(struct px_server *to, struct px_server *from)
{
	while (!px_list_empty(&from->idle)) {
		struct px_srvconn *sc = px_container_of(from->idle.prev, struct px_srvconn, link);

		/* Oldest first, each inserted at the head: the order stays. */
		px_list_del(&sc->link);
		from->nidle--;
		from->cur_conns--;
		sc->srv = to;
		px_list_insert(&to->idle, &sc->link);
		to->nidle++;
		to->cur_conns++;
	}
}

/* Closes <sc>, with a reset when <abort> (no clean end for the peer). */
void px_srvconn_close(struct px_srvconn *sc, int abort)
{
	if (!px_list_empty(&sc->link)) {
		px_list_del(&sc->link);
		sc->srv->nidle--;
	}
	px_timer_del(sc->loop, &sc->timer);
	if (abort) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(sc->conn.io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (sc->conn.ssl)
		px_ssl_close(&sc->conn, !abort);
	close(sc->conn.io.fd);
	sc->conn.io.fn = NULL;
	sc->conn.io.fd = -1;
	px_buf_release(&sc->conn.buf);
	sc->srv->cur_conns--;
	px_loop_defer(sc->loop, srvconn_release_mem, sc);
}

/* Ends the use of <sc> by its stream: back to the idle list when <keep>
 * (and the connection is clean), closed otherwise.
 */
void px_srvconn_release(struct px_srvconn *sc, int keep)
{
	sc->strm = NULL;
	if (!keep || sc->conn.buf.len ||
	    (sc->conn.flags & (PX_CF_RD_EOF | PX_CF_ERROR | PX_CF_HUP))) {
		px_srvconn_close(sc, 0);
		return;
	}
	px_buf_release(&sc->conn.buf);
	if (sc->srv->retired) {
		/* Its configuration was replaced while the connection
		 * served: the pool of the running one takes it, if any.
		 */
		struct px_server *to = px_server_successor(sc->srv);

		if (!to) {
			px_srvconn_close(sc, 0);
			return;
		}
		sc->srv->cur_conns--;
		to->cur_conns++;
		sc->srv = to;
	}
	px_list_insert(&sc->srv->idle, &sc->link);
	sc->srv->nidle++;
	px_timer_set(sc->loop, &sc->timer, sc->loop->now_ms + px_srvconn_idle_ms);
}

static void srvconn_idle_timeout(struct px_timer *t)
{
	struct px_srvconn *sc = px_container_of(t, struct px_srvconn, timer);

	if (!sc->strm)
		px_srvconn_close(sc, 0);
}

static void srvconn_io(struct px_io *io, uint32_t events)
{
	struct px_srvconn *sc = px_container_of(io, struct px_srvconn, conn.io);

	px_conn_note_events(&sc->conn, events);
	if (sc->strm) {
		px_stream_process(sc->strm);
		return;
	}
	/* Idle: the server closed it, or sent bytes nobody asked for. */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		if (sc->owner)
			px_sess_srvconn_lost(sc);
		else
			px_srvconn_close(sc, 0);
	}
}
