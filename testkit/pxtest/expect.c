/* expect.c: the checks.
 *
 * Owns: "expect" on the current result (status, headers, body, raw bytes,
 * timing, curl errors, exec output; "expect tls" is passed to tls.c),
 * "expect-log"/"expect-no-log" on proxyd's
 * output, the in-process syslog receiver and "expect-syslog", and
 * "expect-proxyd". Each check is an entry of a keyword table; a failing
 * check says what was expected and what was there, bytes C-escaped.
 * Checks on what fake servers received are in srvrec.c.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkh1.h"
#include "tkstr.h"

/* Matches regex argument a against subject. Returns 0 with *matched set,
 * or -1 (step failed) when a is not a valid regex.
 */
int px_regex(struct px_ctx *ctx, const struct px_arg *a, const char *subject,
	     size_t len, int *matched)
{
	const char *pat;
	int caseless, errcode, rc;
	PCRE2_SIZE erroff;
	pcre2_code *re;
	pcre2_match_data *md;

	if (px_arg_regex(a, &pat, &caseless) < 0)
		return px_fail(ctx, "expected a /regex/, got '%s'", a->s);
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
			   caseless ? PCRE2_CASELESS : 0, &errcode, &erroff, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return px_fail(ctx, "bad regex /%s/ at offset %zu: %s", pat, (size_t)erroff,
			       (char *)msg);
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)(subject ? subject : ""), len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	*matched = rc >= 0;
	return 0;
}

/* Splits "Name: value" into name and trimmed value (static copies). */
static int split_header(struct px_ctx *ctx, const struct px_arg *a, char *name,
			size_t nsize, const char **value)
{
	const char *colon = memchr(a->s, ':', a->len);
	size_t nl;

	if (!colon || colon == a->s || (size_t)(colon - a->s) >= nsize)
		return px_fail(ctx, "expected \"Name: value\", got '%s'", a->s);
	nl = (size_t)(colon - a->s);
	memcpy(name, a->s, nl);
	name[nl] = '\0';
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	*value = colon;
	return 0;
}

/* Lists a message's headers in the excerpt. */
static void detail_headers(struct px_ctx *ctx, const struct tk_h1_msg *m)
{
	int i;

	px_detail(ctx, "headers received:");
	for (i = 0; i < m->nhdrs; i++) {
		struct tk_buf b = { 0 };

		tk_escape(&b, m->hdrs[i].name, m->hdrs[i].name_len, 200);
		tk_buf_adds(&b, ": ");
		tk_escape(&b, m->hdrs[i].value, m->hdrs[i].value_len, 400);
		px_detail(ctx, "  %s", tk_buf_str(&b));
		tk_buf_free(&b);
	}
	if (!m->nhdrs)
		px_detail(ctx, "  (none)");
}

/* Header checks shared by expect and expect-server. which: 0 header,
 * 1 no-header, 2 header-count, 3 header-match. Returns 0, or -1 (failed).
 */
int px_check_header(struct px_ctx *ctx, const char *who, const struct tk_h1_msg *m,
			int which, const struct px_arg *args)
{
	const struct tk_h1_hdr *h = NULL;
	char name[256];
	const char *value = "";
	uint64_t want;
	int n;

	if (which == 0) {
		if (split_header(ctx, &args[0], name, sizeof(name), &value) < 0)
			return -1;
		while ((h = tk_h1_find(m, name, h)))
			if (h->value_len == strlen(value) && !memcmp(h->value, value, h->value_len))
				return 0;
		px_fail(ctx, "%s: no header \"%s: %s\"", who, name, value);
		detail_headers(ctx, m);
		return -1;
	}
	if (which == 1) {
		if (!tk_h1_find(m, args[0].s, NULL))
			return 0;
		px_fail(ctx, "%s: header %s is present", who, args[0].s);
		detail_headers(ctx, m);
		return -1;
	}
	if (which == 2) {
		if (px_get_uint(ctx, &args[1], &want) < 0)
			return -1;
		n = tk_h1_count(m, args[0].s);
		if ((uint64_t)n == want)
			return 0;
		px_fail(ctx, "%s: %d header(s) %s, expected %llu", who, n, args[0].s,
			(unsigned long long)want);
		detail_headers(ctx, m);
		return -1;
	}
	while ((h = tk_h1_find(m, args[0].s, h))) {
		char *v = strndup(h->value, h->value_len);
		int matched = 0, rc = px_regex(ctx, &args[1], v, h->value_len, &matched);

		free(v);
		if (rc < 0)
			return -1;
		if (matched)
			return 0;
	}
	px_fail(ctx, "%s: no header %s matching /%s/", who, args[0].s, args[1].s);
	detail_headers(ctx, m);
	return -1;
}

