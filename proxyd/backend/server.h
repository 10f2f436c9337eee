/* Servers: the "server" and "default-server" keywords and server state. */
#ifndef PX_BACKEND_SERVER_H
#define PX_BACKEND_SERVER_H

#include "backend/server-t.h"
#include "cfg/cfg-t.h"

/* A server may receive new streams: not in maintenance, not drained by a
 * zero weight, not failing its health checks. Whether a backup server
 * takes part in balancing is lb.c's business (px_lb_eligible()).
 */
static inline int px_srv_usable(const struct px_server *s)
{
	return !s->disabled && s->weight > 0 && s->state == PX_SRV_UP;
}

/* A server may take a stream that a persistence cookie names: a zero
 * weight (draining) still serves the clients it already has, as HAProxy.
 */
static inline int px_srv_persist_ok(const struct px_server *s)
{
	return !s->disabled && s->state == PX_SRV_UP;
}

/* A server has a free slot and nobody waits for it. */
static inline int px_srv_has_slot(const struct px_server *s)
{
	return (!s->maxconn || s->cur_sess < s->maxconn) && !s->nqueued;
}

void px_server_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be);

#endif
