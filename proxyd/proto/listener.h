/* Listeners: the "bind" keyword and listening sockets that survive
 * reloads.
 */
#ifndef PX_PROTO_LISTENER_H
#define PX_PROTO_LISTENER_H

#include "cfg/cfg-t.h"
#include "proto/listener-t.h"

struct px_loop;

int px_listeners_open(struct px_gen *gen, char **err);
void px_listeners_commit(struct px_loop *loop, struct px_gen *gen);
void px_listeners_rollback(void);
void px_listeners_close_all(struct px_loop *loop);
void px_listener_pause(struct px_loop *loop, struct px_listener *li);
void px_listeners_resume(struct px_loop *loop, struct px_proxy *fe);

#endif
