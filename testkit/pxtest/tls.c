/* tls.c: pxtest's raw connections over TLS.
 *
 * Owns: the "tls" options of the connect step (client certificate, CA to
 * verify the server with, SNI, ALPN, protocol version, ciphers, a named
 * session to resume, expect-fail), the handshake, bounded by the step's
 * window and the scenario's deadline, the sessions kept by name, reads and
 * writes that stand for recv() and send() once the handshake is done (so
 * net.c's steps work unchanged), close_notify, and "expect tls", the checks
 * on what the handshake negotiated. Raw connections themselves are net.c's.
 *
 * In TLS 1.3 the client finishes its handshake before the server has seen
 * the client's certificate: a server that refuses it says so with an alert
 * after SSL_connect() succeeded, and session tickets also come after it.
 * So when the step must know the server's verdict (expect-fail) or wants a
 * session to keep, it reads on for a moment after the handshake: an alert
 * means failure; a ticket or data means the server went on. Data read then
 * stays in the connection's buffer for the next recv.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "pxtest.h"
#include "tkstr.h"
#include "tktls.h"

#define HANDSHAKE_DEFAULT_US (5 * 1000000LL)
/* How long a TLS 1.3 connect waits for the server's verdict or a ticket. */
#define VERDICT_US           (1000000LL)

/* The options after "connect C TARGET tls". */
struct tls_opts {
	const char *cert, *key, *ca, *sni, *alpn, *session, *ciphers, *suites;
	int version;
	int expect_fail;
	const struct px_arg *fail_re;    /* expect-fail /REGEX/ */
	int64_t within;
};

/* ---- sessions kept by name ------------------------------------------- */

static struct px_tls_session *session_find(struct px_ctx *ctx, const char *name)
{
	int i;

	for (i = 0; i < ctx->ntls_sessions; i++)
		if (strcmp(ctx->tls_sessions[i].name, name) == 0)
			return &ctx->tls_sessions[i];
	return NULL;
}

/* OpenSSL hands us each new session (TLS 1.2: in the handshake; TLS 1.3:
 * with each ticket). Keeping it returns 1: the reference is now ours.
 */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct px_tls *t = SSL_get_app_data(ssl);
	struct px_tls_session *ks;

	if (!t || !SSL_SESSION_is_resumable(sess))
		return 0;
	t->got_session = 1;   /* the server went on: its verdict is in */
	if (!t->session)
		return 0;
	ks = session_find(t->ctx, t->session);
	if (!ks) {
		ks = realloc(t->ctx->tls_sessions,
			     sizeof(*ks) * (size_t)(t->ctx->ntls_sessions + 1));
		if (!ks)
			return 0;
		t->ctx->tls_sessions = ks;
		ks = &ks[t->ctx->ntls_sessions++];
		ks->name = strdup(t->session);
		ks->sess = NULL;
	}
	SSL_SESSION_free(ks->sess);
	ks->sess = sess;
	t->kept_session = 1;
	return 1;
}

void px_tls_sessions_free(struct px_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->ntls_sessions; i++) {
		SSL_SESSION_free(ctx->tls_sessions[i].sess);
		free(ctx->tls_sessions[i].name);
	}
	free(ctx->tls_sessions);
	ctx->tls_sessions = NULL;
	ctx->ntls_sessions = 0;
}

/* The last alert either side sent, for failure messages. */
static void on_info(const SSL *ssl, int where, int ret)
{
	struct px_tls *t = SSL_get_app_data(ssl);

	if (!t || !(where & SSL_CB_ALERT))
		return;
	snprintf(t->alert, sizeof(t->alert), "alert %s %s",
		 (where & SSL_CB_WRITE) ? "sent:" : "received:", tk_tls_alert_name(ret & 0xff));
}

/* ---- errors ---------------------------------------------------------- */

/* Writes into dst why the TLS layer failed: OpenSSL's reasons, the server
 * certificate's verification error, the last alert, or how the socket
 * ended (ssl_err and sys_errno from the failing call).
 */
