/* TLS to servers: connections started with SNI and session reuse. */
#ifndef PX_SSL_SSLSRV_H
#define PX_SSL_SSLSRV_H

#include <stdint.h>

struct px_srvconn;
struct px_stream;
struct px_hmsg;
struct px_server;

/* Attaches TLS to a server connection being established. Returns 0, or
 * -1 when out of memory.
 */
int px_ssl_srv_start(struct px_srvconn *sc, struct px_stream *s);

/* Key of the idle connections a stream may reuse (0: any). */
uint64_t px_ssl_srv_key(const struct px_server *srv, struct px_stream *s);

/* The backend's SNI value for this request (backend with "sni"). */
void px_ssl_stream_sni(struct px_stream *s, struct px_hmsg *hm);
void px_ssl_stream_free(struct px_stream *s);

#endif
