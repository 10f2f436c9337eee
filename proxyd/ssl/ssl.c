/* TLS configuration: options shared by bind lines, crt-list entries and
 * server lines, the global ssl-* keywords, and the per-certificate
 * OpenSSL contexts of bind lines with their SNI index.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "cfg/cfg.h"
#include "core/util.h"
#include "proto/listener-t.h"
#include "cfg/proxy-t.h"
#include "ssl/ssl.h"
#include "ssl/sslsock.h"

int px_ssl_conn_idx = -1;
int px_ssl_srv_idx = -1;
int px_ssl_cert_idx = -1;

/* Modern defaults (TLS 1.2 suites with forward secrecy and AEAD only). */
#define DEFAULT_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
                        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
                        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define DEFAULT_SUITES  "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
                        "TLS_CHACHA20_POLY1305_SHA256"

__attribute__((constructor)) static void ssl_indexes(void)
{
	px_ssl_conn_idx = SSL_get_ex_new_index(0, "px_conn", NULL, NULL, NULL);
	px_ssl_srv_idx = SSL_get_ex_new_index(0, "px_server", NULL, NULL, NULL);
	px_ssl_cert_idx = SSL_CTX_get_ex_new_index(0, "px_ssl_cert", NULL, NULL, NULL);
}

/* Appends OpenSSL's first queued error to "<what>" in <err>. */
void px_ssl_errstr(char **err, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (r)
		px_strfmt(err, "%s: %s", what, r);
	else
		px_strfmt(err, "%s", what);
}

struct px_ssl_global *px_ssl_global(struct px_cfg_ctx *ctx)
{
	struct px_global *g = &ctx->gen->global;

	if (!g->ssl) {
		g->ssl = px_gen_alloc(ctx->gen, sizeof(*g->ssl));
		if (!g->ssl)
			return NULL;
		memset(g->ssl, 0, sizeof(*g->ssl));
		g->ssl->cachesize = 20000;
		g->ssl->lifetime = 300;
		g->ssl->bind_opts.no_tickets = -1;
		g->ssl->srv_opts.no_tickets = -1;
	}
	return g->ssl;
}

/* <file> relative to <base> when it is relative and a base is set. */
char *px_ssl_path(struct px_cfg_ctx *ctx, const char *base, const char *file)
{
	char *p;
	size_t n;

	if (!base || file[0] == '/')
		return px_gen_strdup(ctx->gen, file);
	n = strlen(base) + strlen(file) + 2;
	p = px_gen_alloc(ctx->gen, n);
	if (p)
		snprintf(p, n, "%s/%s", base, file);
	return p;
}

/* --- options --------------------------------------------------------------- */

static const struct {
	const char *name;
	uint16_t ver;
} versions[] = {
	{ "SSLv3", SSL3_VERSION }, { "TLSv1.0", TLS1_VERSION }, { "TLSv1.1", TLS1_1_VERSION },
	{ "TLSv1.2", TLS1_2_VERSION }, { "TLSv1.3", TLS1_3_VERSION },
};

static int parse_version(const char *s, uint16_t *out, char **err)
{
	size_t i;

	for (i = 0; i < PX_ARRAY_SIZE(versions); i++)
		if (!strcmp(s, versions[i].name)) {
			*out = versions[i].ver;
			return 0;
		}
	px_strfmt(err, "unknown TLS version '%s' (expected SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 "
	          "or TLSv1.3)", s);
	return -1;
}

/* "all", or a comma-separated list of verify error numbers (OpenSSL's
 * X509_V_ERR_* values, e.g. 10 for an expired certificate).
 */
static int parse_errlist(const char *s, uint64_t *map, uint8_t *all, char **err)
{
	const char *p = s;

	if (!strcmp(s, "all")) {
		*all = 1;
		return 0;
	}
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char tok[64];
		uint64_t v;

		if (!n || n >= sizeof(tok)) {
			px_strfmt(err, "invalid error list '%s' (expected 'all' or numbers "
			          "separated by commas)", s);
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = 0;
		if (px_parse_uint(tok, 255, &v) < 0) {
			px_strfmt(err, "invalid verify error '%s' in '%s' (expected 'all' or "
			          "OpenSSL verify error numbers, e.g. 10 for an expired "
			          "certificate)", tok, s);
			return -1;
		}
		map[v / 64] |= 1ULL << (v % 64);
		p += n + (e ? 1 : 0);
	}
	return 0;
}

