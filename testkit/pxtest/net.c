/* net.c: raw client connections.
 *
 * Owns: the steps that talk TCP or Unix sockets byte by byte (connect,
 * send, send-slow, shutdown, close, mark, recv, recv-response, recv-all,
 * expect-close, expect-reset, expect-silence), and the incremental HTTP/1
 * response reader they share. Sockets are non-blocking and every wait is
 * bounded by the step's window and the scenario's deadline, so a peer that
 * hangs cannot hang pxtest. While sending, incoming bytes are read into
 * the connection's buffer so a peer that answers early never deadlocks us.
 * A connection opened with "connect C TARGET tls ..." reads and writes
 * through tls.c once its handshake is done; every step works the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkh1.h"
#include "tkstr.h"

#define SEND_LIMIT_US  (10 * 1000000LL)   /* a send that stalls this long fails */
#define RECV_DEFAULT_US (5 * 1000000LL)

/* Returns the open connection called name, or NULL. */
struct px_conn *px_conn_find(struct px_ctx *ctx, const char *name)
{
	int i;

	for (i = 0; i < ctx->nconns; i++)
		if (ctx->conns[i].fd >= 0 && strcmp(ctx->conns[i].name, name) == 0)
			return &ctx->conns[i];
	return NULL;
}

/* Finds connection name for a step, failing the step when unknown. */
static struct px_conn *get_conn(struct px_ctx *ctx, const char *name)
{
	struct px_conn *c = px_conn_find(ctx, name);

	if (!c)
		px_fail(ctx, "no open connection '%s' (open it with connect)", name);
	return c;
}

static void conn_drop(struct px_conn *c)
{
	px_tls_free(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	tk_buf_free(&c->in);
}

void px_conns_close(struct px_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->nconns; i++)
		conn_drop(&ctx->conns[i]);
}

/* Reads what is there now (up to 1 MiB per call). Returns 1 when something
 * happened (bytes, EOF or an error), 0 when nothing was there.
 */
static int conn_read_now(struct px_conn *c)
{
	size_t total = 0;
	int got = 0;

	while (!c->eof && !c->err && total < (1u << 20)) {
		ssize_t r;

		if (tk_buf_reserve(&c->in, 65536) < 0)
			break;
		if (c->tls)
			r = px_tls_read(c, c->in.data + c->in.len, 65536);
		else
			r = recv(c->fd, c->in.data + c->in.len, 65536, 0);
		if (r > 0) {
			c->in.len += (size_t)r;
			total += (size_t)r;
			got = 1;
			continue;
		}
		if (r == 0) {
			c->eof = 1;
			c->eof_at = tk_now_us();
			got = 1;
		} else if (errno == EINTR) {
			continue;
		} else if (errno != EAGAIN) {
			c->err = errno;
			c->err_at = tk_now_us();
			got = 1;
		}
		break;
	}
	return got;
}

/* Waits until something arrives or until (absolute). Returns 1 when
 * something happened, 0 on timeout.
 */
static int conn_fill(struct px_ctx *ctx, struct px_conn *c, int64_t until)
{
	for (;;) {
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		int64_t left = until - tk_now_us();

		if (c->eof || c->err)
			return 1;
		if (conn_read_now(c))
			return 1;
		if (left <= 0)
			return 0;
		if (ctx->nsyslogs)
			px_poll_syslogs(ctx);
		poll(&pf, 1, (int)((left + 999) / 1000));
	}
}

/* Describes how the connection ended, for messages. */
static const char *conn_end(struct px_ctx *ctx, struct px_conn *c, char *buf, size_t size)
{
	if (c->err == EPROTO && c->tls && c->tls->err[0])
		snprintf(buf, size, "the connection failed at TLS level at %s: %.300s",
			 px_when(ctx, c->clock, c->err_at), c->tls->err);
	else if (c->err)
		snprintf(buf, size, "the connection got %s at %s", c->err == ECONNRESET ?
			 "a reset (ECONNRESET)" : strerror(c->err), px_when(ctx, c->clock, c->err_at));
	else if (c->eof)
		snprintf(buf, size, "the peer closed the connection at %s",
			 px_when(ctx, c->clock, c->eof_at));
	else
		snprintf(buf, size, "the connection is still open");
	return buf;
}