/* Compares bytes: kept is what we have in memory, size the true size. */
int px_check_bytes(struct px_ctx *ctx, const char *what, const struct px_arg *want,
		       const char *kept, size_t kept_len, uint64_t size)
{
	size_t i;

	if (size == want->len && kept_len == want->len &&
	    (!want->len || !memcmp(kept, want->s, want->len)))
		return 0;
	for (i = 0; i < kept_len && i < want->len && kept[i] == want->s[i]; i++)
		;
	px_fail(ctx, "%s differs at byte %zu (expected %zu bytes, got %llu)", what, i,
		want->len, (unsigned long long)size);
	px_detail_bytes(ctx, "expected", want->s, want->len);
	px_detail_bytes(ctx, "got", kept ? kept : "", kept_len);
	return -1;
}

/* ---- expect on the current result ------------------------------------ */

static int need_result(struct px_ctx *ctx, enum px_res_kind kind)
{
	struct px_result *r = &ctx->res;

	if (r->kind == PX_RES_NONE)
		return px_fail(ctx, "nothing to check yet: no request, recv-response, recv-all or exec before this");
	if (kind == PX_RES_EXEC && r->kind != PX_RES_EXEC)
		return px_fail(ctx, "this checks an exec result, but the last result (line %d) is from %s",
			       r->lineno, r->what);
	if (kind == PX_RES_HTTP && r->kind == PX_RES_EXEC)
		return px_fail(ctx, "this checks an HTTP response, but the last result (line %d) is from exec",
			       r->lineno);
	if (kind == PX_RES_HTTP && r->curl_code)
		return px_fail(ctx, "the request (line %d) failed: curl error %d: %s (after %s)",
			       r->lineno, r->curl_code, r->curl_err, px_when(ctx, 0, r->took_us));
	if (kind == PX_RES_HTTP && !r->have_head) {
		px_fail(ctx, "the %s at line %d got no HTTP response head", r->what, r->lineno);
		px_detail_bytes(ctx, "received", r->raw.data ? r->raw.data : "", r->raw.len);
		return -1;
	}
	return 0;
}

static int ex_status(struct px_ctx *ctx, const struct px_arg *a)
{
	uint64_t want;

	if (need_result(ctx, PX_RES_HTTP) < 0 || px_get_uint(ctx, &a[0], &want) < 0)
		return -1;
	if ((uint64_t)ctx->res.msg.status == want)
		return 0;
	px_fail(ctx, "status %d, expected %llu", ctx->res.msg.status, (unsigned long long)want);
	px_detail_bytes(ctx, "response head", ctx->res.head.data, ctx->res.head.len);
	return -1;
}

static int ex_header(struct px_ctx *ctx, const struct px_arg *a)
{
	return need_result(ctx, PX_RES_HTTP) < 0 ? -1 : px_check_header(ctx, "response", &ctx->res.msg, 0, a);
}

static int ex_no_header(struct px_ctx *ctx, const struct px_arg *a)
{
	return need_result(ctx, PX_RES_HTTP) < 0 ? -1 : px_check_header(ctx, "response", &ctx->res.msg, 1, a);
}

static int ex_header_count(struct px_ctx *ctx, const struct px_arg *a)
{
	return need_result(ctx, PX_RES_HTTP) < 0 ? -1 : px_check_header(ctx, "response", &ctx->res.msg, 2, a);
}

