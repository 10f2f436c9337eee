/* Sample fetches about TLS: the client connection (ssl_fc_*), the client
 * certificate (ssl_c_*), the frontend's own certificate (ssl_f_*) and the
 * server connection (ssl_bc_*). Names, types and formats are HAProxy's
 * (ssl_fc_session_reused is proxyd's name for HAProxy's ssl_fc_is_resumed;
 * both work); distinguished names print as "/C=FR/ST=.../CN=client1".
 */
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "backend/srvconn-t.h"
#include "core/util.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "rules/sample.h"
#include "ssl/ssl.h"
#include "ssl/sslsock.h"

#define S   PX_SMP_STR
#define I   PX_SMP_SINT
#define B   PX_SMP_BOOL
#define BIN PX_SMP_BIN
#define ANY PX_USE_ANY

static SSL *fc_ssl(const struct px_smp_ctx *ctx)
{
	return ctx->sess ? ctx->sess->cli.ssl : NULL;
}

static SSL *bc_ssl(const struct px_smp_ctx *ctx)
{
	return ctx->s && ctx->s->sc ? ctx->s->sc->conn.ssl : NULL;
}

static int set_str(struct px_smp *smp, const char *p, size_t len)
{
	smp->type = PX_SMP_STR;
	smp->flags = PX_SMPF_CONST;
	smp->u.str.p = (char *)p;
	smp->u.str.len = (uint32_t)len;
	return 1;
}

static int set_cstr(struct px_smp *smp, const char *p)
{
	return p ? set_str(smp, p, strlen(p)) : 0;
}

static int set_int(struct px_smp *smp, int type, int64_t v)
{
	smp->type = (uint8_t)type;
	smp->flags = 0;
	smp->u.sint = v;
	return 1;
}

/* Copies <len> bytes into scratch space as a sample of <type>. */
static int set_copy(struct px_smp *smp, int type, const void *p, size_t len)
{
	uint32_t size;
	char *t = px_trash(&size);

	if (len > size)
		return 0;
	memcpy(t, p, len);
	smp->type = (uint8_t)type;
	smp->flags = 0;
	smp->u.str.p = t;
	smp->u.str.len = (uint32_t)len;
	return 1;
}

/* --- connection ------------------------------------------------------------- */

static int f_ssl_fc(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return set_int(smp, B, fc_ssl(ctx) != NULL);
}

static int f_ssl_bc(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return set_int(smp, B, bc_ssl(ctx) != NULL);
}

/* a[4] (hidden) says which side: 0 front, 1 back. */
static SSL *side_ssl(const struct px_arg *a, const struct px_smp_ctx *ctx, int back)
{
	return back ? bc_ssl(ctx) : fc_ssl(ctx);
}

#define SIDE_FETCH(name, back, body)                                                   \
	static int name(const struct px_arg *a, struct px_smp *smp,                     \
	                struct px_smp_ctx *ctx)                                         \
	{                                                                               \
		SSL *ssl = side_ssl(a, ctx, back);                                      \
		if (!ssl)                                                               \
			return 0;                                                       \
		body                                                                    \
	}

SIDE_FETCH(f_fc_protocol, 0, return set_cstr(smp, SSL_get_version(ssl));)
SIDE_FETCH(f_bc_protocol, 1, return set_cstr(smp, SSL_get_version(ssl));)
SIDE_FETCH(f_fc_cipher, 0, return set_cstr(smp, SSL_get_cipher_name(ssl));)
SIDE_FETCH(f_bc_cipher, 1, return set_cstr(smp, SSL_get_cipher_name(ssl));)
/* As HAProxy: false (not absent) on a clear connection. */
static int f_fc_reused(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	SSL *ssl = fc_ssl(ctx);

	return set_int(smp, B, ssl && SSL_session_reused(ssl));
}

static int f_bc_reused(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	SSL *ssl = bc_ssl(ctx);

	return set_int(smp, B, ssl && SSL_session_reused(ssl));
}
SIDE_FETCH(f_fc_sni, 0, return set_cstr(smp, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));)
SIDE_FETCH(f_fc_has_sni, 0,
           return set_int(smp, B, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) != NULL);)
