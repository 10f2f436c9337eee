/* Command socket: rules edited in the running configuration, what HAProxy
 * cannot do without a reload.
 *
 * The running configuration is text (cfg/text.h): the lines of the files,
 * each with an id. An edit changes a copy of that text; the copy is parsed
 * by the configuration parser itself into a new generation, which takes
 * over the running one's state (admin/inherit.c) and replaces it in one
 * step. Requests in flight keep the generation, hence the rules, they
 * started with; the next request of every connection uses the new one.
 * A text that does not parse changes nothing, and its errors read as they
 * would at start-up.
 *
 * "begin" opens a transaction on the connection: rule edits change its
 * private copy (each checked by a parse at once), operations on servers
 * and maps are kept to be replayed; "commit" applies everything or, when
 * anything fails, nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/cli.h"
#include "admin/runtime.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "cfg/text.h"
#include "core/log.h"
#include "core/util.h"
#include "rules/rules-t.h"

/* Keywords of the lines "show rules" lists and the rule commands edit. */
static const char *const rule_kws[] = {
	"acl", "http-request", "http-response", "http-after-response", "use_backend",
	"redirect", "reqrep", "reqirep", "reqdel", "reqidel", "reqadd", "rsprep",
	"rspirep", "rspdel", "rspidel", "rspadd", NULL
};

static const char *const section_kws[] = {
	"global", "defaults", "frontend", "backend", "listen", "userlist", "peers",
	"resolvers", "mailers", "program", "cache", "ring", "http-errors", NULL
};

/* The first word of <s> into <out> (empty when the line is blank or a
 * comment); returns a pointer after it.
 */
static const char *first_word(const char *s, char *out, size_t size)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '#') {
		*out = '\0';
		return s;
	}
	while (*s && *s != ' ' && *s != '\t' && n + 1 < size)
		out[n++] = *s++;
	out[n] = '\0';
	return s;
}

static int in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(w, *list))
			return 1;
	return 0;
}

static int is_rule_line(const char *text)
{
	char w[64];

	first_word(text, w, sizeof(w));
	return in_list(w, rule_kws);
}

/* The lines [*from, *to) of the section of proxy <name> in <t> (the header
 * included at *from). Returns 0, or -1 when there is no such section.
 */
static int section_of(const struct px_cfg_text *t, const char *name, uint32_t *from,
                      uint32_t *to)
{
	uint32_t i;
	int found = 0;

	for (i = 0; i < t->n; i++) {
		char w[64], nm[256];
		const char *p = first_word(t->l[i].text, w, sizeof(w));

		if (!in_list(w, section_kws))
			continue;
		if (found) {
			*to = i;
			return 0;
		}
		first_word(p, nm, sizeof(nm));
		if ((!strcmp(w, "frontend") || !strcmp(w, "backend") || !strcmp(w, "listen")) &&
		    !strcmp(nm, name)) {
			found = 1;
			*from = i;
		}
	}
	if (!found)
		return -1;
	*to = t->n;
	return 0;
}

/* The rule with line id <lid> in the rules of <px>, for its hit counter. */
static const struct px_rule *rule_by_lid(const struct px_proxy *px, uint32_t lid)
{
	const struct px_rule_list *lists[7];
	const struct px_rules *r = px->rules;
	int i;

	if (!r)
		return NULL;
	lists[0] = &r->http_req;
	lists[1] = &r->legacy_req;
	lists[2] = &r->redirect;
	lists[3] = &r->use_be;
	lists[4] = &r->http_res;
	lists[5] = &r->legacy_res;
	lists[6] = &r->after_res;
	for (i = 0; i < 7; i++)
		for (const struct px_rule *x = lists[i]->first; x; x = x->next)
			if (x->lid == lid)
				return x;
	return NULL;
}

static void origin_str(const struct px_cfg_line *l, char *out, size_t size)
{
	if (l->file == px_cfg_runtime)
		snprintf(out, size, "runtime");
	else
		snprintf(out, size, "%s:%d", l->file, l->line);
}

/* --- transactions ----------------------------------------------------------- */