static int ex_header_match(struct px_ctx *ctx, const struct px_arg *a)
{
	return need_result(ctx, PX_RES_HTTP) < 0 ? -1 : px_check_header(ctx, "response", &ctx->res.msg, 3, a);
}

/* Body checks work on recv-all results that are not HTTP too. */
static int need_body(struct px_ctx *ctx)
{
	if (ctx->res.kind == PX_RES_RAW)
		return need_result(ctx, PX_RES_RAW);
	return need_result(ctx, PX_RES_HTTP);
}

static int ex_body(struct px_ctx *ctx, const struct px_arg *a)
{
	struct px_result *r = &ctx->res;

	if (need_body(ctx) < 0)
		return -1;
	return px_check_bytes(ctx, "body", &a[0], r->body.data, r->body.len, r->body_size);
}

static int ex_body_size(struct px_ctx *ctx, const struct px_arg *a)
{
	uint64_t want;

	if (need_body(ctx) < 0 || px_get_uint(ctx, &a[0], &want) < 0)
		return -1;
	if (ctx->res.body_size == want)
		return 0;
	return px_fail(ctx, "body is %llu bytes, expected %llu",
		       (unsigned long long)ctx->res.body_size, (unsigned long long)want);
}

static int ex_body_generated(struct px_ctx *ctx, const struct px_arg *a)
{
	uint64_t want;

	if (need_body(ctx) < 0 || px_get_uint(ctx, &a[0], &want) < 0)
		return -1;
	if (ctx->res.body_size != want)
		return px_fail(ctx, "body is %llu bytes, expected %llu generated bytes",
			       (unsigned long long)ctx->res.body_size, (unsigned long long)want);
	if (ctx->res.body_hash != tk_gen_hash(want)) {
		px_fail(ctx, "body has the right size (%llu) but is not the generated a..z pattern",
			(unsigned long long)want);
		px_detail_bytes(ctx, "got", ctx->res.body.data, ctx->res.body.len);
		return -1;
	}
	return 0;
}

static int ex_body_match(struct px_ctx *ctx, const struct px_arg *a)
{
	int m;

	if (need_body(ctx) < 0 ||
	    px_regex(ctx, &a[0], ctx->res.body.data, ctx->res.body.len, &m) < 0)
		return -1;
	if (m)
		return 0;
	px_fail(ctx, "body does not match /%s/", a[0].s);
	px_detail_bytes(ctx, "body", ctx->res.body.data, ctx->res.body.len);
	return -1;
}

static int ex_raw(struct px_ctx *ctx, const struct px_arg *a)
{
	struct px_result *r = &ctx->res;

	if (need_result(ctx, PX_RES_RAW) < 0)
		return -1;
	return px_check_bytes(ctx, "raw response", &a[0], r->raw.data, r->raw.len, r->raw_size);
}

static int ex_raw_match(struct px_ctx *ctx, const struct px_arg *a)
{
	int m;

	if (need_result(ctx, PX_RES_RAW) < 0 ||
	    px_regex(ctx, &a[0], ctx->res.raw.data, ctx->res.raw.len, &m) < 0)
		return -1;
	if (m)
		return 0;
	px_fail(ctx, "raw response does not match /%s/", a[0].s);
	px_detail_bytes(ctx, "raw", ctx->res.raw.data, ctx->res.raw.len);
	return -1;
}

static int ex_time(struct px_ctx *ctx, const struct px_arg *a)
{
	int64_t lo, hi;

	if (need_result(ctx, PX_RES_RAW) < 0 || px_get_window(ctx, &a[0], &lo, &hi) < 0)
		return -1;
	if (ctx->res.took_us >= lo && ctx->res.took_us <= hi)
		return 0;
	return px_fail(ctx, "the %s at line %d took %s, expected %s", ctx->res.what,
		       ctx->res.lineno, px_when(ctx, 0, ctx->res.took_us), a[0].s);
}

