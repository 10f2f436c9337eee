/* TLS on a px_conn: handshakes and records inside the event loop, with
 * the readiness flags of conn.h kept right (see sslsock.c).
 */
#ifndef PX_SSL_SSLSOCK_H
#define PX_SSL_SSLSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ssl/ssl-t.h"

struct px_conn;
struct px_ssl_bind;
struct px_ssl_cert;
struct px_ssl_global;
struct ssl_ctx_st;
struct ssl_st;
struct px_gen;

/* Same contracts as px_conn_recv() and px_conn_send(). During the
 * handshake they drive it and report "nothing yet" (-2, 0); a failed
 * handshake is an error with c->ssl_fail set.
 */
int px_ssl_recv(struct px_conn *c);
ssize_t px_ssl_send(struct px_conn *c, const char *data, size_t len);
void px_ssl_shutw(struct px_conn *c);

/* Drives the handshake: 1 done, 0 in progress, -1 failed (PX_CF_ERROR). */
int px_ssl_handshake(struct px_conn *c);

/* Starts the server side of TLS on an accepted connection. Returns 0, or
 * -1 when out of memory.
 */
int px_ssl_accept(struct px_conn *c, const struct px_ssl_bind *sb);

/* Makes OpenSSL's <ssl> use the socket of <c> (proxyd's BIO). */
int px_ssl_attach(struct ssl_st *ssl, struct px_conn *c);

/* Periodic upkeep of the session caches of generation <gen>. */
void px_ssl_housekeeping(struct px_gen *gen, uint64_t now_ms);

/* Frees the TLS state of <c> (before its socket is closed), sending
 * close_notify first when <notify> and the session is sound.
 */
void px_ssl_close(struct px_conn *c, int notify);

/* %sslv (protocol) or, with <cipher>, %sslc of a TLS connection; NULL
 * for a clear one.
 */
const char *px_ssl_conn_info(const struct px_conn *c, int cipher);

/* HAProxy's connection error number (fc_err) for a handshake failure. */
int px_ssl_fail_id(int fail);

/* The text HAProxy logs for a failed handshake. */
const char *px_ssl_fail_str(int fail);

/* Callbacks and cache settings of a bind line's context. */
int px_ssl_server_ctx_setup(struct ssl_ctx_st *sctx, struct px_ssl_bind *sb,
                            struct px_ssl_cert *cert, const struct px_ssl_global *g);

/* Counters of the process. */
extern uint64_t px_ssl_handshakes;      /* finished handshakes, both sides */
extern uint64_t px_ssl_hs_failures;

void px_ssl_bind_inherit(struct px_ssl_bind *nb, const struct px_ssl_bind *ob);

#endif