struct txn {
	struct px_cfg_text *text;         /* the edited copy */
	uint32_t base;                    /* generation it was copied from */
	char **ops;                       /* server and map commands to replay */
	int nops;
	int edits;                        /* rule edits made */
};

static void txn_free(void *arg)
{
	struct txn *x = arg;
	int i;

	if (!x)
		return;
	px_cfg_text_free(x->text);
	for (i = 0; i < x->nops; i++)
		free(x->ops[i]);
	free(x->ops);
	free(x);
}

static struct txn *txn_new(void)
{
	struct txn *x = calloc(1, sizeof(*x));

	if (!x || !px_gen_cur || !px_gen_cur->text ||
	    !(x->text = px_cfg_text_dup(px_gen_cur->text))) {
		free(x);
		return NULL;
	}
	x->base = px_gen_cur->id;
	return x;
}

/* Collects parse errors for the client. */
struct collect {
	struct px_cli_conn *c;
	int errors;
};

static void collect_report(void *arg, int is_warning, const char *msg)
{
	struct collect *col = arg;

	if (is_warning)
		return;
	col->errors++;
	/* Several errors: one line each, the first counts as the failure. */
	if (col->errors == 1)
		px_cli_error(col->c, 400, "%s", msg);
	else
		px_cli_printf(col->c, "%s\n", msg);
}

/* Parses <t> into a generation (sockets untouched). Returns it, or NULL
 * after writing the errors.
 */
static struct px_gen *parse_copy(struct px_cli_conn *c, const struct px_cfg_text *t,
                                 int check_only)
{
	struct collect col = { c, 0 };
	struct px_cfg_text *copy = px_cfg_text_dup(t);
	struct px_gen *gen;

	if (!copy) {
		px_cli_error(c, 500, "Out of memory.");
		return NULL;
	}
	gen = px_cfg_load_text(copy, check_only, collect_report, &col);
	if (!gen && !col.errors)
		px_cli_error(c, 400, "The configuration does not parse.");
	return gen;
}

/* Applies transaction <x>: the new generation, then the replayed
 * operations on it, then the switch. Returns the new generation's id, or
 * 0 after explaining why nothing changed.
 */
static uint32_t txn_apply(struct px_cli_conn *c, struct txn *x)
{
	struct px_gen *gen;
	char *err = NULL;
	int i;

	if (!px_gen_cur || px_gen_cur->id != x->base) {
		px_cli_error(c, 409, "The configuration changed since this edit started "
		             "(generation %u is running, not %u): nothing was applied.",
		             px_gen_cur ? px_gen_cur->id : 0, x->base);
		return 0;
	}
	gen = parse_copy(c, x->text, 0);
	if (!gen)
		return 0;
	if (!px_runtime) {
		px_cli_error(c, 500, "The configuration cannot change now.");
		px_gen_unref(gen);
		return 0;
	}
	if (px_runtime->prepare(gen, &err) < 0) {
		px_cli_error(c, 500, "%s", err);
		free(err);
		return 0;
	}
	px_cli_target = gen;
	for (i = 0; i < x->nops; i++) {
		if (px_cli_run_line(c, x->ops[i]) < 0) {
			px_cli_target = NULL;
			px_runtime->cancel(gen);
			px_cli_error(c, 409, "'%s' failed: nothing was applied.", x->ops[i]);
			return 0;
		}
	}
	px_cli_target = NULL;
	px_runtime->finish(gen);
	px_notice("configuration changed from the command socket (generation %u)", gen->id);
	return gen->id;
}

/* The transaction an edit goes to: the open one, or a new one that the
 * edit commits at once (*now set).
 */
static struct txn *edit_txn(struct px_cli_conn *c, int *now)
{
	struct txn *x = px_cli_txn(c);

	*now = !x;
	if (!x) {
		x = txn_new();
		if (!x)
			px_cli_error(c, 500, "No configuration text to edit.");
	}
	return x;
}

/* The configuration commands of <c> see: the running one, or the open
 * transaction's (parsed for the occasion; NULL after writing its errors).
 * The caller releases it.
 */
struct px_gen *px_txn_gen(struct px_cli_conn *c)
{
	struct txn *x = px_cli_txn(c);