static int ex_curl_error(struct px_ctx *ctx, const struct px_arg *a)
{
	struct px_result *r = &ctx->res;

	if (r->kind != PX_RES_HTTP || strcmp(r->what, "request"))
		return px_fail(ctx, "curl-error checks a request result, the last result is from %s",
			       r->what ? r->what : "nothing");
	if (!r->curl_code) {
		px_fail(ctx, "the request succeeded (status %d), expected a transport error",
			r->have_head ? r->msg.status : 0);
		px_detail_bytes(ctx, "response head", r->head.data ? r->head.data : "", r->head.len);
		return -1;
	}
	if (a && !strstr(r->curl_err, a[0].s))
		return px_fail(ctx, "curl error is \"%s\", expected it to contain \"%s\"",
			       r->curl_err, a[0].s);
	return 0;
}

static int ex_curl_error_any(struct px_ctx *ctx, const struct px_arg *a)
{
	return ex_curl_error(ctx, NULL);
}

static int ex_exit(struct px_ctx *ctx, const struct px_arg *a)
{
	uint64_t want;

	if (need_result(ctx, PX_RES_EXEC) < 0 || px_get_uint(ctx, &a[0], &want) < 0)
		return -1;
	if ((uint64_t)ctx->res.exit_status == want)
		return 0;
	px_fail(ctx, "exit status %d, expected %llu", ctx->res.exit_status, (unsigned long long)want);
	px_detail_bytes(ctx, "stdout", ctx->res.out.data ? ctx->res.out.data : "", ctx->res.out.len);
	px_detail_bytes(ctx, "stderr", ctx->res.err.data ? ctx->res.err.data : "", ctx->res.err.len);
	return -1;
}

static int ex_stdout(struct px_ctx *ctx, const struct px_arg *a)
{
	struct px_result *r = &ctx->res;

	if (need_result(ctx, PX_RES_EXEC) < 0)
		return -1;
	return px_check_bytes(ctx, "stdout", &a[0], r->out.data, r->out.len, r->out.len);
}

static int match_output(struct px_ctx *ctx, const struct px_arg *a, struct tk_buf *b,
			const char *what)
{
	int m;

	if (need_result(ctx, PX_RES_EXEC) < 0 || px_regex(ctx, &a[0], b->data, b->len, &m) < 0)
		return -1;
	if (m)
		return 0;
	px_fail(ctx, "%s does not match /%s/", what, a[0].s);
	px_detail_bytes(ctx, what, b->data ? b->data : "", b->len);
	return -1;
}

static int ex_stdout_match(struct px_ctx *ctx, const struct px_arg *a)
{
	return match_output(ctx, a, &ctx->res.out, "stdout");
}

static int ex_stderr_match(struct px_ctx *ctx, const struct px_arg *a)
{
	return match_output(ctx, a, &ctx->res.err, "stderr");
}

/* "expect tls FIELD VALUE" and "expect tls C FIELD VALUE": tls.c's. */
static int ex_tls(struct px_ctx *ctx, const struct px_arg *a)
{
	return px_tls_check(ctx, NULL, &a[0], &a[1]);
}

static int ex_tls_conn(struct px_ctx *ctx, const struct px_arg *a)
{
	return px_tls_check(ctx, a[0].s, &a[1], &a[2]);
}

/* The checks of "expect". nargs: arguments after the keyword (-1: 0 or 1
 * handled by a second entry of the same name).
 */
