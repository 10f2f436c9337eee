/* TLS on a px_conn. OpenSSL works on the non-blocking socket itself; what
 * this file adds is the bookkeeping edge-triggered epoll needs: a
 * readiness flag is cleared only when OpenSSL says it wants more from the
 * socket, and when it wants the other direction (a handshake step, a
 * TLS 1.3 key update), the event it waits for unblocks both (see
 * px_conn_note_events()). Records OpenSSL already holds are read before
 * any new edge: reading goes on until it reports WANT_READ.
 *
 * Server side: certificates chosen by SNI in the ClientHello callback,
 * client certificates checked with the ca-ignore-err/crt-ignore-err
 * lists, the first errors kept for ssl_c_err and ssl_c_ca_err.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include "core/buf.h"
#include "cfg/cfg-t.h"
#include "core/list.h"
#include "proto/conn.h"
#include "proto/listener-t.h"
#include "ssl/ssl.h"
#include "ssl/sslsock.h"

uint64_t px_ssl_handshakes;
uint64_t px_ssl_hs_failures;

const char *px_ssl_fail_str(int fail)
{
	switch (fail) {
	case PX_SSL_FAIL_EMPTY:   return "Connection closed during SSL handshake";
	case PX_SSL_FAIL_ABORT:   return "Connection error during SSL handshake";
	case PX_SSL_FAIL_TIMEOUT: return "Timeout during SSL handshake";
	case PX_SSL_FAIL_CRT:     return "SSL client certificate not trusted";
	case PX_SSL_FAIL_CA:      return "SSL client CA chain cannot be verified";
	default:                  return "SSL handshake failure";
	}
}

const char *px_ssl_conn_info(const struct px_conn *c, int cipher)
{
	if (!c->ssl)
		return NULL;
	return cipher ? SSL_get_cipher_name(c->ssl) : SSL_get_version(c->ssl);
}

int px_ssl_fail_id(int fail)
{
	switch (fail) {
	case PX_SSL_FAIL_NONE:    return 0;
	case PX_SSL_FAIL_EMPTY:   return 24;
	case PX_SSL_FAIL_ABORT:   return 25;
	case PX_SSL_FAIL_TIMEOUT: return 26;
	case PX_SSL_FAIL_CA:      return 30;
	case PX_SSL_FAIL_CRT:     return 31;
	default:                  return 34;
	}
}

/* --- server-side callbacks ------------------------------------------------- */

static int err_in(const uint64_t *map, int all, int err)
{
	return all || (err >= 0 && err < 64 * PX_SSL_ERRMAP_WORDS &&
	               (map[err / 64] >> (err % 64) & 1));
}

/* Client certificate verification: records the first error at depth 0
 * and at depth > 0, and lets through the errors the bind line ignores.
 * The verify result (ssl_c_verify) keeps the error either way.
 */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct px_conn *c = ssl ? SSL_get_ex_data(ssl, px_ssl_conn_idx) : NULL;
	const struct px_ssl_cert *cert;
	int err, depth;

	if (ok || !c)
		return ok;
	cert = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), px_ssl_cert_idx);
	err = X509_STORE_CTX_get_error(xs);
	depth = X509_STORE_CTX_get_error_depth(xs);
	if (depth > 0) {
		if (!c->ssl_ca_err) {
			c->ssl_ca_err = (uint16_t)err;
			c->ssl_ca_depth = (uint8_t)(depth > 255 ? 255 : depth);
		}
		if (cert && err_in(cert->opts.ca_ignore, cert->opts.ca_ignore_all, err)) {
			ERR_clear_error();
			return 1;
		}
		c->ssl_fail = PX_SSL_FAIL_CA;
		return 0;
	}
	if (!c->ssl_crt_err)
		c->ssl_crt_err = (uint16_t)err;
	if (cert && err_in(cert->opts.crt_ignore, cert->opts.crt_ignore_all, err)) {
		ERR_clear_error();
		return 1;
	}
	c->ssl_fail = PX_SSL_FAIL_CRT;
	return 0;
}

