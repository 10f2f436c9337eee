/* conn.c: fakesrv's event loop and client connection state machine.
 *
 * Owns: accepting, reading, request framing (through tkh1.c), the order of
 * answers on a connection (pipelined requests are answered one after the
 * other), --delay/--trickle timers, and how a connection ends (graceful
 * close with a lingering read so pending responses are not destroyed by an
 * RST, or the abortive close of --reset and --die-after). Single-threaded,
 * level-triggered epoll, everything non-blocking. What to answer is
 * resp.c's business and what to log is record.c's.
 *
 * Fast path (what a benchmark exercises): read, parse the head, append the
 * precomputed response, and once the input holds no more complete request,
 * one send() for all of them. No formatting happens unless recording or
 * printing.
 *
 * TLS (--tls) slots in underneath: a connection starts in FS_ST_TLS, whose
 * handler drives the handshake (tls.c), and once it is done reads and
 * sends go through OpenSSL instead of the socket; everything above is the
 * same. A graceful close sends close_notify first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "fakesrv.h"
#include "tkh1.h"
#include "tkstr.h"

/* What a state handler tells the loop in process(). */
enum step_rc {
	RC_WAIT = 0,         /* nothing more to do until I/O or a timer */
	RC_AGAIN = 1,        /* state changed, run the next handler */
	RC_CLOSE = -1,       /* close the connection now */
	RC_RESET = -2,       /* reset the connection now */
};

volatile int fs_stop;
static int epfd = -1;
static struct fs_conn *timer_list;   /* connections with a timer armed */
static int listen_marker;            /* epoll data for the listening socket */