static const struct {
	const char *name;
	int nargs;
	int (*check)(struct px_ctx *, const struct px_arg *);
} expect_kws[] = {
	{ .name = "status", .nargs = 1, .check = ex_status },
	{ .name = "header", .nargs = 1, .check = ex_header },
	{ .name = "no-header", .nargs = 1, .check = ex_no_header },
	{ .name = "header-count", .nargs = 2, .check = ex_header_count },
	{ .name = "header-match", .nargs = 2, .check = ex_header_match },
	{ .name = "body", .nargs = 1, .check = ex_body },
	{ .name = "body-size", .nargs = 1, .check = ex_body_size },
	{ .name = "body-match", .nargs = 1, .check = ex_body_match },
	{ .name = "body-generated", .nargs = 1, .check = ex_body_generated },
	{ .name = "raw", .nargs = 1, .check = ex_raw },
	{ .name = "raw-match", .nargs = 1, .check = ex_raw_match },
	{ .name = "time", .nargs = 1, .check = ex_time },
	{ .name = "curl-error", .nargs = 0, .check = ex_curl_error_any },
	{ .name = "curl-error", .nargs = 1, .check = ex_curl_error },
	{ .name = "exit", .nargs = 1, .check = ex_exit },
	{ .name = "stdout", .nargs = 1, .check = ex_stdout },
	{ .name = "stdout-match", .nargs = 1, .check = ex_stdout_match },
	{ .name = "stderr-match", .nargs = 1, .check = ex_stderr_match },
	{ .name = "tls", .nargs = 2, .check = ex_tls },
	{ .name = "tls", .nargs = 3, .check = ex_tls_conn },
};

static int step_expect(struct px_ctx *ctx, const struct px_step *st)
{
	const char *kw = st->argv[1].s;
	int nargs = st->argc - 2, known = 0;
	size_t i;

	for (i = 0; i < sizeof(expect_kws) / sizeof(expect_kws[0]); i++) {
		if (strcmp(expect_kws[i].name, kw))
			continue;
		known = 1;
		if (expect_kws[i].nargs == nargs)
			return expect_kws[i].check(ctx, &st->argv[2]);
	}
	if (known)
		return px_fail(ctx, "wrong number of arguments for 'expect %s'", kw);
	return px_fail(ctx, "unknown check 'expect %s'", kw);
}

/* ---- proxyd's output ------------------------------------------------- */

/* Reads proxyd.out from offset from into b (whole lines only unless
 * partial is set).
 */
static void read_log(struct px_ctx *ctx, size_t from, struct tk_buf *b)
{
	char block[65536];
	ssize_t r;
	int fd = open(ctx->proxyd.out_path, O_RDONLY | O_CLOEXEC);

	tk_buf_reset(b);
	if (fd < 0)
		return;
	while ((r = pread(fd, block, sizeof(block), (off_t)(from + b->len))) > 0)
		tk_buf_add(b, block, (size_t)r);
	close(fd);
}

/* Searches the lines of b for a match; returns the offset just past the
 * matching line, 0 when none (or -1 on a bad regex).
 */
static ssize_t find_line(struct px_ctx *ctx, const struct px_arg *re, struct tk_buf *b,
			 int whole_only)
{
	size_t i = 0;

	while (i < b->len) {
		const char *nl = memchr(b->data + i, '\n', b->len - i);
		size_t e = nl ? (size_t)(nl - b->data) : b->len;
		int m;

		if (!nl && whole_only)
			break;
		if (px_regex(ctx, re, b->data + i, e - i, &m) < 0)
			return -1;
		if (m)
			return (ssize_t)(nl ? e + 1 : e);
		i = e + 1;
	}
	return 0;
}

static int step_expect_log(struct px_ctx *ctx, const struct px_step *st)
{
	struct tk_buf b = { 0 };
	int64_t within, t0 = tk_now_us(), until;
	ssize_t at;

	if (!ctx->proxyd_started)
		return px_fail(ctx, "expect-log: proxyd was not started");
	if (px_opt_within(ctx, st, 2, 2000000, &within) < 0)
		return -1;
	until = px_limit(ctx, t0 + within);
	for (;;) {
		int last = tk_now_us() >= until;

		read_log(ctx, ctx->log_cursor, &b);
		at = find_line(ctx, &st->argv[1], &b, !last);
		if (at < 0)
			break;
		if (at > 0) {
			ctx->log_cursor += (size_t)at;
			tk_buf_free(&b);
			px_trace(ctx, "expect-log: found after %s", px_when(ctx, t0, tk_now_us()));
			return 0;
		}
		if (last) {
			px_fail(ctx, "no line of proxyd's output matches /%s/ within %s "
				"(searched %zu bytes after the previous match)", st->argv[1].s,
				px_when(ctx, 0, within), b.len);
			break;
		}
		usleep(5000);
		px_poll_syslogs(ctx);
	}
	tk_buf_free(&b);
	return -1;
}