static void tls_why(struct px_tls *t, int ssl_err, int sys_errno, char *dst, size_t size)
{
	struct tk_buf why = { 0 };
	long vr = SSL_get_verify_result(t->ssl);

	tk_tls_errors(&why);
	if (why.len && strcmp(tk_buf_str(&why), "unexpected eof while reading") == 0) {
		tk_buf_reset(&why);
		tk_buf_adds(&why, "the server closed the connection");
	}
	if (vr != X509_V_OK && (SSL_get_verify_mode(t->ssl) & SSL_VERIFY_PEER))
		tk_buf_printf(&why, "%sserver certificate: %s", why.len ? "; " : "",
			      X509_verify_cert_error_string(vr));
	if (!why.len) {
		if (ssl_err == SSL_ERROR_SYSCALL && sys_errno == ECONNRESET)
			tk_buf_adds(&why, "the connection was reset");
		else if (ssl_err == SSL_ERROR_SYSCALL && sys_errno)
			tk_buf_adds(&why, strerror(sys_errno));
		else
			tk_buf_adds(&why, "the server closed the connection");
	}
	if (t->alert[0])
		tk_buf_printf(&why, " (%s)", t->alert);
	snprintf(dst, size, "%s", tk_buf_str(&why));
	tk_buf_free(&why);
}

/* ---- I/O ------------------------------------------------------------- */

/* Stands for recv() on a TLS connection: bytes read, 0 at the end of the
 * stream (close_notify, or the peer's FIN without one), or -1 with errno:
 * EAGAIN, ECONNRESET, or EPROTO for a TLS error (t->err says which).
 */
ssize_t px_tls_read(struct px_conn *c, void *p, size_t n)
{
	struct px_tls *t = c->tls;
	int r, e, sys_errno;
	unsigned long code;

	ERR_clear_error();
	errno = 0;
	r = SSL_read(t->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	sys_errno = errno;
	e = SSL_get_error(t->ssl, r);
	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (!sys_errno)
			return 0;
		errno = sys_errno;
		return -1;
	default:
		code = ERR_peek_error();
		if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
		    ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return 0;   /* a FIN without close_notify: still an end */
		}
		tls_why(t, e, sys_errno, t->err, sizeof(t->err));
		errno = EPROTO;
		return -1;
	}
}

/* Stands for send(): bytes written, or -1 with errno (EAGAIN, EPIPE,
 * ECONNRESET, EPROTO with t->err set).
 */
ssize_t px_tls_write(struct px_conn *c, const void *p, size_t n)
{
	struct px_tls *t = c->tls;
	int r, e, sys_errno;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(t->ssl, p, n > 16384 ? 16384 : (int)n);
	if (r > 0)
		return r;
	sys_errno = errno;
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_SYSCALL) {
		errno = sys_errno ? sys_errno : EPIPE;
		return -1;
	}
	tls_why(t, e, sys_errno, t->err, sizeof(t->err));
	errno = EPROTO;
	return -1;
}

/* Sends close_notify (once; best effort on a full socket). */
void px_tls_shutdown(struct px_conn *c)
{
	if (!c->tls || (SSL_get_shutdown(c->tls->ssl) & SSL_SENT_SHUTDOWN))
		return;
	ERR_clear_error();
	SSL_shutdown(c->tls->ssl);
	ERR_clear_error();
}

/* Frees c's TLS state. A connection dropped without close_notify would
 * make OpenSSL mark its session not resumable; sessions kept by name stay
 * usable whatever way their connection ended.
 */
void px_tls_free(struct px_conn *c)
{
	if (!c->tls)
		return;
	if (c->tls->ssl)
		SSL_set_shutdown(c->tls->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->tls->ssl);
	free(c->tls->session);
	free(c->tls);
	c->tls = NULL;
}

/* ---- connect --------------------------------------------------------- */

