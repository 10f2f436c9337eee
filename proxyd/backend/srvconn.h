/* Connections to servers: connecting, the idle pool, reuse. */
#ifndef PX_BACKEND_SRVCONN_H
#define PX_BACKEND_SRVCONN_H

#include "backend/srvconn-t.h"
#include "cfg/proxy-t.h"

struct px_loop;

struct sockaddr;
struct px_srvconn *px_srvconn_connect(struct px_loop *loop, struct px_server *srv,
                                      const struct sockaddr *client,
                                      int *err);
struct px_srvconn *px_srvconn_take_idle(struct px_server *srv, enum px_reuse reuse,
                                        int first_req, int retryable, uint64_t key);
void px_srvconn_release(struct px_srvconn *sc, int keep);
void px_srvconn_close(struct px_srvconn *sc, int abort);

/* Moves the idle connections of <from> to <to> (a server of a new
 * generation), keeping their order and idle timers.
 */
void px_srvconn_move_idle(struct px_server *to, struct px_server *from);
int px_srvconn_check_connect(struct px_srvconn *sc);

/* Where a deferred Fast Open connection stands (PX_CF_TFO): 1 made (the
 * flag is cleared; also for other connections), 0 not yet, -1 refused or
 * failed (errno set).
 */
int px_srvconn_tfo_state(struct px_srvconn *sc);

extern uint32_t px_srvconn_idle_ms;

#endif
