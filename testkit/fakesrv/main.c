/* main.c: fakesrv start-up.
 *
 * Owns: the command line (one table of options, each with its setter and
 * help text, the --tls-* ones included), loading response files, opening the listening socket (TCP or
 * Unix), the --ready-fd handshake and signal handling. The event loop and
 * connection handling are in conn.c, responses in resp.c, logging in
 * record.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "fakesrv.h"
#include "tkstr.h"
#include "tktls.h"

struct fs_cfg fs_cfg = {
	.status = 200,
	.body_fd = -1,
	.die_after = -1,
	.ready_fd = -1,
	.chunk_size = 8192,
};
uint64_t fs_nreq;
uint64_t fs_nconn;

/* An option setter: applies arg (NULL for flags). Returns 0, or -1 with
 * *err set to a message naming what is wrong.
 */
typedef int (*opt_set_fn)(const char *arg, const char **err);

static int set_listen(const char *arg, const char **err)
{
	fs_cfg.listen = arg;
	return 0;
}

static int set_unix(const char *arg, const char **err)
{
	fs_cfg.unix_path = arg;
	return 0;
}

static int set_status(const char *arg, const char **err)
{
	char *end;
	long code = strtol(arg, &end, 10);

	if (end == arg || code < 100 || code > 999 || (*end && *end != ' ')) {
		*err = "status must be \"CODE [REASON]\" with a 3-digit code";
		return -1;
	}
	fs_cfg.status = (int)code;
	while (*end == ' ')
		end++;
	fs_cfg.reason = *end ? end : NULL;
	return 0;
}

/* Header names that fakesrv would otherwise add itself. */
static int header_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

static int set_header(const char *arg, const char **err)
{
	struct tk_buf dec = { 0 };
	const char *colon;

	if (tk_unescape(arg, strlen(arg), &dec, err) < 0)
		return -1;
	colon = memchr(dec.data, ':', dec.len);
	if (!colon || colon == dec.data) {
		tk_buf_free(&dec);
		*err = "header must be \"Name: value\"";
		return -1;
	}
	fs_cfg.user_cl |= header_is(dec.data, "content-length");
	fs_cfg.user_te |= header_is(dec.data, "transfer-encoding");
	fs_cfg.user_conn |= header_is(dec.data, "connection");
	tk_buf_add(&fs_cfg.user_hdrs, dec.data, dec.len);
	tk_buf_adds(&fs_cfg.user_hdrs, "\r\n");
	tk_buf_free(&dec);
	return 0;
}

static int set_body(const char *arg, const char **err)
{
	tk_buf_reset(&fs_cfg.body);
	if (tk_unescape(arg, strlen(arg), &fs_cfg.body, err) < 0)
		return -1;
	fs_cfg.src = FS_SRC_STRING;
	fs_cfg.body_len = fs_cfg.body.len;
	return 0;
}

static int set_body_file(const char *arg, const char **err)
{
	struct stat st;
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		*err = "cannot open the body file";
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fs_cfg.body_fd = fd;
	fs_cfg.body_len = (uint64_t)st.st_size;
	fs_cfg.src = FS_SRC_FILE;
	return 0;
}

static int set_body_size(const char *arg, const char **err)
{
	if (tk_parse_size(arg, &fs_cfg.body_len) < 0) {
		*err = "size must be N[k|m|g]";
		return -1;
	}
	fs_cfg.src = FS_SRC_GEN;
	return 0;
}

static int set_chunked(const char *arg, const char **err)
{
	fs_cfg.chunked = 1;
	return 0;
}

static int set_chunk_size(const char *arg, const char **err)
{
	if (tk_parse_size(arg, &fs_cfg.chunk_size) < 0 || !fs_cfg.chunk_size) {
		*err = "chunk size must be a positive N[k|m|g]";
		return -1;
	}
	return 0;
}

static int set_no_length(const char *arg, const char **err)
{
	fs_cfg.no_length = 1;
	return 0;
}

