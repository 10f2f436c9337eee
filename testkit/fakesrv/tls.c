/* tls.c: fakesrv as a TLS server.
 *
 * Owns: the one SSL_CTX built from --tls and its companions at start-up
 * (certificate chain and key from one PEM, client certificate verification,
 * ALPN selection, protocol versions, ciphers, session resumption), the
 * non-blocking handshake of each connection, reads and writes that stand
 * for read() and send() once it is done, close_notify, and the TLS facts
 * and failures written to the record. conn.c decides when to call these;
 * nothing here touches epoll or the request state machine.
 *
 * The handshake and I/O report "would block" as -2 / EAGAIN and remember in
 * c->tls_want_out when OpenSSL waits for the socket to become writable
 * (even in a read), so conn.c can ask epoll for EPOLLOUT.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "fakesrv.h"
#include "tkstr.h"
#include "tktls.h"

static SSL_CTX *ctx;

/* The alert we sent or received last, for failure records. */
static void on_info(const SSL *ssl, int where, int ret)
{
	struct fs_conn *c = SSL_get_app_data(ssl);

	if (!c || !(where & SSL_CB_ALERT))
		return;
	snprintf(c->tls_alert, sizeof(c->tls_alert), "alert %s %s",
		 (where & SSL_CB_WRITE) ? "sent:" : "received:", tk_tls_alert_name(ret & 0xff));
}

/* ALPN: records what the client offered; with --tls-alpn picks the first
 * of ours that it offered, else negotiates none (never a fatal alert).
 */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	struct fs_conn *c = SSL_get_app_data(ssl);
	unsigned char *sel = NULL;

	if (c)
		tk_tls_alpn_text(in, inlen, c->tls_offered, sizeof(c->tls_offered));
	if (!fs_cfg.tls_alpn.len)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto(&sel, outlen, (const unsigned char *)fs_cfg.tls_alpn.data,
				  (unsigned int)fs_cfg.tls_alpn.len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* Builds the server context from fs_cfg. Returns 0, or -1 with *err set to
 * what a user can fix (the OpenSSL reason is printed on stderr).
 */
int fs_tls_setup(const char **err)
{
	struct tk_buf why = { 0 };
	int mode = SSL_VERIFY_NONE;

	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		*err = "cannot create the TLS context";
		goto fail;
	}
	/* No renegotiation: a write that waits for a read would spin. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, fs_cfg.tls_cert) != 1) {
		*err = "--tls: cannot load the certificate chain (a PEM with the certificate first)";
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, fs_cfg.tls_cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*err = "--tls: the PEM holds no private key matching its certificate";
		goto fail;
	}
	if (fs_cfg.tls_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(fs_cfg.tls_ca);

		if (SSL_CTX_load_verify_locations(ctx, fs_cfg.tls_ca, NULL) != 1 || !names) {
			*err = "--tls-ca: cannot load the CA certificates";
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		if (!fs_cfg.tls_verify_set)
			fs_cfg.tls_verify = FS_VERIFY_REQUIRED;
	} else if (fs_cfg.tls_verify != FS_VERIFY_NONE) {
		*err = "--tls-verify optional|required needs --tls-ca";
		goto fail;
	}
	if (fs_cfg.tls_verify != FS_VERIFY_NONE)
		mode = SSL_VERIFY_PEER;
	if (fs_cfg.tls_verify == FS_VERIFY_REQUIRED)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	if (tk_tls_set_versions(ctx, fs_cfg.tls_min, fs_cfg.tls_max) < 0) {
		*err = "--tls-min/--tls-max: these versions cannot be set";
		goto fail;
	}
	if (fs_cfg.tls_ciphers && !SSL_CTX_set_cipher_list(ctx, fs_cfg.tls_ciphers)) {
		*err = "--tls-ciphers: no cipher of this list is known";
		goto fail;
	}
	if (fs_cfg.tls_suites && !SSL_CTX_set_ciphersuites(ctx, fs_cfg.tls_suites)) {
		*err = "--tls-ciphersuites: bad TLS 1.3 cipher suite list";
		goto fail;
	}
	/* Resumption needs a session id context once client certificates are
	 * verified; one fakesrv is one "application".
	 */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"fakesrv", 7);
	if (fs_cfg.tls_no_resume) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
	SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
	SSL_CTX_set_info_callback(ctx, on_info);
	return 0;
fail:
	tk_tls_errors(&why);
	if (why.len)
		fprintf(stderr, "fakesrv: OpenSSL says: %s\n", tk_buf_str(&why));
	tk_buf_free(&why);
	return -1;
}

/* Gives a new connection its TLS state. Returns 0 or -1. */
int fs_tls_start(struct fs_conn *c)
{
	c->ssl = SSL_new(ctx);
	if (!c->ssl)
		return -1;
	SSL_set_app_data(c->ssl, c);
	if (!SSL_set_fd(c->ssl, c->fd)) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	SSL_set_accept_state(c->ssl);
	return 0;
}