/* Finds the certificate for <name> (lower case): an exact name, then a
 * wildcard one level up. A certificate a crt-list excludes for the name
 * with "!name" is skipped in both passes (a wildcard with exceptions).
 */
static struct px_ssl_cert *sni_lookup(const struct px_ssl_bind *sb, const char *name)
{
	const char *dot = strchr(name, '.');
	char wild[260];
	const char *key = name;
	const struct px_ssl_cert *excl[8];
	int pass, nexcl = 0;

	for (pass = 0; pass < 2; pass++) {
		int lo = 0, hi = sb->nsni, k;

		if (pass == 1) {
			if (!dot || strlen(dot) + 2 > sizeof(wild))
				break;
			wild[0] = '*';
			strcpy(wild + 1, dot);
			key = wild;
		}
		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (strcmp(sb->sni[mid].name, key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < sb->nsni && !strcmp(sb->sni[lo].name, key); lo++) {
			const struct px_ssl_sni *e = &sb->sni[lo];

			if (e->neg) {
				if (nexcl < 8)
					excl[nexcl++] = e->cert;
				continue;
			}
			for (k = 0; k < nexcl && excl[k] != e->cert; k++)
				;
			if (k == nexcl)
				return e->cert;
		}
	}
	return NULL;
}

/* Moves <ssl> to the context of <cert>: the certificate and key come with
 * SSL_set_SSL_CTX(); the settings OpenSSL keeps per connection are copied
 * (cipher strings are the effective ones, see cert_new()).
 */
static void switch_cert(SSL *ssl, const struct px_ssl_cert *cert,
                        const struct px_ssl_cert *def)
{
	SSL_CTX *sctx = cert->ctx;
	STACK_OF(X509_NAME) *cas = SSL_CTX_get_client_CA_list(sctx);
	uint64_t want = SSL_CTX_get_options(sctx);

	SSL_set_SSL_CTX(ssl, sctx);
	SSL_set_verify(ssl, SSL_CTX_get_verify_mode(sctx), verify_cb);
	if (cas)
		SSL_set_client_CA_list(ssl, SSL_dup_CA_list(cas));
	SSL_clear_options(ssl, SSL_get_options(ssl) & ~want);
	SSL_set_options(ssl, want);
	SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(sctx));
	SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(sctx));
	SSL_set_security_level(ssl, SSL_CTX_get_security_level(sctx));
	if (strcmp(cert->opts.ciphers, def->opts.ciphers))
		SSL_set_cipher_list(ssl, cert->opts.ciphers);
	if (strcmp(cert->opts.ciphersuites, def->opts.ciphersuites))
		SSL_set_ciphersuites(ssl, cert->opts.ciphersuites);
}