SIDE_FETCH(f_fc_use_keysize, 0,
           return set_int(smp, I, SSL_CIPHER_get_bits(SSL_get_current_cipher(ssl), NULL));)
SIDE_FETCH(f_bc_use_keysize, 1,
           return set_int(smp, I, SSL_CIPHER_get_bits(SSL_get_current_cipher(ssl), NULL));)

static int alg_keysize(SSL *ssl, struct px_smp *smp)
{
	int bits = 0;

	if (!SSL_get_current_cipher(ssl))
		return 0;
	SSL_CIPHER_get_bits(SSL_get_current_cipher(ssl), &bits);
	return set_int(smp, I, bits);
}
SIDE_FETCH(f_fc_alg_keysize, 0, return alg_keysize(ssl, smp);)

static int alpn(SSL *ssl, struct px_smp *smp)
{
	const unsigned char *p = NULL;
	unsigned int len = 0;

	SSL_get0_alpn_selected(ssl, &p, &len);
	return p && len ? set_str(smp, (const char *)p, len) : 0;
}
SIDE_FETCH(f_fc_alpn, 0, return alpn(ssl, smp);)
SIDE_FETCH(f_bc_alpn, 1, return alpn(ssl, smp);)

static int session_id(SSL *ssl, struct px_smp *smp)
{
	const SSL_SESSION *ss = SSL_get_session(ssl);
	const unsigned char *id;
	unsigned int len = 0;

	if (!ss)
		return 0;
	id = SSL_SESSION_get_id(ss, &len);
	return len ? set_copy(smp, BIN, id, len) : 0;
}
SIDE_FETCH(f_fc_session_id, 0, return session_id(ssl, smp);)
SIDE_FETCH(f_bc_session_id, 1, return session_id(ssl, smp);)

/* --- verification ------------------------------------------------------------- */

SIDE_FETCH(f_c_used, 0, return set_int(smp, B, SSL_get0_peer_certificate(ssl) != NULL);)
SIDE_FETCH(f_fc_has_crt, 0,
           return set_int(smp, B, !SSL_session_reused(ssl) &&
                                  SSL_get0_peer_certificate(ssl) != NULL);)
SIDE_FETCH(f_c_verify, 0, return set_int(smp, I, SSL_get_verify_result(ssl));)

static int f_c_err(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return fc_ssl(ctx) ? set_int(smp, I, ctx->sess->cli.ssl_crt_err) : 0;
}

static int f_c_ca_err(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return fc_ssl(ctx) ? set_int(smp, I, ctx->sess->cli.ssl_ca_err) : 0;
}

static int f_c_ca_err_depth(const struct px_arg *a, struct px_smp *smp,
                            struct px_smp_ctx *ctx)
{
	return fc_ssl(ctx) ? set_int(smp, I, ctx->sess->cli.ssl_ca_depth) : 0;
}

/* HAProxy's fc_err and fc_err_str: a request only exists once its
 * connection succeeded, so they say 0 (and nothing) there; connection-level
 * uses see the handshake's error.
 */
static int f_fc_err(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return ctx->sess ? set_int(smp, I, px_ssl_fail_id(ctx->sess->cli.ssl_fail)) : 0;
}

static int f_fc_err_str(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (!ctx->sess || !ctx->sess->cli.ssl_fail)
		return 0;
	return set_cstr(smp, px_ssl_fail_str(ctx->sess->cli.ssl_fail));
}

static int f_ssl_fc_err(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return fc_ssl(ctx) ? set_int(smp, I, ERR_GET_REASON(ctx->sess->cli.ssl_err)) : 0;
}

/* --- certificates ------------------------------------------------------------- */

/* Which certificate a fetch reads: the client's or the frontend's own. */
static X509 *cert_of(struct px_smp_ctx *ctx, int own)
{
	SSL *ssl = fc_ssl(ctx);

	if (!ssl)
		return NULL;
	return own ? SSL_get_certificate(ssl) : SSL_get0_peer_certificate(ssl);
}