/* Formats the facts of a completed handshake as the record's words. */
static void tls_facts(struct fs_conn *c, struct tk_buf *out)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	char text[256], dn[1024];
	X509 *peer;

	SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
	if (alpn_len >= sizeof(text))
		alpn_len = sizeof(text) - 1;
	memcpy(text, alpn ? (const char *)alpn : "", alpn_len);
	text[alpn_len] = '\0';
	tk_buf_printf(out, "protocol %s cipher ", tk_tls_version_name(SSL_version(c->ssl)));
	tk_tls_word(out, SSL_get_cipher_name(c->ssl));
	tk_buf_printf(out, " resumed %s sni ", SSL_session_reused(c->ssl) ? "yes" : "no");
	tk_tls_word(out, SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name));
	tk_buf_adds(out, " alpn ");
	tk_tls_word(out, text);
	tk_buf_adds(out, " alpn-offered ");
	tk_tls_word(out, c->tls_offered);
	tk_buf_adds(out, " client-dn ");
	peer = SSL_get1_peer_certificate(c->ssl);
	if (peer) {
		tk_tls_dn(X509_get_subject_name(peer), dn, sizeof(dn));
		for (char *p = dn; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
		tk_buf_adds(out, dn[0] ? dn : "-");
		X509_free(peer);
	} else {
		tk_buf_addc(out, '-');
	}
}

/* Records why the handshake failed: OpenSSL's reasons, the verification
 * error, the alert, or how the client went away.
 */
static void tls_failed(struct fs_conn *c, int ssl_err, int sys_errno)
{
	struct tk_buf why = { 0 };
	long vr = SSL_get_verify_result(c->ssl);

	tk_tls_errors(&why);
	if (vr != X509_V_OK && (SSL_get_verify_mode(c->ssl) & SSL_VERIFY_PEER))
		tk_buf_printf(&why, "%sclient certificate: %s", why.len ? "; " : "",
			      X509_verify_cert_error_string(vr));
	if (!why.len) {
		if (ssl_err == SSL_ERROR_SYSCALL && sys_errno)
			tk_buf_printf(&why, "%s during the handshake", strerror(sys_errno));
		else
			tk_buf_adds(&why, "the client closed the connection during the handshake");
	}
	if (c->tls_alert[0])
		tk_buf_printf(&why, " (%s)", c->tls_alert);
	fs_record_tls_fail(c, tk_buf_str(&why));
	tk_buf_free(&why);
}

/* Moves the handshake on. Returns 0 once it is complete (facts recorded),
 * -2 when it waits for the socket, -1 when it failed (failure recorded).
 */
int fs_tls_handshake(struct fs_conn *c)
{
	struct tk_buf facts = { 0 };
	int r, e;

	c->tls_want_out = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	if (r != 1) {
		int sys_errno = errno;

		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return -2;
		if (e == SSL_ERROR_WANT_WRITE) {
			c->tls_want_out = 1;
			return -2;
		}
		tls_failed(c, e, sys_errno);
		return -1;
	}
	c->tls_ready = 1;
	tls_facts(c, &facts);
	fs_record_tls(c, tk_buf_str(&facts));
	tk_buf_free(&facts);
	return 0;
}

/* Stands for read() on an established TLS connection: returns bytes read,
 * 0 at the end of the stream (close_notify or plain EOF), or -1 with errno
 * set (EAGAIN when it would block, EPROTO for a TLS error).
 */
ssize_t fs_tls_read(struct fs_conn *c, void *p, size_t n)
{
	int r, e;

	c->tls_want_out = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	e = SSL_get_error(c->ssl, r);
	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->tls_want_out = 1;
		/* fall through */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (!errno)
			return 0;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* Stands for send(): returns bytes written or -1 with errno (EAGAIN). */
ssize_t fs_tls_write(struct fs_conn *c, const void *p, size_t n)
{
	int r, e;

	c->tls_want_out = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_write(c->ssl, p, n > 16384 ? 16384 : (int)n);
	if (r > 0)
		return r;
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
		c->tls_want_out = e == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	if (!errno)
		errno = e == SSL_ERROR_SYSCALL ? EPIPE : EPROTO;
	return -1;
}

/* Returns 1 when OpenSSL holds received bytes the socket no longer shows. */
int fs_tls_pending(const struct fs_conn *c)
{
	return c->ssl && c->tls_ready && SSL_has_pending(c->ssl);
}

/* Sends our close_notify once (best effort: a full socket drops it). */
void fs_tls_close_notify(struct fs_conn *c)
{
	if (!c->ssl || !c->tls_ready || c->tls_closed)
		return;
	c->tls_closed = 1;
	ERR_clear_error();
	SSL_shutdown(c->ssl);
	ERR_clear_error();
}

/* Frees c's TLS state. However the connection ended (a reset, a client
 * that vanished), its session stays resumable: OpenSSL would drop it from
 * the cache otherwise.
 */
void fs_tls_free(struct fs_conn *c)
{
	if (!c->ssl)
		return;
	if (c->tls_ready)
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);
	c->ssl = NULL;
}
