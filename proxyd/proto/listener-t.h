/* Types of listeners (see listener.h). */
#ifndef PX_PROTO_LISTENER_T_H
#define PX_PROTO_LISTENER_T_H

#include "core/ev-t.h"
#include "core/list.h"
#include "core/netns-t.h"
#include "core/net-t.h"

struct px_proxy;
struct px_listener;
struct px_ssl_bind;

/* A "bind" line: configuration only, part of a generation. */
struct px_bind {
	struct px_list link;        /* in its frontend's list */
	struct px_list gen_link;    /* in the generation's list */
	struct px_proxy *fe;
	char *addr_str;             /* as written */
	char *name;                 /* "name" option, or NULL */
	char *file;
	int line;
	union px_sockaddr addr;
	socklen_t addrlen;
	int inherited_fd;           /* fd@N, or -1 */
	struct px_listener *li;     /* the socket serving it */
	struct px_ssl_bind *ssl;    /* TLS settings ("ssl"), or NULL */
	uint32_t luid;              /* position in its frontend, from 1 */
	struct px_sockopts so;      /* interface, transparent, namespace... */
};

/* A listening socket. It outlives generations: a reload hands it to the
 * new generation's bind with the same address.
 */
struct px_listener {
	struct px_io io;
	struct px_list link;        /* in the process's list of listeners */
	struct px_list pause_link;  /* in its frontend's paused list */
	char key[160];              /* normalized address, to match on reload */
	struct px_bind *bind;       /* current configuration */
	int paused;                 /* not watched (frontend or process full) */
	char *unix_path;            /* Unix socket file we created, or NULL */
	int mark;                   /* reload bookkeeping */
	struct px_bind *next_bind;  /* during a reload: the bind it is changed for */
	int backlog;                /* the accept queue length given to listen() */
};

#endif
