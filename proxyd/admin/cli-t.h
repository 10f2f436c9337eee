/* Types of the command socket (see cli.h). */
#ifndef PX_ADMIN_CLI_T_H
#define PX_ADMIN_CLI_T_H

#include <stdint.h>
#include <sys/types.h>
#include "core/ev-t.h"
#include "core/list.h"
#include "core/net-t.h"

/* One "stats socket" line of the global section. */
struct px_cli_bind {
	struct px_cli_bind *next;
	char *name;                 /* as written: a path or ipv4@ADDR:PORT */
	int is_inet;                /* ipv4@: a TCP socket */
	union px_sockaddr addr;
	socklen_t addrlen;
	int mode;                   /* Unix socket permissions, -1: 0600 */
	int uid, gid;               /* owner of the Unix socket, -1: unchanged */
	uint8_t level;              /* enum px_cli_level */
	char *file;                 /* where it was written */
	int line;
};

/* The command socket settings of a generation. */
struct px_cli_cfg {
	struct px_cli_bind *binds;
	struct px_cli_bind **tail;
	uint32_t timeout_ms;        /* "stats timeout", 0: the default (10s) */
};

struct px_cli_conn;
struct px_cli_handler;

/* Runs a command. <args> are its words after unescaping, the command's
 * own words included (args[0] is "show" for "show stat"); <payload> is
 * the text after a "<<" line, or NULL. Returns 0 when the output is
 * complete, or 1 after px_cli_dump() installed a function that produces
 * the rest as room allows.
 */
typedef int (*px_cli_fn)(struct px_cli_conn *c, char **args, int nargs, const char *payload);

/* Produces more output of a long command. Returns 0 when done, 1 when it
 * stopped because the output buffer is full (it is called again once it
 * has drained).
 */
typedef int (*px_cli_dump_fn)(struct px_cli_conn *c);

struct px_cli_handler {
	const char *words;          /* as in px_cli_cmds[] */
	px_cli_fn fn;
};

/* Handlers registered by one module. */
struct px_cli_handler_list {
	struct px_cli_handler_list *next;
	const struct px_cli_handler *h;   /* terminated by an entry without words */
};

#endif
