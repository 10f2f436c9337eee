/* Types of the configuration layer: keyword tables, the parse context and
 * configuration generations.
 */
#ifndef PX_CFG_CFG_T_H
#define PX_CFG_CFG_T_H

#include <stdint.h>
#include "core/list.h"

/* Sections, also used as bits in a keyword's "sections" mask. */
enum px_section {
	PX_SEC_NONE     = 0,
	PX_SEC_GLOBAL   = 1 << 0,
	PX_SEC_DEFAULTS = 1 << 1,
	PX_SEC_FRONTEND = 1 << 2,
	PX_SEC_BACKEND  = 1 << 3,
	PX_SEC_LISTEN   = 1 << 4,
};

#define PX_SEC_PROXIES (PX_SEC_DEFAULTS | PX_SEC_FRONTEND | PX_SEC_BACKEND | PX_SEC_LISTEN)
#define PX_SEC_FE      (PX_SEC_DEFAULTS | PX_SEC_FRONTEND | PX_SEC_LISTEN)
#define PX_SEC_BE      (PX_SEC_DEFAULTS | PX_SEC_BACKEND | PX_SEC_LISTEN)

struct px_gen;
struct px_proxy;
struct px_cfg_ctx;

/* Parses one configuration line whose keyword is args[0]. Returns 0, or -1
 * with a message in <err> (the caller adds file, line and keyword).
 */
typedef int (*px_kw_fn)(char **args, int nargs, struct px_cfg_ctx *ctx, char **err);

/* Keyword flags. */
#define PX_KWF_NEGATABLE 0x01  /* accepts the "no" prefix */

struct px_cfg_kw {
	const char *name;
	unsigned sections;     /* where it is allowed (PX_SEC_* bits) */
	unsigned flags;        /* PX_KWF_* */
	px_kw_fn parse;
};

/* A keyword table registered by its owning module. */
struct px_cfg_kw_list {
	struct px_cfg_kw_list *next;
	const struct px_cfg_kw *kws;   /* terminated by an entry without name */
};

struct px_ssl_global;
struct px_cli_cfg;
struct px_lua_cfg;
struct px_lua_inst;
struct px_cfg_text;
struct px_acl_file;

/* Things a generation frees when it dies. */
struct px_cleanup {
	struct px_cleanup *next;
	void (*fn)(void *arg);
	void *arg;
};

/* Process-wide settings from the "global" section. */
struct px_global {
	int daemon;
	char *pidfile;
	char *user, *group;
	int uid, gid;            /* -1 when unset */
	uint32_t maxconn;
	uint32_t bufsize;        /* tune.bufsize */
	uint32_t maxrewrite;     /* tune.maxrewrite */
	uint32_t maxhdr;         /* tune.http.maxhdr, start line included */
	uint32_t logurilen;      /* tune.http.logurilen */
	char *log_tag;           /* log-tag */
	char *log_host;          /* log-send-hostname */
	struct px_logger **loggers;
	int nloggers;
	struct px_ssl_global *ssl;  /* TLS settings, NULL until one is given */
	struct px_cli_cfg *cli;     /* command sockets, NULL when none */
	struct px_lua_cfg *lua;     /* lua-load and tune.lua.*, NULL when none */
};

/* A configuration generation: everything parsed from the files, immutable
 * once published. Streams hold a reference to the generation they started
 * with; a reload builds a new one and swaps the current pointer.
 */
struct px_gen {
	uint32_t refcnt;
	uint32_t id;              /* generation number, 1 for the first */
	char **files;             /* files it was read from */
	struct px_cfg_text *text; /* the text it was parsed from (cfg/text.h) */
	int nfiles;
	struct px_global global;
	struct px_list proxies;   /* struct px_proxy, frontends and backends */
	struct px_list defaults;  /* named and anonymous defaults sections */
	struct px_list binds;     /* struct px_bind of every frontend */
	struct px_acl_file *acl_files;  /* pattern files of ACLs (rules/acl.c) */
	struct px_lua_inst *lua;  /* Lua code its rules call (script/hlua.c) */
	uint32_t lua_exprs;       /* sample expressions Lua compiled into it */
	struct px_cleanup *cleanups;
	char *arena;              /* free space of the current allocation chunk */
	size_t arena_left;
};

/* State while parsing a set of files into a generation. */
struct px_cfg_ctx {
	struct px_gen *gen;
	const char *file;
	int line;
	uint32_t line_id;            /* id of the line in the text (cfg/text.h) */
	enum px_section section;
	const char *section_name;    /* "frontend", "global"... */
	struct px_proxy *px;         /* current proxy or defaults section */
	struct px_proxy *defaults;   /* defaults in effect for new proxies */
	int negate;                  /* the line started with "no" */
	int nerr;
	int nwarn;
	int check_only;              /* proxyd -c: do not open sockets */
	void (*report)(void *arg, int is_warning, const char *msg);
	void *report_arg;
	unsigned hinted;             /* one-time hints already printed (bits) */
};

#endif