static int step_expect_no_log(struct px_ctx *ctx, const struct px_step *st)
{
	struct tk_buf b = { 0 };
	int64_t dur = 0, until;
	ssize_t at;

	if (!ctx->proxyd_started)
		return px_fail(ctx, "expect-no-log: proxyd was not started");
	if (st->argc == 4 && !strcmp(st->argv[2].s, "for")) {
		if (px_get_dur(ctx, &st->argv[3], &dur) < 0)
			return -1;
	} else if (st->argc != 2) {
		return px_fail(ctx, "usage: expect-no-log /REGEX/ [for DUR]");
	}
	until = px_limit(ctx, tk_now_us() + dur);
	for (;;) {
		int last = tk_now_us() >= until;

		read_log(ctx, ctx->log_cursor, &b);
		at = find_line(ctx, &st->argv[1], &b, 0);
		if (at < 0)
			break;
		if (at > 0) {
			size_t s = (size_t)at - 1;

			while (s > 0 && b.data[s - 1] != '\n')
				s--;
			px_fail(ctx, "a line of proxyd's output matches /%s/", st->argv[1].s);
			px_detail_bytes(ctx, "line", b.data + s, (size_t)at - s);
			break;
		}
		if (last) {
			tk_buf_free(&b);
			return 0;
		}
		usleep(5000);
		px_poll_syslogs(ctx);
	}
	tk_buf_free(&b);
	return -1;
}

/* ---- syslog ---------------------------------------------------------- */

/* Reads every datagram waiting on the syslog receivers. */
void px_poll_syslogs(struct px_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->nsyslogs; i++) {
		struct px_syslog *s = &ctx->syslogs[i];
		char dgram[65536];
		ssize_t r;

		while ((r = recv(s->fd, dgram, sizeof(dgram), MSG_DONTWAIT)) >= 0) {
			char **nm = realloc(s->msgs, sizeof(*nm) * (size_t)(s->nmsgs + 1));

			if (!nm)
				break;
			s->msgs = nm;
			nm[s->nmsgs++] = strndup(dgram, (size_t)r);
		}
	}
}

/* syslog NAME [netns NS]: a receiver on 127.0.0.1:{{NAME}}, in NS's own
 * loopback with "netns NS" (where a proxyd started with "proxyd netns NS"
 * logs to 127.0.0.1).
 */
static int step_syslog(struct px_ctx *ctx, const struct px_step *st)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const struct px_netns *ns = NULL;
	struct px_syslog *s;
	int port = px_port_get(ctx->sc, st->argv[1].s), fd, big = 4 << 20;

	if (port < 0)
		return px_fail(ctx, "no free port for syslog '%s'", st->argv[1].s);
	if (st->argc == 4 && !strcmp(st->argv[2].s, "netns")) {
		ns = px_netns_find(ctx, st->argv[3].s);
		if (!ns)
			return px_fail(ctx, "no network namespace '%s' (make it first with 'netns %s')",
				       st->argv[3].s, st->argv[3].s);
	} else if (st->argc != 2) {
		return px_fail(ctx, "usage: syslog NAME [netns NS]");
	}
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = px_netns_socket(ns ? ns->path : NULL, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC |
			     SOCK_NONBLOCK, 0);
	if (fd < 0)
		return px_fail(ctx, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return px_fail(ctx, "syslog %s: cannot bind UDP 127.0.0.1:%d: %s", st->argv[1].s,
			       port, strerror(errno));
	}
	s = realloc(ctx->syslogs, sizeof(*s) * (size_t)(ctx->nsyslogs + 1));
	if (!s) {
		close(fd);
		return px_fail(ctx, "out of memory");
	}
	ctx->syslogs = s;
	s = &ctx->syslogs[ctx->nsyslogs++];
	memset(s, 0, sizeof(*s));
	s->name = strdup(st->argv[1].s);
	s->fd = fd;
	return 0;
}

