/* resp.c: what fakesrv answers.
 *
 * Owns: turning the command line's response options into bytes. At start-up
 * it builds the response head once (and, when the body is small, the whole
 * response) so that the hot path of a benchmark is one memcpy per request.
 * Large bodies are produced on demand, FS_OUT_FILL bytes at a time, from a
 * string, a file (pread, never read whole) or the generated a..z pattern,
 * with optional chunked framing. It also applies --die-after by capping the
 * bytes produced. It does not touch sockets: conn.c sends what lands in the
 * connection's output buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "fakesrv.h"
#include "tkh1.h"
#include "tkstr.h"

/* Reason phrases used when -s gives only a code. */
static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ .code = 100, .reason = "Continue" },
	{ .code = 101, .reason = "Switching Protocols" },
	{ .code = 200, .reason = "OK" },
	{ .code = 201, .reason = "Created" },
	{ .code = 202, .reason = "Accepted" },
	{ .code = 204, .reason = "No Content" },
	{ .code = 206, .reason = "Partial Content" },
	{ .code = 301, .reason = "Moved Permanently" },
	{ .code = 302, .reason = "Found" },
	{ .code = 303, .reason = "See Other" },
	{ .code = 304, .reason = "Not Modified" },
	{ .code = 307, .reason = "Temporary Redirect" },
	{ .code = 308, .reason = "Permanent Redirect" },
	{ .code = 400, .reason = "Bad Request" },
	{ .code = 401, .reason = "Unauthorized" },
	{ .code = 403, .reason = "Forbidden" },
	{ .code = 404, .reason = "Not Found" },
	{ .code = 405, .reason = "Method Not Allowed" },
	{ .code = 408, .reason = "Request Timeout" },
	{ .code = 409, .reason = "Conflict" },
	{ .code = 410, .reason = "Gone" },
	{ .code = 413, .reason = "Payload Too Large" },
	{ .code = 414, .reason = "URI Too Long" },
	{ .code = 429, .reason = "Too Many Requests" },
	{ .code = 500, .reason = "Internal Server Error" },
	{ .code = 501, .reason = "Not Implemented" },
	{ .code = 502, .reason = "Bad Gateway" },
	{ .code = 503, .reason = "Service Unavailable" },
	{ .code = 504, .reason = "Gateway Timeout" },
};

static const char bad_request[] =
	"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/* Returns the usual reason phrase for code, or "Unknown". */
static const char *default_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Unknown";
}

/* Body sources: copy n body bytes starting at body offset off into dst.
 * Return 0 or -1 (read error).
 */
static int src_string(struct fs_conn *c, char *dst, uint64_t off, size_t n)
{
	memcpy(dst, fs_cfg.body.data + off, n);
	return 0;
}