/* Reads the options after "tls" (argv[at] is "tls"). Returns 0 or -1. */
static int parse_opts(struct px_ctx *ctx, const struct px_step *st, int at,
		      struct tls_opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} valued[] = {
		{ .name = "cert", .off = offsetof(struct tls_opts, cert) },
		{ .name = "key", .off = offsetof(struct tls_opts, key) },
		{ .name = "ca", .off = offsetof(struct tls_opts, ca) },
		{ .name = "sni", .off = offsetof(struct tls_opts, sni) },
		{ .name = "alpn", .off = offsetof(struct tls_opts, alpn) },
		{ .name = "session", .off = offsetof(struct tls_opts, session) },
		{ .name = "ciphers", .off = offsetof(struct tls_opts, ciphers) },
		{ .name = "ciphersuites", .off = offsetof(struct tls_opts, suites) },
	};
	int i;

	memset(o, 0, sizeof(*o));
	o->within = HANDSHAKE_DEFAULT_US;
	for (i = at + 1; i < st->argc; i++) {
		const char *w = st->argv[i].s;
		size_t k;

		if (!strcmp(w, "expect-fail")) {
			const char *pat;
			int ci;

			o->expect_fail = 1;
			if (i + 1 < st->argc && px_arg_regex(&st->argv[i + 1], &pat, &ci) == 0)
				o->fail_re = &st->argv[++i];
			continue;
		}
		if (i + 1 >= st->argc)
			return px_fail(ctx, "connect: TLS option '%s' needs a value", w);
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			if (!strcmp(w, valued[k].name))
				break;
		if (k < sizeof(valued) / sizeof(valued[0])) {
			*(const char **)((char *)o + valued[k].off) = st->argv[++i].s;
			continue;
		}
		if (!strcmp(w, "version")) {
			o->version = tk_tls_version(st->argv[++i].s);
			if (o->version < 0)
				return px_fail(ctx, "connect: version '%s': expected TLSv1.0, TLSv1.1, "
					       "TLSv1.2 or TLSv1.3", st->argv[i].s);
			continue;
		}
		if (!strcmp(w, "within")) {
			if (px_get_dur(ctx, &st->argv[++i], &o->within) < 0)
				return -1;
			continue;
		}
		return px_fail(ctx, "connect: unknown TLS option '%s' (cert, key, ca, sni, alpn, "
			       "version, session, ciphers, ciphersuites, within, expect-fail)", w);
	}
	return 0;
}

/* Fails the step with OpenSSL's reason for a setup error. */
static int setup_fail(struct px_ctx *ctx, const char *what, const char *file)
{
	struct tk_buf why = { 0 };

	tk_tls_errors(&why);
	px_fail(ctx, "connect: %s%s%s: %s", what, file ? " " : "", file ? file : "",
		why.len ? tk_buf_str(&why) : "refused by OpenSSL");
	tk_buf_free(&why);
	return -1;
}