/* Appends the DN <name> in the "/C=FR/O=x/CN=y" form to <out>. */
static size_t dn_oneline(const X509_NAME *name, char *out, size_t size)
{
	size_t o = 0;
	int i, n = X509_NAME_entry_count(name);

	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(ne);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
		char oid[80];
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		size_t sl, vl = (size_t)ASN1_STRING_length(v);

		if (!sn) {
			OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(ne), 1);
			sn = oid;
		}
		sl = strlen(sn);
		if (o + sl + vl + 2 > size)
			return (size_t)-1;
		out[o++] = '/';
		memcpy(out + o, sn, sl);
		o += sl;
		out[o++] = '=';
		memcpy(out + o, ASN1_STRING_get0_data(v), vl);
		o += vl;
	}
	return o;
}

/* Value of the <occ>th entry named <entry> (from the end when negative). */
static int dn_entry(const X509_NAME *name, const char *entry, int64_t occ,
                    struct px_smp *smp)
{
	int i, n = X509_NAME_entry_count(name), step = occ < 0 ? -1 : 1, seen = 0;
	int64_t want = occ < 0 ? -occ : occ ? occ : 1;

	for (i = step > 0 ? 0 : n - 1; i >= 0 && i < n; i += step) {
		const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
		char oid[80];
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		const ASN1_STRING *v;

		if (!sn) {
			OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(ne), 1);
			sn = oid;
		}
		if (strcasecmp(sn, entry) && (nid == NID_undef || strcasecmp(OBJ_nid2ln(nid), entry)))
			continue;
		if (++seen < want)
			continue;
		v = X509_NAME_ENTRY_get_data(ne);
		return set_copy(smp, S, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	}
	return 0;
}

static int dn_rfc2253(const X509_NAME *name, struct px_smp *smp)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long len;
	int r = 0;

	if (!bio)
		return 0;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		len = BIO_get_mem_data(bio, &p);
		r = len >= 0 && set_copy(smp, S, p, (size_t)len);
	}
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static int dn_fetch(const struct px_arg *a, struct px_smp *smp, X509 *crt, int issuer)
{
	const X509_NAME *name;
	uint32_t size;
	char *t;
	size_t n;

	if (!crt)
		return 0;
	name = issuer ? X509_get_issuer_name(crt) : X509_get_subject_name(crt);
	if (a[2].type == PX_ARG_STR && a[2].u.str.len)
		return (a[0].type == PX_ARG_STR && a[0].u.str.len) ?
		       dn_entry(name, a[0].u.str.p, a[1].type == PX_ARG_SINT ? a[1].u.sint : 0,
		                smp) : dn_rfc2253(name, smp);
	if (a[0].type == PX_ARG_STR && a[0].u.str.len)
		return dn_entry(name, a[0].u.str.p, a[1].type == PX_ARG_SINT ? a[1].u.sint : 0,
		                smp);
	t = px_trash(&size);
	n = dn_oneline(name, t, size);
	if (n == (size_t)-1)
		return 0;
	smp->type = S;
	smp->flags = 0;
	smp->u.str.p = t;
	smp->u.str.len = (uint32_t)n;
	return 1;
}

static int chk_dn(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	if (n >= 3 && a[2].u.str.len && strcmp(a[2].u.str.p, "rfc2253")) {
		px_strfmt(err, "unknown DN format '%s' (only 'rfc2253' is supported)",
		          a[2].u.str.p);
		return -1;
	}
	return 0;
}

/* YYMMDDhhmmss[Z], as HAProxy prints ASN.1 times (GeneralizedTime loses
 * its century, and only 20xx years are printed).
 */
static int time_fetch(const ASN1_TIME *tm, struct px_smp *smp)
{
	const unsigned char *d;
	int len;

	if (!tm)
		return 0;
	d = ASN1_STRING_get0_data(tm);
	len = ASN1_STRING_length(tm);
	if (ASN1_STRING_type(tm) == V_ASN1_GENERALIZEDTIME) {
		if (len < 14 || d[0] != '2' || d[1] != '0')
			return 0;
		d += 2;
		len -= 2;
	}
	return set_copy(smp, S, d, (size_t)len);
}

static int serial_fetch(X509 *crt, struct px_smp *smp)
{
	const ASN1_INTEGER *ser = crt ? X509_get0_serialNumber(crt) : NULL;
	unsigned char buf[80], *p = buf;
	int len;

	if (!ser || i2d_ASN1_INTEGER(ser, NULL) > (int)sizeof(buf))
		return 0;
	len = i2d_ASN1_INTEGER(ser, &p);
	/* Skip the tag and the (short form) length: the content bytes. */
	if (len < 3 || buf[1] & 0x80)
		return 0;
	return set_copy(smp, BIN, buf + 2, (size_t)len - 2);
}

