/* TLS to servers (SSL bridging): the ssl options of "server" lines, the
 * client context of each server, the handshake started on a new
 * connection with its SNI and the session kept for resumption.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "backend/server-t.h"
#include "backend/srvconn-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/pool.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "rules/sample.h"
#include "ssl/ssl.h"
#include "ssl/sslsrv.h"
#include "ssl/sslsock.h"

#define SNI_MAX 256

static __thread struct px_pool sni_pool = PX_POOL_INIT("ssl-sni", SNI_MAX);

const char *const px_ssl_srv_kw_names[] = {
	"ssl", "no-ssl", "check-ssl", "no-check-ssl", "crt", "sni", "verifyhost",
	"no-verifyhost", "no-ssl-reuse", "ssl-reuse", "check-sni", "ca-file", "crl-file",
	"ciphers", "ciphersuites", "alpn", "verify", "ssl-min-ver", "ssl-max-ver",
	"no-tls-tickets", "tls-tickets", "no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12",
	"no-tlsv13", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13", NULL
};

int px_ssl_srv_opt(struct px_ssl_srv **ssp, const void *owner, char **args, int *i,
                   int nargs, struct px_cfg_ctx *ctx, char **err)
{
	static const char *const own[] = {
		"ssl", "no-ssl", "check-ssl", "no-check-ssl", "crt", "sni", "verifyhost",
		"no-ssl-reuse", "ssl-reuse", "no-verifyhost", "check-sni",
	};
	static const char *const bind_only[] = {
		"ca-ignore-err", "crt-ignore-err", "prefer-client-ciphers", "strict-sni",
		"crt-list",
	};
	struct px_ssl_global *g = px_ssl_global(ctx);
	struct px_ssl_srv *ss = *ssp;
	const char *kw = args[*i];
	size_t k;
	int r;

	for (k = 0; k < PX_ARRAY_SIZE(bind_only); k++)
		if (!strcmp(kw, bind_only[k])) {
			px_strfmt(err, "'%s' is a bind option; it has no meaning on a server "
			          "line", kw);
			return -1;
		}
	for (k = 0; k < PX_ARRAY_SIZE(own); k++)
		if (!strcmp(kw, own[k]))
			break;
	/* A server line starts from its default-server's settings: copy
	 * them before changing anything.
	 */
	if (!ss || ss->owner != owner) {
		struct px_ssl_srv *n = px_gen_alloc(ctx->gen, sizeof(*n));

		if (!n || !g) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		if (ss)
			*n = *ss;
		else {
			memset(n, 0, sizeof(*n));
			n->opts.no_tickets = -1;
		}
		n->owner = owner;
		ss = n;
	}
	if (k == PX_ARRAY_SIZE(own)) {
		r = px_ssl_opts_parse(&ss->opts, args, i, nargs, 's', ctx, err);
		if (r <= 0)
			return r;
	} else if (!strcmp(kw, "ssl") || !strcmp(kw, "no-ssl")) {
		ss->enabled = kw[0] == 's';
	} else if (!strcmp(kw, "check-ssl") || !strcmp(kw, "no-check-ssl")) {
		ss->check_ssl = kw[0] == 'c';
	} else if (!strcmp(kw, "no-ssl-reuse") || !strcmp(kw, "ssl-reuse")) {
		ss->no_reuse = kw[0] == 'n';
	} else if (!strcmp(kw, "no-verifyhost")) {
		ss->verifyhost = NULL;
	} else {
		if (*i + 1 >= nargs) {
			px_strfmt(err, "'%s' expects a value", kw);
			return -1;
		}
		(*i)++;
		if (!strcmp(kw, "crt")) {
			ss->crt = px_ssl_path(ctx, g->crt_base, args[*i]);
		} else if (!strcmp(kw, "verifyhost")) {
			ss->verifyhost = px_gen_strdup(ctx->gen, args[*i]);
		} else if (!strcmp(kw, "check-sni")) {
			ss->check_sni = px_gen_strdup(ctx->gen, args[*i]);
		} else {
			ss->sni_expr = px_gen_strdup(ctx->gen, args[*i]);
			ss->sni = px_expr_parse(args[*i], strlen(args[*i]), PX_USE_REQ, ctx, err);
			if (!ss->sni)
				return -1;
		}
	}
	*ssp = ss;
	return 1;
}

