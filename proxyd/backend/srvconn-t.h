/* Types of server connections (see srvconn.h). */
#ifndef PX_BACKEND_SRVCONN_T_H
#define PX_BACKEND_SRVCONN_T_H

#include <stdint.h>
#include "core/ev-t.h"
#include "proto/conn-t.h"

struct px_server;
struct px_stream;
struct px_sess;

/* A connection to a server. Its buffer holds the server's bytes (the
 * response direction). Between requests it rests in its server's idle
 * list, or with the session that owns it (http-reuse never).
 */
struct px_srvconn {
	struct px_conn conn;
	struct px_timer timer;        /* closes it after an idle period */
	struct px_list link;          /* in srv->idle while idle */
	struct px_loop *loop;
	struct px_server *srv;
	struct px_stream *strm;       /* user, or NULL when idle */
	struct px_sess *owner;        /* session keeping it, or NULL */
	uint32_t nreq;                /* requests sent on it */
	uint64_t key;                 /* reuse key (TLS SNI), 0 when none */
};

#endif