static void note_send(struct px_ctx *ctx, struct px_conn *c)
{
	if (c->note[0])
		px_detail(ctx, "earlier on %s: %s", c->name, c->note);
}

/* ---- connect, close, shutdown, mark ---------------------------------- */

static int step_connect(struct px_ctx *ctx, const struct px_step *st)
{
	const char *name = st->argv[1].s, *target = st->argv[2].s;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct px_conn *c, nc;
	int fd, one = 1, soerr = 0, rc;
	socklen_t el = sizeof(soerr);
	int64_t until;

	if (st->argc > 3 && strcmp(st->argv[3].s, "tls"))
		return px_fail(ctx, "usage: connect C PORTNAME|PORT|unix:PATH [tls [OPTIONS...]]");
	if (strncmp(target, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		if (strlen(target + 5) >= sizeof(sun->sun_path))
			return px_fail(ctx, "unix socket path too long");
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, target + 5);
		sl = sizeof(*sun);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		int port = strspn(target, "0123456789") == strlen(target) ? atoi(target) :
			px_port_get(ctx->sc, target);

		if (port <= 0 || port > 65535)
			return px_fail(ctx, "bad port '%s'", target);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	}
	if ((c = px_conn_find(ctx, name)))
		conn_drop(c);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return px_fail(ctx, "socket: %s", strerror(errno));
	if (ss.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return px_fail(ctx, "connect %s to %s: %s", name, target, strerror(e));
	}
	until = px_limit(ctx, tk_now_us() + 5000000);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		int64_t left = until - tk_now_us();

		if (poll(&pf, 1, left > 0 ? (int)((left + 999) / 1000) : 0) > 0)
			break;
		if (tk_now_us() >= until) {
			close(fd);
			return px_fail(ctx, "connect %s to %s: no answer within 5s", name, target);
		}
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
	if (soerr) {
		close(fd);
		return px_fail(ctx, "connect %s to %s: %s", name, target, strerror(soerr));
	}
	memset(&nc, 0, sizeof(nc));
	nc.name = strdup(name);
	nc.fd = fd;
	nc.clock = tk_now_us();
	if (st->argc > 3) {
		rc = px_tls_connect(ctx, &nc, st, 3);
		if (rc != 0) {
			/* failed, or failed as expected (expect-fail): not kept */
			conn_drop(&nc);
			free(nc.name);
			return rc < 0 ? -1 : 0;
		}
	}
	c = realloc(ctx->conns, sizeof(*c) * (size_t)(ctx->nconns + 1));
	if (!c) {
		conn_drop(&nc);
		free(nc.name);
		return px_fail(ctx, "out of memory");
	}
	ctx->conns = c;
	ctx->conns[ctx->nconns++] = nc;
	px_trace(ctx, "connected %s to %s", name, target);
	return 0;
}

static int step_close(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);

	if (!c)
		return -1;
	px_tls_shutdown(c);
	conn_drop(c);
	return 0;
}

static int step_shutdown(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);

	if (!c)
		return -1;
	px_tls_shutdown(c);
	if (shutdown(c->fd, SHUT_WR) < 0)
		return px_fail(ctx, "shutdown %s: %s", c->name, strerror(errno));
	return 0;
}

static int step_mark(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);

	if (!c)
		return -1;
	c->clock = tk_now_us();
	return 0;
}

/* ---- sending --------------------------------------------------------- */

/* Sends p[0..n), reading incoming bytes meanwhile. Returns 0 when all was
 * sent or the peer closed (noted in c->note for later messages), -1 (step
 * failed) when the peer stopped reading for SEND_LIMIT_US.
 */
