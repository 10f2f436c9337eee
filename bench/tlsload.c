/* tlsload: a TLS handshake load generator, for the tls-full and tls-resume
 * scenarios of bench/run.sh.
 *
 * It keeps C connection slots busy. Each slot, over and over: connects,
 * does a TLS handshake, sends one "GET / HTTP/1.1" with "Connection: close",
 * reads the whole response until the server closes, and closes. One thread,
 * non-blocking sockets, epoll: the client is cheap next to the server's
 * side of a handshake, because it shares a CPU with the origin.
 *
 *   full    every handshake is a full one: the client keeps no session,
 *           offers none and asks for no ticket (SSL_OP_NO_TICKET, client
 *           session cache off).
 *   resume  TLS 1.3 only. One connection first does a full handshake and
 *           keeps the first session ticket the server sends (the seed);
 *           then every slot connects offering the last ticket it received
 *           (a copy of the seed for its first connection), so that every
 *           later handshake should be a resumption. SSL_session_reused()
 *           tells which were. OpenSSL's client uses a TLS 1.3 ticket once
 *           (it marks the session not resumable when it resumes it), so a
 *           slot resumes again only if the server sent a new ticket on the
 *           previous connection, as a browser would; a server that does not
 *           is reported (no_fresh_ticket).
 *
 * It stops starting connections after -d seconds or -n connections, lets
 * those in flight finish (-g seconds at most), prints one "done" line of
 * key=value counters and one "valid" or "invalid: REASON" line. Exit 0 when
 * the run is valid: requests completed, no error, the same protocol and
 * cipher on every handshake, the expected certificate when -x is given,
 * and every handshake but the seed resumed (resume) or none (full).
 *
 * It owns only its client sockets and TLS objects, and measures nothing on
 * the server: the caller reads the proxy's CPU time around the run.
 *
 *   tlsload -a 127.0.0.1:18500 -m full|resume [-c 50] [-d 10] [-n COUNT]
 *           [-V 1.2|1.3|any] [-C CIPHERS] [-S CIPHERSUITES] [-G GROUPS]
 *           [-N SERVERNAME] [-x CERT.pem] [-H HOST] [-u PATH] [-T 10] [-g 5]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define HEAD_MAX 8192   /* largest response head kept for parsing */
#define READ_CHUNK 16384 /* bytes asked of SSL_read at a time */
#define ERR_TEXT 160    /* length of the first error message kept */

enum load_mode {
	MODE_FULL = 0,   /* a full handshake on every connection */
	MODE_RESUME,     /* resume a TLS 1.3 session on every connection */
};

enum conn_state {
	CS_IDLE = 0,     /* slot free: no socket, no TLS object */
	CS_CONNECTING,   /* connect() in progress */
	CS_HANDSHAKE,    /* TLS handshake in progress */
	CS_SENDING,      /* handshake done, request not written yet */
	CS_READING,      /* reading the response until the server closes */
};

/* What went wrong with a connection; each kind has its own counter. */
enum fail_kind {
	FAIL_CONNECT = 0, /* socket() or connect() failed */
	FAIL_TLS,         /* handshake failed, or the wrong certificate */
	FAIL_IO,          /* a read or write failed after the handshake */
	FAIL_HTTP,        /* no complete 2xx response before the close */
	FAIL_STALL,       /* no progress for -T seconds */
	FAIL_UNFINISHED,  /* still in flight when the grace time ended */
	FAIL_KINDS,
};

static const char *const fail_names[FAIL_KINDS] = {
	[FAIL_CONNECT] = "connect",
	[FAIL_TLS] = "tls",
	[FAIL_IO] = "io",
	[FAIL_HTTP] = "http",
	[FAIL_STALL] = "stalled",
	[FAIL_UNFINISHED] = "unfinished",
};

struct conn {
	int fd;
	enum conn_state state;
	uint32_t events;        /* epoll events registered for fd */
	SSL *ssl;
	SSL_SESSION *ticket;    /* last session ticket received in this slot (owned) */
	int offered;            /* this connection offered a session */
	double last_progress;   /* when this connection last moved, for -T */
	char head[HEAD_MAX];
	size_t head_len;        /* response head bytes stored in head */
	int head_done;          /* the blank line ending the head was seen */
	int status;             /* response status code */
	long content_length;    /* -1 when the response has none */
	long body_len;          /* body bytes received so far */
};

