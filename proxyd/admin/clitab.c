/* The command table of the command socket (see clitab.h). The order is the
 * order of "help". Handlers are bound by proxyd (admin/cli.c) by position
 * in this table, so an entry here and its handler there go together.
 */
#include <string.h>
#include "admin/clitab.h"

/* Entries leave out the trailing fields they do not use. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define U PX_CLI_USER
#define O PX_CLI_OPERATOR
#define A PX_CLI_ADMIN

const struct px_cli_desc px_cli_cmds[] = {
	/* The session itself. */
	{ "help", "[<command>]", "list the commands, or one command's usage",
	  U, { PX_CA_COMMAND } },
	{ "prompt", "", "toggle interactive mode (a '> ' prompt, the connection stays)", U },
	{ "quit", "", "close this connection", U },
	{ "set timeout cli", "<delay>", "this connection's idle timeout", U, { PX_CA_TEXT } },
	{ "set cli errors", "plain|marked",
	  "'marked' starts this connection's error lines with 'Error: ' (for scripts)",
	  U, { PX_CA_CHOICE }, "plain marked" },

	/* The process and its counters. */
	{ "show info", "[json]", "information about the running process",
	  U, { PX_CA_CHOICE }, "json" },
	{ "show stat", "[json] [<proxy>|-1 <type> <sid>|-1]",
	  "counters of every proxy and server, as CSV (HAProxy's columns)",
	  U, { PX_CA_CHOICE, PX_CA_PROXY, PX_CA_TEXT, PX_CA_TEXT }, "json" },
	{ "show pools", "[json]", "memory pools: sizes, used and free entries",
	  U, { PX_CA_CHOICE }, "json" },
	{ "show activity", "[json]", "event loop activity counters",
	  U, { PX_CA_CHOICE }, "json" },
	{ "show servers state", "[<backend>] [json]",
	  "volatile state of every server, or of one backend's", U, { PX_CA_BACKEND } },
	{ "show names", "<kind> [json]",
	  "names for completion: frontends, backends, proxies, servers, sessions, acls, maps",
	  U, { PX_CA_CHOICE }, "frontends backends proxies servers sessions acls maps" },

	/* Sessions. */
	{ "show sess", "[<id>|all] [json] [frontend <f>] [backend <b>] [server <b>/<s>] [src <cidr>] [older <seconds>]",
	  "list the current sessions (with filters), or detail one",
	  O, { PX_CA_SESSION, PX_CA_TEXT, PX_CA_TEXT, PX_CA_TEXT, PX_CA_TEXT, PX_CA_TEXT } },
	{ "shutdown session", "<id>", "close one session", A, { PX_CA_SESSION } },
	{ "shutdown sessions", "server <b>/<s> | [frontend <f>] [backend <b>] [src <cidr>] [older <seconds>]",
	  "close every session matching the filters",
	  A, { PX_CA_CHOICE, PX_CA_SERVER }, "server frontend backend src older" },
	{ "show errors", "[<proxy>|-1] [request|response] [json]",
	  "the last invalid request and response captured per proxy",
	  O, { PX_CA_PROXY, PX_CA_CHOICE }, "request response" },
	{ "show events", "[-w] [<lines>] [json]", "the last log lines; -w then follows new ones",
	  O, { PX_CA_CHOICE }, "-w" },

	/* Servers and frontends. */
	{ "enable server", "<b>/<s>", "take a server out of maintenance", A, { PX_CA_SERVER } },
	{ "disable server", "<b>/<s>", "put a server in maintenance", A, { PX_CA_SERVER } },
	{ "set server", "<b>/<s> state ready|drain|maint | weight <w>[%] | addr <ip> [port <port>]",
	  "change a server's state, weight or address",
	  A, { PX_CA_SERVER, PX_CA_CHOICE }, "state weight addr" },
	{ "get weight", "<b>/<s>", "a server's current and initial weights", U, { PX_CA_SERVER } },
	{ "set weight", "<b>/<s> <w>[%]", "change a server's weight (as set server ... weight)",
	  A, { PX_CA_SERVER, PX_CA_TEXT } },
	{ "enable health", "<b>/<s>", "resume a server's health checks", A, { PX_CA_SERVER } },
	{ "disable health", "<b>/<s>", "suspend a server's health checks", A, { PX_CA_SERVER } },
	{ "add server", "<b>/<s> <addr>:<port> [options]", "add a server to a backend",
	  A, { PX_CA_BACKEND, PX_CA_TEXT } },
	{ "del server", "<b>/<s>", "remove a server (in maintenance, without sessions)",
	  A, { PX_CA_SERVER } },
	{ "enable frontend", "<f>", "accept connections again", A, { PX_CA_FRONTEND } },
	{ "disable frontend", "<f>", "stop accepting connections (listeners stay bound)",
	  A, { PX_CA_FRONTEND } },
	{ "set maxconn frontend", "<f> <n>", "change a frontend's maxconn",
	  A, { PX_CA_FRONTEND, PX_CA_TEXT } },

	/* ACL and map contents. */
	{ "show acl", "[<acl>] [json]", "list the ACL pattern files, or one's entries",
	  O, { PX_CA_ACL } },
	{ "get acl", "<acl> <value>", "whether a value matches the entries of an ACL file",
	  O, { PX_CA_ACL, PX_CA_TEXT } },
	{ "add acl", "<acl> <pattern>", "add an entry to an ACL", A, { PX_CA_ACL, PX_CA_TEXT } },
	{ "del acl", "<acl> <pattern>|#<ref>", "remove an ACL's entries", A, { PX_CA_ACL, PX_CA_TEXT } },
	{ "clear acl", "<acl>", "remove every entry of an ACL", A, { PX_CA_ACL } },
	{ "show map", "[<map>] [json]", "list the maps, or one's entries", O, { PX_CA_MAP } },
	{ "get map", "<map> <value>", "the entry a value finds in a map", O, { PX_CA_MAP, PX_CA_TEXT } },
	{ "add map", "<map> <key> <value> | <map> <<", "add entries to a map",
	  A, { PX_CA_MAP, PX_CA_TEXT, PX_CA_TEXT } },
	{ "set map", "<map> <key>|#<ref> <value>", "change a map entry's value",
	  A, { PX_CA_MAP, PX_CA_TEXT, PX_CA_TEXT } },
	{ "del map", "<map> <key>|#<ref>", "remove a map's entries", A, { PX_CA_MAP, PX_CA_TEXT } },
	{ "clear map", "<map>", "remove every entry of a map", A, { PX_CA_MAP } },

	/* Live rules and configuration (proxyd's own). */
	{ "show rules", "[<proxy>] [json]", "every rule with its id, origin and hit counter",
	  U, { PX_CA_PROXY } },
	{ "add rule", "<proxy> [at <n>|before <id>|after <id>] <rule>",
	  "add a rule, written as in the configuration",
	  A, { PX_CA_PROXY, PX_CA_CHOICE, PX_CA_RULE }, "at before after" },
	{ "del rule", "<proxy> <id>", "remove a rule", A, { PX_CA_PROXY, PX_CA_RULE } },
	{ "replace rule", "<proxy> <id> <rule>", "replace a rule", A, { PX_CA_PROXY, PX_CA_RULE } },
	{ "add acl-def", "<proxy> <name> <criterion> [flags] [values]",
	  "define (or extend) a named ACL of a proxy", A, { PX_CA_PROXY, PX_CA_TEXT } },
	{ "begin", "", "start a transaction: edits wait for commit", A },
	{ "diff", "", "what the open transaction would change", A },
	{ "commit", "", "apply the open transaction, all or nothing", A },
	{ "abort", "", "drop the open transaction", A },
	{ "show config", "[json]", "the running configuration, runtime edits included", O },
	{ "save config", "[<path>]", "write the running configuration (atomically)", A, { PX_CA_FILE } },
	{ "reload", "", "re-read the configuration files", A },
	{ "trace request", "[<frontend>] <<", "dry-run a raw request (payload) through the rules",
	  O, { PX_CA_FRONTEND } },

	/* Lua. */
	{ "show lua", "[json]", "Lua scripts, memory, and per-function calls, errors and time",
	  U, { PX_CA_CHOICE }, "json" },
	{ "lua reload", "[<file>]",
	  "load the Lua scripts again (only <file> from disk) and swap them in if they load",
	  A, { PX_CA_FILE } },
	{ NULL }
};

const char *px_cli_level_name(int level)
{
	switch (level) {
	case PX_CLI_USER:
		return "user";
	case PX_CLI_OPERATOR:
		return "operator";
	default:
		return "admin";
	}
}

/* Returns the level named <name>, or -1. */
int px_cli_level_parse(const char *name)
{
	if (!strcmp(name, "user"))
		return PX_CLI_USER;
	if (!strcmp(name, "operator"))
		return PX_CLI_OPERATOR;
	if (!strcmp(name, "admin"))
		return PX_CLI_ADMIN;
	return -1;
}