	if (!x)
		return px_gen_cur ? px_gen_ref(px_gen_cur) : NULL;
	return parse_copy(c, x->text, 1);
}

/* --- show rules ------------------------------------------------------------- */

/* The rules of <px>, as text or as JSON objects (<*count> of them already
 * written, for the commas).
 */
static void show_proxy_rules(struct px_cli_conn *c, const struct px_cfg_text *t,
                             const struct px_proxy *px, int json, int *count)
{
	uint32_t from, to, i;
	char origin[300];

	if (section_of(t, px->id, &from, &to) < 0)
		return;
	if (!json)
		px_cli_printf(c, "# %s %s (%s:%d)\n", px->kind, px->id, px->file, px->line);
	for (i = from + 1; i < to; i++) {
		const struct px_cfg_line *l = &t->l[i];
		const struct px_rule *r;
		const char *s = l->text;

		if (!is_rule_line(s))
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		r = rule_by_lid(px, l->id);
		origin_str(l, origin, sizeof(origin));
		if (json) {
			px_cli_puts(c, (*count)++ ? ",\n{\"proxy\":" : "{\"proxy\":");
			px_cli_json_str(c, px->id, strlen(px->id));
			px_cli_printf(c, ",\"kind\":\"%s\",\"id\":%u,\"hits\":", px->kind, l->id);
			if (r)
				px_cli_printf(c, "%llu", (unsigned long long)r->hits);
			else
				px_cli_puts(c, "null");
			px_cli_puts(c, ",\"origin\":");
			px_cli_json_str(c, origin, strlen(origin));
			px_cli_puts(c, ",\"rule\":");
			px_cli_json_str(c, s, strlen(s));
			px_cli_puts(c, "}");
		} else if (r) {
			px_cli_printf(c, "%u\t%llu\t%s\t%s\n", l->id, (unsigned long long)r->hits,
			              origin, s);
		} else {
			px_cli_printf(c, "%u\t-\t%s\t%s\n", l->id, origin, s);
		}
	}
}

/* show rules [PROXY] [json] */
static int cmd_show_rules(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_gen *gen = px_gen_cur;
	const struct px_proxy *px = NULL;
	struct px_list *e;
	int json = 0, count = 0, i;

	for (i = 2; i < nargs; i++) {
		if (!strcmp(args[i], "json") && i == nargs - 1) {
			json = 1;
			px_cli_set_json(c, 1);
		} else if (i == 2) {
			px = gen ? px_proxy_find(gen, args[2], PX_CAP_FE | PX_CAP_BE) : NULL;
			if (!px) {
				px_cli_error(c, 404, "No such proxy '%s'.", args[2]);
				return 0;
			}
		} else {
			px_cli_error(c, 400, "'show rules' expects [<proxy>] [json].");
			return 0;
		}
	}
	if (!gen || !gen->text)
		return 0;
	if (json)
		px_cli_puts(c, "[");
	if (px) {
		show_proxy_rules(c, gen->text, px, json, &count);
	} else {
		px_list_for_each(e, &gen->proxies)
			show_proxy_rules(c, gen->text, px_container_of(e, struct px_proxy, link),
			                 json, &count);
	}
	if (json)
		px_cli_puts(c, "]\n");
	return 0;
}

/* --- editing ------------------------------------------------------------------- */

