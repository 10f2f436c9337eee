/* The command socket's command table, shared by proxyd (which runs the
 * commands) and pxsh (which completes and documents them). Plain data: no
 * dependency on the rest of proxyd, so pxsh links clitab.o alone.
 */
#ifndef PX_ADMIN_CLITAB_H
#define PX_ADMIN_CLITAB_H

/* Access levels of a socket, lowest first (HAProxy's names). */
enum px_cli_level {
	PX_CLI_USER = 0,        /* read-only, nothing sensitive */
	PX_CLI_OPERATOR,        /* also sessions, errors, maps, traces */
	PX_CLI_ADMIN,           /* also every change */
};

/* What an argument position holds, for completion. */
enum px_cli_arg {
	PX_CA_END = 0,          /* no more arguments */
	PX_CA_TEXT,             /* free text, nothing to complete */
	PX_CA_FRONTEND,         /* a frontend (or listen) name */
	PX_CA_BACKEND,          /* a backend (or listen) name */
	PX_CA_PROXY,            /* any proxy name */
	PX_CA_SERVER,           /* BACKEND/SERVER */
	PX_CA_SESSION,          /* a session id (0x...) */
	PX_CA_RULE,             /* a rule id of the proxy before it */
	PX_CA_ACL,              /* an ACL reference (#ID or file) */
	PX_CA_MAP,              /* a map reference (#ID or file) */
	PX_CA_COMMAND,          /* a command's first words (help CMD) */
	PX_CA_CHOICE,           /* one of the words in <choices> */
	PX_CA_FILE,             /* a path on the proxyd host */
};

#define PX_CLI_MAXARGS 6

struct px_cli_desc {
	const char *words;                   /* "show stat" */
	const char *usage;                   /* arguments, "" when none */
	const char *help;                    /* one line */
	unsigned char level;                 /* enum px_cli_level */
	unsigned char args[PX_CLI_MAXARGS];  /* enum px_cli_arg per position */
	const char *choices;                 /* words for PX_CA_CHOICE, by spaces */
};

/* Terminated by an entry whose <words> is NULL. */
extern const struct px_cli_desc px_cli_cmds[];

const char *px_cli_level_name(int level);
int px_cli_level_parse(const char *name);

#endif
