/* Command socket: the entries of ACL pattern files ("show acl", "get acl",
 * "add acl", "del acl", "clear acl"), HAProxy's commands. A file is named
 * as written in the configuration or by "#ID" from "show acl"; an edit
 * reaches every ACL reading the file, applies to the next evaluation, and
 * goes with the file to the next generation (admin/inherit.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/cli.h"
#include "cfg/cfg.h"
#include "rules/acl.h"
#include "rules/rules-t.h"

static struct px_acl_file *file_arg(struct px_cli_conn *c, char **args, int nargs, int i)
{
	struct px_acl_file *af;

	if (i >= nargs) {
		px_cli_error(c, 400, "Missing ACL identifier (a file or #ID from 'show acl').");
		return NULL;
	}
	af = px_acl_file_find(px_cli_gen(), args[i]);
	if (!af)
		px_cli_error(c, 404, "Unknown ACL identifier '%s' (see 'show acl'; only "
		             "pattern files loaded with -f can be edited).", args[i]);
	return af;
}

static int count_one(void *arg, uint32_t id, const char *txt)
{
	(*(uint32_t *)arg)++;
	return 0;
}

struct acl_dump {
	struct px_cli_conn *c;
	struct px_acl_file *af;
	uint32_t from;                  /* position in the first term */
	uint32_t gen;
	int json;
	uint32_t count;
};

static int print_one(void *arg, uint32_t id, const char *txt)
{
	struct acl_dump *d = arg;

	if (d->json) {
		px_cli_printf(d->c, "%s{\"id\":\"0x%x\",\"pattern\":", d->count++ ? ",\n" : "", id);
		px_cli_json_str(d->c, txt, strlen(txt));
		px_cli_puts(d->c, "}");
	} else {
		px_cli_printf(d->c, "0x%x %s\n", id, txt);
	}
	/* Stop at the buffer's limit: the dump goes on from this id. */
	return px_cli_full(d->c);
}

static int acl_dump(struct px_cli_conn *c)
{
	struct acl_dump *d = px_cli_ctx(c);

	if (!px_gen_cur || px_gen_cur->id != d->gen)
		return 0;
	d->c = c;
	px_acl_file_walk(d->af, &d->from, print_one, d);
	if (px_cli_full(c))
		return 1;
	if (d->json)
		px_cli_puts(c, "]\n");
	return 0;
}

static void acl_dump_release(void *arg)
{
	free(arg);
}

static int cmd_show_acl(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_gen *gen = px_gen_cur;
	struct acl_dump *d;
	struct px_acl_file *af;
	int json = nargs > 2 && !strcmp(args[nargs - 1], "json");

	if (json) {
		px_cli_set_json(c, 1);
		nargs--;
	}
	if (nargs < 3 && json) {
		int k = 0;

		px_cli_puts(c, "[");
		for (af = px_acl_file_next(gen, NULL); af; af = px_acl_file_next(gen, af)) {
			uint32_t n = 0, pos = 0;

			px_acl_file_walk(af, &pos, count_one, &n);
			px_cli_printf(c, "%s{\"id\":%u,\"file\":", k++ ? ",\n" : "", af->idx);
			px_cli_json_str(c, af->path, strlen(af->path));
			px_cli_printf(c, ",\"entries\":%u,\"edited\":%s}", n,
			              af->changed ? "true" : "false");
		}
		px_cli_puts(c, "]\n");
		return 0;
	}
	if (nargs < 3) {
		px_cli_puts(c, "# id (file) description\n");
		for (af = px_acl_file_next(gen, NULL); af; af = px_acl_file_next(gen, af)) {
			uint32_t n = 0, pos = 0;

			px_acl_file_walk(af, &pos, count_one, &n);
			px_cli_printf(c, "%u (%s) pattern loaded from file '%s' used by acl at file "
			              "'%s' line %d. entry_cnt=%u%s\n", af->idx, af->path, af->path,
			              af->cfg_file, af->cfg_line, n,
			              af->changed ? " (edited at run time)" : "");
		}
		return 0;
	}
	af = file_arg(c, args, nargs, 2);
	if (!af)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	d->af = af;
	d->gen = gen->id;
	d->json = json;
	if (json)
		px_cli_puts(c, "[");
	return px_cli_dump(c, acl_dump, d, acl_dump_release);
}

static int cmd_get_acl(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_acl_file *af = file_arg(c, args, nargs, 2);
	const char *method;
	int icase, m;

	if (!af)
		return 0;
	if (nargs != 4) {
		px_cli_error(c, 400, "'get acl' expects an ACL and a value.");
		return 0;
	}
	m = px_acl_file_match(af, args[3], &method, &icase);
	px_cli_printf(c, "type=%s, case=%s, match=%s\n", method,
	              icase ? "insensitive" : "sensitive", m ? "yes" : "no");
	return 0;
}

static int cmd_add_acl(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_acl_file *af = file_arg(c, args, nargs, 2);
	char *err = NULL;

	if (!af)
		return 0;
	if (nargs != 4) {
		px_cli_error(c, 400, "'add acl' expects an ACL and a pattern.");
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	if (px_acl_file_add(px_cli_gen(), af, args[3], &err) < 0) {
		px_cli_error(c, 400, "%s", err);
		free(err);
	}
	return 0;
}

static int cmd_del_acl(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_acl_file *af = file_arg(c, args, nargs, 2);
	uint32_t n;

	if (!af)
		return 0;
	if (nargs != 4) {
		px_cli_error(c, 400, "'del acl' expects an ACL and a pattern (or #ref).");
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	if (args[3][0] == '#') {
		char *end;
		unsigned long id;

		errno = 0;
		id = strtoul(args[3] + 1, &end, args[3][1] == '0' && args[3][2] == 'x' ? 16 : 10);
		if (!args[3][1] || *end || errno || !id || id > UINT32_MAX) {
			px_cli_error(c, 400, "Invalid reference '%s' (see 'show acl %s').", args[3],
			             af->path);
			return 0;
		}
		n = px_acl_file_del(af, NULL, (uint32_t)id);
	} else {
		n = px_acl_file_del(af, args[3], 0);
	}
	if (!n)
		px_cli_error(c, 404, "Entry '%s' not found in '%s'.", args[3], af->path);
	return 0;
}

static int cmd_clear_acl(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_acl_file *af = file_arg(c, args, nargs, 2);

	if (!af || px_txn_defer(c, args, nargs))
		return 0;
	px_acl_file_clear(af);
	return 0;
}

static const struct px_cli_handler acls_handlers[] = {
	{ "show acl", cmd_show_acl },
	{ "get acl", cmd_get_acl },
	{ "add acl", cmd_add_acl },
	{ "del acl", cmd_del_acl },
	{ "clear acl", cmd_clear_acl },
	{ NULL }
};

static struct px_cli_handler_list acls_list = { .h = acls_handlers };

__attribute__((constructor)) static void acls_register(void)
{
	px_cli_register(&acls_list);
}