static int parse_lid(const char *s, uint32_t *id)
{
	uint64_t v;

	if (px_parse_uint(s, 0xffffffffu, &v) < 0 || !v)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* The position of rule <sid> in the section [from, to), or -1 after
 * answering the error.
 */
static int rule_pos(const struct px_cfg_text *t, const char *proxy, const char *sid,
                    uint32_t from, uint32_t to, char **err)
{
	uint32_t id;
	int pos;

	if (parse_lid(sid, &id) < 0) {
		px_strfmt(err, "'%s' is not a rule id (see 'show rules %s').", sid, proxy);
		return -1;
	}
	pos = px_cfg_text_find(t, id);
	if (pos < 0 || (uint32_t)pos <= from || (uint32_t)pos >= to ||
	    !is_rule_line(t->l[pos].text)) {
		px_strfmt(err, "No rule %u in '%s' (see 'show rules %s').", id, proxy, proxy);
		return -1;
	}
	return pos;
}

static const char *indent_of(const struct px_cfg_text *t, uint32_t from, uint32_t to)
{
	uint32_t i;

	for (i = from + 1; i < to; i++)
		if (t->l[i].text[0] == '\t')
			return "\t";
	return "    ";
}

/* Where a new line goes by default: after the last line of the section
 * with the same keyword, else after the last rule line, else at the end
 * of the section (before the blank lines that close it).
 */
static uint32_t default_pos(const struct px_cfg_text *t, uint32_t from, uint32_t to,
                            const char *kw)
{
	uint32_t i, same = 0, rule = 0, last = from;

	for (i = from + 1; i < to; i++) {
		char w[64];

		first_word(t->l[i].text, w, sizeof(w));
		if (!w[0])
			continue;
		last = i;
		if (in_list(w, rule_kws))
			rule = i;
		if (!strcmp(w, kw))
			same = i;
	}
	return (same ? same : rule ? rule : last) + 1;
}

static int check_rule_text(const char *text, char **err)
{
	if (!*text) {
		px_strfmt(err, "A rule is expected, written as in the configuration.");
		return -1;
	}
	if (!is_rule_line(text)) {
		char w[64];

		first_word(text, w, sizeof(w));
		px_strfmt(err, "'%s' is not a rule keyword (expected acl, http-request, "
		          "http-response, http-after-response, use_backend, redirect or a "
		          "req*/rsp* keyword).", w);
		return -1;
	}
	return 0;
}

/* One rule edit, done by rule_edit() on the text being edited. */
enum { RE_ADD, RE_ACLDEF, RE_DEL, RE_REPLACE };

struct rule_edit {
	int op;
	const char *proxy;
	const char *where;            /* RE_ADD: "at", "before", "after" or NULL */
	const char *arg;              /* its position or rule id; the rule id */
	const char *text;             /* the new line, without indentation */
	uint32_t id;                  /* the line's id, once done */
};

static int rule_edit(struct px_cfg_text *t, void *arg, char **err)
{
	struct rule_edit *e = arg;
	uint32_t from, to, pos, j;
	char line[16400], kw[64];
	int p;

	if (section_of(t, e->proxy, &from, &to) < 0) {
		px_strfmt(err, "No such proxy '%s'.", e->proxy);
		return -1;
	}
	if ((e->op == RE_ADD || e->op == RE_REPLACE) && check_rule_text(e->text, err) < 0)
		return -1;
	if (e->op == RE_DEL || e->op == RE_REPLACE) {
		p = rule_pos(t, e->proxy, e->arg, from, to, err);
		if (p < 0)
			return -1;
		e->id = t->l[p].id;
		if (e->op == RE_DEL) {
			px_cfg_text_delete(t, (uint32_t)p);
			return 0;
		}
		snprintf(line, sizeof(line), "%s%s", indent_of(t, from, to), e->text);
		return px_cfg_text_replace(t, (uint32_t)p, line);
	}
	first_word(e->text, kw, sizeof(kw));
	if (e->op == RE_ACLDEF) {
		/* After the proxy's last ACL, or before its first rule. */
		pos = 0;
		for (j = from + 1; j < to; j++) {
			char w[64];

			first_word(t->l[j].text, w, sizeof(w));
			if (!strcmp(w, "acl"))
				pos = j + 1;
			else if (!pos && in_list(w, rule_kws))
				pos = j;
		}
		if (!pos)
			pos = default_pos(t, from, to, "acl");
	} else if (!e->where) {
		pos = default_pos(t, from, to, kw);
	} else if (!strcmp(e->where, "at")) {
		uint64_t n, k = 0;

		if (px_parse_uint(e->arg, 1000000, &n) < 0 || !n) {
			px_strfmt(err, "'at' expects a position from 1.");
			return -1;
		}
		/* Positions count rules, not the ACL definitions they use. */
		pos = default_pos(t, from, to, "");
		for (j = from + 1; j < to; j++) {
			char w[64];

			first_word(t->l[j].text, w, sizeof(w));
			if (strcmp(w, "acl") && in_list(w, rule_kws) && ++k == n) {
				pos = j;
				break;
			}
		}
	} else {
		p = rule_pos(t, e->proxy, e->arg, from, to, err);
		if (p < 0)
			return -1;
		pos = (uint32_t)p + (e->where[0] == 'a');
	}
	snprintf(line, sizeof(line), "%s%s", indent_of(t, from, to), e->text);
	e->id = px_cfg_text_insert(t, pos, line);
	if (!e->id) {
		px_strfmt(err, "Out of memory.");
		return -1;
	}
	return 0;
}

/* Runs rule edit <e>, then says what happened: "Committed: generation N."
 * and <done> (with the line's id) outside a transaction, <done> and "(in
 * the transaction)" inside one.
 */
static int run_rule_edit(struct px_cli_conn *c, struct rule_edit *e, const char *done)
{
	uint32_t gen = px_live_text_edit(c, rule_edit, e, NULL);

	if (!gen)
		return 0;
	if (gen > 1 || !px_cli_txn(c))
		px_cli_printf(c, "Committed: generation %u.\n", gen);
	px_cli_printf(c, done, e->id, e->proxy);
	px_cli_puts(c, px_cli_txn(c) ? " (in the transaction).\n" : ".\n");
	return 0;
}

/* add rule PROXY [at N|before ID|after ID] TEXT */
static int cmd_add_rule(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct rule_edit e = { .op = RE_ADD, .proxy = args[2] };
	char *text;
	int i = 3;

	if (nargs < 4) {
		px_cli_error(c, 400, "'add rule' expects a proxy and a rule.");
		return 0;
	}
	if (!strcmp(args[3], "at") || !strcmp(args[3], "before") || !strcmp(args[3], "after")) {
		if (nargs < 6) {
			px_cli_error(c, 400, "'%s' expects a position and a rule.", args[3]);
			return 0;
		}
		e.where = args[3];
		e.arg = args[4];
		i = 5;
	}
	text = px_cli_rest(c, args, i);
	if (!text) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	e.text = text;
	run_rule_edit(c, &e, "Rule %u added to '%s'");
	free(text);
	return 0;
}

/* add acl-def PROXY NAME CRITERION...: an "acl" line. */
static int cmd_add_acl_def(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct rule_edit e = { .op = RE_ACLDEF, .proxy = args[2] };
	char *text, *line;

	if (nargs < 5) {
		px_cli_error(c, 400, "'add acl-def' expects a proxy, an ACL name and its "
		             "criterion.");
		return 0;
	}
	text = px_cli_rest(c, args, 3);
	line = text ? malloc(strlen(text) + 5) : NULL;
	if (!line) {
		free(text);
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	sprintf(line, "acl %s", text);
	e.text = line;
	run_rule_edit(c, &e, "ACL definition %u added to '%s'");
	free(line);
	free(text);
	return 0;
}

/* del rule PROXY ID */
static int cmd_del_rule(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct rule_edit e = { .op = RE_DEL, .proxy = args[2], .arg = nargs > 3 ? args[3] : "" };

	if (nargs != 4) {
		px_cli_error(c, 400, "'del rule' expects a proxy and a rule id.");
		return 0;
	}
	return run_rule_edit(c, &e, "Rule %u deleted from '%s'");
}

/* replace rule PROXY ID TEXT */
static int cmd_replace_rule(struct px_cli_conn *c, char **args, int nargs,
                            const char *payload)
{
	struct rule_edit e = { .op = RE_REPLACE, .proxy = args[2] };
	char *text;

	if (nargs < 5) {
		px_cli_error(c, 400, "'replace rule' expects a proxy, a rule id and a rule.");
		return 0;
	}
	e.arg = args[3];
	text = px_cli_rest(c, args, 4);
	if (!text) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	e.text = text;
	run_rule_edit(c, &e, "Rule %u replaced in '%s'");
	free(text);
	return 0;
}

/* --- transactions --------------------------------------------------------------- */

static int cmd_begin(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct txn *x;

	if (px_cli_txn(c)) {
		px_cli_error(c, 409, "A transaction is already open ('commit' or 'abort' it).");
		return 0;
	}
	x = txn_new();
	if (!x) {
		px_cli_error(c, 500, "No configuration text to edit.");
		return 0;
	}
	px_cli_set_txn(c, x, txn_free);
	px_cli_printf(c, "Transaction started on generation %u.\n", x->base);
	return 0;
}

static int cmd_abort(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	if (!px_cli_txn(c)) {
		px_cli_error(c, 409, "No transaction is open.");
		return 0;
	}
	px_cli_set_txn(c, NULL, NULL);
	px_cli_puts(c, "Transaction aborted: nothing changed.\n");
	return 0;
}

static int cmd_commit(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct txn *x = px_cli_txn(c);
	uint32_t id;

	if (!x) {
		px_cli_error(c, 409, "No transaction is open.");
		return 0;
	}
	id = txn_apply(c, x);
	/* Committed or not, the transaction is over: its base is gone in
	 * the first case, and in the second it cannot apply as it is.
	 */
	px_cli_set_txn(c, NULL, NULL);
	if (id)
		px_cli_printf(c, "Committed: generation %u.\n", id);
	return 0;
}

/* The lines of the section that holds line <pos> of <t>, as a header. */
static void section_header(const struct px_cfg_text *t, uint32_t pos, char *out, size_t size)
{
	uint32_t i = pos + 1;

	*out = '\0';
	while (i-- > 0) {
		char w[64];

		first_word(t->l[i].text, w, sizeof(w));
		if (in_list(w, section_kws)) {
			snprintf(out, size, "%s", t->l[i].text);
			return;
		}
	}
}

static int cmd_diff(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct txn *x = px_cli_txn(c);
	const struct px_cfg_text *base;
	char hdr[512], last[512] = "";
	uint32_t i;
	int k;

	if (!x) {
		px_cli_error(c, 409, "No transaction is open.");
		return 0;
	}
	base = px_gen_cur ? px_gen_cur->text : NULL;
	if (!base || px_gen_cur->id != x->base)
		px_cli_printf(c, "# warning: the running configuration changed since 'begin' "
		              "(generation %u); 'commit' will refuse\n", px_gen_cur ? px_gen_cur->id : 0);
	/* Lines gone: in the base, not in the copy. */
	for (i = 0; base && i < base->n; i++) {
		if (px_cfg_text_find(x->text, base->l[i].id) >= 0)
			continue;
		section_header(base, i, hdr, sizeof(hdr));
		if (strcmp(hdr, last)) {
			px_cli_printf(c, "@ %s\n", hdr);
			snprintf(last, sizeof(last), "%s", hdr);
		}
		px_cli_printf(c, "-%u\t%s\n", base->l[i].id, base->l[i].text);
	}
	/* Lines new or changed, in the copy's order. */
	for (i = 0; i < x->text->n; i++) {
		const struct px_cfg_line *l = &x->text->l[i];
		int bp = base ? px_cfg_text_find(base, l->id) : -1;

		if (bp >= 0 && !strcmp(base->l[bp].text, l->text))
			continue;
		section_header(x->text, i, hdr, sizeof(hdr));
		if (strcmp(hdr, last)) {
			px_cli_printf(c, "@ %s\n", hdr);
			snprintf(last, sizeof(last), "%s", hdr);
		}
		if (bp >= 0)
			px_cli_printf(c, "-%u\t%s\n", l->id, base->l[bp].text);
		px_cli_printf(c, "+%u\t%s\n", l->id, l->text);
	}
	for (k = 0; k < x->nops; k++)
		px_cli_printf(c, "> %s\n", x->ops[k]);
	return 0;
}

static int txn_add_op(struct txn *x, const char *line)
{
	char **ops = realloc(x->ops, ((size_t)x->nops + 1) * sizeof(*ops));
	char *copy = strdup(line);

	if (!ops || !copy) {
		if (ops)
			x->ops = ops;
		free(copy);
		return -1;
	}
	x->ops = ops;
	x->ops[x->nops++] = copy;
	return 0;
}

/* A change to the configuration text that is not a rule (a server line):
 * <edit> changes the text the connection edits; the result is checked by
 * the parser, then committed at once outside a transaction (the command
 * <op>, when not NULL, then runs on the new generation before it is
 * published). Returns the generation committed, 1 when the change went
 * into the open transaction, 0 when it was refused (errors written).
 */
uint32_t px_live_text_edit(struct px_cli_conn *c, int (*edit)(struct px_cfg_text *t, void *arg,
                                                               char **err),
                           void *arg, const char *op)
{
	struct px_cfg_text *before;
	struct txn *x;
	char *err = NULL;
	uint32_t id;
	int now;

	x = edit_txn(c, &now);
	if (!x)
		return 0;
	before = now ? NULL : px_cfg_text_dup(x->text);
	if (!now && !before) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	if (edit(x->text, arg, &err) < 0) {
		px_cli_error(c, 400, "%s", err ? err : "the change cannot be made");
		free(err);
		goto refused;
	}
	if (op && txn_add_op(x, op) < 0) {
		px_cli_error(c, 500, "Out of memory.");
		goto refused;
	}
	if (!now) {
		struct px_gen *gen = parse_copy(c, x->text, 1);

		if (!gen) {
			if (op)
				free(x->ops[--x->nops]);
			goto refused;
		}
		px_gen_unref(gen);
		x->edits++;
		px_cfg_text_free(before);
		return 1;
	}
	id = txn_apply(c, x);
	txn_free(x);
	return id;
refused:
	if (now) {
		txn_free(x);
	} else {
		/* The transaction's text as it was before this change. */
		px_cfg_text_free(x->text);
		x->text = before;
	}
	return 0;
}

/* Keeps a server or map command for the commit, when a transaction is
 * open. Returns 1 when it was kept (the caller does nothing more).
 */
int px_txn_defer(struct px_cli_conn *c, char **args, int nargs)
{
	struct txn *x = px_cli_txn(c);
	char *line, **ops;
	size_t len = 0;
	int i;

	if (!x || px_cli_target)
		return 0;
	for (i = 0; i < nargs; i++)
		len += strlen(args[i]) * 2 + 1;
	line = malloc(len + 1);
	ops = realloc(x->ops, ((size_t)x->nops + 1) * sizeof(*ops));
	if (!line || !ops) {
		free(line);
		if (ops)
			x->ops = ops;
		px_cli_error(c, 500, "Out of memory.");
		return 1;
	}
	x->ops = ops;
	len = 0;
	for (i = 0; i < nargs; i++) {
		const char *a;

		if (i)
			line[len++] = ' ';
		/* Re-escaped, since the replay splits the line again. */
		for (a = args[i]; *a; a++) {
			if (*a == ' ' || *a == '\t' || *a == ';' || *a == '\\')
				line[len++] = '\\';
			line[len++] = *a;
		}
	}
	line[len] = '\0';
	x->ops[x->nops++] = line;
	px_cli_puts(c, "Kept for the transaction.\n");
	return 1;
}

/* The position of the "server NAME" line of backend <be> in <t>, or -1;
 * <*end> gets where a new server line goes (after the last one).
 */
int px_live_server_line(const struct px_cfg_text *t, const char *be, const char *name,
                        uint32_t *end)
{
	uint32_t from, to, i;
	int pos = -1;

	if (section_of(t, be, &from, &to) < 0)
		return -2;
	*end = 0;
	for (i = from + 1; i < to; i++) {
		char w[64], n[256];
		const char *p = first_word(t->l[i].text, w, sizeof(w));

		if (strcmp(w, "server"))
			continue;
		*end = i + 1;
		first_word(p, n, sizeof(n));
		if (!strcmp(n, name))
			pos = (int)i;
	}
	if (!*end)
		*end = default_pos(t, from, to, "server");
	return pos;
}

const char *px_live_indent(const struct px_cfg_text *t, const char *be)
{
	uint32_t from, to;

	if (section_of(t, be, &from, &to) < 0)
		return "    ";
	return indent_of(t, from, to);
}

/* --- the configuration text --------------------------------------------------------- */

static int cmd_show_config(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const struct px_cfg_text *t = px_gen_cur ? px_gen_cur->text : NULL;
	uint32_t i;
	int fidx = -1;

	if (nargs == 3 && !strcmp(args[2], "json")) {
		/* One object per line: its text, id and origin. */
		px_cli_set_json(c, 1);
		px_cli_puts(c, "[");
		for (i = 0; t && i < t->n; i++) {
			char origin[300];

			origin_str(&t->l[i], origin, sizeof(origin));
			px_cli_printf(c, "%s{\"id\":%u,\"origin\":", i ? ",\n" : "", t->l[i].id);
			px_cli_json_str(c, origin, strlen(origin));
			px_cli_puts(c, ",\"text\":");
			px_cli_json_str(c, t->l[i].text, strlen(t->l[i].text));
			px_cli_puts(c, "}");
		}
		px_cli_puts(c, "]\n");
		return 0;
	}
	if (!t || nargs > 2) {
		if (nargs > 2)
			px_cli_error(c, 400, "'show config' expects nothing or 'json'.");
		return 0;
	}
	for (i = 0; i < t->n; i++) {
		const char *s = t->l[i].text;

		if (t->nfiles > 1 && t->l[i].fidx != fidx) {
			fidx = t->l[i].fidx;
			px_cli_printf(c, "# file: %s\n", t->files[fidx]);
		}
		/* No line may be empty: an empty line ends the answer. */
		px_cli_printf(c, "%s\n", *s ? s : " ");
	}
	return 0;
}

static int cmd_save_config(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const struct px_cfg_text *t = px_gen_cur ? px_gen_cur->text : NULL;
	char *err = NULL;
	int f;

	if (!t) {
		px_cli_error(c, 500, "No configuration text.");
		return 0;
	}
	if (nargs > 3) {
		px_cli_error(c, 400, "'save config' takes at most one path.");
		return 0;
	}
	if (nargs == 3) {
		if (px_cfg_text_save(t, args[2], -1, &err) < 0) {
			px_cli_error(c, 500, "%s", err);
			free(err);
			return 0;
		}
		px_cli_printf(c, "Configuration saved to '%s'.\n", args[2]);
		return 0;
	}
	for (f = 0; f < t->nfiles; f++) {
		if (px_cfg_text_save(t, t->files[f], f, &err) < 0) {
			px_cli_error(c, 500, "%s", err);
			free(err);
			return 0;
		}
		px_cli_printf(c, "Configuration saved to '%s'.\n", t->files[f]);
	}
	return 0;
}

static void reload_report(void *arg, int is_warning, const char *msg)
{
	struct px_cli_conn *c = arg;

	px_cli_printf(c, "%s%s\n", is_warning ? "" : "", msg);
}

static int cmd_reload(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	unsigned id;
	char *err = NULL;

	if (!px_runtime) {
		px_cli_error(c, 500, "The configuration cannot change now.");
		return 0;
	}
	id = px_runtime->reload(reload_report, c, &err);
	if (!id) {
		px_cli_error(c, 400, "Reload refused: %s", err ? err : "see above");
		free(err);
		return 0;
	}
	px_cli_printf(c, "Reloaded: generation %u.\n", id);
	return 0;
}

static const struct px_cli_handler liverules_handlers[] = {
	{ "show rules", cmd_show_rules },
	{ "add rule", cmd_add_rule },
	{ "del rule", cmd_del_rule },
	{ "replace rule", cmd_replace_rule },
	{ "add acl-def", cmd_add_acl_def },
	{ "begin", cmd_begin },
	{ "diff", cmd_diff },
	{ "commit", cmd_commit },
	{ "abort", cmd_abort },
	{ "show config", cmd_show_config },
	{ "save config", cmd_save_config },
	{ "reload", cmd_reload },
	{ NULL }
};

static struct px_cli_handler_list liverules_list = { .h = liverules_handlers };

__attribute__((constructor)) static void liverules_register(void)
{
	px_cli_register(&liverules_list);
}