/* "h2,http/1.1" into ALPN's wire format. */
static int parse_alpn(struct px_cfg_ctx *ctx, const char *s, struct px_ssl_opts *o, char **err)
{
	size_t n = strlen(s), i, start = 0;
	unsigned char *w = px_gen_alloc(ctx->gen, n + 1);

	if (!w) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ',')
			continue;
		if (i == start || i - start > 255) {
			px_strfmt(err, "invalid ALPN list '%s' (names separated by commas, "
			          "e.g. 'h2,http/1.1')", s);
			return -1;
		}
		w[start] = (unsigned char)(i - start);
		memcpy(w + start + 1, s + start, i - start);
		start = i + 1;
	}
	o->alpn = w;
	o->alpn_len = (uint32_t)n + 1;
	return 0;
}

/* Options common to bind lines, crt-list entries, server lines and the
 * ssl-default-*-options keywords. <side> is 'b' (bind) or 's' (server).
 * Returns 1 when args[*i] was one, 0 when not, -1 on error.
 */
int px_ssl_opts_parse(struct px_ssl_opts *o, char **args, int *i, int nargs, int side,
                      struct px_cfg_ctx *ctx, char **err)
{
	const char *kw = args[*i], *val = *i + 1 < nargs ? args[*i + 1] : NULL;
	struct px_ssl_global *g = px_ssl_global(ctx);
	static const char *const with_arg[] = {
		"ca-file", "crl-file", "ciphers", "ciphersuites", "alpn", "verify",
		"ssl-min-ver", "ssl-max-ver", "ca-ignore-err", "crt-ignore-err",
	};
	size_t k;

	if (!g) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	for (k = 0; k < PX_ARRAY_SIZE(with_arg); k++)
		if (!strcmp(kw, with_arg[k]))
			break;
	if (k < PX_ARRAY_SIZE(with_arg)) {
		if (!val) {
			px_strfmt(err, "'%s' expects a value", kw);
			return -1;
		}
		(*i)++;
		if (!strcmp(kw, "ca-file") || !strcmp(kw, "crl-file")) {
			char *path = px_ssl_path(ctx, g->ca_base, val);

			if (!path) {
				px_strfmt(err, "out of memory");
				return -1;
			}
			if (kw[1] == 'a')
				o->ca_file = path;
			else
				o->crl_file = path;
		} else if (!strcmp(kw, "ciphers")) {
			o->ciphers = px_gen_strdup(ctx->gen, val);
		} else if (!strcmp(kw, "ciphersuites")) {
			o->ciphersuites = px_gen_strdup(ctx->gen, val);
		} else if (!strcmp(kw, "alpn")) {
			return parse_alpn(ctx, val, o, err) < 0 ? -1 : 1;
		} else if (!strcmp(kw, "verify")) {
			if (!strcmp(val, "none"))
				o->verify = PX_SSL_VERIFY_NONE;
			else if (!strcmp(val, "required"))
				o->verify = PX_SSL_VERIFY_REQUIRED;
			else if (!strcmp(val, "optional") && side == 'b')
				o->verify = PX_SSL_VERIFY_OPTIONAL;
			else {
				px_strfmt(err, "verify: unknown mode '%s' (expected %s)", val,
				          side == 'b' ? "none, optional or required" :
				          "none or required");
				return -1;
			}
		} else if (!strcmp(kw, "ssl-min-ver")) {
			return parse_version(val, &o->min_ver, err) < 0 ? -1 : 1;
		} else if (!strcmp(kw, "ssl-max-ver")) {
			return parse_version(val, &o->max_ver, err) < 0 ? -1 : 1;
		} else if (!strcmp(kw, "ca-ignore-err")) {
			return parse_errlist(val, o->ca_ignore, &o->ca_ignore_all, err) < 0 ? -1 : 1;
		} else {
			return parse_errlist(val, o->crt_ignore, &o->crt_ignore_all, err) < 0 ? -1 : 1;
		}
		return 1;
	}
	if (!strcmp(kw, "no-tls-tickets"))
		o->no_tickets = 1;
	else if (!strcmp(kw, "tls-tickets"))
		o->no_tickets = 0;
	else if (!strcmp(kw, "prefer-client-ciphers"))
		o->prefer_client = 1;
	else if (!strcmp(kw, "no-sslv3"))
		;   /* OpenSSL 3 has no SSLv3 */
	else if (!strcmp(kw, "no-tlsv10") || !strcmp(kw, "no-tlsv11")) {
		/* Only matters when an older minimum was asked for: the
		 * default (TLS 1.2) already excludes both.
		 */
		uint16_t v = kw[8] == '0' ? TLS1_1_VERSION : TLS1_2_VERSION;

		if (o->min_ver && o->min_ver < v)
			o->min_ver = v;
	} else if (!strcmp(kw, "no-tlsv12")) {
		if (!o->min_ver || o->min_ver <= TLS1_2_VERSION)
			o->min_ver = TLS1_3_VERSION;
	} else if (!strcmp(kw, "no-tlsv13")) {
		o->max_ver = TLS1_2_VERSION;
	} else if (!strncmp(kw, "force-tlsv1", 11) && strchr("0123", kw[11]) && !kw[12]) {
		o->min_ver = o->max_ver = (uint16_t)(TLS1_VERSION + (kw[11] - '0'));
	} else {
		return 0;
	}
	return 1;
}