/* Builds the client SSL for options o. Returns it, or NULL (step failed). */
static SSL *client_new(struct px_ctx *ctx, const struct tls_opts *o)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_client_method());
	struct tk_buf wire = { 0 };
	SSL *ssl = NULL;

	if (!sctx) {
		setup_fail(ctx, "cannot create a TLS context", NULL);
		return NULL;
	}
	SSL_CTX_set_mode(sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(sctx, on_new_session);
	SSL_CTX_set_info_callback(sctx, on_info);
	if (o->version && tk_tls_set_versions(sctx, o->version, o->version) < 0) {
		setup_fail(ctx, "cannot use version", tk_tls_version_name(o->version));
		goto out;
	}
	if (o->ciphers && !SSL_CTX_set_cipher_list(sctx, o->ciphers)) {
		setup_fail(ctx, "bad cipher list", o->ciphers);
		goto out;
	}
	if (o->suites && !SSL_CTX_set_ciphersuites(sctx, o->suites)) {
		setup_fail(ctx, "bad TLS 1.3 cipher suite list", o->suites);
		goto out;
	}
	if (o->cert) {
		if (SSL_CTX_use_certificate_chain_file(sctx, o->cert) != 1) {
			setup_fail(ctx, "cannot load the certificate", o->cert);
			goto out;
		}
		if (SSL_CTX_use_PrivateKey_file(sctx, o->key ? o->key : o->cert,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(sctx) != 1) {
			setup_fail(ctx, "no private key matching the certificate in",
				   o->key ? o->key : o->cert);
			goto out;
		}
	} else if (o->key) {
		px_fail(ctx, "connect: 'key' needs 'cert'");
		goto out;
	}
	if (o->ca) {
		if (SSL_CTX_load_verify_locations(sctx, o->ca, NULL) != 1) {
			setup_fail(ctx, "cannot load the CA file", o->ca);
			goto out;
		}
		SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
	}
	if (o->alpn) {
		if (tk_tls_alpn_wire(o->alpn, &wire) < 0) {
			px_fail(ctx, "connect: alpn '%s': expected a list like h2,http/1.1", o->alpn);
			goto out;
		}
		if (SSL_CTX_set_alpn_protos(sctx, (const unsigned char *)wire.data,
					    (unsigned int)wire.len) != 0) {
			setup_fail(ctx, "cannot set ALPN", o->alpn);
			goto out;
		}
	}
	ssl = SSL_new(sctx);
	if (!ssl)
		setup_fail(ctx, "cannot create a TLS connection", NULL);
	else if (o->sni && !SSL_set_tlsext_host_name(ssl, o->sni)) {
		setup_fail(ctx, "bad SNI name", o->sni);
		SSL_free(ssl);
		ssl = NULL;
	}
out:
	tk_buf_free(&wire);
	SSL_CTX_free(sctx);   /* ssl holds its own reference */
	return ssl;
}

/* Fills f with what the completed handshake negotiated. */
static void facts_fill(SSL *ssl, struct px_tls_facts *f)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509 *peer = SSL_get1_peer_certificate(ssl);

	snprintf(f->protocol, sizeof(f->protocol), "%s", tk_tls_version_name(SSL_version(ssl)));
	snprintf(f->cipher, sizeof(f->cipher), "%s", SSL_get_cipher_name(ssl));
	f->resumed = SSL_session_reused(ssl);
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	snprintf(f->alpn, sizeof(f->alpn), "%.*s", (int)alpn_len, alpn ? (const char *)alpn : "");
	if (peer) {
		tk_tls_cn(X509_get_subject_name(peer), f->peer_cn, sizeof(f->peer_cn));
		tk_tls_dn(X509_get_subject_name(peer), f->peer_dn, sizeof(f->peer_dn));
		tk_tls_cn(X509_get_issuer_name(peer), f->issuer_cn, sizeof(f->issuer_cn));
		X509_free(peer);
	}
	f->chain_len = chain ? sk_X509_num(chain) : 0;
}

/* Waits until fd is ready for events or until (absolute). */
static void wait_fd(int fd, short events, int64_t until)
{
	struct pollfd pf = { .fd = fd, .events = events };
	int64_t left = until - tk_now_us();

	if (left > 0)
		poll(&pf, 1, (int)((left + 999) / 1000));
}

/* The TLS 1.3 aftermath (see the file comment): reads until the server
 * refuses (returns -1, t->err set), goes on (a ticket when one is wanted,
 * else a ticket or data: returns 0), or until. EOF counts as a refusal.
 */
static int verdict(struct px_conn *c, int want_ticket, int64_t until)
{
	struct px_tls *t = c->tls;

	for (;;) {
		ssize_t r;

		if (tk_buf_reserve(&c->in, 16384) < 0)
			return 0;
		r = px_tls_read(c, c->in.data + c->in.len, 16384);
		if (r > 0) {
			c->in.len += (size_t)r;
			if (!want_ticket)
				return 0;
			continue;
		}
		if (r == 0) {
			snprintf(t->err, sizeof(t->err),
				 "the server closed the connection right after the handshake%s%s",
				 t->alert[0] ? " " : "", t->alert);
			return -1;
		}
		if (errno != EAGAIN) {
			if (!t->err[0])
				snprintf(t->err, sizeof(t->err), "%s after the handshake", strerror(errno));
			return -1;
		}
		if (t->got_session || tk_now_us() >= until)
			return 0;
		wait_fd(c->fd, POLLIN, until);
	}
}