struct counters {
	long started;           /* connections started */
	long requests;          /* complete 2xx responses, connection closed */
	long failed[FAIL_KINDS];
	long full;              /* handshakes that were not resumptions */
	long resumed;           /* handshakes SSL_session_reused() says resumed */
	long resume_misses;     /* handshakes that offered a session, not resumed */
	long no_fresh_ticket;   /* connections whose slot had only a used ticket */
	long tickets;           /* session tickets received (resume mode) */
	long param_mismatches;  /* handshakes whose protocol or cipher differed from the first */
	char protocol[32];      /* protocol of the first handshake */
	char cipher[64];        /* cipher of the first handshake */
	char first_error[ERR_TEXT];
};

static volatile sig_atomic_t stop_signal;
static struct counters stats;
static SSL_SESSION *seed_ticket; /* a copy of the first ticket received, never offered */
static X509 *expected_cert;      /* -x: the certificate the server must present */
static enum load_mode mode;
static SSL_CTX *client_ctx;
static const char *server_name;  /* -N: the SNI sent, or NULL */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: tlsload -a ADDR:PORT -m full|resume [options]\n"
	        "  -a ADDR:PORT   IPv4 address and port of the TLS server\n"
	        "  -m MODE        full: a full handshake per connection, no session kept\n"
	        "                 resume: TLS 1.3, every connection resumes a session\n"
	        "  -c N           concurrent connections (default 50)\n"
	        "  -d SECONDS     start connections for this long (default 10)\n"
	        "  -n COUNT       start at most this many connections in all\n"
	        "  -V VERSION     1.2, 1.3 or any (1.2 to 1.3; default; resume: 1.3)\n"
	        "  -C CIPHERS     TLS 1.2 cipher list (OpenSSL syntax)\n"
	        "  -S SUITES      TLS 1.3 ciphersuites\n"
	        "  -G GROUPS      key exchange groups (default OpenSSL's)\n"
	        "  -N NAME        server name to send (SNI); none by default\n"
	        "  -x CERT.pem    the certificate the server must present\n"
	        "  -H HOST        Host header (default \"bench\")\n"
	        "  -u PATH        request path (default /)\n"
	        "  -T SECONDS     a connection idle this long fails (default 10)\n"
	        "  -g SECONDS     time left to connections in flight at the end (default 5)\n"
	        "Prints \"done key=value...\" then \"valid\" or \"invalid: REASON\";\n"
	        "exit status 0 when valid, 1 when not, 2 on a usage or set-up error.\n");
	exit(2);
}

/* Keeps the first error seen, for the "done" line: the OpenSSL error queue
 * when it holds something, else errno's text, else WHAT alone. */
static void keep_error(const char *what, int err_no)
{
	unsigned long ssl_err = ERR_peek_last_error();
	char detail[ERR_TEXT - 32];

	if (stats.first_error[0]) {
		ERR_clear_error();
		return;
	}
	if (ssl_err)
		ERR_error_string_n(ssl_err, detail, sizeof(detail));
	else if (err_no)
		snprintf(detail, sizeof(detail), "%s", strerror(err_no));
	else
		snprintf(detail, sizeof(detail), "no detail");
	snprintf(stats.first_error, sizeof(stats.first_error), "%s: %s", what, detail);
	ERR_clear_error();
}

/* Called by OpenSSL for each session ticket the server sends (resume mode
 * only). The slot keeps the last one; a copy of the first one becomes the
 * seed every slot starts from (a copy, so that no session object is ever
 * offered twice: OpenSSL marks an offered one used). Returns 1 when the
 * session is kept (we own it then). */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_app_data(ssl);

	if (!c || !SSL_SESSION_is_resumable(sess))
		return 0;
	stats.tickets++;
	SSL_SESSION_free(c->ticket);
	c->ticket = sess;
	if (!seed_ticket)
		seed_ticket = SSL_SESSION_dup(sess);
	return 1;
}

/* Builds the client context for MODE and the version, cipher and group
 * options. Returns NULL (after printing why) when OpenSSL refuses one. */