/* Fills the unset fields of <dst> from <src>. */
void px_ssl_opts_merge(struct px_ssl_opts *dst, const struct px_ssl_opts *src)
{
	int k;

	if (!dst->ca_file)
		dst->ca_file = src->ca_file;
	if (!dst->crl_file)
		dst->crl_file = src->crl_file;
	if (!dst->ciphers)
		dst->ciphers = src->ciphers;
	if (!dst->ciphersuites)
		dst->ciphersuites = src->ciphersuites;
	if (!dst->alpn) {
		dst->alpn = src->alpn;
		dst->alpn_len = src->alpn_len;
	}
	if (!dst->verify)
		dst->verify = src->verify;
	if (!dst->min_ver)
		dst->min_ver = src->min_ver;
	if (!dst->max_ver)
		dst->max_ver = src->max_ver;
	if (dst->no_tickets < 0)
		dst->no_tickets = src->no_tickets;
	dst->prefer_client |= src->prefer_client;
	dst->ca_ignore_all |= src->ca_ignore_all;
	dst->crt_ignore_all |= src->crt_ignore_all;
	for (k = 0; k < PX_SSL_ERRMAP_WORDS; k++) {
		dst->ca_ignore[k] |= src->ca_ignore[k];
		dst->crt_ignore[k] |= src->crt_ignore[k];
	}
}

int px_ssl_bind_opt(struct px_ssl_bind **sbp, char **args, int *i, int nargs,
                    struct px_cfg_ctx *ctx, char **err)
{
	struct px_ssl_global *g = px_ssl_global(ctx);
	struct px_ssl_bind *sb = *sbp;
	const char *kw = args[*i];
	int r;

	if (!sb) {
		sb = px_gen_alloc(ctx->gen, sizeof(*sb));
		if (!sb || !g) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		memset(sb, 0, sizeof(*sb));
		sb->opts.no_tickets = -1;
	}
	if (!strcmp(kw, "ssl")) {
		sb->enabled = 1;
	} else if (!strcmp(kw, "strict-sni")) {
		sb->strict_sni = 1;
	} else if (!strcmp(kw, "crt") || !strcmp(kw, "crt-list")) {
		char ***arr = kw[3] ? &sb->crt_list : &sb->crt;
		int *n = kw[3] ? &sb->ncrt_list : &sb->ncrt;
		char **na;

		if (*i + 1 >= nargs) {
			px_strfmt(err, "'%s' expects a file name%s", kw, kw[3] ? "" : " or a directory");
			return -1;
		}
		na = px_gen_alloc(ctx->gen, sizeof(*na) * (*n + 1));
		if (!na) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		if (*n)
			memcpy(na, *arr, sizeof(*na) * *n);
		na[*n] = px_ssl_path(ctx, g->crt_base, args[++*i]);
		*arr = na;
		(*n)++;
	} else {
		r = px_ssl_opts_parse(&sb->opts, args, i, nargs, 'b', ctx, err);
		if (r <= 0) {
			if (r == 0 && !*sbp)
				return 0;   /* not ours; nothing allocated is kept */
			return r;
		}
	}
	*sbp = sb;
	return 1;
}

/* --- global keywords --------------------------------------------------------- */

