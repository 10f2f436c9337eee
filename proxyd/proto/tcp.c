/* Raw forwarding between a client and a server: TCP mode streams, and
 * HTTP exchanges turned into tunnels (101 Switching Protocols, CONNECT).
 * Bytes wait in the receive buffer of the side they came from until the
 * other side takes them; an end of stream is passed on once the buffer is
 * empty (half-close), and the stream ends when both directions are
 * closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "admin/counters.h"
#include "backend/srvconn.h"
#include "cfg/proxy.h"
#include "core/buf.h"
#include "core/ev.h"
#include "proto/conn.h"
#include "proto/sess.h"
#include "proto/stream.h"
#include "proto/tcp.h"
#include "rules/rules.h"
#include "script/hlua.h"

/* Chooses the backend of a TCP stream. */
static void tcp_choose_backend(struct px_stream *s)
{
	s->be = s->fe->rules ? px_rules_tcp_backend(s) : s->fe->defbe;
	if (!s->be) {
		px_stream_term(s, 'S', 'C');
		s->flags |= PX_STF_ABORT;
		return;
	}
	s->be->beconn++;
	s->be->cum_beconn++;
	px_counters_be_enter(s);
}

/* Starts a TCP mode stream right after the accept: the backend is chosen
 * at once, or after the tcp-request content rules when there are some.
 */
void px_tcp_start(struct px_stream *s)
{
	s->rq = PX_RQ_TUNNEL;
	s->rs = PX_RS_NONE;
	s->t_cli_act = s->t_start;
	if (s->fe->rules && s->fe->rules->tcp_req.first) {
		s->flags |= PX_STF_INSPECT;
		s->exp_req = px_tick_add(s->t_start, s->fe->tcp_inspect_ms);
		return;
	}
	tcp_choose_backend(s);
}

/* Moves bytes from <from>'s buffer to <to>. Returns 1 on progress, -1 on
 * a write error.
 */
static int forward(struct px_conn *from, struct px_conn *to, uint64_t *count)
{
	ssize_t n;

	if (!from->buf.len || !(to->flags & PX_CF_WR_READY))
		return 0;
	n = px_conn_send(to, px_buf_data(&from->buf), from->buf.len);
	if (n < 0)
		return -1;
	if (!n)
		return 0;
	if (count)
		*count += n;
	px_buf_consume(&from->buf, (uint32_t)n);
	if (!from->buf.len)
		px_buf_release(&from->buf);
	return 1;
}

/* Reads into <c>'s buffer. Returns 1 on progress (bytes or end), -1 on
 * error, 0 when nothing happened.
 */
static int receive(struct px_conn *c, uint64_t *count)
{
	int n;

	if (!(c->flags & PX_CF_RD_READY) || (c->flags & PX_CF_RD_EOF))
		return 0;
	if (px_buf_make_room(&c->buf) < 0)
		return 0;
	n = px_conn_recv(c);
	if (n > 0) {
		if (count)
			*count += n;
		return 1;
	}
	if (n == 0)
		return 1;
	if (n == -2) {
		if (c->buf.area && !c->buf.len)
			px_buf_release(&c->buf);
		return 0;
	}
	return -1;
}

/* --- splicing ------------------------------------------------------------- */

/* option splice-auto / splice-request / splice-response: raw bytes move
 * from one socket to the other through a kernel pipe, without a copy to
 * user space, once the stream's buffer on that side is empty. TLS
 * connections are not spliced (their bytes must pass through OpenSSL).
 */
struct px_splice {
	int fd[2][2];           /* per direction (0: to the server): read, write */
	uint32_t len[2];        /* bytes in each pipe */
};

/* Pipes of 256 KiB (the kernel's default is 64 KiB): a large transfer
 * then takes a quarter of the splice calls. Kernel pages are held only
 * while bytes are in a pipe.
 */
#define SPLICE_CHUNK (256 * 1024)

void px_tcp_splice_free(struct px_stream *s)
{
	int d;

	if (!s->spl)
		return;
	for (d = 0; d < 2; d++) {
		close(s->spl->fd[d][0]);
		close(s->spl->fd[d][1]);
	}
	free(s->spl);
	s->spl = NULL;
}

