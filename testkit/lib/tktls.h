/* tktls.h: OpenSSL helpers shared by fakesrv and pxtest (see tktls.c). */
#ifndef TK_TKTLS_H
#define TK_TKTLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include "tkstr-t.h"

int tk_tls_version(const char *name);
const char *tk_tls_version_name(int version);
int tk_tls_set_versions(SSL_CTX *ctx, int min, int max);
int tk_tls_alpn_wire(const char *list, struct tk_buf *wire);
void tk_tls_alpn_text(const unsigned char *wire, size_t n, char *dst, size_t size);
void tk_tls_errors(struct tk_buf *out);
const char *tk_tls_alert_name(int desc);
void tk_tls_dn(X509_NAME *name, char *dst, size_t size);
void tk_tls_cn(X509_NAME *name, char *dst, size_t size);
void tk_tls_word(struct tk_buf *out, const char *s);

#endif