static int kw_ssl_global(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_ssl_global *g = px_ssl_global(ctx);
	const char *kw = args[0];
	int i;

	if (!g) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (!strcmp(kw, "ssl-default-bind-options") || !strcmp(kw, "ssl-default-server-options")) {
		struct px_ssl_opts *o = kw[12] == 'b' ? &g->bind_opts : &g->srv_opts;

		for (i = 1; i < nargs; i++) {
			int r;

			if (kw[12] == 's' && (!strcmp(args[i], "ca-ignore-err") ||
			                      !strcmp(args[i], "crt-ignore-err") ||
			                      !strcmp(args[i], "prefer-client-ciphers"))) {
				px_strfmt(err, "'%s' is a bind option; it has no meaning for "
				          "servers", args[i]);
				return -1;
			}
			r = px_ssl_opts_parse(o, args, &i, nargs, kw[12], ctx, err);

			if (r < 0)
				return -1;
			if (!r) {
				px_strfmt(err, "unknown option '%s'", args[i]);
				return -1;
			}
		}
		return 0;
	}
	if (!strcmp(kw, "ssl-server-verify")) {
		if (nargs != 2 || (strcmp(args[1], "none") && strcmp(args[1], "required"))) {
			px_strfmt(err, "expects 'none' or 'required'");
			return -1;
		}
		g->srv_verify = args[1][0] == 'n' ? PX_SSL_VERIFY_NONE : PX_SSL_VERIFY_REQUIRED;
		return 0;
	}
	if (nargs != 2) {
		px_strfmt(err, "expects one value");
		return -1;
	}
	if (!strcmp(kw, "tune.ssl.lifetime")) {
		uint64_t ms;

		/* A bare number is seconds here, as in HAProxy. */
		if (args[1][strspn(args[1], "0123456789")] == 0 && args[1][0]) {
			uint64_t v;

			if (px_parse_uint(args[1], 0x7fffffff, &v) < 0) {
				px_strfmt(err, "invalid time '%s'", args[1]);
				return -1;
			}
			g->lifetime = v ? (uint32_t)v : 1;
			return 0;
		}
		if (px_parse_time(args[1], &ms, err) < 0)
			return -1;
		g->lifetime = ms < 1000 ? 1 : (uint32_t)(ms / 1000);
		return 0;
	}
	if (!strncmp(kw, "tune.ssl.", 9)) {
		uint64_t v;

		if (px_parse_uint(args[1], 0x7fffffff, &v) < 0) {
			px_strfmt(err, "invalid number '%s'", args[1]);
			return -1;
		}
		if (!strcmp(kw, "tune.ssl.cachesize"))
			g->cachesize = (uint32_t)v;
		else if (!strcmp(kw, "tune.ssl.maxrecord")) {
			if (v && (v < 512 || v > 16384)) {
				px_strfmt(err, "must be 0 or between 512 and 16384");
				return -1;
			}
			g->maxrecord = (uint32_t)v;
		}
		/* tune.ssl.default-dh-param: DHE parameters follow the key
		 * size automatically (and only DHE suites a user lists need
		 * them); the value is checked and accepted.
		 */
		return 0;
	}
	if (!strcmp(kw, "ssl-default-bind-ciphers"))
		g->bind_ciphers = px_gen_strdup(ctx->gen, args[1]);
	else if (!strcmp(kw, "ssl-default-bind-ciphersuites"))
		g->bind_ciphersuites = px_gen_strdup(ctx->gen, args[1]);
	else if (!strcmp(kw, "ssl-default-server-ciphers"))
		g->srv_ciphers = px_gen_strdup(ctx->gen, args[1]);
	else if (!strcmp(kw, "ssl-default-server-ciphersuites"))
		g->srv_ciphersuites = px_gen_strdup(ctx->gen, args[1]);
	else if (!strcmp(kw, "crt-base"))
		g->crt_base = px_gen_strdup(ctx->gen, args[1]);
	else if (!strcmp(kw, "ca-base"))
		g->ca_base = px_gen_strdup(ctx->gen, args[1]);
	return 0;
}

/* --- contexts ------------------------------------------------------------------ */