static int sha1_fetch(X509 *crt, struct px_smp *smp)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!crt || !X509_digest(crt, EVP_sha1(), md, &len))
		return 0;
	return set_copy(smp, BIN, md, len);
}

static int der_fetch(X509 *crt, struct px_smp *smp)
{
	uint32_t size;
	unsigned char *t = (unsigned char *)px_trash(&size), *p = t;
	int len = crt ? i2d_X509(crt, NULL) : -1;

	if (len <= 0 || (uint32_t)len > size)
		return 0;
	i2d_X509(crt, &p);
	smp->type = BIN;
	smp->flags = 0;
	smp->u.str.p = (char *)t;
	smp->u.str.len = (uint32_t)len;
	return 1;
}

static int key_alg_fetch(X509 *crt, struct px_smp *smp)
{
	ASN1_OBJECT *alg = NULL;

	if (!crt || !X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, X509_get_X509_PUBKEY(crt)))
		return 0;
	return set_cstr(smp, OBJ_nid2sn(OBJ_obj2nid(alg)));
}

static int sig_alg_fetch(X509 *crt, struct px_smp *smp)
{
	const X509_ALGOR *alg = crt ? X509_get0_tbs_sigalg(crt) : NULL;
	const ASN1_OBJECT *obj = NULL;

	if (!alg)
		return 0;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	return set_cstr(smp, OBJ_nid2sn(OBJ_obj2nid(obj)));
}

#define CERT_FETCHES(pfx, own)                                                            \
	static int pfx##_s_dn(const struct px_arg *a, struct px_smp *smp,                 \
	                      struct px_smp_ctx *ctx)                                     \
	{ return dn_fetch(a, smp, cert_of(ctx, own), 0); }                                \
	static int pfx##_i_dn(const struct px_arg *a, struct px_smp *smp,                 \
	                      struct px_smp_ctx *ctx)                                     \
	{ return dn_fetch(a, smp, cert_of(ctx, own), 1); }                                \
	static int pfx##_notbefore(const struct px_arg *a, struct px_smp *smp,            \
	                           struct px_smp_ctx *ctx)                                \
	{ X509 *c = cert_of(ctx, own); return c && time_fetch(X509_get0_notBefore(c), smp); } \
	static int pfx##_notafter(const struct px_arg *a, struct px_smp *smp,             \
	                          struct px_smp_ctx *ctx)                                 \
	{ X509 *c = cert_of(ctx, own); return c && time_fetch(X509_get0_notAfter(c), smp); } \
	static int pfx##_serial(const struct px_arg *a, struct px_smp *smp,               \
	                        struct px_smp_ctx *ctx)                                   \
	{ return serial_fetch(cert_of(ctx, own), smp); }                                  \
	static int pfx##_sha1(const struct px_arg *a, struct px_smp *smp,                 \
	                      struct px_smp_ctx *ctx)                                     \
	{ return sha1_fetch(cert_of(ctx, own), smp); }                                    \
	static int pfx##_der(const struct px_arg *a, struct px_smp *smp,                  \
	                     struct px_smp_ctx *ctx)                                      \
	{ return der_fetch(cert_of(ctx, own), smp); }                                     \
	static int pfx##_version(const struct px_arg *a, struct px_smp *smp,              \
	                         struct px_smp_ctx *ctx)                                  \
	{ X509 *c = cert_of(ctx, own); return c && set_int(smp, I, X509_get_version(c) + 1); } \
	static int pfx##_key_alg(const struct px_arg *a, struct px_smp *smp,              \
	                         struct px_smp_ctx *ctx)                                  \
	{ return key_alg_fetch(cert_of(ctx, own), smp); }                                 \
	static int pfx##_sig_alg(const struct px_arg *a, struct px_smp *smp,              \
	                         struct px_smp_ctx *ctx)                                  \
	{ return sig_alg_fetch(cert_of(ctx, own), smp); }

CERT_FETCHES(f_c, 0)
CERT_FETCHES(f_f, 1)