/* Adds one verbatim response to the --response/--raw sequence. */
static int add_raw(struct tk_buf *bytes, const char **err)
{
	struct tk_buf *raws = realloc(fs_cfg.raws, sizeof(*raws) * (size_t)(fs_cfg.nraws + 1));
	int *closes;

	if (!raws)
		goto fail_mem;
	fs_cfg.raws = raws;
	closes = realloc(fs_cfg.raw_close, sizeof(*closes) * (size_t)(fs_cfg.nraws + 1));
	if (!closes)
		goto fail_mem;
	fs_cfg.raw_close = closes;
	fs_cfg.raws[fs_cfg.nraws++] = *bytes;
	return 0;
fail_mem:
	*err = "out of memory";
	return -1;
}

static int set_response(const char *arg, const char **err)
{
	struct tk_buf bytes = { 0 };
	char block[65536];
	ssize_t r;
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*err = "cannot open the response file";
		return -1;
	}
	while ((r = read(fd, block, sizeof(block))) > 0)
		tk_buf_add(&bytes, block, (size_t)r);
	close(fd);
	if (r < 0) {
		tk_buf_free(&bytes);
		*err = "cannot read the response file";
		return -1;
	}
	return add_raw(&bytes, err);
}

static int set_raw(const char *arg, const char **err)
{
	struct tk_buf bytes = { 0 };

	if (tk_unescape(arg, strlen(arg), &bytes, err) < 0)
		return -1;
	return add_raw(&bytes, err);
}

static int set_echo(const char *arg, const char **err)
{
	fs_cfg.src = FS_SRC_ECHO;
	return 0;
}

static int set_continue(const char *arg, const char **err)
{
	fs_cfg.cont = 1;
	return 0;
}

static int set_delay(const char *arg, const char **err)
{
	if (tk_parse_duration(arg, &fs_cfg.delay_us) < 0) {
		*err = "bad duration (examples: 150ms, 2s, 500us, 20)";
		return -1;
	}
	return 0;
}

static int set_trickle(const char *arg, const char **err)
{
	if (tk_parse_duration(arg, &fs_cfg.trickle_us) < 0 || !fs_cfg.trickle_us) {
		*err = "bad duration (examples: 150ms, 2s, 500us, 20)";
		return -1;
	}
	return 0;
}

static int set_close(const char *arg, const char **err)
{
	fs_cfg.action = FS_ACT_CLOSE;
	return 0;
}

static int set_reset(const char *arg, const char **err)
{
	fs_cfg.action = FS_ACT_RESET;
	return 0;
}

static int set_silent(const char *arg, const char **err)
{
	fs_cfg.action = FS_ACT_SILENT;
	return 0;
}

static int set_die_after(const char *arg, const char **err)
{
	uint64_t n;

	if (tk_parse_size(arg, &n) < 0 || n > INT64_MAX) {
		*err = "--die-after needs a byte count";
		return -1;
	}
	fs_cfg.die_after = (int64_t)n;
	return 0;
}

static int set_no_keepalive(const char *arg, const char **err)
{
	fs_cfg.no_keepalive = 1;
	return 0;
}

static int set_max_requests(const char *arg, const char **err)
{
	if (tk_parse_size(arg, &fs_cfg.max_requests) < 0 || !fs_cfg.max_requests) {
		*err = "--max-requests needs a positive count";
		return -1;
	}
	return 0;
}

static int set_record(const char *arg, const char **err)
{
	fs_cfg.record_path = arg;
	return 0;
}

static int set_ready_fd(const char *arg, const char **err)
{
	char *end;
	long fd = strtol(arg, &end, 10);

	if (end == arg || *end || fd < 0 || fd > 65535) {
		*err = "--ready-fd needs a file descriptor number";
		return -1;
	}
	fs_cfg.ready_fd = (int)fd;
	return 0;
}

static int set_quiet(const char *arg, const char **err)
{
	fs_cfg.quiet = 1;
	return 0;
}

static int set_tls(const char *arg, const char **err)
{
	fs_cfg.tls_cert = arg;
	return 0;
}