/* Settings every context gets, client or server side. */
int px_ssl_ctx_common(SSL_CTX *sctx, const struct px_ssl_opts *o, const char *def_ciphers,
                      const char *def_suites, int server_side, char **err)
{
	uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                SSL_OP_IGNORE_UNEXPECTED_EOF;

	if (server_side && !o->prefer_client)
		opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
	if (o->no_tickets > 0)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(sctx, opts);
	SSL_CTX_set_mode(sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (!SSL_CTX_set_min_proto_version(sctx, o->min_ver ? o->min_ver : TLS1_2_VERSION) ||
	    (o->max_ver && !SSL_CTX_set_max_proto_version(sctx, o->max_ver))) {
		px_ssl_errstr(err, "cannot set the TLS versions");
		return -1;
	}
	if (o->min_ver && o->max_ver && o->min_ver > o->max_ver) {
		px_strfmt(err, "ssl-min-ver is above ssl-max-ver");
		return -1;
	}
	/* TLS 1.0 and 1.1 sign with SHA-1, which OpenSSL's default security
	 * level refuses: asking for them explicitly lowers it.
	 */
	if (o->min_ver && o->min_ver < TLS1_2_VERSION)
		SSL_CTX_set_security_level(sctx, 0);
	if (!SSL_CTX_set_cipher_list(sctx, o->ciphers ? o->ciphers :
	                             def_ciphers ? def_ciphers : DEFAULT_CIPHERS)) {
		px_ssl_errstr(err, "invalid cipher list");
		return -1;
	}
	if (!SSL_CTX_set_ciphersuites(sctx, o->ciphersuites ? o->ciphersuites :
	                              def_suites ? def_suites : DEFAULT_SUITES)) {
		px_ssl_errstr(err, "invalid TLS 1.3 cipher suites");
		return -1;
	}
	if (o->ca_file) {
		if (!SSL_CTX_load_verify_locations(sctx, o->ca_file, NULL)) {
			px_ssl_errstr(err, "cannot load the CA file");
			px_strfmt(err, "ca-file '%s': %s", o->ca_file, *err);
			return -1;
		}
	}
	if (o->crl_file) {
		X509_STORE *st = SSL_CTX_get_cert_store(sctx);
		X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());

		if (!lu || X509_load_crl_file(lu, o->crl_file, X509_FILETYPE_PEM) <= 0) {
			px_ssl_errstr(err, "cannot load the CRL");
			px_strfmt(err, "crl-file '%s': %s", o->crl_file, *err);
			return -1;
		}
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
	return 0;
}

static void free_ctx(void *arg)
{
	SSL_CTX_free(arg);
}

/* Reads the certificate, its chain and its key from <file> (the key may be
 * in <file>.key instead) into <sctx>. Returns the leaf, or NULL with <err>.
 */
X509 *px_ssl_load_pem(SSL_CTX *sctx, const char *file, char **err)
{
	BIO *bio = BIO_new_file(file, "r");
	X509 *leaf = NULL, *ca;
	EVP_PKEY *key = NULL;
	char *kfile = NULL;

	if (!bio) {
		ERR_clear_error();
		px_strfmt(err, "cannot open certificate file '%s'", file);
		return NULL;
	}
	leaf = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	if (!leaf) {
		ERR_clear_error();
		px_strfmt(err, "no certificate found in '%s' (expected a PEM file with the "
		          "certificate, its chain and its private key)", file);
		goto fail;
	}
	if (!SSL_CTX_use_certificate(sctx, leaf)) {
		px_ssl_errstr(err, "certificate refused");
		goto fail;
	}
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (!SSL_CTX_add0_chain_cert(sctx, ca)) {
			X509_free(ca);
			px_ssl_errstr(err, "chain certificate refused");
			goto fail;
		}
	}
	ERR_clear_error();
	BIO_free(bio);
	bio = BIO_new_file(file, "r");
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!key) {
		size_t n = strlen(file) + 5;

		ERR_clear_error();
		BIO_free(bio);
		kfile = malloc(n);
		if (!kfile) {
			bio = NULL;
			px_strfmt(err, "out of memory");
			goto fail;
		}
		snprintf(kfile, n, "%s.key", file);
		bio = BIO_new_file(kfile, "r");
		key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		ERR_clear_error();
		if (!key) {
			px_strfmt(err, "no private key in '%s' nor in '%s'", file, kfile);
			goto fail;
		}
	}
	if (!SSL_CTX_use_PrivateKey(sctx, key) || !SSL_CTX_check_private_key(sctx)) {
		ERR_clear_error();
		px_strfmt(err, "the private key in '%s' does not match its certificate",
		          kfile ? kfile : file);
		goto fail;
	}
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(kfile);
	return leaf;
 fail:
	EVP_PKEY_free(key);
	X509_free(leaf);
	BIO_free(bio);
	free(kfile);
	return NULL;
}

/* Building state for one bind line. */
struct build {
	struct px_cfg_ctx *ctx;
	struct px_bind *b;
	struct px_ssl_bind *sb;
	const struct px_ssl_global *g;
	int nerr;
};

static int add_sni(struct build *bd, struct px_ssl_cert *cert, const char *name, size_t len,
                   int neg)
{
	struct px_ssl_bind *sb = bd->sb;
	struct px_ssl_sni *arr;
	char *n;
	size_t i;

	if (!len || len > 253)
		return 0;
	arr = realloc(sb->sni, sizeof(*arr) * (sb->nsni + 1));
	n = px_gen_alloc(bd->ctx->gen, len + 1);
	if (!arr || !n) {
		if (arr)
			sb->sni = arr;
		return -1;
	}
	sb->sni = arr;
	for (i = 0; i < len; i++)
		n[i] = (char)tolower((unsigned char)name[i]);
	n[len] = 0;
	arr[sb->nsni].name = n;
	arr[sb->nsni].cert = cert;
	arr[sb->nsni].neg = neg;
	sb->nsni++;
	return 0;
}

/* The names a certificate answers: its DNS subject alternative names and
 * its common name.
 */
static int add_cert_names(struct build *bd, struct px_ssl_cert *cert, X509 *leaf)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj = X509_get_subject_name(leaf);
	int i, r = 0;

	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS && r == 0)
			r = add_sni(bd, cert, (const char *)ASN1_STRING_get0_data(gn->d.dNSName),
			            (size_t)ASN1_STRING_length(gn->d.dNSName), 0);
	}
	GENERAL_NAMES_free(names);
	for (i = -1; r == 0 && (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));

		r = add_sni(bd, cert, (const char *)ASN1_STRING_get0_data(cn),
		            (size_t)ASN1_STRING_length(cn), 0);
	}
	return r;
}

/* Makes the context of one certificate file, with the bind line's
 * settings overridden by <entry> (crt-list options) when given.
 */