static int hello_cb(SSL *ssl, int *al, void *arg)
{
	const struct px_ssl_bind *sb = arg;
	const unsigned char *p;
	size_t len, nlen, i;
	char name[256];
	struct px_ssl_cert *cert = NULL;

	if (sb->ncerts == 1 && !sb->strict_sni)
		return SSL_CLIENT_HELLO_SUCCESS;
	/* server_name: list length (2), type (1, 0 = host name), length (2). */
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) && len > 5 &&
	    p[2] == 0) {
		nlen = (size_t)p[3] << 8 | p[4];
		if (nlen && nlen + 5 <= len && nlen < sizeof(name)) {
			for (i = 0; i < nlen; i++)
				name[i] = (char)(p[5 + i] >= 'A' && p[5 + i] <= 'Z' ?
				                 p[5 + i] + 32 : p[5 + i]);
			name[nlen] = 0;
			cert = sni_lookup(sb, name);
		}
	}
	if (!cert) {
		if (sb->strict_sni) {
			struct px_conn *c = SSL_get_ex_data(ssl, px_ssl_conn_idx);

			if (c)
				c->ssl_fail = PX_SSL_FAIL_SNI;
			*al = SSL_AD_UNRECOGNIZED_NAME;
			return SSL_CLIENT_HELLO_ERROR;
		}
		return SSL_CLIENT_HELLO_SUCCESS;
	}
	if (cert != sb->certs[0])
		switch_cert(ssl, cert, sb->certs[0]);
	return SSL_CLIENT_HELLO_SUCCESS;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
	const struct px_ssl_cert *cert = arg;
	const unsigned char *p = cert->opts.alpn, *end = p + cert->opts.alpn_len;
	unsigned int i;

	/* Our preference order; an HTTP frontend only picks what it speaks
	 * (HTTP/1.x), whatever the list says.
	 */
	for (; p < end && p + 1 + *p <= end; p += 1 + *p) {
		if (cert->http_only && !px_ssl_alpn_is_http1(p))
			continue;
		for (i = 0; i < inlen && i + 1 + in[i] <= inlen; i += 1 + in[i])
			if (in[i] == *p && !memcmp(in + i + 1, p + 1, *p)) {
				*out = in + i + 1;
				*outlen = in[i];
				return SSL_TLSEXT_ERR_OK;
			}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* A ticket the client offers is a session like any other: one older than
 * tune.ssl.lifetime is not resumed (OpenSSL does not check the age of TLS
 * 1.3 tickets, and its clients round it down to whole seconds).
 */
static SSL_TICKET_RETURN ticket_cb(SSL *ssl, SSL_SESSION *ss, const unsigned char *name,
                                   size_t name_len, SSL_TICKET_STATUS st, void *arg)
{
	(void)ssl;
	(void)name;
	(void)name_len;
	(void)arg;
	switch (st) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		if (ss && SSL_SESSION_get_time(ss) + SSL_SESSION_get_timeout(ss) < (long)time(NULL))
			return SSL_TICKET_RETURN_IGNORE_RENEW;
		return st == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
	case SSL_TICKET_FATAL_ERR_MALLOC:
	case SSL_TICKET_FATAL_ERR_OTHER:
		return SSL_TICKET_RETURN_ABORT;
	case SSL_TICKET_NONE:
		return SSL_TICKET_RETURN_IGNORE;
	default:
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	}
}

/* SHA-256 of the bind line's secret and the client verification
 * settings of <o>, in <out> (32 bytes).
 */
