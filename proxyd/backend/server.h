/* Servers: the "server" keyword and server state. */
#ifndef PX_BACKEND_SERVER_H
#define PX_BACKEND_SERVER_H

#include "backend/server-t.h"

/* A server may receive new streams. */
static inline int px_srv_usable(const struct px_server *s)
{
	return !s->disabled && s->weight > 0;
}

/* A server has a free slot and nobody waits for it. */
static inline int px_srv_has_slot(const struct px_server *s)
{
	return (!s->maxconn || s->cur_sess < s->maxconn) && !s->nqueued;
}

#endif
