/* pxsh's types: growable buffers and string lists, the socket connection,
 * the session state shared by the interactive parts. Types only; the
 * functions are declared in pxsh.h.
 */
#ifndef PXSH_T_H
#define PXSH_T_H

#include <stddef.h>
#include <time.h>

/* The socket pxsh talks to when neither -s nor $PXSH_SOCKET names one: the
 * path of the example configuration's "stats socket".
 */
#define PXSH_DEFAULT_SOCKET "/run/proxyd/admin.sock"

/* Exit statuses (documented in docs/pxsh.md). */
#define PXSH_EXIT_OK       0    /* every command succeeded */
#define PXSH_EXIT_FAILED   1    /* at least one command got an error answer */
#define PXSH_EXIT_NOSOCKET 2    /* the socket could not be reached */
#define PXSH_EXIT_USAGE    64   /* bad command line (sysexits' EX_USAGE) */

/* A growable byte buffer, always NUL-terminated when data is not NULL. */
struct sh_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* A growable list of strings, each owned by the list. */
struct sh_list {
	char **v;
	int n;
	int cap;
};

/* A parsed CSV answer ("show stat"): the header's column names (without
 * the leading "# ") and one list of fields per row.
 */
struct sh_csv {
	struct sh_list head;
	struct sh_list *rows;
	int nrows;
};

/* Kinds of live names, fetched for completion (the "show names" kinds). */
enum sh_name_kind {
	SH_NAMES_FRONTENDS = 0,  /* frontend (and listen) names */
	SH_NAMES_BACKENDS,       /* backend (and listen) names */
	SH_NAMES_PROXIES,        /* every proxy name */
	SH_NAMES_SERVERS,        /* backend/server */
	SH_NAMES_SESSIONS,       /* 0x... session ids */
	SH_NAMES_ACLS,           /* ACL references (#ID and file names) */
	SH_NAMES_MAPS,           /* map references (#ID and file names) */
	SH_NAMES_COUNT
};

/* One connection to the command socket, kept in interactive ("prompt")
 * mode so several commands, and a transaction, share it.
 */
struct sh_conn {
	const char *target;      /* "/path" or "ipv4@ADDR:PORT", as given */
	int fd;                  /* -1 when not connected */
	int no_show_names;       /* the peer answered "show names" with an error */
	int errors_marked;       /* the peer accepted "set cli errors marked" */
	struct {
		struct sh_list names;
		struct timespec at;  /* when fetched; a zero tv_sec means never */
	} cache[SH_NAMES_COUNT];
};

/* How answers are printed. */
enum sh_output {
	SH_OUT_HUMAN = 0,        /* tables for show stat/sess/info, the rest as is */
	SH_OUT_RAW,              /* the socket's text, always */
	SH_OUT_JSON,             /* the json form of show commands, as received */
};

/* The state of one pxsh run. */
struct sh_session {
	struct sh_conn conn;
	enum sh_output output;
	int interactive;         /* stdin is a terminal and no -c/FILE */
	int color;               /* stdout is a terminal and NO_COLOR is unset */
	int failed;              /* a command got an error answer */
};

/* One edit of a rule list, as "edit rules" sends it. */
enum rule_op_kind {
	RULE_OP_DEL = 0,         /* del rule PROXY ID */
	RULE_OP_REPLACE,         /* replace rule PROXY ID TEXT */
	RULE_OP_ADD_AFTER,       /* add rule PROXY after ID TEXT */
	RULE_OP_ADD_BEFORE,      /* add rule PROXY before ID TEXT */
	RULE_OP_ADD_END,         /* add rule PROXY TEXT (no rule left to anchor to) */
};

struct rule_op {
	enum rule_op_kind kind;
	const char *id;          /* the rule acted on or anchored to; NULL for ADD_END */
	const char *text;        /* the new text; NULL for DEL */
};

#endif