static int sid_ctx_for(const struct px_ssl_bind *sb, const struct px_ssl_opts *o,
                       unsigned char *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char v = o->verify, all[2] = { o->ca_ignore_all, o->crt_ignore_all };
	const char *ca = o->ca_file ? o->ca_file : "", *crl = o->crl_file ? o->crl_file : "";
	unsigned int len = 0;
	int ok;

	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(md, sb->sid_ctx, sizeof(sb->sid_ctx)) &&
	     EVP_DigestUpdate(md, &v, 1) && EVP_DigestUpdate(md, all, 2) &&
	     EVP_DigestUpdate(md, ca, strlen(ca) + 1) &&
	     EVP_DigestUpdate(md, crl, strlen(crl) + 1) &&
	     EVP_DigestUpdate(md, o->ca_ignore, sizeof(o->ca_ignore)) &&
	     EVP_DigestUpdate(md, o->crt_ignore, sizeof(o->crt_ignore)) &&
	     EVP_DigestFinal_ex(md, out, &len) && len == 32;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int px_ssl_server_ctx_setup(SSL_CTX *sctx, struct px_ssl_bind *sb, struct px_ssl_cert *cert,
                            const struct px_ssl_global *g)
{
	static const unsigned char zero[sizeof(sb->sid_ctx)];
	unsigned char sid[SSL_MAX_SID_CTX_LENGTH];
	int mode = SSL_VERIFY_NONE;

	SSL_CTX_set_ex_data(sctx, px_ssl_cert_idx, cert);
	if (cert->opts.verify == PX_SSL_VERIFY_OPTIONAL)
		mode = SSL_VERIFY_PEER;
	else if (cert->opts.verify == PX_SSL_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(sctx, mode, verify_cb);
	if (mode != SSL_VERIFY_NONE && cert->opts.ca_file) {
		STACK_OF(X509_NAME) *cas = SSL_load_client_CA_file(cert->opts.ca_file);

		if (cas)
			SSL_CTX_set_client_CA_list(sctx, cas);
		ERR_clear_error();
	}
	/* Session id contexts: one secret per bind line, so that sessions
	 * never resume on another listener, mixed with how the certificate
	 * verifies clients, so that a session made where no client
	 * certificate was asked for never resumes where one is required.
	 * OpenSSL refuses a session whose context differs (TLS 1.2 and 1.3).
	 */
	if (!memcmp(sb->sid_ctx, zero, sizeof(zero)) && RAND_bytes(sb->sid_ctx,
	                                                         sizeof(sb->sid_ctx)) != 1)
		return -1;
	if (sid_ctx_for(sb, &cert->opts, sid) < 0 ||
	    !SSL_CTX_set_session_id_context(sctx, sid, sizeof(sid)))
		return -1;
	if (g && !g->cachesize) {
		SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
	} else {
		/* Expired sessions go in px_ssl_housekeeping(), not in a
		 * walk of the whole cache every 255 handshakes.
		 */
		SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER |
		                               SSL_SESS_CACHE_NO_AUTO_CLEAR);
		SSL_CTX_sess_set_cache_size(sctx, g ? g->cachesize : 20000);
	}
	SSL_CTX_set_timeout(sctx, g ? g->lifetime : 300);
	if (g && g->maxrecord)
		SSL_CTX_set_max_send_fragment(sctx, g->maxrecord);
	SSL_CTX_set_dh_auto(sctx, 1);
	SSL_CTX_set_read_ahead(sctx, 1);
	/* One ticket per handshake is enough for HTTP clients, and each
	 * costs an encryption.
	 */
	SSL_CTX_set_num_tickets(sctx, 1);
	if (!SSL_CTX_set_session_ticket_cb(sctx, NULL, ticket_cb, NULL))
		return -1;
	SSL_CTX_set_client_hello_cb(sctx, hello_cb, sb);
	if (cert->opts.alpn)
		SSL_CTX_set_alpn_select_cb(sctx, alpn_cb, cert);
	return 0;
}

/* A new generation's bind line <nb> takes over the TLS session secrets of
 * <ob>, the running one's on the same listener: its session id context
 * and its ticket keys. Sessions and tickets given before a commit or a
 * reload then still resume after it (the stateful cache itself stays with
 * the old contexts).
 */
void px_ssl_bind_inherit(struct px_ssl_bind *nb, const struct px_ssl_bind *ob)
{
	unsigned char keys[80], sid[SSL_MAX_SID_CTX_LENGTH];
	int i, have_keys;

	if (!nb->ncerts || !ob->ncerts)
		return;
	memcpy(nb->sid_ctx, ob->sid_ctx, sizeof(nb->sid_ctx));
	have_keys = SSL_CTX_get_tlsext_ticket_keys(ob->certs[0]->ctx, keys, sizeof(keys)) == 1;
	for (i = 0; i < nb->ncerts; i++) {
		SSL_CTX *ctx = nb->certs[i]->ctx;

		if (sid_ctx_for(nb, &nb->certs[i]->opts, sid) == 0)
			SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid));
		if (have_keys)
			SSL_CTX_set_tlsext_ticket_keys(ctx, keys, sizeof(keys));
	}
	OPENSSL_cleanse(keys, sizeof(keys));
	ERR_clear_error();
}

/* Called every second: every 10 s, drops the expired sessions of the
 * caches of <gen>'s TLS bind lines.
 */
void px_ssl_housekeeping(struct px_gen *gen, uint64_t now_ms)
{
	static uint64_t last;
	struct px_list *e;

	if (!gen || now_ms - last < 10000)
		return;
	last = now_ms;
	px_list_for_each(e, &gen->binds) {
		const struct px_bind *b = px_container_of(e, struct px_bind, gen_link);

		if (b->ssl && b->ssl->ncerts)
			SSL_CTX_flush_sessions(b->ssl->certs[0]->ctx, (long)time(NULL));
	}
}