/* A new session from a server (TLS 1.3 sends it after the handshake):
 * kept to be offered on the server's next connection.
 */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct px_server *srv = SSL_get_ex_data(ssl, px_ssl_srv_idx);
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (!srv || !srv->ssl || srv->ssl->no_reuse)
		return 0;
	if (srv->ssl->sess)
		SSL_SESSION_free(srv->ssl->sess);
	srv->ssl->sess = sess;
	snprintf(srv->ssl->sess_sni, sizeof(srv->ssl->sess_sni), "%s", name ? name : "");
	return 1;   /* we keep the reference */
}

static void srv_cleanup(void *arg)
{
	struct px_ssl_srv *ss = arg;

	if (ss->sess)
		SSL_SESSION_free(ss->sess);
	ss->sess = NULL;
	SSL_CTX_free(ss->ctx);
	ss->ctx = NULL;
}

static int srv_build(struct px_cfg_ctx *ctx, struct px_server *srv, struct px_ssl_srv *ss,
                     const struct px_ssl_global *g, char **errp);

/* Builds the client context of <srv>. Returns 0, or -1 (error reported). */
int px_ssl_srv_finalize(struct px_cfg_ctx *ctx, struct px_server *srv)
{
	struct px_ssl_srv *ss = srv->ssl;
	const struct px_ssl_global *g = ctx->gen->global.ssl;
	char *err = NULL, name[256];
	const char *file = ctx->file, *other = NULL;
	int line = ctx->line, r;

	if (!ss || (!ss->enabled && !ss->check_ssl))
		return 0;
	if (ss->owner != srv) {
		/* Still the default-server's settings: each server gets its
		 * own context and session.
		 */
		struct px_ssl_srv *n = px_gen_alloc(ctx->gen, sizeof(*n));

		if (!n) {
			px_cfg_error(ctx, "out of memory");
			return -1;
		}
		*n = *ss;
		n->owner = srv;
		srv->ssl = ss = n;
	}
	ctx->file = srv->file;
	ctx->line = srv->line;
	if (srv->be->mode == PX_MODE_HTTP && ss->opts.alpn)
		other = px_ssl_alpn_other(ss->opts.alpn, ss->opts.alpn_len, name, sizeof(name));
	r = srv_build(ctx, srv, ss, g, &err);
	if (r < 0) {
		px_cfg_error(ctx, "server '%s/%s': %s", srv->be->id, srv->id, err);
		free(err);
	} else if (r == 1) {
		px_cfg_warn(ctx, "server '%s/%s' uses TLS without checking the server's "
		            "certificate; add 'verify required ca-file FILE' to check it, or "
		            "'verify none' to say it is on purpose", srv->be->id, srv->id);
	}
	if (r >= 0 && other)
		px_cfg_warn(ctx, "server '%s/%s': alpn '%s' is not offered: proxyd speaks "
		            "HTTP/1.1 to servers of an HTTP backend", srv->be->id, srv->id, other);
	ctx->file = file;
	ctx->line = line;
	return r < 0 ? -1 : 0;
}

/* Only HTTP/1.x names of an ALPN list (wire format), in place. */
static uint32_t alpn_http_only(unsigned char *w, uint32_t len)
{
	uint32_t i = 0, o = 0;

	while (i < len && i + 1 + w[i] <= len) {
		uint32_t n = 1 + w[i];

		if (px_ssl_alpn_is_http1(w + i)) {
			memmove(w + o, w + i, n);
			o += n;
		}
		i += n;
	}
	return o;
}