static SSL_CTX *make_ctx(const char *version, const char *ciphers, const char *suites,
                         const char *groups)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int min = TLS1_2_VERSION, max = TLS1_3_VERSION;

	if (!ctx)
		goto fail;
	if (!strcmp(version, "1.2"))
		max = TLS1_2_VERSION;
	else if (!strcmp(version, "1.3"))
		min = TLS1_3_VERSION;
	else if (strcmp(version, "any")) {
		fprintf(stderr, "tlsload: -V wants 1.2, 1.3 or any, got '%s'\n", version);
		goto fail_ctx;
	}
	if (mode == MODE_RESUME) {
		if (max != TLS1_3_VERSION) {
			fprintf(stderr, "tlsload: resume mode is TLS 1.3 only\n");
			goto fail_ctx;
		}
		min = TLS1_3_VERSION;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, min) || !SSL_CTX_set_max_proto_version(ctx, max) ||
	    (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers)) ||
	    (suites && !SSL_CTX_set_ciphersuites(ctx, suites)) ||
	    (groups && !SSL_CTX_set1_groups_list(ctx, groups)))
		goto fail_ctx;
	/* No certificate check beyond -x: the bench certificate is self-signed
	 * and a chain check would add client work to every handshake. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* A server that closes without close_notify ends the response; its
	 * completeness is checked against Content-Length instead. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (mode == MODE_FULL) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		                               SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, on_new_session);
	}
	return ctx;

fail_ctx:
	SSL_CTX_free(ctx);
fail:
	fprintf(stderr, "tlsload: cannot set up the TLS context\n");
	ERR_print_errors_fp(stderr);
	return NULL;
}

/* Reads the certificate of -x. Returns NULL (after printing why) if the
 * file holds none. */
static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *cert;

	if (!f) {
		fprintf(stderr, "tlsload: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!cert)
		fprintf(stderr, "tlsload: %s: no PEM certificate\n", path);
	return cert;
}

/* Registers EVENTS for c's socket with epoll when they changed. */
static void want_events(int epfd, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = events;
}

/* Frees the slot's socket and TLS object; the slot's ticket stays. */
static void release(struct conn *c)
{
	if (c->ssl) {
		/* Marked as shut down so that OpenSSL does not count the session
		 * as broken; nothing more is sent to a server that has closed. */
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd); /* also removes it from epoll */
	c->fd = -1;
	c->state = CS_IDLE;
}

static void fail(struct conn *c, enum fail_kind kind, const char *what, int err_no)
{
	stats.failed[kind]++;
	keep_error(what, err_no);
	release(c);
}

/* Opens a new connection in slot c. A failure is counted and leaves the
 * slot idle. */
static void start_conn(int epfd, struct conn *c, const struct sockaddr_in *sin)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int one = 1;

	stats.started++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(c, FAIL_CONNECT, "socket", errno);
		return;
	}
	/* The Finished message and the request leave in two writes: without
	 * TCP_NODELAY the second could wait for a delayed ACK. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((connect(c->fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 &&
	     errno != EINPROGRESS) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		fail(c, FAIL_CONNECT, "connect", errno);
		return;
	}
	c->events = EPOLLOUT;
	c->state = CS_CONNECTING;
	c->head_len = 0;
	c->head_done = 0;
	c->status = 0;
	c->content_length = -1;
	c->body_len = 0;
	c->offered = 0;
	c->last_progress = now_s();
}

/* Parses the response head once its blank line has arrived: the status
 * and Content-Length. Returns 0, or -1 when it is not an HTTP/1 head. */
static int parse_head(struct conn *c)
{
	const char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
	const char *line, *eol;

	if (c->head_len < 12 || memcmp(c->head, "HTTP/1.", 7))
		return -1;
	c->status = atoi(c->head + 9);
	for (line = memchr(c->head, '\n', (size_t)(end - c->head)); line && line < end; line = eol) {
		line++;
		eol = memchr(line, '\n', (size_t)(end + 2 - line));
		if (!eol)
			break;
		if (!strncasecmp(line, "content-length:", 15))
			c->content_length = atol(line + 15);
	}
	return 0;
}

/* Takes LEN response bytes: head bytes until the blank line, then counts
 * the body. Returns 0, or -1 on a head too long or not HTTP/1. */