/* Whether direction <dir> (0: client to server) of <s> splices. */
static int splicing(struct px_stream *s, int dir)
{
	uint32_t opts = s->fe->options | (s->be ? s->be->options : 0);

	if (!(opts & (PX_OPT_SPLICE_AUTO | (dir ? PX_OPT_SPLICE_RES : PX_OPT_SPLICE_REQ))))
		return 0;
	if (!s->sc || s->sess->cli.ssl || s->sc->conn.ssl)
		return 0;
	if (s->spl)
		return 1;
	s->spl = calloc(1, sizeof(*s->spl));
	if (!s->spl)
		return 0;
	if (pipe2(s->spl->fd[0], O_NONBLOCK | O_CLOEXEC) < 0) {
		free(s->spl);
		s->spl = NULL;
		return 0;
	}
	if (pipe2(s->spl->fd[1], O_NONBLOCK | O_CLOEXEC) < 0) {
		close(s->spl->fd[0][0]);
		close(s->spl->fd[0][1]);
		free(s->spl);
		s->spl = NULL;
		return 0;
	}
	/* Best effort: past fs.pipe-max-size (or the user's pipe page
	 * quota) the pipe keeps its size and moves less per call.
	 */
	fcntl(s->spl->fd[0][1], F_SETPIPE_SZ, SPLICE_CHUNK);
	fcntl(s->spl->fd[1][1], F_SETPIPE_SZ, SPLICE_CHUNK);
	return 1;
}

static uint32_t piped(const struct px_stream *s, int dir)
{
	return s->spl ? s->spl->len[dir] : 0;
}

/* Moves bytes of direction <dir> from <from> to <to> through the pipe.
 * Returns 1 on progress (bytes or end), 0 when nothing moved, -1 on an
 * error of <from>, -2 on an error of <to>.
 */
static int splice_move(struct px_stream *s, int dir, struct px_conn *from, struct px_conn *to,
                       uint64_t *count)
{
	int *fd = s->spl->fd[dir];
	uint32_t *len = &s->spl->len[dir];
	int progress = 0;
	ssize_t n;

	for (;;) {
		if (*len) {
			if (!(to->flags & PX_CF_WR_READY))
				break;
			n = splice(fd[0], NULL, to->io.fd, NULL, *len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				*len -= (uint32_t)n;
				if (count)
					*count += (uint64_t)n;
				progress = 1;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				to->flags &= ~PX_CF_WR_READY;
				break;
			}
			to->flags |= PX_CF_ERROR;
			return -2;
		}
		if (!(from->flags & PX_CF_RD_READY) || (from->flags & PX_CF_RD_EOF))
			break;
		n = splice(from->io.fd, NULL, fd[1], NULL, SPLICE_CHUNK,
		           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			*len = (uint32_t)n;
			from->flags |= PX_CF_RD_ANY;
			progress = 1;
			continue;
		}
		if (n == 0) {
			from->flags |= PX_CF_RD_EOF;
			from->flags &= ~PX_CF_RD_READY;
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			from->flags &= ~PX_CF_RD_READY;
			break;
		}
		from->flags |= PX_CF_ERROR;
		from->flags &= ~PX_CF_RD_READY;
		return -1;
	}
	return progress;
}

static void tcp_end(struct px_stream *s, int abort)
{
	if ((s->fe->options & PX_OPT_DONTLOGNULL) && !s->bytes_in && !s->bytes_out)
		s->flags |= PX_STF_DONTLOG;
	px_stream_leave_backend(s);   /* as HAProxy: not in %bc/%sc of its own line */
	px_stream_log(s);
	if (s->sc) {
		s->flags |= PX_STF_SRV_DONE;
		px_stream_srv_detach(s, 0);
	}
	px_sess_stream_done(s->sess, s, abort ? PX_SESS_END_ABORT : PX_SESS_END_CLOSE);
}

/* Applies the result <r> of one transfer: a failure ends the stream, blamed
 * on side <cause> ('C' or 'S'); progress restarts that side's inactivity
 * clock <act>. Returns -1 when the stream ended (and is freed).
 */
static int step(struct px_stream *s, int r, char cause, uint64_t *act, uint64_t now,
                int *progress)
{
	if (r < 0) {
		px_stream_term(s, cause, 'D');
		tcp_end(s, 1);
		return -1;
	}
	if (r) {
		*act = now;
		*progress = 1;
	}
	return 0;
}