int px_ssl_accept(struct px_conn *c, const struct px_ssl_bind *sb)
{
	SSL *ssl = SSL_new(sb->certs[0]->ctx);

	if (!ssl || px_ssl_attach(ssl, c) < 0) {
		SSL_free(ssl);
		ERR_clear_error();
		return -1;
	}
	SSL_set_accept_state(ssl);
	c->ssl = ssl;
	c->flags |= PX_CF_SSL_HS;
	return 0;
}

void px_ssl_close(struct px_conn *c, int notify)
{
	SSL *ssl = c->ssl;

	if (!ssl)
		return;
	/* A clean close says so with close_notify (RFC 8446, 6.1), once and
	 * without waiting: the socket closes right after. A connection that
	 * ends without it would also take its session out of the cache.
	 */
	if (!(c->flags & (PX_CF_ERROR | PX_CF_SSL_HS))) {
		if (notify && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
			SSL_shutdown(ssl);
		SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	}
	SSL_free(ssl);
	ERR_clear_error();
	c->ssl = NULL;
}

/* --- I/O --------------------------------------------------------------------- */

/* OpenSSL reads and writes the socket through this BIO. Beside plain
 * recv()/send(), it tells px_ssl_recv() when a read came back short: the
 * socket is then empty, and once OpenSSL holds nothing more either, the
 * connection waits for the next epoll edge instead of paying a read()
 * that would only say EAGAIN.
 */
static BIO_METHOD *bio_meth;

static int bio_read(BIO *b, char *buf, int len)
{
	struct px_conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = recv(c->io.fd, buf, (size_t)len, 0);
	if (n > 0) {
		if (n < len)
			c->flags |= PX_CF_SSL_DRAINED;
		else
			c->flags &= ~PX_CF_SSL_DRAINED;
		return (int)n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static int bio_write(BIO *b, const char *buf, int len)
{
	struct px_conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = send(c->io.fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

__attribute__((constructor)) static void bio_setup(void)
{
	bio_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "proxyd socket");
	if (!bio_meth)
		return;
	BIO_meth_set_read(bio_meth, bio_read);
	BIO_meth_set_write(bio_meth, bio_write);
	BIO_meth_set_ctrl(bio_meth, bio_ctrl);
	BIO_meth_set_create(bio_meth, bio_create);
}

/* Makes <ssl> use the socket of <c>. Returns 0, or -1 when out of memory. */
int px_ssl_attach(SSL *ssl, struct px_conn *c)
{
	BIO *b = bio_meth ? BIO_new(bio_meth) : NULL;

	if (!b)
		return -1;
	BIO_set_data(b, c);
	SSL_set_bio(ssl, b, b);
	SSL_set_ex_data(ssl, px_ssl_conn_idx, c);
	return 0;
}

static void want(struct px_conn *c, int err)
{
	c->flags &= ~(PX_CF_RD_READY | PX_CF_WR_READY | PX_CF_SSL_WANT_RD | PX_CF_SSL_WANT_WR);
	c->flags |= err == SSL_ERROR_WANT_WRITE ? PX_CF_SSL_WANT_WR : PX_CF_SSL_WANT_RD;
}

int px_ssl_handshake(struct px_conn *c)
{
	int r, err;
	unsigned long e;

	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->flags &= ~PX_CF_SSL_HS;
		px_ssl_handshakes++;
		return 1;
	}
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		want(c, err);
		return 0;
	}
	e = ERR_peek_error();
	if (!c->ssl_err)
		c->ssl_err = (uint32_t)e;
	/* As HAProxy: a connection that ends before a whole ClientHello is
	 * "closed" or "error" (what scanners and probes do); once the
	 * handshake started, any end is a handshake failure.
	 */
	if (!c->ssl_fail) {
		if (SSL_get_state(c->ssl) != TLS_ST_BEFORE)
			c->ssl_fail = PX_SSL_FAIL_HANDSHAKE;
		else if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && !e && !errno) ||
		         (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
			c->ssl_fail = PX_SSL_FAIL_EMPTY;
		else if (err == SSL_ERROR_SYSCALL && !e)
			c->ssl_fail = PX_SSL_FAIL_ABORT;
		else
			c->ssl_fail = PX_SSL_FAIL_HANDSHAKE;
	}
	ERR_clear_error();
	px_ssl_hs_failures++;
	c->flags |= PX_CF_ERROR;
	c->flags &= ~(PX_CF_RD_READY | PX_CF_WR_READY | PX_CF_SSL_WANT_RD | PX_CF_SSL_WANT_WR);
	return -1;
}

int px_ssl_recv(struct px_conn *c)
{
	int64_t room;
	int n, err;

	if (c->flags & PX_CF_SSL_HS) {
		int r = px_ssl_handshake(c);

		if (r <= 0)
			return r < 0 ? -1 : -2;
	}
	room = px_conn_room(c);
	if (room <= 0)
		return room < 0 ? -1 : -2;
	n = SSL_read(c->ssl, px_buf_tail(&c->buf), (int)(room > 0x40000000 ? 0x40000000 : room));
	if (n > 0) {
		/* A short TLS read says nothing of the socket: OpenSSL may
		 * hold more records. The socket is known empty when the BIO's
		 * last recv() came back short and OpenSSL holds nothing.
		 */
		c->buf.len += (uint32_t)n;
		c->flags |= PX_CF_RD_ANY;
		if ((c->flags & PX_CF_SSL_DRAINED) && !(c->flags & PX_CF_HUP) &&
		    !SSL_has_pending(c->ssl))
			c->flags &= ~PX_CF_RD_READY;
		return n;
	}
	err = SSL_get_error(c->ssl, n);
	switch (err) {
	case SSL_ERROR_WANT_READ:
		c->flags &= ~PX_CF_RD_READY;
		return -2;
	case SSL_ERROR_WANT_WRITE:
		c->flags &= ~PX_CF_RD_READY;
		c->flags |= PX_CF_SSL_WANT_WR;
		return -2;
	case SSL_ERROR_ZERO_RETURN:
		c->flags |= PX_CF_RD_EOF;
		c->flags &= ~PX_CF_RD_READY;
		return 0;
	case SSL_ERROR_SYSCALL:
		if (!ERR_peek_error() && !errno) {
			c->flags |= PX_CF_RD_EOF;
			c->flags &= ~PX_CF_RD_READY;
			return 0;
		}
		/* fall through */
	default:
		if (!c->ssl_err)
			c->ssl_err = (uint32_t)ERR_peek_error();
		ERR_clear_error();
		c->flags |= PX_CF_ERROR;
		c->flags &= ~PX_CF_RD_READY;
		return -1;
	}
}

ssize_t px_ssl_send(struct px_conn *c, const char *data, size_t len)
{
	size_t done = 0;
	int n = 0, err;

	if (c->flags & PX_CF_SSL_HS) {
		int r = px_ssl_handshake(c);

		if (r <= 0)
			return r < 0 ? -1 : 0;
	}
	/* In partial-write mode SSL_write() returns after each record. */
	while (done < len) {
		size_t chunk = len - done;

		n = SSL_write(c->ssl, data + done, (int)(chunk > 0x40000000 ? 0x40000000 : chunk));
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == len)
		return (ssize_t)done;
	err = SSL_get_error(c->ssl, n);
	if (err == SSL_ERROR_WANT_WRITE) {
		c->flags &= ~PX_CF_WR_READY;
		return (ssize_t)done;
	}
	if (err == SSL_ERROR_WANT_READ) {
		c->flags &= ~PX_CF_WR_READY;
		c->flags |= PX_CF_SSL_WANT_RD;
		return (ssize_t)done;
	}
	ERR_clear_error();
	if (done)
		return (ssize_t)done;
	c->flags |= PX_CF_ERROR;
	c->flags &= ~PX_CF_WR_READY;
	return -1;
}

/* Sends close_notify before the TCP half-close (best effort). */
void px_ssl_shutw(struct px_conn *c)
{
	if (c->flags & (PX_CF_SSL_HS | PX_CF_ERROR))
		return;
	SSL_shutdown(c->ssl);
	ERR_clear_error();
}
