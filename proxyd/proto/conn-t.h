/* Types of socket connections (see conn.h). */
#ifndef PX_PROTO_CONN_T_H
#define PX_PROTO_CONN_T_H

#include <stdint.h>
#include "core/buf-t.h"
#include "core/ev-t.h"

/* Connection flags. */
#define PX_CF_RD_READY    0x0001  /* may have bytes to read (no EAGAIN since) */
#define PX_CF_WR_READY    0x0002  /* may accept bytes (no EAGAIN since) */
#define PX_CF_RD_EOF      0x0004  /* the peer shut its side down */
#define PX_CF_ERROR       0x0008  /* reset or other socket error */
#define PX_CF_WR_SHUT     0x0010  /* we shut our sending side down */
#define PX_CF_CONNECTING  0x0020  /* outgoing connection in progress */
#define PX_CF_RD_ANY      0x0040  /* at least one byte was ever received */
#define PX_CF_HUP         0x0080  /* epoll reported a hang-up, reset or error */
#define PX_CF_LARGE_BUF   0x0100  /* receive into a double-size buffer */
#define PX_CF_SSL_HS      0x0200  /* TLS handshake not finished */
#define PX_CF_SSL_WANT_RD 0x0400  /* TLS waits for readability, whatever the call */
#define PX_CF_SSL_WANT_WR 0x0800  /* TLS waits for writability, whatever the call */
#define PX_CF_SSL_DRAINED 0x1000  /* TLS: the last read emptied the socket */
#define PX_CF_TFO         0x2000  /* Fast Open connect deferred, not known made yet */

/* One socket with its receive buffer. The receive buffer is where the
 * peer's bytes wait until they are sent on the other side, so each
 * direction of a proxied exchange has exactly one buffer.
 */
struct px_conn {
	struct px_io io;
	uint32_t flags;
	struct px_buf buf;
	struct ssl_st *ssl;         /* TLS session (OpenSSL's SSL), or NULL */
	/* What the TLS layer learnt (ssl_c_err, ssl_c_ca_err, logs). */
	uint16_t ssl_crt_err;       /* first verify error at depth 0 */
	uint16_t ssl_ca_err;        /* first verify error at depth > 0 */
	uint8_t ssl_ca_depth;       /* depth of that error */
	uint8_t ssl_fail;           /* enum px_ssl_fail, why the handshake failed */
	uint32_t ssl_err;           /* first OpenSSL error code (ssl_fc_err) */
};

#endif