static const char continue_msg[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void timer_set(struct fs_conn *c, int64_t at)
{
	if (!c->timer_at) {
		c->tprev = NULL;
		c->tnext = timer_list;
		if (timer_list)
			timer_list->tprev = c;
		timer_list = c;
	}
	c->timer_at = at;
}

static void timer_clear(struct fs_conn *c)
{
	if (!c->timer_at)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		timer_list = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	c->timer_at = 0;
}

static int recording(void)
{
	return fs_cfg.record_path || !fs_cfg.quiet || fs_cfg.src == FS_SRC_ECHO;
}

static size_t out_pending(const struct fs_conn *c)
{
	return c->out.len - c->out_off;
}

/* Frees a connection, recording what was in progress. reset selects an
 * abortive close (SO_LINGER 0: the peer sees RST instead of FIN).
 */
static void conn_free(struct fs_conn *c, int reset)
{
	if (c->req_no && c->st == FS_ST_BODY)
		fs_record_req(c, 1);
	if (c->ssl && !reset)
		fs_tls_close_notify(c);
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	fs_tls_free(c);
	close(c->fd);
	fs_record_conn(c, 0);
	timer_clear(c);
	tk_buf_free(&c->in);
	tk_buf_free(&c->out);
	tk_buf_free(&c->rec_head);
	tk_buf_free(&c->rec_body);
	free(c);
}

/* Registers the epoll interest the connection needs now. */
static void update_events(struct fs_conn *c)
{
	uint32_t want = 0;
	struct epoll_event ev;

	if (!c->rd_eof && c->in.len - c->in_off < FS_IN_CAP)
		want |= EPOLLIN;
	if ((out_pending(c) && !c->trickle_wait) || c->tls_want_out)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = want;
}

static void in_consume(struct fs_conn *c, size_t n)
{
	c->in_off += n;
	if (c->in_off >= c->in.len)
		c->in_off = c->in.len = 0;
}

/* Reads what the socket has, up to FS_IN_CAP buffered. Returns 0, or -1
 * when the connection failed. A closing connection discards its input
 * (raw bytes, even on TLS: only the client's FIN matters then). During a
 * TLS handshake it reads nothing: st_tls() does.
 */
static int conn_read(struct fs_conn *c)
{
	if (c->in_off) {
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	while (!c->rd_eof && c->in.len < FS_IN_CAP) {
		ssize_t r;

		if (tk_buf_reserve(&c->in, 16384) < 0)
			return -1;
		if (c->ssl && c->st != FS_ST_LINGER) {
			if (!c->tls_ready)
				return 0;
			r = fs_tls_read(c, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
		} else {
			r = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
		}
		if (r > 0) {
			if (c->st != FS_ST_LINGER)
				c->in.len += (size_t)r;
			continue;
		}
		if (r == 0)
			c->rd_eof = 1;
		else if (errno == EINTR)
			continue;
		else if (errno != EAGAIN)
			return -1;
		break;
	}
	return 0;
}

/* Sends pending output; one byte per tick with --trickle. Returns 0 (some
 * may remain, EPOLLOUT or the timer will resume) or -1 on a send error.
 */
static int conn_flush(struct fs_conn *c)
{
	while (out_pending(c)) {
		size_t n = out_pending(c);
		ssize_t w;

		if (fs_cfg.trickle_us) {
			if (c->trickle_wait)
				return 0;
			n = 1;
		}
		if (c->ssl)
			w = fs_tls_write(c, c->out.data + c->out_off, n);
		else
			w = send(c->fd, c->out.data + c->out_off, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->out_off += (size_t)w;
		if (fs_cfg.trickle_us) {
			c->trickle_wait = 1;
			timer_set(c, tk_now_us() + fs_cfg.trickle_us);
		}
	}
	c->out.len = c->out_off = 0;
	return 0;
}

/* Ends the request in progress and forgets its copies. */
static void req_done(struct fs_conn *c)
{
	c->req_no = 0;
	tk_buf_reset(&c->rec_head);
	tk_buf_reset(&c->rec_body);
}

/* Answers 400 and closes, for a request we cannot frame. */
static int bad_request(struct fs_conn *c)
{
	if (!fs_cfg.quiet)
		fs_print_event(c, "bad request: answering 400 and closing");
	req_done(c);
	fs_resp_bad_request(c);
	c->st = FS_ST_IDLE;
	return RC_AGAIN;
}

/* FS_ST_HEAD: parse the next request head when it is complete. */
static int st_head(struct fs_conn *c)
{
	struct tk_h1_msg m;
	const char *p;
	size_t n;
	int r;

	/* Keep answers in order and bounded: a slow reader stalls parsing. */
	if (out_pending(c) > FS_OUT_FILL ||
	    (out_pending(c) && (fs_cfg.trickle_us || fs_cfg.delay_us))) {
		if (conn_flush(c) < 0)
			return RC_CLOSE;
		if (out_pending(c))
			return RC_WAIT;
	}
	/* RFC 9112: ignore empty lines before a request line. */
	while (c->in.len > c->in_off &&
	       (c->in.data[c->in_off] == '\r' || c->in.data[c->in_off] == '\n'))
		in_consume(c, 1);
	p = c->in.data + c->in_off;
	n = c->in.len - c->in_off;
	if (!n) {
		if (!c->rd_eof)
			return RC_WAIT;
		c->st = FS_ST_IDLE;
		return RC_AGAIN;
	}
	r = tk_h1_parse_req(p, n, &m);
	if (r == -2 && n <= FS_HEAD_MAX) {
		if (!c->rd_eof)
			return RC_WAIT;
		c->st = FS_ST_IDLE;   /* a partial head, then EOF: nothing to do */
		return RC_AGAIN;
	}
	if (r < 0) {
		if (!fs_cfg.quiet)
			fs_print_body(c, p, n > 4096 ? 4096 : n);
		in_consume(c, n);
		return bad_request(c);
	}
	c->req_no = ++fs_nreq;
	c->head_req = m.a_len == 4 && memcmp(m.a, "HEAD", 4) == 0;
	c->req_close = tk_h1_wants_close(&m);
	if (recording() && tk_buf_add(&c->rec_head, p, (size_t)r) < 0)
		return RC_CLOSE;
	if (!fs_cfg.quiet)
		fs_print_head(c, p, (size_t)r);
	in_consume(c, (size_t)r);
	if (tk_h1_req_body(&m, &c->body) < 0) {
		fs_record_req(c, 0);
		return bad_request(c);
	}
	if (fs_cfg.cont && !c->body.done &&
	    tk_h1_has_token(&m, "expect", "100-continue") &&
	    tk_buf_add(&c->out, continue_msg, sizeof(continue_msg) - 1) < 0)
		return RC_CLOSE;
	c->st = FS_ST_BODY;
	return RC_AGAIN;
}

/* FS_ST_BODY: consume body bytes; act once the request is complete. */
static int st_body(struct fs_conn *c)
{
	size_t avail = c->in.len - c->in_off;

	if (!c->body.done && avail) {
		const char *p = c->in.data + c->in_off;
		ssize_t n = tk_h1_body_feed(&c->body, p, avail, NULL, NULL);

		if (n < 0) {
			fs_record_req(c, 1);
			return bad_request(c);
		}
		if (fs_cfg.record_path && c->rec_body.len < FS_REC_BODY_MAX) {
			size_t keep = FS_REC_BODY_MAX - c->rec_body.len;

			if (tk_buf_add(&c->rec_body, p, keep < (size_t)n ? keep : (size_t)n) < 0)
				return RC_CLOSE;
		}
		if (!fs_cfg.quiet && n)
			fs_print_body(c, p, (size_t)n);
		in_consume(c, (size_t)n);
	}
	if (!c->body.done) {
		if (!c->rd_eof)
			return RC_WAIT;
		return RC_CLOSE;   /* conn_free() records the partial request */
	}
	fs_record_req(c, 0);
	switch (fs_cfg.action) {
	case FS_ACT_CLOSE:
		req_done(c);
		return RC_CLOSE;
	case FS_ACT_RESET:
		req_done(c);
		return RC_RESET;
	case FS_ACT_SILENT:
		req_done(c);
		c->st = FS_ST_HEAD;
		return RC_AGAIN;
	case FS_ACT_ANSWER:
		break;
	}
	if (fs_cfg.delay_us) {
		c->st = FS_ST_DELAY;
		timer_set(c, tk_now_us() + fs_cfg.delay_us);
		return RC_WAIT;
	}
	if (fs_resp_start(c) < 0)
		return RC_CLOSE;
	c->st = FS_ST_SEND;
	return RC_AGAIN;
}

/* FS_ST_DELAY: only the timer moves on from here. */
static int st_delay(struct fs_conn *c)
{
	return RC_WAIT;
}

/* FS_ST_SEND: produce the response; move on once it is all produced
 * (not necessarily sent: pipelined answers are sent together).
 */
static int st_send(struct fs_conn *c)
{
	int r = fs_resp_fill(c);

	if (r < 0)
		return RC_CLOSE;
	if (r == 0) {
		if (conn_flush(c) < 0)
			return RC_CLOSE;
		return out_pending(c) >= FS_OUT_FILL ? RC_WAIT : RC_AGAIN;
	}
	c->nresp++;
	req_done(c);
	c->st = (c->close_after_resp || c->reset_after) ? FS_ST_IDLE : FS_ST_HEAD;
	return RC_AGAIN;
}

/* FS_ST_IDLE: no more answers on this connection; close once the output
 * is out, half-closing first so the client gets every byte before FIN.
 */
static int st_idle(struct fs_conn *c)
{
	if (out_pending(c)) {
		if (conn_flush(c) < 0)
			return RC_CLOSE;
		if (out_pending(c))
			return RC_WAIT;
	}
	if (c->reset_after)
		return RC_RESET;
	if (c->rd_eof)
		return RC_CLOSE;
	fs_tls_close_notify(c);
	shutdown(c->fd, SHUT_WR);
	c->st = FS_ST_LINGER;
	c->in.len = c->in_off = 0;
	timer_set(c, tk_now_us() + FS_LINGER_US);
	return RC_WAIT;
}

/* FS_ST_LINGER: discard input until the client closes or the timer ends. */
static int st_linger(struct fs_conn *c)
{
	c->in.len = c->in_off = 0;
	return c->rd_eof ? RC_CLOSE : RC_WAIT;
}

/* FS_ST_TLS: the handshake; then requests are read as on plain TCP (the
 * client may have sent its first one with its last handshake message).
 */
static int st_tls(struct fs_conn *c)
{
	int r = fs_tls_handshake(c);

	if (r == -2)
		return RC_WAIT;
	if (r < 0)
		return RC_CLOSE;
	c->st = FS_ST_HEAD;
	return conn_read(c) < 0 ? RC_CLOSE : RC_AGAIN;
}

static int (*const st_handlers[])(struct fs_conn *) = {
	[FS_ST_HEAD] = st_head,
	[FS_ST_BODY] = st_body,
	[FS_ST_DELAY] = st_delay,
	[FS_ST_SEND] = st_send,
	[FS_ST_IDLE] = st_idle,
	[FS_ST_LINGER] = st_linger,
	[FS_ST_TLS] = st_tls,
};

/* Runs the state machine until it waits, then sends what was produced.
 * Frees the connection when it ends. OpenSSL may hold decrypted bytes that
 * epoll will never announce (the socket is drained): they are read here
 * for as long as reading them makes progress.
 */
static void process(struct fs_conn *c)
{
	int rc;

again:
	for (;;) {
		size_t had;
		int eof;

		while ((rc = st_handlers[c->st](c)) == RC_AGAIN)
			;
		if (rc != RC_WAIT || !fs_tls_pending(c) || c->st == FS_ST_LINGER ||
		    c->in.len - c->in_off >= FS_IN_CAP)
			break;
		had = c->in.len - c->in_off;
		eof = c->rd_eof;
		if (conn_read(c) < 0) {
			rc = RC_CLOSE;
			break;
		}
		if (c->in.len - c->in_off == had && c->rd_eof == eof)
			break;
	}
	if (rc == RC_WAIT && conn_flush(c) < 0)
		rc = RC_CLOSE;
	/* That flush may have sent everything st_send() was waiting to see
	 * leave: it produces more now, since no EPOLLOUT will ask for it.
	 */
	if (rc == RC_WAIT && c->st == FS_ST_SEND && !out_pending(c))
		goto again;
	if (rc == RC_WAIT && c->st == FS_ST_HEAD && c->rd_eof && !out_pending(c)) {
		c->st = FS_ST_IDLE;
		process(c);
		return;
	}
	if (rc != RC_WAIT) {
		conn_free(c, rc == RC_RESET);
		return;
	}
	update_events(c);
}

static void on_timer(struct fs_conn *c)
{
	timer_clear(c);
	if (c->trickle_wait)
		c->trickle_wait = 0;
	if (c->st == FS_ST_LINGER) {
		conn_free(c, 0);
		return;
	}
	if (c->st == FS_ST_DELAY) {
		if (fs_resp_start(c) < 0) {
			conn_free(c, 0);
			return;
		}
		c->st = FS_ST_SEND;
	}
	process(c);
}

/* Formats the peer of an accepted socket for records and traces. */
static void peer_name(const struct sockaddr_storage *ss, char *dst, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(dst, size, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(dst, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		snprintf(dst, size, "unix");
	}
}

static void on_accept(int lfd)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct epoll_event ev;
		struct fs_conn *c;
		int one = 1;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;   /* EAGAIN, or out of fds: retried on the next event */
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->id = ++fs_nconn;
		if (fs_cfg.tls_cert) {
			if (fs_tls_start(c) < 0) {
				close(fd);
				free(c);
				continue;
			}
			c->st = FS_ST_TLS;
		}
		peer_name(&ss, c->peer, sizeof(c->peer));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		c->events = EPOLLIN;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		fs_record_conn(c, 1);
	}
}

/* Waits for events until the earliest timer (with microsecond precision
 * where the kernel has epoll_pwait2).
 */
static int wait_events(struct epoll_event *evs, int max)
{
	static int no_pwait2;
	int64_t next = 0, now;
	struct fs_conn *c;
	struct timespec ts;
	int n;

	for (c = timer_list; c; c = c->tnext)
		if (!next || c->timer_at < next)
			next = c->timer_at;
	if (!next)
		return epoll_wait(epfd, evs, max, -1);
	now = tk_now_us();
	if (next < now)
		next = now;
	if (!no_pwait2) {
		ts.tv_sec = (next - now) / 1000000;
		ts.tv_nsec = ((next - now) % 1000000) * 1000;
		n = epoll_pwait2(epfd, evs, max, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
	}
	return epoll_wait(epfd, evs, max, (int)((next - now + 999) / 1000));
}

/* Runs the server on the listening socket lfd until SIGTERM/SIGINT.
 * Returns 0, or -1 when epoll cannot be set up.
 */
int fs_loop(int lfd)
{
	struct epoll_event evs[256];
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listen_marker };

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0)
		return -1;
	while (!fs_stop) {
		struct fs_conn *c, *next;
		int64_t now;
		int i, n = wait_events(evs, 256);

		if (n < 0 && errno != EINTR)
			return -1;
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_marker) {
				on_accept(lfd);
				continue;
			}
			c = evs[i].data.ptr;
			if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
			    conn_read(c) < 0) {
				conn_free(c, 0);
				continue;
			}
			process(c);
		}
		now = tk_now_us();
		/* on_timer() only ever unlinks or re-links c itself, and re-armed
		 * timers are in the future, so the saved next stays valid.
		 */
		for (c = timer_list; c; c = next) {
			next = c->tnext;
			if (c->timer_at <= now)
				on_timer(c);
		}
	}
	return 0;
}
