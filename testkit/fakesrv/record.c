/* record.c: what fakesrv tells about the traffic it receives.
 *
 * Owns: the --record file (the machine-readable log pxtest's expect-server
 * reads) and the human-readable trace on stdout (unless -q). Each record is
 * assembled in memory and written with one write() to a file opened with
 * O_APPEND, so a reader polling the file never sees half a record.
 *
 * Record format:
 *   @@ conn C open PEER\n
 *   @@ conn C tls protocol P cipher C resumed yes|no sni S alpn A
 *      alpn-offered L client-dn DN\n      (one line; "-" for none)
 *   @@ conn C tls-fail REASON\n
 *   @@ req N conn C head H body B stored S[ incomplete]\n<H bytes><S bytes>\n
 *   @@ conn C close\n
 * B counts body bytes as received on the wire (chunked framing included);
 * S = min(B, 1 MiB). "incomplete" marks a request whose connection ended
 * before its body did. The tls lines come once a TLS handshake completed
 * or failed; the client DN is last, as it holds blanks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "fakesrv.h"
#include "tkstr.h"

static int rec_fd = -1;
static struct tk_buf rec_scratch;   /* one record being assembled */
static int mid_line;                /* stdout's last byte was not a newline */

/* Starts trace lines on a fresh line even after a body without one. */
static void line_start(void)
{
	if (mid_line)
		fputc('\n', stdout);
	mid_line = 0;
}

/* Opens (creating, appending) the record file. Returns 0 or -1. */
int fs_record_open(const char *path)
{
	rec_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return rec_fd < 0 ? -1 : 0;
}

/* Writes the scratch record in one go (retrying on short writes, which a
 * regular file only gives on a full disk).
 */
static void rec_flush(void)
{
	size_t off = 0;

	while (off < rec_scratch.len) {
		ssize_t w = write(rec_fd, rec_scratch.data + off, rec_scratch.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	tk_buf_reset(&rec_scratch);
}

/* Records a connection opening (open=1) or ending (open=0), and traces it. */
void fs_record_conn(const struct fs_conn *c, int open)
{
	if (rec_fd >= 0) {
		if (open)
			tk_buf_printf(&rec_scratch, "@@ conn %llu open %s\n",
				      (unsigned long long)c->id, c->peer);
		else
			tk_buf_printf(&rec_scratch, "@@ conn %llu close\n",
				      (unsigned long long)c->id);
		rec_flush();
	}
	if (!fs_cfg.quiet) {
		line_start();
		if (open)
			printf("[conn %llu] open from %s\n", (unsigned long long)c->id, c->peer);
		else
			printf("[conn %llu] closed\n", (unsigned long long)c->id);
		fflush(stdout);
	}
}

/* Records the request c has just finished reading (or, incomplete=1, that
 * its connection ended in the middle of).
 */
void fs_record_req(const struct fs_conn *c, int incomplete)
{
	if (rec_fd < 0)
		return;
	tk_buf_printf(&rec_scratch, "@@ req %llu conn %llu head %zu body %llu stored %zu%s\n",
		      (unsigned long long)c->req_no, (unsigned long long)c->id,
		      c->rec_head.len, (unsigned long long)c->body.wire,
		      c->rec_body.len, incomplete ? " incomplete" : "");
	tk_buf_add(&rec_scratch, c->rec_head.data, c->rec_head.len);
	tk_buf_add(&rec_scratch, c->rec_body.data, c->rec_body.len);
	tk_buf_addc(&rec_scratch, '\n');
	rec_flush();
}

/* Prints bytes for a human: as they are when they are text, C-escaped
 * (one line) when they are not.
 */
static void print_bytes(const char *p, size_t n)
{
	static struct tk_buf esc;

	if (!n)
		return;
	if (!tk_is_binary(p, n)) {
		fwrite(p, 1, n, stdout);
		mid_line = p[n - 1] != '\n';
		return;
	}
	tk_buf_reset(&esc);
	tk_escape(&esc, p, n, 0);
	fwrite(esc.data, 1, esc.len, stdout);
	fputc('\n', stdout);
	mid_line = 0;
}

void fs_print_head(const struct fs_conn *c, const char *p, size_t n)
{
	line_start();
	printf("[conn %llu] request %llu:\n", (unsigned long long)c->id,
	       (unsigned long long)c->req_no);
	print_bytes(p, n);
	fflush(stdout);
}

void fs_print_body(const struct fs_conn *c, const char *p, size_t n)
{
	print_bytes(p, n);
	fflush(stdout);
}

void fs_print_event(const struct fs_conn *c, const char *what)
{
	line_start();
	printf("[conn %llu] %s\n", (unsigned long long)c->id, what);
	fflush(stdout);
}

/* Records the facts of a completed TLS handshake (words made by tls.c). */
void fs_record_tls(const struct fs_conn *c, const char *facts)
{
	if (rec_fd >= 0) {
		tk_buf_printf(&rec_scratch, "@@ conn %llu tls %s\n", (unsigned long long)c->id, facts);
		rec_flush();
	}
	if (!fs_cfg.quiet) {
		line_start();
		printf("[conn %llu] TLS %s\n", (unsigned long long)c->id, facts);
		fflush(stdout);
	}
}

/* Records a failed TLS handshake and why (one line: newlines are dropped). */
void fs_record_tls_fail(const struct fs_conn *c, const char *reason)
{
	struct tk_buf line = { 0 };

	for (; *reason; reason++)
		tk_buf_addc(&line, (unsigned char)*reason < 0x20 ? ' ' : *reason);
	if (rec_fd >= 0) {
		tk_buf_printf(&rec_scratch, "@@ conn %llu tls-fail %s\n", (unsigned long long)c->id,
			      tk_buf_str(&line));
		rec_flush();
	}
	if (!fs_cfg.quiet) {
		line_start();
		printf("[conn %llu] TLS handshake failed: %s\n", (unsigned long long)c->id,
		       tk_buf_str(&line));
		fflush(stdout);
	}
	tk_buf_free(&line);
}