static int send_bytes(struct px_ctx *ctx, struct px_conn *c, const char *p, size_t n,
		      uint64_t *sent_total)
{
	size_t off = 0;
	int64_t until = px_limit(ctx, tk_now_us() + SEND_LIMIT_US);

	while (off < n) {
		ssize_t w = c->tls ? px_tls_write(c, p + off, n - off) :
			send(c->fd, p + off, n - off, MSG_NOSIGNAL);
		struct pollfd pf = { .fd = c->fd, .events = POLLOUT | POLLIN };
		int64_t left;

		if (w > 0) {
			off += (size_t)w;
			*sent_total += (uint64_t)w;
			until = px_limit(ctx, tk_now_us() + SEND_LIMIT_US);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN) {
			snprintf(c->note, sizeof(c->note), "send failed after %llu bytes: %.100s",
				 (unsigned long long)*sent_total, errno == EPROTO && c->tls ?
				 c->tls->err : strerror(errno));
			px_trace(ctx, "%s: %s", c->name, c->note);
			return 0;
		}
		left = until - tk_now_us();
		if (left <= 0)
			return px_fail(ctx, "send %s: the peer accepted no data for %.1fs (%llu bytes sent)",
				       c->name, SEND_LIMIT_US / 1e6, (unsigned long long)*sent_total);
		if (poll(&pf, 1, (int)((left + 999) / 1000)) > 0 && (pf.revents & POLLIN))
			conn_read_now(c);
	}
	return 0;
}

