/* Switching the running configuration from the command socket (commits,
 * "reload"), implemented where the process's event loop lives (main.c).
 */
#ifndef PX_ADMIN_RUNTIME_H
#define PX_ADMIN_RUNTIME_H

struct px_gen;
struct px_loop;

/* Pauses the listeners of the frontends of <gen> stopped from the command
 * socket (a new generation inherits that state).
 */
void px_proxies_apply_admin(struct px_loop *loop, struct px_gen *gen);

/* Makes <gen> the running generation: its listeners and command sockets
 * open, the state of the running one carried over, health checks started.
 * Takes over the caller's reference to <gen>. Returns 0, or -1 with a
 * message in <err> (the running generation then stays).
 */
int px_runtime_install(struct px_gen *gen, char **err);

/* The same in two steps, for a commit that has more to check between
 * them: prepare (sockets opened, state carried over; on failure <gen> is
 * released), then finish (published) or cancel (released, sockets closed).
 */
int px_runtime_prepare(struct px_gen *gen, char **err);
void px_runtime_finish(struct px_gen *gen);
void px_runtime_cancel(struct px_gen *gen);

/* Reads the configuration files again, as SIGUSR2 does. Errors and
 * warnings go to <report> (with <arg>) as well as to the log. Returns the
 * new generation's id, or 0 when the running configuration stays.
 */
unsigned px_runtime_reload(void (*report)(void *arg, int is_warning, const char *msg),
                           void *arg, char **err);

#endif