/* Runs the TLS handshake on c (connected, c->fd set) with the options of
 * st from argv[at] ("tls") on. Returns 0 when c is ready for use, 1 when
 * the handshake failed as expect-fail wanted (c must be dropped), -1 when
 * the step failed. Either way ctx->tls_last holds the facts.
 */
int px_tls_connect(struct px_ctx *ctx, struct px_conn *c, const struct px_step *st, int at)
{
	struct px_tls_facts *f = &ctx->tls_last;
	struct tls_opts o;
	struct px_tls *t;
	struct px_tls_session *ks;
	int64_t t0 = tk_now_us(), until;
	int r, e, sys_errno = 0, failed = 0;

	memset(f, 0, sizeof(*f));
	f->lineno = st->lineno;
	snprintf(f->conn, sizeof(f->conn), "%s", c->name);
	if (parse_opts(ctx, st, at, &o) < 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return px_fail(ctx, "out of memory");
	c->tls = t;
	t->ctx = ctx;
	t->ssl = client_new(ctx, &o);
	if (!t->ssl)
		return -1;
	SSL_set_app_data(t->ssl, t);
	if (!SSL_set_fd(t->ssl, c->fd))
		return setup_fail(ctx, "cannot attach TLS to the socket", NULL);
	SSL_set_connect_state(t->ssl);
	if (o.session) {
		t->session = strdup(o.session);
		ks = session_find(ctx, o.session);
		if (ks && ks->sess)
			SSL_set_session(t->ssl, ks->sess);
	}
	until = px_limit(ctx, t0 + o.within);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_connect(t->ssl);
		if (r == 1)
			break;
		sys_errno = errno;
		e = SSL_get_error(t->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)) {
			tls_why(t, e, sys_errno, f->why, sizeof(f->why));
			failed = 1;
			break;
		}
		if (tk_now_us() >= until) {
			snprintf(f->why, sizeof(f->why), "no complete handshake within %s%s",
				 px_when(ctx, t0, until),
				 ctx->deadline_hit ? " (the scenario's time limit)" : "");
			failed = 1;
			break;
		}
		wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, until);
	}
	if (!failed && SSL_version(t->ssl) == TLS1_3_VERSION &&
	    (o.expect_fail || (o.session && !t->kept_session))) {
		int64_t vu = tk_now_us() + VERDICT_US;

		if (verdict(c, o.session && !o.expect_fail, px_limit(ctx, vu < until ? vu : until)) < 0) {
			snprintf(f->why, sizeof(f->why), "%s", t->err);
			failed = 1;
		}
	}
	f->failed = failed;
	if (!failed)
		facts_fill(t->ssl, f);
	px_trace(ctx, "connect %s: TLS %s%s%s", c->name, failed ? "handshake failed: " :
		 f->protocol, failed ? f->why : f->resumed ? " (resumed)" : "",
		 !failed && o.session ? (t->kept_session ? ", session kept" : ", no session") : "");
	if (failed && o.expect_fail) {
		int m = 1;

		if (o.fail_re && px_regex(ctx, o.fail_re, f->why, strlen(f->why), &m) < 0)
			return -1;
		if (!m)
			return px_fail(ctx, "connect %s: the handshake failed as expected, but "
				       "\"%s\" does not match /%s/", c->name, f->why, o.fail_re->s);
		return 1;
	}
	if (failed)
		return px_fail(ctx, "connect %s: TLS handshake failed: %s", c->name, f->why);
	if (o.expect_fail)
		return px_fail(ctx, "connect %s: the TLS handshake succeeded (%s, %s, server CN "
			       "\"%s\"), expected it to fail", c->name, f->protocol, f->cipher,
			       f->peer_cn);
	t->facts = *f;
	return 0;
}

/* ---- expect tls ------------------------------------------------------ */

static void detail_facts(struct px_ctx *ctx, const struct px_tls_facts *f)
{
	px_detail(ctx, "TLS handshake of %s (line %d): %s, cipher %s, resumed %s, ALPN %s",
		  f->conn, f->lineno, f->protocol, f->cipher, f->resumed ? "yes" : "no",
		  f->alpn[0] ? f->alpn : "none");
	px_detail(ctx, "server certificate: %s (issuer CN \"%s\"), %d certificate(s) sent",
		  f->peer_dn[0] ? f->peer_dn : "none", f->issuer_cn, f->chain_len);
}