static uint32_t side_timeout(uint32_t tunnel, uint32_t normal, uint32_t fin, int half_closed)
{
	if (half_closed && fin)
		return fin;
	return tunnel ? tunnel : normal;
}

static int receive(struct px_conn *c, uint64_t *count);
static void tcp_end(struct px_stream *s, int abort);

/* The tcp-request content rules of a stream in inspection: they run once
 * data came (or at once without tcp-request inspect-delay, or when the
 * delay is over, the buffer full, or the client done). Returns 1 when the
 * stream goes on to its backend, 0 while it waits, -1 when it ended.
 */
static int inspect(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_conn *c = &sess->cli;
	uint64_t now = sess->loop->now_ms;
	int r;

	if (s->flags & PX_STF_LUA_WAIT) {
		if (!px_lua_ready(s))
			goto wait;
		s->flags &= ~PX_STF_LUA_WAIT;
	} else {
		r = receive(c, &s->bytes_in);
		if (r < 0) {
			px_stream_term(s, 'C', 'R');
			tcp_end(s, 1);
			return -1;
		}
		if (s->fe->tcp_inspect_ms && !c->buf.len && !(c->flags & PX_CF_RD_EOF) &&
		    now < s->exp_req)
			goto wait;
	}
	r = px_rules_tcp_content(s);
	if (r == 2) {
		if (px_lua_park(s, NULL) < 0) {
			px_lua_stream_release(s);
			r = -1;
		} else {
			s->flags |= PX_STF_LUA_WAIT;
			goto wait;
		}
	}
	if (r) {
		if (!(s->flags & PX_STF_ABORT))
			px_stream_term(s, r < 0 ? 'P' : 'L', 'R');
		tcp_end(s, 1);
		return -1;
	}
	s->flags &= ~PX_STF_INSPECT;
	s->exp_req = 0;
	tcp_choose_backend(s);
	if (s->flags & PX_STF_ABORT) {
		tcp_end(s, 1);
		return -1;
	}
	return 1;
wait:
	if (px_sess_poll(sess, !(s->flags & PX_STF_LUA_WAIT), 0) < 0) {
		px_stream_term(s, 'R', 'R');
		tcp_end(s, 1);
		return -1;
	}
	px_sess_set_timer(sess, s->flags & PX_STF_LUA_WAIT ? 0 : s->exp_req);
	return 0;
}