static int set_tls_ca(const char *arg, const char **err)
{
	fs_cfg.tls_ca = arg;
	return 0;
}

static int set_tls_verify(const char *arg, const char **err)
{
	if (!strcmp(arg, "none"))
		fs_cfg.tls_verify = FS_VERIFY_NONE;
	else if (!strcmp(arg, "optional"))
		fs_cfg.tls_verify = FS_VERIFY_OPTIONAL;
	else if (!strcmp(arg, "required"))
		fs_cfg.tls_verify = FS_VERIFY_REQUIRED;
	else {
		*err = "expected none, optional or required";
		return -1;
	}
	fs_cfg.tls_verify_set = 1;
	return 0;
}

static int set_tls_alpn(const char *arg, const char **err)
{
	if (tk_tls_alpn_wire(arg, &fs_cfg.tls_alpn) < 0) {
		*err = "expected a list like h2,http/1.1";
		return -1;
	}
	return 0;
}

static int set_tls_version(const char *arg, int *dst, const char **err)
{
	*dst = tk_tls_version(arg);
	if (*dst < 0) {
		*err = "expected TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3";
		return -1;
	}
	return 0;
}

static int set_tls_min(const char *arg, const char **err)
{
	return set_tls_version(arg, &fs_cfg.tls_min, err);
}

static int set_tls_max(const char *arg, const char **err)
{
	return set_tls_version(arg, &fs_cfg.tls_max, err);
}

static int set_tls_ciphers(const char *arg, const char **err)
{
	fs_cfg.tls_ciphers = arg;
	return 0;
}

static int set_tls_suites(const char *arg, const char **err)
{
	fs_cfg.tls_suites = arg;
	return 0;
}

static int set_tls_no_resume(const char *arg, const char **err)
{
	fs_cfg.tls_no_resume = 1;
	return 0;
}

static int show_help(const char *arg, const char **err);

