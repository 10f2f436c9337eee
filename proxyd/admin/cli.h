/* The command socket: HAProxy's "stats socket" protocol (one line of
 * commands separated by ';', output ending with an empty line, "prompt"
 * for interactive use, "<<" payloads), the sockets of the global section,
 * and the functions commands write their output with.
 *
 * Commands run on the event loop and never block it: a command whose
 * output can be long (sessions, maps, statistics) writes while there is
 * room and continues from a dump function when the client has read.
 */
#ifndef PX_ADMIN_CLI_H
#define PX_ADMIN_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include "admin/cli-t.h"
#include "admin/clitab.h"

struct px_gen;
struct px_loop;

/* Output above this size makes a dump function stop and wait. */
#define PX_CLI_OUT_SOFT (16 * 1024)

void px_cli_register(struct px_cli_handler_list *list);

/* Commands known only at run time (Lua's core.register_cli): <run>
 * returns -1 when <args> is none of them, else what a px_cli_fn returns;
 * <help> adds their lines to "help".
 */
struct px_cli_ext {
	int (*run)(struct px_cli_conn *c, char **args, int nargs, const char *payload);
	void (*help)(struct px_cli_conn *c);
};
extern const struct px_cli_ext *px_cli_ext;

/* Sockets: opened before privileges are dropped, kept across reloads
 * when their address stays.
 */
int px_cli_open(struct px_gen *gen, char **err);
void px_cli_commit(struct px_loop *loop, struct px_gen *gen);
void px_cli_close_all(void);
void px_cli_unlink_all(void);

/* Output. */
void px_cli_write(struct px_cli_conn *c, const char *data, size_t len);
void px_cli_puts(struct px_cli_conn *c, const char *s);
void px_cli_printf(struct px_cli_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void px_cli_json_str(struct px_cli_conn *c, const char *s, size_t len);
int px_cli_full(const struct px_cli_conn *c);

/* An error: one line of text, or {"error":...} in JSON mode; the command
 * counts as failed. <code> is an HTTP-like status (400 bad syntax, 403
 * permission, 404 not found, 409 conflict, 500 internal).
 */
void px_cli_error(struct px_cli_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void px_cli_set_json(struct px_cli_conn *c, int on);
int px_cli_json(const struct px_cli_conn *c);

/* Long outputs: <fn> is called until it returns 0; <ctx> (if not NULL)
 * is released with <release> when the command ends or the client leaves.
 */
int px_cli_dump(struct px_cli_conn *c, px_cli_dump_fn fn, void *ctx,
                void (*release)(void *ctx));
void *px_cli_ctx(struct px_cli_conn *c);

int px_cli_level(const struct px_cli_conn *c);
char *px_cli_rest(struct px_cli_conn *c, char **args, int i);

/* The transaction open on this connection, if any (see liverules.c). */
void *px_cli_txn(struct px_cli_conn *c);
void px_cli_set_txn(struct px_cli_conn *c, void *txn, void (*release)(void *));
int px_cli_run_line(struct px_cli_conn *c, const char *line);
int px_txn_defer(struct px_cli_conn *c, char **args, int nargs);

/* Changes of the configuration text beyond rules (admin/liverules.c). */
struct px_cfg_text;
uint32_t px_live_text_edit(struct px_cli_conn *c, int (*edit)(struct px_cfg_text *t, void *arg,
                                                               char **err),
                           void *arg, const char *op);
int px_live_server_line(const struct px_cfg_text *t, const char *be, const char *name,
                        uint32_t *end);
const char *px_live_indent(const struct px_cfg_text *t, const char *be);

/* The generation commands act on: the running one, or the one a commit is
 * building while it replays a transaction's operations.
 */
extern struct px_gen *px_cli_target;
static inline struct px_gen *px_cli_gen(void)
{
	extern struct px_gen *px_gen_cur;

	return px_cli_target ? px_cli_target : px_gen_cur;
}
struct px_loop *px_cli_loop(void);

#endif