static int take_bytes(struct conn *c, const char *buf, size_t len)
{
	size_t copied = len, scan_from;
	const char *end;

	if (c->head_done) {
		c->body_len += (long)len;
		return 0;
	}
	if (copied > HEAD_MAX - c->head_len)
		copied = HEAD_MAX - c->head_len;
	scan_from = c->head_len > 3 ? c->head_len - 3 : 0;
	memcpy(c->head + c->head_len, buf, copied);
	c->head_len += copied;
	end = memmem(c->head + scan_from, c->head_len - scan_from, "\r\n\r\n", 4);
	if (!end)
		return c->head_len == HEAD_MAX ? -1 : 0;
	c->head_done = 1;
	/* Body bytes: those stored after the head, and those not stored. */
	c->body_len = (long)(c->head + c->head_len - (end + 4)) + (long)(len - copied);
	return parse_head(c);
}

/* Notes what the handshake that just completed on c was. */
static void handshake_done(struct conn *c)
{
	const char *protocol = SSL_get_version(c->ssl);
	const char *cipher = SSL_get_cipher_name(c->ssl);

	if (SSL_session_reused(c->ssl))
		stats.resumed++;
	else
		stats.full++;
	if (c->offered && !SSL_session_reused(c->ssl))
		stats.resume_misses++;
	if (!stats.protocol[0]) {
		snprintf(stats.protocol, sizeof(stats.protocol), "%s", protocol);
		snprintf(stats.cipher, sizeof(stats.cipher), "%s", cipher);
	} else if (strcmp(stats.protocol, protocol) || strcmp(stats.cipher, cipher)) {
		stats.param_mismatches++;
	}
}

/* Handles an SSL_* call that returned R <= 0 on c: registers the events it
 * waits for (returns 1), or counts the failure as KIND (returns -1). The
 * end of the response (close_notify or EOF) returns 0. */
static int ssl_wait(int epfd, struct conn *c, int r, enum fail_kind kind, const char *what)
{
	int saved_errno = errno;

	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		want_events(epfd, c, EPOLLIN);
		return 1;
	case SSL_ERROR_WANT_WRITE:
		want_events(epfd, c, EPOLLOUT);
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		if (c->state == CS_READING)
			return 0;
		break;
	case SSL_ERROR_SYSCALL:
		if (!saved_errno)
			saved_errno = ECONNRESET;
		break;
	}
	fail(c, kind, what, saved_errno);
	return -1;
}

/* Ends a connection whose server closed: a request done when the whole 2xx
 * response arrived, else an HTTP failure. */
static void response_end(struct conn *c)
{
	if (!c->head_done || c->status < 200 || c->status > 299 ||
	    (c->content_length >= 0 && c->body_len != c->content_length)) {
		char what[64];

		snprintf(what, sizeof(what), "response status %d, body %ld of %ld bytes",
		         c->status, c->body_len, c->content_length);
		fail(c, FAIL_HTTP, what, 0);
		return;
	}
	stats.requests++;
	release(c);
}

/* Moves connection c as far as it can go without waiting. */
static void progress(int epfd, struct conn *c, const char *request, int request_len)
{
	char buf[READ_CHUNK];
	int r;

	c->last_progress = now_s();
	if (c->state == CS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			fail(c, FAIL_CONNECT, "connect", err);
			return;
		}
		c->ssl = SSL_new(client_ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
			fail(c, FAIL_TLS, "SSL_new", 0);
			return;
		}
		SSL_set_app_data(c->ssl, c);
		SSL_set_connect_state(c->ssl);
		if (server_name && !SSL_set_tlsext_host_name(c->ssl, server_name)) {
			fail(c, FAIL_TLS, "SNI", 0);
			return;
		}
		if (mode == MODE_RESUME && (c->ticket || seed_ticket)) {
			/* A slot's first connection offers its own copy of the seed. */
			if (!c->ticket && !(c->ticket = SSL_SESSION_dup(seed_ticket))) {
				fail(c, FAIL_TLS, "SSL_SESSION_dup", 0);
				return;
			}
			/* A used ticket is not offered again by OpenSSL: the
			 * handshake will be full. */
			if (!SSL_SESSION_is_resumable(c->ticket))
				stats.no_fresh_ticket++;
			if (!SSL_set_session(c->ssl, c->ticket)) {
				fail(c, FAIL_TLS, "SSL_set_session", 0);
				return;
			}
			c->offered = 1;
		}
		c->state = CS_HANDSHAKE;
	}
	if (c->state == CS_HANDSHAKE) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			ssl_wait(epfd, c, r, FAIL_TLS, "handshake");
			return;
		}
		handshake_done(c);
		if (expected_cert && X509_cmp(SSL_get0_peer_certificate(c->ssl), expected_cert)) {
			fail(c, FAIL_TLS, "the server presented another certificate than -x", 0);
			return;
		}
		c->state = CS_SENDING;
	}
	if (c->state == CS_SENDING) {
		r = SSL_write(c->ssl, request, request_len);
		if (r <= 0) {
			ssl_wait(epfd, c, r, FAIL_IO, "write");
			return;
		}
		c->state = CS_READING;
	}
	for (;;) {
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r <= 0)
			break;
		if (take_bytes(c, buf, (size_t)r) < 0) {
			fail(c, FAIL_HTTP, "response head too long or not HTTP/1", 0);
			return;
		}
	}
	if (ssl_wait(epfd, c, r, FAIL_IO, "read") == 0)
		response_end(c);
}

