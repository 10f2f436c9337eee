/* Servers: the "server" and "default-server" keywords and server state. */
#ifndef PX_BACKEND_SERVER_H
#define PX_BACKEND_SERVER_H

#include "backend/server-t.h"
#include "cfg/cfg-t.h"

/* Records a change of <srv>'s state (health, maintenance...) that just
 * happened: last_change, and the time it had been DOWN or in maintenance
 * (show stat's downtime).
 */
void px_srv_note_change(struct px_server *srv);

/* Whether a connection made for server <b> is one <a> would make: same
 * address, namespace and source, HTTP, and not TLS (a new line may verify
 * the server differently).
 */
int px_server_same_route(const struct px_server *a, const struct px_server *b);

/* The server of the running configuration that takes over the connections
 * of <srv>, a server of an older generation: same backend and server
 * names, same route. NULL when there is none.
 */
struct px_server *px_server_successor(const struct px_server *srv);

/* A server may receive new streams: not in maintenance, not drained by a
 * zero weight, not failing its health checks. Whether a backup server
 * takes part in balancing is lb.c's business (px_lb_eligible()).
 */
static inline int px_srv_usable(const struct px_server *s)
{
	return !s->disabled && !s->drain && s->weight > 0 && s->state == PX_SRV_UP;
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

/* Changes made at run time (command socket). Each returns 0, or -1 with a
 * message in <err>; <msg>, when not NULL, receives what the change did in
 * HAProxy's words (to answer the operator).
 */
struct px_loop;
struct px_gen;
void px_server_set_maint(struct px_server *srv, int on, const char *why);
void px_server_set_drain(struct px_server *srv, int on, const char *why);
int px_server_set_weight(struct px_server *srv, const char *val, char **err);
int px_server_set_addr(struct px_server *srv, const char *ip, const char *port,
                       char **msg, char **err);
void px_server_set_health(struct px_server *srv, int on);
struct px_server *px_server_find(struct px_gen *gen, const char *bs, char **err);
const char *px_server_state_str(const struct px_server *srv);

#endif
