/* Types of the Lua glue shared with the configuration (see hlua.h). */
#ifndef PX_SCRIPT_HLUA_T_H
#define PX_SCRIPT_HLUA_T_H

#include <stdint.h>

struct lua_name;

/* One "lua-load FILE [ARGS...]" line. */
struct px_lua_file {
	struct px_lua_file *next;
	char *path;
	char **args;
	int nargs;
	char *cfg_file;            /* where the line was written */
	int cfg_line;
};

/* Lua settings of a generation's global section. */
struct px_lua_cfg {
	struct px_lua_file *files;
	struct px_lua_file **tail;
	char *path;                /* lua-prepend-path ... path, joined by ';' */
	char *cpath;               /* lua-prepend-path ... cpath */
	uint64_t maxmem;           /* tune.lua.maxmem in bytes, 0: no limit */
	uint32_t forced_yield;     /* tune.lua.forced-yield (instructions) */
	uint32_t session_ms;       /* tune.lua.session-timeout */
	uint32_t burst_ms;         /* tune.lua.burst-timeout */
	uint32_t service_ms;       /* tune.lua.service-timeout */
	uint32_t task_ms;          /* tune.lua.task-timeout, 0: none */
	int unsafe;                /* lua-unsafe-libs */
	int used;                  /* a "lua." name was looked up (loaded) */
	int failed;                /* the scripts failed to load (reported) */
	struct lua_name **refs;    /* names its rules use, for "lua reload" */
	uint32_t nrefs;
	uint32_t caprefs;
};

#endif