#define CERT_KWS(pfx, fn)                                                           \
	{ pfx "_s_dn",      fn##_s_dn,      "?sis", chk_dn, S, ANY },               \
	{ pfx "_i_dn",      fn##_i_dn,      "?sis", chk_dn, S, ANY },               \
	{ pfx "_notbefore", fn##_notbefore, "",     NULL,   S, ANY },               \
	{ pfx "_notafter",  fn##_notafter,  "",     NULL,   S, ANY },               \
	{ pfx "_serial",    fn##_serial,    "",     NULL,   BIN, ANY },             \
	{ pfx "_sha1",      fn##_sha1,      "",     NULL,   BIN, ANY },             \
	{ pfx "_der",       fn##_der,       "",     NULL,   BIN, ANY },             \
	{ pfx "_version",   fn##_version,   "",     NULL,   I, ANY },               \
	{ pfx "_key_alg",   fn##_key_alg,   "",     NULL,   S, ANY },               \
	{ pfx "_sig_alg",   fn##_sig_alg,   "",     NULL,   S, ANY }

static const struct px_fetch_kw ssl_fetch_kws[] = {
	{ "ssl_fc",                f_ssl_fc,          "", NULL, B, ANY },
	{ "ssl_fc_protocol",       f_fc_protocol,     "", NULL, S, ANY },
	{ "ssl_fc_cipher",         f_fc_cipher,       "", NULL, S, ANY },
	{ "ssl_fc_sni",            f_fc_sni,          "", NULL, S, ANY },
	{ "ssl_fc_has_sni",        f_fc_has_sni,      "", NULL, B, ANY },
	{ "ssl_fc_alpn",           f_fc_alpn,         "", NULL, S, ANY },
	{ "ssl_fc_session_reused", f_fc_reused,       "", NULL, B, ANY },
	{ "ssl_fc_is_resumed",     f_fc_reused,       "", NULL, B, ANY },
	{ "ssl_fc_session_id",     f_fc_session_id,   "", NULL, BIN, ANY },
	{ "ssl_fc_use_keysize",    f_fc_use_keysize,  "", NULL, I, ANY },
	{ "ssl_fc_alg_keysize",    f_fc_alg_keysize,  "", NULL, I, ANY },
	{ "ssl_fc_has_crt",        f_fc_has_crt,      "", NULL, B, ANY },
	{ "ssl_fc_err",            f_ssl_fc_err,      "", NULL, I, ANY },
	{ "fc_err",                f_fc_err,          "", NULL, I, ANY },
	{ "fc_err_str",            f_fc_err_str,      "", NULL, S, ANY },
	{ "ssl_c_used",            f_c_used,          "", NULL, B, ANY },
	{ "ssl_c_verify",          f_c_verify,        "", NULL, I, ANY },
	{ "ssl_c_err",             f_c_err,           "", NULL, I, ANY },
	{ "ssl_c_ca_err",          f_c_ca_err,        "", NULL, I, ANY },
	{ "ssl_c_ca_err_depth",    f_c_ca_err_depth,  "", NULL, I, ANY },
	CERT_KWS("ssl_c", f_c),
	CERT_KWS("ssl_f", f_f),
	{ "ssl_bc",                f_ssl_bc,          "", NULL, B, ANY },
	{ "ssl_bc_protocol",       f_bc_protocol,     "", NULL, S, ANY },
	{ "ssl_bc_cipher",         f_bc_cipher,       "", NULL, S, ANY },
	{ "ssl_bc_alpn",           f_bc_alpn,         "", NULL, S, ANY },
	{ "ssl_bc_session_reused", f_bc_reused,       "", NULL, B, ANY },
	{ "ssl_bc_is_resumed",     f_bc_reused,       "", NULL, B, ANY },
	{ "ssl_bc_session_id",     f_bc_session_id,   "", NULL, BIN, ANY },
	{ "ssl_bc_use_keysize",    f_bc_use_keysize,  "", NULL, I, ANY },
	{ 0 }
};

static struct px_fetch_kw_list ssl_fetch_list = { .kws = ssl_fetch_kws };

__attribute__((constructor)) static void ssl_fetch_register(void)
{
	px_smp_register_fetches(&ssl_fetch_list);
}