void px_tcp_process(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_conn *c = &sess->cli;
	struct px_proxy *fe = s->fe, *be = s->be ? s->be : s->fe;
	uint64_t now = sess->loop->now_ms, next;
	/* "http-request set-timeout" wins over the backend's settings. */
	uint32_t tunnel = s->tun_timeout ? s->tun_timeout : be->to.tunnel;
	uint32_t srv_to = s->srv_timeout ? s->srv_timeout : be->to.server;
	int progress, r, rounds = 0;

	if (s->flags & PX_STF_ABORT) {
		tcp_end(s, 1);
		return;
	}
	if ((s->flags & PX_STF_INSPECT) && inspect(s) <= 0)
		return;
	be = s->be;
	tunnel = s->tun_timeout ? s->tun_timeout : be->to.tunnel;
	srv_to = s->srv_timeout ? s->srv_timeout : be->to.server;
	do {
		progress = 0;
		if (++rounds > PX_STREAM_ROUNDS) {
			/* Its turn is over: the rest after the others'. */
			px_stream_wake(s);
			break;
		}

		/* The client may send while the server connection is made
		 * (into the buffer; splicing starts once it is empty).
		 */
		if ((s->rs != PX_RS_TUNNEL || c->buf.len || !splicing(s, 0)) &&
		    step(s, receive(c, &s->bytes_in), 'C', &s->t_cli_act, now, &progress) < 0)
			return;

		if (s->rs == PX_RS_NONE) {
			r = px_stream_srv_step(s);
			if (r < 0) {
				/* No server: TCP has no error page, just close. */
				tcp_end(s, 0);
				return;
			}
			if (!r)
				break;
			s->rs = PX_RS_TUNNEL;
			s->t_srv_act = now;
			progress = 1;
		}

		if (!c->buf.len && splicing(s, 0)) {
			r = splice_move(s, 0, c, &s->sc->conn, &s->bytes_in);
			if (step(s, r == -1 ? -1 : r == -2 ? 0 : r, 'C', &s->t_cli_act, now,
			         &progress) < 0 ||
			    step(s, r == -2 ? -1 : 0, 'S', &s->t_srv_act, now, &progress) < 0)
				return;
		} else if (step(s, forward(c, &s->sc->conn, NULL), 'S', &s->t_srv_act, now,
		                &progress) < 0) {
			return;
		}
		if (!s->sc->conn.buf.len && splicing(s, 1)) {
			r = splice_move(s, 1, &s->sc->conn, c, &s->bytes_out);
			if (step(s, r == -1 ? -1 : r == -2 ? 0 : r, 'S', &s->t_srv_act, now,
			         &progress) < 0 ||
			    step(s, r == -2 ? -1 : 0, 'C', &s->t_cli_act, now, &progress) < 0)
				return;
		} else if (step(s, receive(&s->sc->conn, NULL), 'S', &s->t_srv_act, now,
		                &progress) < 0 ||
		           step(s, forward(&s->sc->conn, c, &s->bytes_out), 'C', &s->t_cli_act,
		                now, &progress) < 0) {
			return;
		}

		/* Pass ends of stream on once what preceded them is delivered. */
		if ((c->flags & PX_CF_RD_EOF) && !c->buf.len && !piped(s, 0) &&
		    !(s->sc->conn.flags & PX_CF_WR_SHUT)) {
			px_conn_shutw(&s->sc->conn);
			progress = 1;
		}
		if ((s->sc->conn.flags & PX_CF_RD_EOF) && !s->sc->conn.buf.len && !piped(s, 1) &&
		    !(c->flags & PX_CF_WR_SHUT)) {
			px_conn_shutw(c);
			progress = 1;
		}
		if ((c->flags & PX_CF_WR_SHUT) && (s->sc->conn.flags & PX_CF_WR_SHUT)) {
			tcp_end(s, 0);
			return;
		}
	} while (progress);

	/* Deadlines: inactivity on each side. */
	if (s->rs == PX_RS_NONE) {
		if (s->scs == PX_SC_CONNECTING)
			s->exp_conn = px_tick_add(s->t_connect, be->to.connect);
		else if (s->scs == PX_SC_QUEUED)
			s->exp_conn = px_tick_add(s->t_queue, be->to.queue ? be->to.queue :
			                          be->to.connect);
		next = s->scs == PX_SC_CONNECTING || s->scs == PX_SC_QUEUED ||
		       s->scs == PX_SC_TURNAROUND ? s->exp_conn : 0;
		if (px_sess_poll(sess, 1, 1) < 0) {
			px_stream_term(s, 'R', 'C');
			tcp_end(s, 1);
			return;
		}
		px_sess_set_timer(sess, next);
		return;
	}
	/* A side is timed while something is expected of it: bytes to read,
	 * or bytes waiting for it to take. Once we shut our sending side
	 * towards it, its -fin timeout applies (HAProxy: a connection must
	 * not linger in FIN_WAIT).
	 */
	s->exp_cli = 0;
	s->exp_srv = 0;
	if (!(c->flags & PX_CF_RD_EOF) || s->sc->conn.buf.len || piped(s, 1))
		s->exp_cli = px_tick_add(s->t_cli_act, side_timeout(tunnel, fe->to.client,
		                         fe->to.client_fin, !!(c->flags & PX_CF_WR_SHUT)));
	if (!(s->sc->conn.flags & PX_CF_RD_EOF) || c->buf.len || piped(s, 0))
		s->exp_srv = px_tick_add(s->t_srv_act, side_timeout(tunnel, srv_to,
		                         be->to.server_fin, !!(s->sc->conn.flags & PX_CF_WR_SHUT)));
	if (s->exp_cli && s->exp_cli <= now) {
		px_stream_term(s, 'c', 'D');
		tcp_end(s, 1);
		return;
	}
	if (s->exp_srv && s->exp_srv <= now) {
		px_stream_term(s, 's', 'D');
		tcp_end(s, 1);
		return;
	}
	/* Raw forwarding waits on the client both ways. */
	if (px_sess_poll(sess, 1, 1) < 0) {
		px_stream_term(s, 'R', 'D');
		tcp_end(s, 1);
		return;
	}
	px_sess_set_timer(sess, px_tick_first(s->exp_cli, s->exp_srv));
}
