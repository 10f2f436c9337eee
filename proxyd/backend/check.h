/* Health checks: "option httpchk", "http-check send|expect", and the
 * checks themselves (a TCP connect, or an HTTP request and its response)
 * run on the event loop, marking servers DOWN and UP and logging it as
 * HAProxy does. Server options (check, inter, rise, fall, port, addr...)
 * are parsed with the server line (server.c).
 */
#ifndef PX_BACKEND_CHECK_H
#define PX_BACKEND_CHECK_H

#include "backend/check-t.h"
#include "backend/server-t.h"
#include "cfg/cfg-t.h"
#include "cfg/proxy-t.h"

struct px_loop;

void px_check_init(struct px_server *srv);
int px_check_opt_httpchk(char **args, int nargs, struct px_cfg_ctx *ctx, char **err);
void px_check_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be);

void px_check_start(struct px_loop *loop, struct px_gen *gen);
void px_check_stop(struct px_server *srv);
void px_check_server_start(struct px_loop *loop, struct px_server *srv);
const char *px_check_result_text(int result);

#endif