static struct px_ssl_cert *cert_new(struct build *bd, const char *file,
                                    const struct px_ssl_opts *entry, X509 **leafp)
{
	struct px_ssl_bind *sb = bd->sb;
	const struct px_ssl_global *g = bd->g;
	struct px_ssl_cert *cert = px_gen_alloc(bd->ctx->gen, sizeof(*cert));
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	char *err = NULL;
	X509 *leaf;

	if (!cert || !sctx || px_gen_on_free(bd->ctx->gen, free_ctx, sctx) < 0) {
		SSL_CTX_free(sctx);
		px_cfg_error(bd->ctx, "out of memory");
		return NULL;
	}
	memset(cert, 0, sizeof(*cert));
	cert->ctx = sctx;
	cert->http_only = bd->b->fe->mode == PX_MODE_HTTP;
	cert->file = px_gen_strdup(bd->ctx->gen, file);
	if (entry)
		cert->opts = *entry;
	else
		cert->opts.no_tickets = -1;
	px_ssl_opts_merge(&cert->opts, &sb->opts);
	if (g)
		px_ssl_opts_merge(&cert->opts, &g->bind_opts);
	if (cert->opts.verify >= PX_SSL_VERIFY_OPTIONAL && !cert->opts.ca_file) {
		px_cfg_error(bd->ctx, "'verify %s' needs a 'ca-file' to check client "
		             "certificates against", cert->opts.verify ==
		             PX_SSL_VERIFY_OPTIONAL ? "optional" : "required");
		return NULL;
	}
	/* Effective cipher strings, compared when SNI switches contexts. */
	if (!cert->opts.ciphers)
		cert->opts.ciphers = (char *)(g && g->bind_ciphers ? g->bind_ciphers :
		                              DEFAULT_CIPHERS);
	if (!cert->opts.ciphersuites)
		cert->opts.ciphersuites = (char *)(g && g->bind_ciphersuites ?
		                                   g->bind_ciphersuites : DEFAULT_SUITES);
	leaf = px_ssl_load_pem(sctx, file, &err);
	if (!leaf || px_ssl_ctx_common(sctx, &cert->opts, g ? g->bind_ciphers : NULL,
	                               g ? g->bind_ciphersuites : NULL, 1, &err) < 0) {
		px_cfg_error(bd->ctx, "%s", err);
		free(err);
		X509_free(leaf);
		return NULL;
	}
	if (px_ssl_server_ctx_setup(sctx, sb, cert, g) < 0) {
		X509_free(leaf);
		px_cfg_error(bd->ctx, "cannot set up the TLS context of '%s'", file);
		return NULL;
	}
	*leafp = leaf;
	return cert;
}

static int push_cert(struct build *bd, struct px_ssl_cert *cert)
{
	struct px_ssl_bind *sb = bd->sb;
	struct px_ssl_cert **arr = px_gen_alloc(bd->ctx->gen, sizeof(*arr) * (sb->ncerts + 1));

	if (!arr)
		return -1;
	if (sb->ncerts)
		memcpy(arr, sb->certs, sizeof(*arr) * sb->ncerts);
	arr[sb->ncerts++] = cert;
	sb->certs = arr;
	return 0;
}