/* The command line. has_arg: 1 when the option takes a value. */
static const struct fs_opt {
	const char *lng;
	char shrt;
	int has_arg;
	opt_set_fn set;
	const char *usage;
} opts[] = {
	{ .lng = "listen", .shrt = 'l', .has_arg = 1, .set = set_listen,
	  .usage = "[ADDR:]PORT   listen on TCP (default address 127.0.0.1)" },
	{ .lng = "unix", .shrt = 'u', .has_arg = 1, .set = set_unix,
	  .usage = "PATH          listen on a Unix socket" },
	{ .lng = "status", .shrt = 's', .has_arg = 1, .set = set_status,
	  .usage = "\"CODE [REASON]\" status line (default \"200 OK\")" },
	{ .lng = "header", .shrt = 'H', .has_arg = 1, .set = set_header,
	  .usage = "\"Name: value\" add a response header (repeatable)" },
	{ .lng = "body", .shrt = 'b', .has_arg = 1, .set = set_body,
	  .usage = "STRING        response body (C escapes allowed)" },
	{ .lng = "body-file", .has_arg = 1, .set = set_body_file,
	  .usage = "FILE          response body read from FILE" },
	{ .lng = "body-size", .has_arg = 1, .set = set_body_size,
	  .usage = "N[k|m|g]      generated body: a..z repeated" },
	{ .lng = "chunked", .set = set_chunked,
	  .usage = "              send the body chunked" },
	{ .lng = "chunk-size", .has_arg = 1, .set = set_chunk_size,
	  .usage = "N             chunk size for --chunked (default 8k)" },
	{ .lng = "no-length", .set = set_no_length,
	  .usage = "              no Content-Length: close-delimited body" },
	{ .lng = "response", .has_arg = 1, .set = set_response,
	  .usage = "FILE          send FILE verbatim (repeatable: Nth request, Nth file)" },
	{ .lng = "raw", .has_arg = 1, .set = set_raw,
	  .usage = "STRING        like --response, from a C-escaped string" },
	{ .lng = "echo", .set = set_echo,
	  .usage = "              response body = the request head received" },
	{ .lng = "continue", .set = set_continue,
	  .usage = "              answer 100 Continue to Expect: 100-continue" },
	{ .lng = "delay", .has_arg = 1, .set = set_delay,
	  .usage = "DUR           wait DUR before each response" },
	{ .lng = "trickle", .has_arg = 1, .set = set_trickle,
	  .usage = "DUR           send one byte every DUR" },
	{ .lng = "close", .set = set_close,
	  .usage = "              read the request, close without answering" },
	{ .lng = "reset", .set = set_reset,
	  .usage = "              read the request, reset the connection" },
	{ .lng = "silent", .set = set_silent,
	  .usage = "              read requests, never answer, never close" },
	{ .lng = "die-after", .has_arg = 1, .set = set_die_after,
	  .usage = "N             send N bytes of each response, then reset" },
	{ .lng = "no-keepalive", .set = set_no_keepalive,
	  .usage = "              close after each response" },
	{ .lng = "max-requests", .has_arg = 1, .set = set_max_requests,
	  .usage = "N             close a connection after N responses" },
	{ .lng = "record", .has_arg = 1, .set = set_record,
	  .usage = "FILE          append connections and requests to FILE" },
	{ .lng = "ready-fd", .has_arg = 1, .set = set_ready_fd,
	  .usage = "N             write a byte to fd N once listening" },
	{ .lng = "quiet", .shrt = 'q', .set = set_quiet,
	  .usage = "              do not print requests on stdout" },
	{ .lng = "tls", .has_arg = 1, .set = set_tls,
	  .usage = "PEM           serve TLS: certificate, chain and key in one PEM" },
	{ .lng = "tls-ca", .has_arg = 1, .set = set_tls_ca,
	  .usage = "FILE          ask for a client certificate, verify it with these CAs" },
	{ .lng = "tls-verify", .has_arg = 1, .set = set_tls_verify,
	  .usage = "MODE          none, optional or required (default with --tls-ca)" },
	{ .lng = "tls-alpn", .has_arg = 1, .set = set_tls_alpn,
	  .usage = "LIST          ALPN protocols to select, in our order (h2,http/1.1)" },
	{ .lng = "tls-min", .has_arg = 1, .set = set_tls_min,
	  .usage = "VERSION       lowest protocol accepted (TLSv1.0 .. TLSv1.3)" },
	{ .lng = "tls-max", .has_arg = 1, .set = set_tls_max,
	  .usage = "VERSION       highest protocol accepted" },
	{ .lng = "tls-ciphers", .has_arg = 1, .set = set_tls_ciphers,
	  .usage = "LIST          OpenSSL cipher list for TLS 1.2 and below" },
	{ .lng = "tls-ciphersuites", .has_arg = 1, .set = set_tls_suites,
	  .usage = "LIST          TLS 1.3 cipher suites" },
	{ .lng = "tls-no-resume", .set = set_tls_no_resume,
	  .usage = "              no session resumption (no cache, no tickets)" },
	{ .lng = "help", .shrt = 'h', .set = show_help,
	  .usage = "              this help" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int show_help(const char *arg, const char **err)
{
	size_t i;

	printf("usage: fakesrv (-l [ADDR:]PORT | -u PATH) [options]\n");
	for (i = 0; i < NOPTS; i++) {
		char sh[8] = "    ";

		if (opts[i].shrt)
			snprintf(sh, sizeof(sh), "-%c, ", opts[i].shrt);
		printf("  %s--%-16s %s\n", sh, opts[i].lng, opts[i].usage);
	}
	printf("Durations: 150ms, 2s, 1.5s, 500us, 1m; a bare number is milliseconds.\n");
	exit(0);
}

/* Parses argv with the option table. Returns 0, or -1 after printing the
 * problem on stderr.
 */
static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *err = "invalid value";
		const struct fs_opt *o = NULL;
		size_t k, nl = 0;

		if (a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			for (k = 0; k < NOPTS; k++)
				if (strlen(opts[k].lng) == nl && !strncmp(opts[k].lng, a + 2, nl))
					o = &opts[k];
			if (o && eq)
				val = eq + 1;
		} else if (a[0] == '-' && a[1] && !a[2]) {
			for (k = 0; k < NOPTS; k++)
				if (opts[k].shrt == a[1])
					o = &opts[k];
		}
		if (!o) {
			fprintf(stderr, "fakesrv: unknown option '%s' (see --help)\n", a);
			return -1;
		}
		if (o->has_arg && !val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "fakesrv: option '%s' needs a value\n", a);
				return -1;
			}
			val = argv[++i];
		}
		if (o->set(val, &err) < 0) {
			fprintf(stderr, "fakesrv: %s '%s': %s\n", a, val ? val : "", err);
			return -1;
		}
	}
	if (!fs_cfg.tls_cert && (fs_cfg.tls_ca || fs_cfg.tls_verify_set || fs_cfg.tls_alpn.len ||
				 fs_cfg.tls_min || fs_cfg.tls_max || fs_cfg.tls_ciphers ||
				 fs_cfg.tls_suites || fs_cfg.tls_no_resume)) {
		fprintf(stderr, "fakesrv: the --tls-* options need --tls PEM\n");
		return -1;
	}
	if (!fs_cfg.listen == !fs_cfg.unix_path) {
		fprintf(stderr, "fakesrv: give exactly one of -l [ADDR:]PORT or -u PATH\n");
		return -1;
	}
	return 0;
}

