/* Switching the running configuration from the command socket (commits,
 * "reload"). The work is done where the process's event loop lives
 * (main.c), which installs these operations at start-up.
 */
#ifndef PX_ADMIN_RUNTIME_H
#define PX_ADMIN_RUNTIME_H

struct px_gen;
struct px_loop;

struct px_runtime_ops {
	/* Opens <gen>'s listeners and command sockets and carries the running
	 * generation's state over. Returns 0, or -1 with a message in <err>
	 * (<gen> is then released).
	 */
	int (*prepare)(struct px_gen *gen, char **err);
	/* Publishes a prepared <gen>: it becomes the running generation. */
	void (*finish)(struct px_gen *gen);
	/* Releases a prepared <gen> and closes the sockets it opened. */
	void (*cancel)(struct px_gen *gen);
	/* Reads the configuration files again, as SIGUSR2 does. Errors and
	 * warnings also go to <report> (with <arg>). Returns the new
	 * generation's id, or 0 when the running configuration stays.
	 */
	unsigned (*reload)(void (*report)(void *arg, int is_warning, const char *msg),
	                   void *arg, char **err);
};

/* NULL until the process runs (and in unit tests). */
extern const struct px_runtime_ops *px_runtime;

/* Pauses the listeners of the frontends of <gen> stopped from the command
 * socket (a new generation inherits that state).
 */
void px_proxies_apply_admin(struct px_loop *loop, struct px_gen *gen);

#endif