/* Fails the connections that have not moved for STALL_S seconds. */
static void fail_stalled(struct conn *conns, int n_conns, double now, double stall_s)
{
	int i;

	for (i = 0; i < n_conns; i++)
		if (conns[i].state != CS_IDLE && now - conns[i].last_progress > stall_s)
			fail(&conns[i], FAIL_STALL, "no progress within -T seconds", 0);
}

/* Says why the run is not valid, or returns NULL when it is. */
static const char *invalid_reason(long errors)
{
	if (stop_signal)
		return "stopped by a signal";
	if (!stats.requests)
		return "no request completed";
	if (errors)
		return "connections failed";
	if (stats.param_mismatches)
		return "the protocol or cipher changed between handshakes";
	if (mode == MODE_FULL && stats.resumed)
		return "a handshake was resumed in full mode";
	if (mode == MODE_RESUME && !seed_ticket)
		return "the server sent no session ticket";
	if (mode == MODE_RESUME && stats.no_fresh_ticket)
		return "resumption failed: the server sent no new ticket on some connections";
	if (mode == MODE_RESUME && (stats.resume_misses || stats.full > 1))
		return "resumption failed: the server refused tickets (full handshakes after the first)";
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *addr_arg = NULL, *mode_arg = NULL, *version = NULL, *ciphers = NULL;
	const char *suites = NULL, *groups = NULL, *cert_path = NULL, *host = "bench", *path = "/";
	double duration_s = 10, stall_s = 10, grace_s = 5, start, stop_at = 0, now, last_scan;
	long max_count = 0, errors = 0;
	int n_conns = 50, opt, epfd, i, request_len, active, stopping = 0;
	struct epoll_event evs[256];
	struct conn *conns;
	const char *reason;
	char request[1024];
	char *colon;

	while ((opt = getopt(argc, argv, "a:m:c:d:n:V:C:S:G:N:x:H:u:T:g:h")) != -1) {
		switch (opt) {
		case 'a': addr_arg = optarg; break;
		case 'm': mode_arg = optarg; break;
		case 'c': n_conns = atoi(optarg); break;
		case 'd': duration_s = atof(optarg); break;
		case 'n': max_count = atol(optarg); break;
		case 'V': version = optarg; break;
		case 'C': ciphers = optarg; break;
		case 'S': suites = optarg; break;
		case 'G': groups = optarg; break;
		case 'N': server_name = optarg; break;
		case 'x': cert_path = optarg; break;
		case 'H': host = optarg; break;
		case 'u': path = optarg; break;
		case 'T': stall_s = atof(optarg); break;
		case 'g': grace_s = atof(optarg); break;
		default: usage();
		}
	}
	if (!addr_arg || !mode_arg || optind != argc || n_conns <= 0 || n_conns > 10000 ||
	    duration_s <= 0 || duration_s > 3600 || max_count < 0 || stall_s <= 0 || grace_s < 0)
		usage();
	if (!strcmp(mode_arg, "full"))
		mode = MODE_FULL;
	else if (!strcmp(mode_arg, "resume"))
		mode = MODE_RESUME;
	else
		usage();
	if (!version)
		version = mode == MODE_RESUME ? "1.3" : "any";
	colon = strrchr(addr_arg, ':');
	if (!colon || colon == addr_arg) {
		fprintf(stderr, "tlsload: -a wants ADDR:PORT, got '%s'\n", addr_arg);
		return 2;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, addr_arg, &sin.sin_addr) != 1 || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535) {
		fprintf(stderr, "tlsload: bad IPv4 address or port in -a\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	request_len = snprintf(request, sizeof(request),
	                       "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsload\r\n"
	                       "Connection: close\r\n\r\n", path, host);
	if (request_len <= 0 || request_len >= (int)sizeof(request)) {
		fprintf(stderr, "tlsload: -H or -u too long\n");
		return 2;
	}
	client_ctx = make_ctx(version, ciphers, suites, groups);
	if (!client_ctx)
		return 2;
	if (cert_path && !(expected_cert = load_cert(cert_path)))
		return 2;
	conns = calloc((size_t)n_conns, sizeof(*conns));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || epfd < 0) {
		perror("tlsload");
		return 2;
	}
	for (i = 0; i < n_conns; i++)
		conns[i].fd = -1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	start = last_scan = now_s();

	for (;;) {
		int n, slots = n_conns;

		now = now_s();
		for (errors = 0, i = 0; i < FAIL_KINDS; i++)
			errors += stats.failed[i];
		if (!stopping && (now - start >= duration_s || stop_signal ||
		                  (max_count && stats.started >= max_count) ||
		                  errors > 100 || (mode == MODE_RESUME && stats.requests && !seed_ticket))) {
			stopping = 1;
			stop_at = now;
		}
		for (active = 0, i = 0; i < n_conns; i++)
			active += conns[i].state != CS_IDLE;
		if (stopping && (!active || now - stop_at >= grace_s || stop_signal))
			break;
		/* Resume mode: one connection alone until the seed ticket came. */
		if (mode == MODE_RESUME && !seed_ticket)
			slots = 1;
		for (i = 0; !stopping && i < slots; i++) {
			if (conns[i].state != CS_IDLE)
				continue;
			if (max_count && stats.started >= max_count)
				break;
			start_conn(epfd, &conns[i], &sin);
		}
		if (now - last_scan >= 0.5) {
			fail_stalled(conns, n_conns, now, stall_s);
			last_scan = now;
		}
		n = epoll_wait(epfd, evs, 256, 100);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->state != CS_IDLE)
				progress(epfd, c, request, request_len);
		}
	}
	now = now_s();
	for (i = 0; i < n_conns; i++)
		if (conns[i].state != CS_IDLE)
			fail(&conns[i], FAIL_UNFINISHED, "still in flight at the end of the grace time", 0);
	for (errors = 0, i = 0; i < FAIL_KINDS; i++)
		errors += stats.failed[i];

	printf("done mode=%s conns=%d seconds=%.2f started=%ld requests=%ld errors=%ld",
	       mode_arg, n_conns, now - start, stats.started, stats.requests, errors);
	for (i = 0; i < FAIL_KINDS; i++)
		printf(" %s_errors=%ld", fail_names[i], stats.failed[i]);
	printf(" full=%ld resumed=%ld resume_misses=%ld no_fresh_ticket=%ld tickets=%ld"
	       " protocol=%s cipher=%s"
	       " param_mismatches=%ld rps=%.1f first_error=\"%s\"\n",
	       stats.full, stats.resumed, stats.resume_misses, stats.no_fresh_ticket, stats.tickets,
	       stats.protocol[0] ? stats.protocol : "none", stats.cipher[0] ? stats.cipher : "none",
	       stats.param_mismatches, stats.requests / (now - start),
	       stats.first_error[0] ? stats.first_error : "none");
	reason = invalid_reason(errors);
	if (reason)
		printf("invalid: %s\n", reason);
	else
		printf("valid\n");
	fflush(stdout);
	for (i = 0; i < n_conns; i++)
		SSL_SESSION_free(conns[i].ticket);
	SSL_SESSION_free(seed_ticket);
	X509_free(expected_cert);
	SSL_CTX_free(client_ctx);
	free(conns);
	close(epfd);
	return reason ? 1 : 0;
}