/* Opens the TCP listener for "[ADDR:]PORT" ("[v6]:PORT" for IPv6). */
static int listen_tcp(const char *spec)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char host[128] = "127.0.0.1";
	const char *port = spec, *colon = strrchr(spec, ':');
	socklen_t sl;
	int fd, one = 1;
	long pn;
	char *end;

	if (colon) {
		size_t hl = (size_t)(colon - spec);

		if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
			spec++;
			hl -= 2;
		}
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	pn = strtol(port, &end, 10);
	if (end == port || *end || pn < 0 || pn > 65535)
		return -1;
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)pn);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)pn);
		sl = sizeof(*sin6);
	} else {
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	fs_stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *err = "";
	int lfd;

	if (parse_args(argc, argv) < 0)
		return 2;
	if (fs_resp_prepare(&err) < 0) {
		fprintf(stderr, "fakesrv: %s\n", err);
		return 2;
	}
	if (fs_cfg.tls_cert && fs_tls_setup(&err) < 0) {
		fprintf(stderr, "fakesrv: %s\n", err);
		return 2;
	}
	if (fs_cfg.record_path && fs_record_open(fs_cfg.record_path) < 0) {
		fprintf(stderr, "fakesrv: cannot open record file '%s': %s\n",
			fs_cfg.record_path, strerror(errno));
		return 2;
	}
	lfd = fs_cfg.listen ? listen_tcp(fs_cfg.listen) : listen_unix(fs_cfg.unix_path);
	if (lfd < 0) {
		fprintf(stderr, "fakesrv: cannot listen on '%s': %s\n",
			fs_cfg.listen ? fs_cfg.listen : fs_cfg.unix_path,
			errno ? strerror(errno) : "bad address");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (fs_cfg.ready_fd >= 0) {
		ssize_t w = write(fs_cfg.ready_fd, "R", 1);

		close(fs_cfg.ready_fd);
		if (w != 1)
			fprintf(stderr, "fakesrv: --ready-fd %d: %s\n", fs_cfg.ready_fd,
				strerror(errno));
	}
	if (!fs_cfg.quiet) {
		printf("fakesrv: listening on %s\n",
		       fs_cfg.listen ? fs_cfg.listen : fs_cfg.unix_path);
		fflush(stdout);
	}
	if (fs_loop(lfd) < 0) {
		fprintf(stderr, "fakesrv: event loop failed: %s\n", strerror(errno));
		return 1;
	}
	if (fs_cfg.unix_path)
		unlink(fs_cfg.unix_path);
	return 0;
}
