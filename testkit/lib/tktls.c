/* tktls.c: the OpenSSL helpers both testkit tools need.
 *
 * Owns: protocol version names as scenarios write them ("TLSv1.0" ...
 * "TLSv1.3") and the context settings that make old versions really
 * usable (security level 0), ALPN lists ("h2,http/1.1") to and from wire
 * format, the text of OpenSSL's error queue for failure messages, and DNs
 * in the one-line form HAProxy prints (/C=FR/ST=.../CN=...). It does not
 * create connections: fakesrv's tls.c and pxtest's tls.c do.
 */
#include <ctype.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "tkstr.h"
#include "tktls.h"

static const struct {
	const char *name;
	int version;
} versions[] = {
	{ .name = "TLSv1.0", .version = TLS1_VERSION },
	{ .name = "TLSv1", .version = TLS1_VERSION },
	{ .name = "TLSv1.1", .version = TLS1_1_VERSION },
	{ .name = "TLSv1.2", .version = TLS1_2_VERSION },
	{ .name = "TLSv1.3", .version = TLS1_3_VERSION },
};

/* Returns the protocol version named name (TLS1_2_VERSION...), or -1. */
int tk_tls_version(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(versions[i].name, name) == 0)
			return versions[i].version;
	return -1;
}

/* Returns the name scenarios use for a protocol version: "TLSv1.0" where
 * OpenSSL says "TLSv1".
 */
const char *tk_tls_version_name(int version)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i].version == version)
			return versions[i].name;
	return "unknown";
}

/* Limits ctx to versions min..max (0: no limit on that side). Below TLS 1.2
 * OpenSSL 3 refuses SHA-1 signatures and old ciphers at its default
 * security level, so a context allowing TLS 1.0 or 1.1 drops to level 0:
 * a peer that asks for them really gets them. Returns 0 or -1.
 */
int tk_tls_set_versions(SSL_CTX *ctx, int min, int max)
{
	if (min && !SSL_CTX_set_min_proto_version(ctx, min))
		return -1;
	if (max && !SSL_CTX_set_max_proto_version(ctx, max))
		return -1;
	if ((min && min < TLS1_2_VERSION) || (max && max < TLS1_2_VERSION)) {
		SSL_CTX_set_security_level(ctx, 0);
		if (!SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"))
			return -1;
	}
	return 0;
}

/* Turns "h2,http/1.1" into ALPN wire format (length-prefixed names) in
 * wire. Returns 0, or -1 when a name is empty or longer than 255 bytes.
 */
int tk_tls_alpn_wire(const char *list, struct tk_buf *wire)
{
	const char *p = list;

	tk_buf_reset(wire);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!n || n > 255)
			return -1;
		tk_buf_addc(wire, (char)n);
		tk_buf_add(wire, p, n);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Writes the ALPN wire list as "h2,http/1.1" into dst (truncated to fit;
 * "" for an empty list). Bytes that are not printable become '?'.
 */
void tk_tls_alpn_text(const unsigned char *wire, size_t n, char *dst, size_t size)
{
	size_t i = 0, o = 0;

	if (!size)
		return;
	while (i < n) {
		size_t len = wire[i++];

		if (o && o + 1 < size)
			dst[o++] = ',';
		while (len-- && i < n) {
			unsigned char ch = wire[i++];

			if (o + 1 < size)
				dst[o++] = isgraph(ch) && ch != ',' ? (char)ch : '?';
		}
	}
	dst[o] = '\0';
}

/* Drains OpenSSL's error queue (of this thread) into out as the reasons
 * OpenSSL gives, "; "-separated, each once: "tlsv13 alert certificate
 * required" rather than the whole "error:0A00045C:SSL routines::..." line.
 */
void tk_tls_errors(struct tk_buf *out)
{
	size_t start = out->len;
	unsigned long e;

	while ((e = ERR_get_error())) {
		const char *r = ERR_reason_error_string(e);
		char code[32];

		if (!r) {
			snprintf(code, sizeof(code), "error %08lx", e);
			r = code;
		}
		/* The same reason comes once per layer it went through. */
		if (out->len > start &&
		    memmem(out->data + start, out->len - start, r, strlen(r)))
			continue;
		if (out->len > start)
			tk_buf_adds(out, "; ");
		tk_buf_adds(out, r);
	}
}

/* Returns the name of a TLS alert description (RFC 8446 section 6),
 * including those OpenSSL 3.0 calls "unknown" (certificate required...).
 */
const char *tk_tls_alert_name(int desc)
{
	static const struct {
		int code;
		const char *name;
	} alerts[] = {
		{ .code = 0, .name = "close notify" },
		{ .code = 10, .name = "unexpected message" },
		{ .code = 20, .name = "bad record mac" },
		{ .code = 22, .name = "record overflow" },
		{ .code = 40, .name = "handshake failure" },
		{ .code = 42, .name = "bad certificate" },
		{ .code = 43, .name = "unsupported certificate" },
		{ .code = 44, .name = "certificate revoked" },
		{ .code = 45, .name = "certificate expired" },
		{ .code = 46, .name = "certificate unknown" },
		{ .code = 47, .name = "illegal parameter" },
		{ .code = 48, .name = "unknown CA" },
		{ .code = 49, .name = "access denied" },
		{ .code = 50, .name = "decode error" },
		{ .code = 51, .name = "decrypt error" },
		{ .code = 70, .name = "protocol version" },
		{ .code = 71, .name = "insufficient security" },
		{ .code = 80, .name = "internal error" },
		{ .code = 86, .name = "inappropriate fallback" },
		{ .code = 90, .name = "user canceled" },
		{ .code = 109, .name = "missing extension" },
		{ .code = 110, .name = "unsupported extension" },
		{ .code = 112, .name = "unrecognized name" },
		{ .code = 113, .name = "bad certificate status response" },
		{ .code = 115, .name = "unknown PSK identity" },
		{ .code = 116, .name = "certificate required" },
		{ .code = 120, .name = "no application protocol" },
	};
	size_t i;

	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == desc)
			return alerts[i].name;
	return "unknown";
}

/* Writes name as HAProxy's ssl_c_s_dn and OpenSSL's one-line form print it:
 * "/C=FR/ST=Ile de France/.../CN=client1/emailAddress=...".
 */
void tk_tls_dn(X509_NAME *name, char *dst, size_t size)
{
	if (!size)
		return;
	dst[0] = '\0';
	if (name)
		X509_NAME_oneline(name, dst, (int)size);
}

/* Writes the last CN of name into dst ("" when there is none). */
void tk_tls_cn(X509_NAME *name, char *dst, size_t size)
{
	int i = -1, last = -1;

	if (!size)
		return;
	dst[0] = '\0';
	while (name && (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0)
		last = i;
	if (last >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
		int n = ASN1_STRING_length(s);

		if ((size_t)n >= size)
			n = (int)size - 1;
		memcpy(dst, ASN1_STRING_get0_data(s), (size_t)n);
		dst[n] = '\0';
	}
}

/* Appends s as one blank-free word: "-" when empty, blanks, control and
 * non-ASCII bytes as \xHH (so record lines stay one line of words).
 */
void tk_tls_word(struct tk_buf *out, const char *s)
{
	if (!s || !*s) {
		tk_buf_addc(out, '-');
		return;
	}
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isgraph(ch) && ch != '\\')
			tk_buf_addc(out, (char)ch);
		else
			tk_buf_printf(out, "\\x%02x", ch);
	}
}