/* Compares a text fact; "none" stands for an empty one. */
static int check_text(struct px_ctx *ctx, const struct px_tls_facts *f, const char *field,
		      const char *have, const struct px_arg *want)
{
	const char *shown = have[0] ? have : "none";

	if (!strcmp(shown, want->s) || (!have[0] && !want->len))
		return 0;
	px_fail(ctx, "tls %s is \"%s\", expected \"%s\"", field, shown, want->s);
	detail_facts(ctx, f);
	return -1;
}

static int check_yes_no(struct px_ctx *ctx, const struct px_tls_facts *f, const char *field,
			int have, const struct px_arg *want)
{
	if (strcmp(want->s, "yes") && strcmp(want->s, "no"))
		return px_fail(ctx, "expect tls %s takes yes or no, got '%s'", field, want->s);
	if (have == (want->s[0] == 'y'))
		return 0;
	px_fail(ctx, "tls %s is %s, expected %s", field, have ? "yes" : "no", want->s);
	detail_facts(ctx, f);
	return -1;
}

/* "expect tls [C] FIELD VALUE": checks the last TLS handshake, or that of
 * open connection C. Returns 0 or -1 (step failed).
 */
int px_tls_check(struct px_ctx *ctx, const char *conn, const struct px_arg *field,
		 const struct px_arg *want)
{
	const struct px_tls_facts *f = &ctx->tls_last;
	const char *fl = field->s;
	struct px_conn *c = NULL;

	if (conn) {
		c = px_conn_find(ctx, conn);
		if (!c)
			return px_fail(ctx, "expect tls: no open connection '%s'", conn);
		if (!c->tls)
			return px_fail(ctx, "expect tls: connection '%s' is not TLS", conn);
		f = &c->tls->facts;
	} else if (!f->lineno) {
		return px_fail(ctx, "expect tls: no TLS connect before this");
	}
	if (f->failed)
		return px_fail(ctx, "expect tls: the TLS handshake of %s at line %d failed: %s",
			       f->conn, f->lineno, f->why);
	if (!strcmp(fl, "protocol"))
		return check_text(ctx, f, fl, f->protocol, want);
	if (!strcmp(fl, "cipher"))
		return check_text(ctx, f, fl, f->cipher, want);
	if (!strcmp(fl, "alpn"))
		return check_text(ctx, f, fl, f->alpn, want);
	if (!strcmp(fl, "peer-cn"))
		return check_text(ctx, f, fl, f->peer_cn, want);
	if (!strcmp(fl, "peer-dn"))
		return check_text(ctx, f, fl, f->peer_dn, want);
	if (!strcmp(fl, "issuer-cn"))
		return check_text(ctx, f, fl, f->issuer_cn, want);
	if (!strcmp(fl, "resumed"))
		return check_yes_no(ctx, f, fl, f->resumed, want);
	if (!strcmp(fl, "peer-chain")) {
		uint64_t n;

		if (px_get_uint(ctx, want, &n) < 0)
			return -1;
		if ((uint64_t)f->chain_len == n)
			return 0;
		px_fail(ctx, "the server sent %d certificate(s), expected %llu", f->chain_len,
			(unsigned long long)n);
		detail_facts(ctx, f);
		return -1;
	}
	if (!strcmp(fl, "close-notify")) {
		if (!c)
			c = px_conn_find(ctx, f->conn);
		if (!c || !c->tls)
			return px_fail(ctx, "expect tls close-notify: connection '%s' is closed", f->conn);
		return check_yes_no(ctx, f, fl,
				    (SSL_get_shutdown(c->tls->ssl) & SSL_RECEIVED_SHUTDOWN) != 0, want);
	}
	return px_fail(ctx, "unknown check 'expect tls %s' (protocol, cipher, resumed, alpn, "
		       "peer-cn, peer-dn, issuer-cn, peer-chain, close-notify)", fl);
}