static int load_one(struct build *bd, const char *file)
{
	X509 *leaf = NULL;
	struct px_ssl_cert *cert = cert_new(bd, file, NULL, &leaf);
	int r;

	if (!cert)
		return -1;
	r = push_cert(bd, cert) < 0 || add_cert_names(bd, cert, leaf) < 0 ? -1 : 0;
	X509_free(leaf);
	if (r < 0)
		px_cfg_error(bd->ctx, "out of memory");
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int skip_in_dir(const char *n)
{
	static const char *const ext[] = { ".key", ".ocsp", ".issuer", ".sctl" };
	size_t len = strlen(n), i;

	if (n[0] == '.')
		return 1;
	for (i = 0; i < PX_ARRAY_SIZE(ext); i++) {
		size_t el = strlen(ext[i]);

		if (len > el && !strcmp(n + len - el, ext[i]))
			return 1;
	}
	return 0;
}

/* crt DIR: every certificate file of the directory, in name order. */
static int load_dir(struct build *bd, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int r = 0;

	if (!d) {
		px_cfg_error(bd->ctx, "cannot open certificate directory '%s'", dir);
		return -1;
	}
	while ((de = readdir(d))) {
		char **nn;

		if (skip_in_dir(de->d_name))
			continue;
		nn = realloc(names, sizeof(*names) * (n + 1));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			r = -1;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (r == 0 && n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (r == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			r = load_one(bd, path);
		free(names[i]);
	}
	free(names);
	if (r == 0 && !n) {
		px_cfg_error(bd->ctx, "certificate directory '%s' is empty", dir);
		return -1;
	}
	return r;
}

static int load_crt(struct build *bd, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		px_cfg_error(bd->ctx, "cannot open certificate '%s' (no such file or directory)",
		             path);
		return -1;
	}
	return S_ISDIR(st.st_mode) ? load_dir(bd, path) : load_one(bd, path);
}

/* One line of a crt-list: FILE [[OPTIONS...]] [[!]FILTER...] */
static int crtlist_line(struct build *bd, char *line, const char *list, int lineno)
{
	struct px_cfg_ctx *ctx = bd->ctx;
	char *tok[64], *p = line, *save = NULL;
	struct px_ssl_opts o;
	struct px_ssl_cert *cert;
	int ntok = 0, i, in_opts = 0, first_filter = -1, r = 0, npos = 0;
	X509 *leaf = NULL;
	char *err = NULL;

	for (p = strtok_r(line, " \t", &save); p && ntok < 64; p = strtok_r(NULL, " \t", &save))
		tok[ntok++] = p;
	if (!ntok)
		return 0;
	memset(&o, 0, sizeof(o));
	o.no_tickets = -1;
	/* Options between brackets; split "[alpn" and "h2]" from them. */
	for (i = 1; i < ntok; i++) {
		char *t = tok[i];
		size_t len;
		int close_after = 0;

		if (!in_opts && t[0] == '[' && i == 1) {
			in_opts = 1;
			t++;
		}
		if (!in_opts) {
			first_filter = i;
			break;
		}
		len = strlen(t);
		if (len && t[len - 1] == ']') {
			t[len - 1] = 0;
			close_after = 1;
		}
		if (*t) {
			char *args[3] = { t, i + 1 < ntok ? tok[i + 1] : NULL, NULL };
			int j = 0, na = args[1] ? 2 : 1, rr;
			size_t vl = args[1] ? strlen(args[1]) : 0;
			int strip = args[1] && vl && args[1][vl - 1] == ']';

			if (strip)
				args[1][vl - 1] = 0;
			rr = px_ssl_opts_parse(&o, args, &j, na, 'b', ctx, &err);
			if (strip)
				args[1][vl - 1] = ']';
			if (rr <= 0) {
				if (rr < 0)
					px_cfg_error(ctx, "crt-list '%s' line %d: %s", list, lineno,
					             err);
				else
					px_cfg_error(ctx, "crt-list '%s' line %d: unknown option "
					             "'%s'", list, lineno, t);
				free(err);
				return -1;
			}
			if (j == 1) {
				i++;
				if (strip)
					close_after = 1;
			}
		}
		if (close_after)
			in_opts = 0;
	}
	if (in_opts) {
		px_cfg_error(ctx, "crt-list '%s' line %d: missing ']'", list, lineno);
		return -1;
	}
	{
		char *path = px_ssl_path(ctx, bd->g ? bd->g->crt_base : NULL, tok[0]);

		cert = path ? cert_new(bd, path, &o, &leaf) : NULL;
	}
	if (!cert)
		return -1;
	if (push_cert(bd, cert) < 0)
		r = -1;
	for (i = first_filter; r == 0 && i > 0 && i < ntok; i++) {
		int neg = tok[i][0] == '!';

		npos += !neg;
		r = add_sni(bd, cert, tok[i] + neg, strlen(tok[i] + neg), neg);
	}
	/* Filters replace the certificate's own names; negative ones only
	 * exclude.
	 */
	if (r == 0 && !npos)
		r = add_cert_names(bd, cert, leaf);
	X509_free(leaf);
	if (r < 0)
		px_cfg_error(ctx, "out of memory");
	return r;
}

static int load_crtlist(struct build *bd, const char *list)
{
	FILE *f;
	char line[4096], *err = NULL;
	int lineno = 0, r = 0, n = 0;

	f = px_open_regular(list, "crt-list", &err);
	if (!f) {
		px_cfg_error(bd->ctx, "%s", err);
		free(err);
		return -1;
	}
	while (r == 0 && fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (!*p || *p == '#')
			continue;
		r = crtlist_line(bd, p, list, lineno);
		n++;
	}
	fclose(f);
	if (r == 0 && !n) {
		px_cfg_error(bd->ctx, "crt-list '%s' lists no certificate", list);
		return -1;
	}
	return r;
}

static int cmp_sni(const void *a, const void *b)
{
	const struct px_ssl_sni *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* Exclusions first, so a lookup sees them; then declaration order. */
	if (c)
		return c;
	if (x->neg != y->neg)
		return y->neg - x->neg;
	return x < y ? -1 : x > y;
}

static void free_sni(void *arg)
{
	free(arg);
}

/* The first name of an ALPN list (wire format) that is not HTTP/1.x. */
const char *px_ssl_alpn_other(const unsigned char *w, uint32_t len, char *buf, size_t size)
{
	const unsigned char *p = w, *end = w + len;

	for (; p < end && p + 1 + *p <= end; p += 1 + *p) {
		if (px_ssl_alpn_is_http1(p))
			continue;
		snprintf(buf, size, "%.*s", (int)*p, (const char *)p + 1);
		return buf;
	}
	return NULL;
}

/* Names of the bind and server options, for suggestions on typos. */
const char *const px_ssl_bind_kw_names[] = {
	"ssl", "crt", "crt-list", "strict-sni", "ca-file", "crl-file", "ciphers",
	"ciphersuites", "alpn", "verify", "ssl-min-ver", "ssl-max-ver", "ca-ignore-err",
	"crt-ignore-err", "no-tls-tickets", "tls-tickets", "prefer-client-ciphers",
	"no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "force-tlsv10",
	"force-tlsv11", "force-tlsv12", "force-tlsv13", NULL
};

static void build_bind(struct build *bd)
{
	struct px_ssl_bind *sb = bd->sb;
	char name[256];
	int k;

	for (k = 0; k < sb->ncrt; k++)
		if (load_crt(bd, sb->crt[k]) < 0)
			bd->nerr++;
	for (k = 0; k < sb->ncrt_list; k++)
		if (load_crtlist(bd, sb->crt_list[k]) < 0)
			bd->nerr++;
	for (k = 0; k < sb->ncerts && bd->b->fe->mode == PX_MODE_HTTP; k++) {
		const struct px_ssl_opts *o = &sb->certs[k]->opts;

		if (o->alpn && px_ssl_alpn_other(o->alpn, o->alpn_len, name, sizeof(name))) {
			px_cfg_warn(bd->ctx, "alpn: '%s' is never selected: proxyd speaks HTTP/1.1 "
			            "to clients of an HTTP frontend", name);
			break;
		}
	}
	if (!bd->nerr && !sb->ncerts) {
		px_cfg_error(bd->ctx, "'ssl' needs a certificate: add 'crt FILE' (a PEM file "
		             "with the certificate, its chain and its key) or 'crt-list FILE'");
		bd->nerr++;
	}
	if (sb->sni) {
		/* The SNI table (malloc'd while it grew) dies with the generation. */
		if (px_gen_on_free(bd->ctx->gen, free_sni, sb->sni) < 0)
			bd->nerr++;
		qsort(sb->sni, sb->nsni, sizeof(*sb->sni), cmp_sni);
	}
}

int px_ssl_finalize(struct px_cfg_ctx *ctx)
{
	const char *file = ctx->file;
	int line = ctx->line, nerr = 0;
	struct px_list *e;

	px_list_for_each(e, &ctx->gen->binds) {
		struct px_bind *b = px_container_of(e, struct px_bind, gen_link);
		struct build bd = { ctx, b, b->ssl, ctx->gen->global.ssl, 0 };

		if (!b->ssl)
			continue;
		ctx->file = b->file;
		ctx->line = b->line;
		if (!b->ssl->enabled) {
			px_cfg_warn(ctx, "TLS options without 'ssl' are ignored: the listener "
			            "on '%s' speaks clear TCP", b->addr_str);
			b->ssl = NULL;
			continue;
		}
		/* Address lists share one configuration: build it once. */
		if (!b->ssl->ncerts && !b->ssl->certs)
			build_bind(&bd);
		nerr += bd.nerr;
	}
	ctx->file = file;
	ctx->line = line;
	return nerr;
}

static const struct px_cfg_kw ssl_kws[] = {
	{ .name = "ssl-default-bind-ciphers", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "ssl-default-bind-ciphersuites", .sections = PX_SEC_GLOBAL,
	  .parse = kw_ssl_global },
	{ .name = "ssl-default-bind-options", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "ssl-default-server-ciphers", .sections = PX_SEC_GLOBAL,
	  .parse = kw_ssl_global },
	{ .name = "ssl-default-server-ciphersuites", .sections = PX_SEC_GLOBAL,
	  .parse = kw_ssl_global },
	{ .name = "ssl-default-server-options", .sections = PX_SEC_GLOBAL,
	  .parse = kw_ssl_global },
	{ .name = "ssl-server-verify", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "crt-base", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "ca-base", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "tune.ssl.cachesize", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "tune.ssl.lifetime", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "tune.ssl.maxrecord", .sections = PX_SEC_GLOBAL, .parse = kw_ssl_global },
	{ .name = "tune.ssl.default-dh-param", .sections = PX_SEC_GLOBAL,
	  .parse = kw_ssl_global },
	{ 0 }
};

static struct px_cfg_kw_list ssl_kw_list = { .kws = ssl_kws };

__attribute__((constructor)) static void ssl_register(void)
{
	px_cfg_register(&ssl_kw_list);
}