/* The client context of one server. Returns 0, 1 when its certificate
 * will not be checked without the user saying so, or -1 with <err>.
 */
static int srv_build(struct px_cfg_ctx *ctx, struct px_server *srv, struct px_ssl_srv *ss,
                     const struct px_ssl_global *g, char **errp)
{
	SSL_CTX *sctx;
	char *err = NULL;
	int implicit;

	if (g)
		px_ssl_opts_merge(&ss->opts, &g->srv_opts);
	/* As HAProxy: a server certificate is checked unless told otherwise;
	 * with no CA to check it against, proxyd warns (HAProxy refuses).
	 */
	implicit = !ss->opts.verify && !(g && g->srv_verify) && !ss->opts.ca_file;
	if (!ss->opts.verify)
		ss->opts.verify = g && g->srv_verify ? g->srv_verify :
		                  ss->opts.ca_file ? PX_SSL_VERIFY_REQUIRED : PX_SSL_VERIFY_NONE;
	if (ss->opts.verify == PX_SSL_VERIFY_REQUIRED && !ss->opts.ca_file) {
		px_strfmt(errp, "'verify required' needs a 'ca-file' with the authorities "
		          "that sign the server's certificate (or 'verify none' to accept any "
		          "certificate)");
		return -1;
	}
	sctx = SSL_CTX_new(TLS_client_method());
	if (!sctx || px_gen_on_free(ctx->gen, srv_cleanup, ss) < 0) {
		SSL_CTX_free(sctx);
		px_strfmt(errp, "out of memory");
		return -1;
	}
	ss->ctx = sctx;
	if (px_ssl_ctx_common(sctx, &ss->opts, g ? g->srv_ciphers : NULL,
	                      g ? g->srv_ciphersuites : NULL, 0, &err) < 0)
		goto fail;
	SSL_CTX_set_verify(sctx, ss->opts.verify == PX_SSL_VERIFY_REQUIRED ?
	                   SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (ss->crt) {
		X509 *leaf = px_ssl_load_pem(sctx, ss->crt, &err);

		if (!leaf)
			goto fail;
		X509_free(leaf);
	}
	if (ss->opts.alpn && srv->be->mode == PX_MODE_HTTP) {
		unsigned char *w = px_gen_alloc(ctx->gen, ss->opts.alpn_len);

		if (!w) {
			px_strfmt(&err, "out of memory");
			goto fail;
		}
		memcpy(w, ss->opts.alpn, ss->opts.alpn_len);
		ss->opts.alpn_len = alpn_http_only(w, ss->opts.alpn_len);
		ss->opts.alpn = ss->opts.alpn_len ? w : NULL;
	}
	if (ss->opts.alpn && SSL_CTX_set_alpn_protos(sctx, ss->opts.alpn, ss->opts.alpn_len)) {
		px_ssl_errstr(&err, "invalid alpn");
		goto fail;
	}
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_CLIENT |
	                               SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(sctx, new_session_cb);
	SSL_CTX_set_read_ahead(sctx, 1);
	if (g && g->maxrecord)
		SSL_CTX_set_max_send_fragment(sctx, g->maxrecord);
	if (ss->sni && !srv->be->ssl_sni)
		srv->be->ssl_sni = ss->sni;
	return implicit;
 fail:
	*errp = err;
	return -1;
}

/* --- run time ---------------------------------------------------------------- */

/* Evaluates the backend's SNI expression while the request head is at
 * hand; the value waits in the stream until a server is connected.
 */
void px_ssl_stream_sni(struct px_stream *s, struct px_hmsg *hm)
{
	struct px_smp_ctx sctx = { .sess = s->sess, .s = s, .req = hm, .phase = PX_USE_REQ };
	struct px_smp smp;

	if (!px_expr_eval(s->be->ssl_sni, &sctx, &smp) || !px_smp_cast(&smp, PX_SMP_STR) ||
	    !smp.u.str.len || smp.u.str.len >= SNI_MAX)
		return;
	if (!s->sni && !(s->sni = px_pool_alloc(&sni_pool)))
		return;
	memcpy(s->sni, smp.u.str.p, smp.u.str.len);
	s->sni[smp.u.str.len] = 0;
}

void px_ssl_stream_free(struct px_stream *s)
{
	px_pool_free(&sni_pool, s->sni);
	s->sni = NULL;
}

/* Host names are letters, digits, dots, dashes (and underscores seen in
 * the wild); anything else is not sent as SNI.
 */
static int sni_ok(const char *p)
{
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* The SNI a connection of <srv> for stream <s> is made with, in <buf>
 * (SNI_MAX bytes): "" for none. A port the value carries ("Host: h:8443")
 * is dropped; a value that is not a host name is not sent.
 */
static const char *srv_sni(const struct px_server *srv, struct px_stream *s, char *buf)
{
	const struct px_ssl_srv *ss = srv->ssl;
	const char *v = NULL;
	size_t len = 0;

	buf[0] = 0;
	if (!ss || !ss->sni || !s)
		return buf;
	if (ss->sni == srv->be->ssl_sni) {
		v = s->sni;
		len = v ? strlen(v) : 0;
	} else {
		/* Another expression than the backend's first: no request
		 * head here, connection-level fetches and variables work.
		 */
		struct px_smp_ctx sctx = { .sess = s->sess, .s = s, .phase = PX_USE_REQ };
		struct px_smp smp;

		if (px_expr_eval(ss->sni, &sctx, &smp) && px_smp_cast(&smp, PX_SMP_STR)) {
			v = smp.u.str.p;
			len = smp.u.str.len;
		}
	}
	if (!v || !len || len >= SNI_MAX)
		return buf;
	memcpy(buf, v, len);
	buf[len] = 0;
	{
		char *colon = strrchr(buf, ':');

		if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
			*colon = 0;
	}
	if (!sni_ok(buf))
		buf[0] = 0;
	return buf;
}

/* Which idle connections of <srv> a stream may take: those made with the
 * same SNI (a connection whose certificate was checked for one name must
 * not carry requests for another). 0 for servers without "sni".
 */
uint64_t px_ssl_srv_key(const struct px_server *srv, struct px_stream *s)
{
	char buf[SNI_MAX];
	const unsigned char *p;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!srv->ssl || !srv->ssl->sni || !srv->ssl->enabled)
		return 0;
	for (p = (const unsigned char *)srv_sni(srv, s, buf); *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h | 1;
}

int px_ssl_srv_start(struct px_srvconn *sc, struct px_stream *s)
{
	struct px_server *srv = sc->srv;
	struct px_ssl_srv *ss = srv->ssl;
	const char *sni;
	char buf[SNI_MAX];
	SSL *ssl;

	sni = srv_sni(srv, s, buf);
	if (!*sni)
		sni = NULL;
	ssl = SSL_new(ss->ctx);
	if (!ssl || px_ssl_attach(ssl, &sc->conn) < 0)
		goto fail;
	SSL_set_connect_state(ssl);
	SSL_set_ex_data(ssl, px_ssl_srv_idx, srv);
	if (sni && !SSL_set_tlsext_host_name(ssl, sni))
		goto fail;
	if (ss->opts.verify == PX_SSL_VERIFY_REQUIRED) {
		/* As HAProxy: the name sent (SNI), else "verifyhost". */
		const char *host = sni ? sni : ss->verifyhost;

		if (host && !SSL_set1_host(ssl, host))
			goto fail;
	}
	/* Resume the server's last session when it was made for the same
	 * name (or both without one).
	 */
	if (ss->sess && !ss->no_reuse && !strcmp(ss->sess_sni, sni ? sni : ""))
		SSL_set_session(ssl, ss->sess);
	sc->conn.ssl = ssl;
	sc->conn.flags |= PX_CF_SSL_HS;
	return 0;
 fail:
	SSL_free(ssl);
	ERR_clear_error();
	return -1;
}