static int step_send(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	uint64_t sent = 0;

	if (!c)
		return -1;
	if (st->argc == 2 && st->has_heredoc)
		return send_bytes(ctx, c, st->heredoc.data, st->heredoc.len, &sent);
	if (st->argc == 3 && st->has_heredoc && strcmp(st->argv[2].s, "-crlf") == 0) {
		struct tk_buf conv = { 0 };
		int rc;

		for (size_t i = 0; i < st->heredoc.len; i++) {
			if (st->heredoc.data[i] == '\n' && (i == 0 || st->heredoc.data[i - 1] != '\r'))
				tk_buf_addc(&conv, '\r');
			tk_buf_addc(&conv, st->heredoc.data[i]);
		}
		rc = send_bytes(ctx, c, conv.data ? conv.data : "", conv.len, &sent);
		tk_buf_free(&conv);
		return rc;
	}
	if (st->argc == 3 && !st->has_heredoc)
		return send_bytes(ctx, c, st->argv[2].s, st->argv[2].len, &sent);
	if (st->argc == 4 && strcmp(st->argv[2].s, "-file") == 0) {
		const char *path = st->argv[3].s;
		char full[4096], block[65536];
		ssize_t r;
		int fd;

		if (path[0] == '/')
			snprintf(full, sizeof(full), "%s", path);
		else
			snprintf(full, sizeof(full), "%s/%s", ctx->env->tmp, path);
		fd = open(full, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return px_fail(ctx, "cannot open %s: %s", full, strerror(errno));
		while ((r = read(fd, block, sizeof(block))) > 0)
			if (send_bytes(ctx, c, block, (size_t)r, &sent) < 0 || c->note[0])
				break;
		close(fd);
		return ctx->failed ? -1 : 0;
	}
	if (st->argc == 5 && strcmp(st->argv[2].s, "-repeat") == 0) {
		const struct px_arg *unit = &st->argv[4];
		uint64_t count, done = 0;
		struct tk_buf block = { 0 };
		size_t per;

		if (px_get_uint(ctx, &st->argv[3], &count) < 0)
			return -1;
		if (!unit->len)
			return 0;
		per = 65536 / unit->len ? 65536 / unit->len : 1;
		for (size_t i = 0; i < per; i++)
			tk_buf_add(&block, unit->s, unit->len);
		while (done < count && !c->note[0]) {
			uint64_t k = count - done < per ? count - done : per;

			if (send_bytes(ctx, c, block.data, (size_t)k * unit->len, &sent) < 0)
				break;
			done += k;
		}
		tk_buf_free(&block);
		return ctx->failed ? -1 : 0;
	}
	return px_fail(ctx, "usage: send C \"bytes\" | send C -file PATH | "
		       "send C -repeat N \"bytes\" | send C [-crlf] <<END");
}

static int step_send_slow(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	const struct px_arg *data = &st->argv[3];
	int64_t every;
	uint64_t sent = 0;
	size_t i;

	if (!c || px_get_dur(ctx, &st->argv[2], &every) < 0)
		return -1;
	for (i = 0; i < data->len; i++) {
		if (send_bytes(ctx, c, data->s + i, 1, &sent) < 0)
			return -1;
		if (c->note[0])
			break;
		if (i + 1 < data->len) {
			int64_t until = px_limit(ctx, tk_now_us() + every);

			while (!c->eof && !c->err && tk_now_us() < until)
				conn_fill(ctx, c, until);
			if (ctx->deadline_hit && tk_now_us() >= ctx->deadline)
				return px_fail(ctx, "send-slow went past the scenario's time limit");
			if (c->eof || c->err)
				break;   /* the peer gave up on us: let later steps check why */
		}
	}
	px_trace(ctx, "send-slow %s: %zu of %zu bytes sent", c->name, i < data->len ? i + 1 : i,
		 data->len);
	return 0;
}

/* ---- receiving ------------------------------------------------------- */

static int step_recv(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	const struct px_arg *want = &st->argv[2];
	int64_t within, t0 = tk_now_us(), until;
	char why[400];

	if (!c || px_opt_within(ctx, st, 3, RECV_DEFAULT_US, &within) < 0)
		return -1;
	until = px_limit(ctx, t0 + within);
	for (;;) {
		size_t have = c->in.len < want->len ? c->in.len : want->len;
		size_t i;

		for (i = 0; i < have && c->in.data[i] == want->s[i]; i++)
			;
		if (i < have) {
			px_fail(ctx, "recv %s: byte %zu differs (at %s since %s's clock)", c->name, i,
				px_when(ctx, c->clock, tk_now_us()), c->name);
			px_detail_bytes(ctx, "expected", want->s, want->len);
			px_detail_bytes(ctx, "received", c->in.data, c->in.len);
			note_send(ctx, c);
			return -1;
		}
		if (have == want->len) {
			tk_buf_consume(&c->in, want->len);
			px_trace(ctx, "recv %s: %zu bytes as expected", c->name, want->len);
			return 0;
		}
		if (c->eof || c->err)
			px_fail(ctx, "recv %s: expected %zu bytes, got %zu, then %s", c->name,
				want->len, c->in.len, conn_end(ctx, c, why, sizeof(why)));
		else if (!conn_fill(ctx, c, until))
			px_fail(ctx, "recv %s: expected %zu bytes within %s, got %zu", c->name,
				want->len, px_when(ctx, 0, within), c->in.len);
		else
			continue;
		px_detail_bytes(ctx, "expected", want->s, want->len);
		px_detail_bytes(ctx, "received", c->in.data ? c->in.data : "", c->in.len);
		note_send(ctx, c);
		return -1;
	}
}

/* The incremental response reader. */
struct rreader {
	int state;                   /* 0: head, 1: body, 2: done */
	int head_req;
	struct tk_h1_body body;
};

static void body_sink(void *ctx, const char *p, size_t n)
{
	struct px_result *r = ctx;

	if (r->body.len < PX_KEEP_MAX) {
		size_t keep = PX_KEEP_MAX - r->body.len;

		tk_buf_add(&r->body, p, n < keep ? n : keep);
	}
	r->body_size += n;
	r->body_hash = tk_hash(r->body_hash, p, n);
}

static void raw_add(struct px_result *r, const char *p, size_t n)
{
	if (r->raw.len < PX_KEEP_MAX) {
		size_t keep = PX_KEEP_MAX - r->raw.len;

		tk_buf_add(&r->raw, p, n < keep ? n : keep);
	}
	r->raw_size += n;
}

/* Sets the result's head to a copy of p[0..n) and parses it. Returns 0,
 * or -1 when it is not a response head.
 */
int px_result_set_head(struct px_result *r, const char *p, size_t n)
{
	tk_buf_reset(&r->head);
	tk_buf_add(&r->head, p, n);
	r->have_head = tk_h1_parse_resp(r->head.data, r->head.len, &r->msg) > 0;
	return r->have_head ? 0 : -1;
}

/* Feeds p[0..n). Returns bytes consumed (0: need more), or -1 when the
 * response is malformed.
 */
static ssize_t rr_feed(struct rreader *rr, struct px_result *r, const char *p, size_t n)
{
	ssize_t used;

	if (rr->state == 0) {
		struct tk_h1_msg m;
		int hl = tk_h1_parse_resp(p, n, &m);

		if (hl == -2)
			return n > PX_KEEP_MAX ? -1 : 0;
		if (hl < 0)
			return -1;
		px_result_set_head(r, p, (size_t)hl);
		raw_add(r, p, (size_t)hl);
		if (tk_h1_resp_body(&r->msg, rr->head_req, &rr->body) < 0)
			return -1;
		rr->state = rr->body.done ? 2 : 1;
		return hl;
	}
	used = tk_h1_body_feed(&rr->body, p, n, body_sink, r);
	if (used < 0)
		return -1;
	raw_add(r, p, (size_t)used);
	if (rr->body.done)
		rr->state = 2;
	return used;
}

static int step_recv_response(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	struct px_result *r = &ctx->res;
	struct rreader rr = { 0 };
	int at = 2;
	int64_t within, t0 = tk_now_us(), until;
	char why[400];

	if (!c)
		return -1;
	if (at < st->argc && strcmp(st->argv[at].s, "-head") == 0) {
		rr.head_req = 1;
		at++;
	}
	if (px_opt_within(ctx, st, at, RECV_DEFAULT_US, &within) < 0)
		return -1;
	px_result_reset(r, PX_RES_HTTP, "recv-response", st->lineno);
	until = px_limit(ctx, t0 + within);
	for (;;) {
		ssize_t used = c->in.len ? rr_feed(&rr, r, c->in.data, c->in.len) : 0;

		if (used < 0) {
			px_fail(ctx, "recv-response %s: malformed response", c->name);
			px_detail_bytes(ctx, "received", c->in.data, c->in.len);
			return -1;
		}
		tk_buf_consume(&c->in, (size_t)used);
		if (rr.state == 1 && rr.body.mode == TK_BODY_CLOSE && c->eof && !c->in.len)
			rr.state = 2;
		if (rr.state == 2)
			break;
		if (used > 0)
			continue;
		if (c->eof || c->err) {
			px_fail(ctx, "recv-response %s: incomplete response (%llu bytes), then %s",
				c->name, (unsigned long long)r->raw_size, conn_end(ctx, c, why, sizeof(why)));
			px_detail_bytes(ctx, "received", r->raw.data ? r->raw.data : "", r->raw.len);
			px_detail_bytes(ctx, "unparsed", c->in.data ? c->in.data : "", c->in.len);
			note_send(ctx, c);
			return -1;
		}
		if (!conn_fill(ctx, c, until)) {
			px_fail(ctx, "recv-response %s: no complete response within %s (%llu bytes so far)",
				c->name, px_when(ctx, 0, within),
				(unsigned long long)(r->raw_size + c->in.len));
			px_detail_bytes(ctx, "received", r->raw.data ? r->raw.data : "", r->raw.len);
			px_detail_bytes(ctx, "unparsed", c->in.data ? c->in.data : "", c->in.len);
			note_send(ctx, c);
			return -1;
		}
	}
	r->took_us = tk_now_us() - t0;
	px_trace(ctx, "recv-response %s: %d, %llu body bytes in %s", c->name, r->msg.status,
		 (unsigned long long)r->body_size, px_when(ctx, t0, tk_now_us()));
	return 0;
}

static int step_recv_all(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	struct px_result *r = &ctx->res;
	struct rreader rr = { 0 };
	int64_t within, t0 = tk_now_us(), until;
	char why[400];
	int parsing = 1;

	if (!c || px_opt_within(ctx, st, 2, RECV_DEFAULT_US, &within) < 0)
		return -1;
	px_result_reset(r, PX_RES_RAW, "recv-all", st->lineno);
	until = px_limit(ctx, t0 + within);
	for (;;) {
		/* Everything goes to raw; an HTTP response is also parsed. */
		size_t off = 0;

		while (parsing && off < c->in.len && rr.state != 2) {
			ssize_t used = rr_feed(&rr, r, c->in.data + off, c->in.len - off);

			if (used <= 0) {
				parsing = used == 0;
				break;
			}
			off += (size_t)used;
		}
		if (off < c->in.len && (!parsing || rr.state == 2)) {
			raw_add(r, c->in.data + off, c->in.len - off);
			off = c->in.len;
		}
		if (!parsing && off == 0) {
			raw_add(r, c->in.data, c->in.len);
			off = c->in.len;
		}
		tk_buf_consume(&c->in, off);
		if (c->eof)
			break;
		if (c->err) {
			px_fail(ctx, "recv-all %s: %s after %llu bytes", c->name,
				conn_end(ctx, c, why, sizeof(why)), (unsigned long long)r->raw_size);
			px_detail_bytes(ctx, "received", r->raw.data ? r->raw.data : "", r->raw.len);
			return -1;
		}
		if (!conn_fill(ctx, c, until)) {
			px_fail(ctx, "recv-all %s: no EOF within %s (%llu bytes so far)", c->name,
				px_when(ctx, 0, within), (unsigned long long)(r->raw_size + c->in.len));
			px_detail_bytes(ctx, "received", r->raw.data ? r->raw.data : "", r->raw.len);
			return -1;
		}
	}
	/* Bytes still unparsed at EOF (a partial head) are raw only. */
	if (c->in.len) {
		raw_add(r, c->in.data, c->in.len);
		tk_buf_reset(&c->in);
	}
	if (!r->have_head) {
		/* Not HTTP: the body is the raw bytes. */
		tk_buf_reset(&r->body);
		tk_buf_add(&r->body, r->raw.data ? r->raw.data : "", r->raw.len);
		r->body_size = r->raw_size;
		r->body_hash = tk_hash(TK_HASH_INIT, r->raw.data ? r->raw.data : "", r->raw.len);
	}
	r->took_us = tk_now_us() - t0;
	px_trace(ctx, "recv-all %s: %llu bytes", c->name, (unsigned long long)r->raw_size);
	return 0;
}

/* expect-close and expect-reset: want_reset selects which. */
static int expect_end(struct px_ctx *ctx, const struct px_step *st, int want_reset)
{
	const char *what = want_reset ? "expect-reset" : "expect-close";
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	int64_t lo = 0, hi = -1, until, at;
	char why[400];

	if (!c)
		return -1;
	if (st->argc == 4 && strcmp(st->argv[2].s, "at") == 0) {
		if (px_get_window(ctx, &st->argv[3], &lo, &hi) < 0)
			return -1;
	} else if (st->argc != 2) {
		return px_fail(ctx, "usage: %s C [at MIN..MAX]", what);
	}
	/* Wait a little past the window so a late end is reported as late. */
	until = px_limit(ctx, hi >= 0 ? c->clock + hi + 500000 : tk_now_us() + RECV_DEFAULT_US);
	while (!c->in.len && !c->eof && !c->err)
		if (!conn_fill(ctx, c, until))
			break;
	if (c->in.len) {
		px_fail(ctx, "%s %s: received %zu bytes instead (at %s)", what, c->name, c->in.len,
			px_when(ctx, c->clock, tk_now_us()));
		px_detail_bytes(ctx, "received", c->in.data, c->in.len);
		return -1;
	}
	if (!c->eof && !c->err)
		return px_fail(ctx, "%s %s: the connection is still open after %s", what, c->name,
			       px_when(ctx, c->clock, tk_now_us()));
	if (want_reset && !c->err)
		return px_fail(ctx, "expect-reset %s: got a clean close (FIN) at %s, not a reset",
			       c->name, px_when(ctx, c->clock, c->eof_at));
	if (!want_reset && c->err)
		return px_fail(ctx, "expect-close %s: %s, not a clean close", c->name,
			       conn_end(ctx, c, why, sizeof(why)));
	at = (c->err ? c->err_at : c->eof_at) - c->clock;
	if (hi >= 0 && (at < lo || at > hi))
		return px_fail(ctx, "%s %s: ended at %s, outside %s", what, c->name,
			       px_when(ctx, 0, at), st->argv[3].s);
	px_trace(ctx, "%s %s: at %s", what, c->name, px_when(ctx, 0, at));
	return 0;
}

static int step_expect_close(struct px_ctx *ctx, const struct px_step *st)
{
	return expect_end(ctx, st, 0);
}

static int step_expect_reset(struct px_ctx *ctx, const struct px_step *st)
{
	return expect_end(ctx, st, 1);
}

static int step_expect_silence(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_conn *c = get_conn(ctx, st->argv[1].s);
	int64_t dur, t0 = tk_now_us(), until;
	char why[400];

	if (!c || px_get_dur(ctx, &st->argv[2], &dur) < 0)
		return -1;
	until = px_limit(ctx, t0 + dur);
	while (!c->in.len && !c->eof && !c->err && conn_fill(ctx, c, until))
		;
	if (c->in.len) {
		px_fail(ctx, "expect-silence %s: received %zu bytes at %s", c->name, c->in.len,
			px_when(ctx, t0, tk_now_us()));
		px_detail_bytes(ctx, "received", c->in.data, c->in.len);
		return -1;
	}
	if (c->eof || c->err)
		return px_fail(ctx, "expect-silence %s: %s", c->name, conn_end(ctx, c, why, sizeof(why)));
	if (ctx->deadline_hit)
		return px_fail(ctx, "expect-silence went past the scenario's time limit");
	return 0;
}

const struct px_cmd px_cmds_net[] = {
	{ .name = "connect", .min_args = 2, .max_args = -1, .run = step_connect },
	{ .name = "send", .min_args = 1, .max_args = 4, .heredoc = 1, .run = step_send },
	{ .name = "send-slow", .min_args = 3, .max_args = 3, .run = step_send_slow },
	{ .name = "shutdown", .min_args = 1, .max_args = 1, .run = step_shutdown },
	{ .name = "close", .min_args = 1, .max_args = 1, .run = step_close },
	{ .name = "mark", .min_args = 1, .max_args = 1, .run = step_mark },
	{ .name = "recv", .min_args = 2, .max_args = 4, .run = step_recv },
	{ .name = "recv-response", .min_args = 1, .max_args = 4, .run = step_recv_response },
	{ .name = "recv-all", .min_args = 1, .max_args = 3, .run = step_recv_all },
	{ .name = "expect-close", .min_args = 1, .max_args = 3, .run = step_expect_close },
	{ .name = "expect-reset", .min_args = 1, .max_args = 3, .run = step_expect_reset },
	{ .name = "expect-silence", .min_args = 2, .max_args = 2, .run = step_expect_silence },
	{ .name = NULL },
};