static int src_file(struct fs_conn *c, char *dst, uint64_t off, size_t n)
{
	while (n) {
		ssize_t r = pread(fs_cfg.body_fd, dst, n, (off_t)off);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;   /* the file shrank or failed under us */
		}
		dst += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

static int src_gen(struct fs_conn *c, char *dst, uint64_t off, size_t n)
{
	tk_gen_fill(dst, off, n);
	return 0;
}

static int src_echo(struct fs_conn *c, char *dst, uint64_t off, size_t n)
{
	memcpy(dst, c->rec_head.data + off, n);
	return 0;
}

static int (*const src_read[])(struct fs_conn *, char *, uint64_t, size_t) = {
	[FS_SRC_NONE] = NULL,
	[FS_SRC_STRING] = src_string,
	[FS_SRC_FILE] = src_file,
	[FS_SRC_GEN] = src_gen,
	[FS_SRC_ECHO] = src_echo,
};

/* Appends bytes to the response, honouring the --die-after budget. Once the
 * budget is spent the rest of the response is dropped and the connection
 * is marked for a reset.
 */
static int emit(struct fs_conn *c, const char *p, size_t n)
{
	if (c->resp_budget >= 0 && (int64_t)n >= c->resp_budget) {
		n = (size_t)c->resp_budget;
		c->reset_after = 1;
	}
	if (c->resp_budget >= 0)
		c->resp_budget -= (int64_t)n;
	return tk_buf_add(&c->out, p, n);
}

/* Appends n body bytes from the connection's source at its offset. */
static int emit_body(struct fs_conn *c, size_t n)
{
	if (c->resp_budget >= 0 && (int64_t)n >= c->resp_budget) {
		n = (size_t)c->resp_budget;
		c->reset_after = 1;
	}
	if (tk_buf_reserve(&c->out, n) < 0)
		return -1;
	if (src_read[c->src](c, c->out.data + c->out.len, c->src_off, n) < 0)
		return -1;
	c->out.len += n;
	c->src_off += n;
	c->src_left -= n;
	if (c->resp_budget >= 0)
		c->resp_budget -= (int64_t)n;
	return 0;
}

/* Produces more of the current response into c->out, up to about
 * FS_OUT_FILL pending bytes. Returns 1 when the response is entirely
 * produced, 0 when more remains, -1 on a source error.
 */
int fs_resp_fill(struct fs_conn *c)
{
	char line[32];

	while (!c->reset_after && (c->src_left || c->final_chunk_due) &&
	       c->out.len - c->out_off < FS_OUT_FILL) {
		size_t room = FS_OUT_FILL - (c->out.len - c->out_off);
		uint64_t n;

		if (!c->src_chunked) {
			n = c->src_left < room ? c->src_left : room;
			if (emit_body(c, (size_t)n) < 0)
				return -1;
			continue;
		}
		if (!c->chunk_left && c->src_left) {
			uint64_t size = fs_cfg.chunk_size ? fs_cfg.chunk_size : c->src_left;

			if (size > c->src_left)
				size = c->src_left;
			c->chunk_left = size;
			if (emit(c, line, (size_t)snprintf(line, sizeof(line), "%llx\r\n",
							   (unsigned long long)size)) < 0)
				return -1;
			continue;
		}
		if (c->chunk_left) {
			n = c->chunk_left < room ? c->chunk_left : room;
			if (emit_body(c, (size_t)n) < 0)
				return -1;
			c->chunk_left -= n;
			if (!c->chunk_left && emit(c, "\r\n", 2) < 0)
				return -1;
			continue;
		}
		c->final_chunk_due = 0;
		if (emit(c, "0\r\n\r\n", 5) < 0)
			return -1;
	}
	if (c->reset_after) {
		c->src_left = 0;
		c->final_chunk_due = 0;
	}
	return (c->src_left || c->final_chunk_due) ? 0 : 1;
}

/* Appends the framing headers and the end of the head for a body of len
 * bytes (or none) to b.
 */
static int add_framing(struct tk_buf *b, uint64_t len, int chunked)
{
	int rc = 0;

	if (!fs_cfg.no_body && !fs_cfg.user_cl && !fs_cfg.user_te) {
		if (chunked)
			rc |= tk_buf_adds(b, "Transfer-Encoding: chunked\r\n");
		else if (!fs_cfg.no_length)
			rc |= tk_buf_printf(b, "Content-Length: %llu\r\n",
					    (unsigned long long)len);
	}
	if (fs_cfg.no_keepalive && !fs_cfg.user_conn)
		rc |= tk_buf_adds(b, "Connection: close\r\n");
	rc |= tk_buf_adds(b, "\r\n");
	return rc ? -1 : 0;
}

/* Starts the response to the request just read on c: puts what is known
 * now into c->out and sets up the body producer. Returns 0 or -1.
 */
int fs_resp_start(struct fs_conn *c)
{
	int body = !fs_cfg.no_body && !c->head_req;

	c->resp_budget = fs_cfg.die_after;
	c->src = FS_SRC_NONE;
	c->src_off = c->src_left = c->chunk_left = 0;
	c->src_chunked = c->final_chunk_due = 0;
	c->close_after_resp = fs_cfg.no_keepalive || c->req_close ||
		(fs_cfg.max_requests && c->nresp + 1 >= fs_cfg.max_requests);

	if (fs_cfg.nraws) {
		uint64_t i = c->req_no - 1;

		if (i >= (uint64_t)fs_cfg.nraws)
			i = (uint64_t)fs_cfg.nraws - 1;
		c->close_after_resp |= fs_cfg.raw_close[i];
		return emit(c, fs_cfg.raws[i].data, fs_cfg.raws[i].len);
	}
	c->close_after_resp |= fs_cfg.close_after;
	if (fs_cfg.whole_ok && body)
		return emit(c, fs_cfg.whole.data, fs_cfg.whole.len);
	if (fs_cfg.src == FS_SRC_ECHO) {
		size_t mark = c->out.len;

		/* Built in place, then capped by the budget like any output. */
		if (tk_buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", fs_cfg.status, fs_cfg.reason) < 0 ||
		    tk_buf_add(&c->out, fs_cfg.user_hdrs.data, fs_cfg.user_hdrs.len) < 0 ||
		    add_framing(&c->out, c->rec_head.len, fs_cfg.chunked) < 0)
			return -1;
		if (c->resp_budget >= 0) {
			size_t n = c->out.len - mark;

			if ((int64_t)n >= c->resp_budget) {
				c->out.len = mark + (size_t)c->resp_budget;
				c->reset_after = 1;
				n = (size_t)c->resp_budget;
			}
			c->resp_budget -= (int64_t)n;
		}
	} else if (emit(c, fs_cfg.head.data, fs_cfg.head.len) < 0) {
		return -1;
	}
	if (!body)
		return 0;
	c->src = fs_cfg.src;
	c->src_left = fs_cfg.src == FS_SRC_ECHO ? c->rec_head.len : fs_cfg.body_len;
	c->src_chunked = fs_cfg.chunked;
	c->final_chunk_due = fs_cfg.chunked;
	return 0;
}

/* Queues the canned 400 for a request that cannot be read; the caller
 * closes once it is sent.
 */
void fs_resp_bad_request(struct fs_conn *c)
{
	c->src = FS_SRC_NONE;
	c->src_left = 0;
	c->final_chunk_due = 0;
	c->close_after_resp = 1;
	tk_buf_add(&c->out, bad_request, sizeof(bad_request) - 1);
}

/* Scans a --response/--raw message: a response that is close-delimited or
 * says "Connection: close" needs the connection closed after it.
 */
static int raw_needs_close(const struct tk_buf *raw)
{
	struct tk_h1_msg m;
	struct tk_h1_body b;

	if (tk_h1_parse_resp(raw->data, raw->len, &m) < 0)
		return 1;   /* not even HTTP: only a close can end it */
	if (tk_h1_wants_close(&m) || tk_h1_resp_body(&m, 0, &b) < 0)
		return 1;
	return b.mode == TK_BODY_CLOSE;
}

/* Builds the parts of the response that never change. Returns 0, or -1
 * with *err set.
 */
int fs_resp_prepare(const char **err)
{
	struct fs_cfg *g = &fs_cfg;
	int i;

	if (!g->reason)
		g->reason = default_reason(g->status);
	g->no_body = g->status / 100 == 1 || g->status == 204 || g->status == 304;
	if (g->no_body)
		g->src = FS_SRC_NONE;
	if (g->src == FS_SRC_NONE)
		g->body_len = 0;
	g->close_after = g->no_length && !g->chunked && !g->user_cl && !g->user_te &&
		!g->no_body;
	for (i = 0; i < g->nraws; i++)
		g->raw_close[i] = raw_needs_close(&g->raws[i]);

	if (tk_buf_printf(&g->head, "HTTP/1.1 %d %s\r\n", g->status, g->reason) < 0 ||
	    tk_buf_add(&g->head, g->user_hdrs.data, g->user_hdrs.len) < 0 ||
	    add_framing(&g->head, g->body_len, g->chunked) < 0)
		goto fail_mem;
	if (g->src == FS_SRC_ECHO)
		return 0;

	/* Small bodies are framed once here: one memcpy per request later. */
	if (g->body_len <= FS_OUT_FILL && g->src != FS_SRC_ECHO) {
		struct fs_conn tmp = { .resp_budget = -1 };

		tmp.src = g->src;
		tmp.src_left = g->body_len;
		tmp.src_chunked = g->chunked;
		tmp.final_chunk_due = g->chunked;
		if (tk_buf_add(&tmp.out, g->head.data, g->head.len) < 0)
			goto fail_mem;
		/* Pretend each fill was sent, so the producer keeps going. */
		while (fs_resp_fill(&tmp) == 0)
			tmp.out_off = tmp.out.len;
		if (tmp.src_left || tmp.final_chunk_due) {
			tk_buf_free(&tmp.out);
			*err = "cannot read the body file";
			return -1;
		}
		g->whole = tmp.out;
		g->whole_ok = 1;
	}
	return 0;
fail_mem:
	*err = "out of memory";
	return -1;
}