static int step_expect_syslog(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_syslog *s = NULL;
	int64_t within, t0 = tk_now_us(), until;
	int i;

	for (i = 0; i < ctx->nsyslogs; i++)
		if (!strcmp(ctx->syslogs[i].name, st->argv[1].s))
			s = &ctx->syslogs[i];
	if (!s)
		return px_fail(ctx, "no syslog receiver '%s' (declare it with: syslog NAME)", st->argv[1].s);
	if (px_opt_within(ctx, st, 3, 2000000, &within) < 0)
		return -1;
	until = px_limit(ctx, t0 + within);
	for (;;) {
		px_poll_syslogs(ctx);
		for (; s->cursor < s->nmsgs; s->cursor++) {
			int m;

			if (px_regex(ctx, &st->argv[2], s->msgs[s->cursor], strlen(s->msgs[s->cursor]), &m) < 0)
				return -1;
			if (m) {
				s->cursor++;
				return 0;
			}
		}
		if (tk_now_us() >= until)
			break;
		{
			struct pollfd pf = { .fd = s->fd, .events = POLLIN };
			int64_t left = until - tk_now_us();

			poll(&pf, 1, left > 0 ? (int)((left + 999) / 1000) : 0);
		}
	}
	px_fail(ctx, "no syslog message on %s matches /%s/ within %s (%d received in all)",
		s->name, st->argv[2].s, px_when(ctx, 0, within), s->nmsgs);
	for (i = s->nmsgs > 10 ? s->nmsgs - 10 : 0; i < s->nmsgs; i++)
		px_detail_bytes(ctx, "message", s->msgs[i], strlen(s->msgs[i]));
	return -1;
}

/* ---- expect-proxyd --------------------------------------------------- */

static int step_expect_proxyd(struct px_ctx *ctx, const struct px_step *st)
{
	char path[64], line[256], how[128];
	FILE *f;
	uint64_t max, rss_kb = 0;

	if (!ctx->proxyd_started)
		return px_fail(ctx, "expect-proxyd: proxyd was not started");
	if (px_proc_reap(&ctx->proxyd, 0)) {
		px_status_str(ctx->proxyd.status, how, sizeof(how));
		return px_fail(ctx, "proxyd is not running: it ended with %s", how);
	}
	if (!strcmp(st->argv[1].s, "alive") && st->argc == 2)
		return 0;
	if (strcmp(st->argv[1].s, "rss-max") || st->argc != 3)
		return px_fail(ctx, "usage: expect-proxyd alive | expect-proxyd rss-max SIZE");
	if (px_get_uint(ctx, &st->argv[2], &max) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctx->proxyd.pid);
	f = fopen(path, "r");
	if (!f)
		return px_fail(ctx, "cannot read %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", (unsigned long long *)&rss_kb) == 1)
			break;
	fclose(f);
	if (rss_kb * 1024 <= max)
		return 0;
	return px_fail(ctx, "proxyd's RSS is %.1f MiB, more than %s", rss_kb / 1024.0, st->argv[2].s);
}

const struct px_cmd px_cmds_expect[] = {
	{ .name = "expect", .min_args = 1, .max_args = 4, .run = step_expect },
	{ .name = "expect-log", .min_args = 1, .max_args = 3, .run = step_expect_log },
	{ .name = "expect-no-log", .min_args = 1, .max_args = 3, .run = step_expect_no_log },
	{ .name = "syslog", .min_args = 1, .max_args = 3, .run = step_syslog },
	{ .name = "expect-syslog", .min_args = 2, .max_args = 4, .run = step_expect_syslog },
	{ .name = "expect-proxyd", .min_args = 1, .max_args = 2, .run = step_expect_proxyd },
	{ .name = NULL },
};
