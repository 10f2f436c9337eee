/* TLS configuration: the ssl options of "bind" and "server" lines, the
 * global ssl-* keywords, and the OpenSSL contexts built from them at the
 * end of parsing.
 */
#ifndef PX_SSL_SSL_H
#define PX_SSL_SSL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ssl/ssl-t.h"

struct px_cfg_ctx;
struct px_bind;
struct px_server;
struct ssl_st;

/* Indexes of proxyd's data attached to OpenSSL objects. */
extern int px_ssl_conn_idx;     /* SSL: the struct px_conn */
extern int px_ssl_srv_idx;      /* SSL: the struct px_server (client side) */
extern int px_ssl_cert_idx;     /* SSL_CTX: the struct px_ssl_cert */

/* Bind line option at args[*i]. Returns 1 when it was a TLS option
 * (*i moved past its arguments), 0 when it is not one, -1 on error.
 */
int px_ssl_bind_opt(struct px_ssl_bind **sbp, char **args, int *i, int nargs,
                    struct px_cfg_ctx *ctx, char **err);

/* Server line option, same contract. */
int px_ssl_srv_opt(struct px_ssl_srv **ssp, const void *owner, char **args, int *i,
                   int nargs, struct px_cfg_ctx *ctx, char **err);

/* End of parsing: builds the contexts of every TLS bind and server line;
 * returns the number of errors reported.
 */
int px_ssl_finalize(struct px_cfg_ctx *ctx);

/* Shared by the server-side code (sslsrv.c). */
struct px_ssl_global *px_ssl_global(struct px_cfg_ctx *ctx);
int px_ssl_opts_parse(struct px_ssl_opts *o, char **args, int *i, int nargs, int side,
                      struct px_cfg_ctx *ctx, char **err);
void px_ssl_opts_merge(struct px_ssl_opts *dst, const struct px_ssl_opts *src);
int px_ssl_ctx_common(struct ssl_ctx_st *sctx, const struct px_ssl_opts *o,
                      const char *def_ciphers, const char *def_suites, int server_side,
                      char **err);
struct x509_st *px_ssl_load_pem(struct ssl_ctx_st *sctx, const char *file, char **err);
char *px_ssl_path(struct px_cfg_ctx *ctx, const char *base, const char *file);
void px_ssl_errstr(char **err, const char *what);

/* Whether the ALPN entry at <p> (length byte, then the name) is a
 * protocol proxyd speaks over HTTP: http/1.1 or http/1.0.
 */
static inline int px_ssl_alpn_is_http1(const unsigned char *p)
{
	return p[0] == 8 && (!memcmp(p + 1, "http/1.1", 8) || !memcmp(p + 1, "http/1.0", 8));
}

const char *px_ssl_alpn_other(const unsigned char *w, uint32_t len, char *buf, size_t size);
extern const char *const px_ssl_bind_kw_names[];
extern const char *const px_ssl_srv_kw_names[];

/* Client side (sslsrv.c). */
int px_ssl_srv_finalize(struct px_cfg_ctx *ctx, struct px_server *srv);

#endif
