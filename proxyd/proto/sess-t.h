/* Types of client sessions (see sess.h). */
#ifndef PX_PROTO_SESS_T_H
#define PX_PROTO_SESS_T_H

#include <stdint.h>
#include <sys/time.h>
#include "core/ev-t.h"
#include "core/net-t.h"
#include "proto/conn-t.h"

struct px_listener;
struct px_proxy;
struct px_gen;
struct px_stream;
struct px_srvconn;
struct px_var;
struct px_bind;

/* Session states. */
enum px_sess_state {
	PX_SESS_IDLE = 0,     /* waiting for the first byte of a request */
	PX_SESS_ACTIVE,       /* a stream is running */
	PX_SESS_LINGER,       /* our side is shut; draining until the client closes */
};

/* Session flags. */
#define PX_SF_KEEPALIVE   0x0001  /* idle between two requests (not the first) */
#define PX_SF_POLLED      0x0008  /* the client socket is watched by epoll */

/* One client connection. Kept small: a connection on which nothing has
 * been sent costs only this structure (no buffer, no stream).
 */
struct px_sess {
	struct px_conn cli;            /* socket and request buffer */
	struct px_timer timer;
	struct px_list link;           /* in the loop's list of sessions */
	struct px_loop *loop;
	struct px_proxy *fe;
	struct px_gen *gen;            /* generation the session runs on */
	struct px_stream *strm;        /* current exchange, or NULL */
	struct px_srvconn *own;        /* server connection kept for it */
	struct px_var *vars;           /* sess-scoped variables */
	struct px_bind *bind;          /* bind line of a TLS session, else NULL */
	union px_inaddr src;           /* client address */
	struct timeval accept_tv;      /* wall clock at accept */
	uint64_t accept_ms;            /* loop clock at accept */
	uint64_t idle_ms;              /* when it last became idle */
	uint64_t id;                   /* unique id, for logs and the CLI */
	uint32_t nreq;                 /* requests started */
	uint32_t hs_ms;                /* TLS handshake time (%Th), 0 if none */
	uint16_t flags;                /* PX_SF_* */
	uint8_t state;                 /* enum px_sess_state */
};

#endif
