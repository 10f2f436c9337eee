/* Completion: from the text before the cursor, the words that may come
 * next. Command words come from the shared command table (clitab.c) and
 * pxsh's own commands (below); arguments from the table's argument kinds:
 * live names (names.c), PX_CA_CHOICE words, and the alternatives a usage
 * string spells after a keyword ("state ready|drain|maint"). Also finds
 * the usage hint of the command typed so far. The line editor (line.c)
 * does the inserting and the listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/clitab.h"
#include "pxsh-t.h"
#include "pxsh.h"

/* pxsh's own commands, run locally; "help" lists them after the socket's. */
const struct px_cli_desc px_sh_local_cmds[] = {
	{ .words = "watch", .usage = "[-n <seconds>] <command>",
	  .help = "run a command every N seconds (default 2), changes in reverse video; q quits",
	  .level = PX_CLI_USER, .args = { PX_CA_COMMAND } },
	{ .words = "top", .usage = "",
	  .help = "live server list: arrows/j/k select, d drain, m maint, r ready, q quit",
	  .level = PX_CLI_USER },
	{ .words = "edit rules", .usage = "[-y] <proxy>",
	  .help = "edit a proxy's rules in $EDITOR, send the changes as one transaction",
	  .level = PX_CLI_ADMIN, .args = { PX_CA_PROXY } },
	{ .words = "trace", .usage = "<method> <uri> [<name>:<value> ...]",
	  .help = "send a request built from this to \"trace request\"",
	  .level = PX_CLI_OPERATOR, .args = { PX_CA_CHOICE, PX_CA_TEXT },
	  .choices = "GET HEAD POST PUT DELETE OPTIONS PATCH" },
	{ .words = "exit", .usage = "", .help = "leave pxsh (as quit)", .level = PX_CLI_USER },
	{ .words = NULL }
};

static void add_matching(struct sh_list *out, const char *cand, const char *partial)
{
	if (!strncmp(cand, partial, strlen(partial)) && !px_sh_list_has(out, cand))
		px_sh_list_add(out, cand);
}

/* Whether the first <n> words of <w> are the first words of <entry>; sets
 * *entry_words to the number of words <entry> has.
 */
static int words_match(const char *entry, const struct sh_list *w, int n, int *entry_words)
{
	struct sh_list ew = { 0 };
	int i, ok = 1;

	px_sh_split_words(entry, &ew, NULL);
	*entry_words = ew.n;
	for (i = 0; i < n && ok; i++)
		ok = i < ew.n && !strcmp(ew.v[i], w->v[i]);
	px_sh_list_free(&ew);
	return ok;
}

/* The <i>-th word of <entry>'s words, into <out>. */
static void entry_word(const char *entry, int i, struct sh_list *out, const char *partial)
{
	struct sh_list ew = { 0 };

	px_sh_split_words(entry, &ew, NULL);
	if (i < ew.n)
		add_matching(out, ew.v[i], partial);
	px_sh_list_free(&ew);
}

static void add_words(struct sh_list *out, const char *spaced, const char *partial)
{
	struct sh_list w = { 0 };
	int i;

	px_sh_split_words(spaced, &w, NULL);
	for (i = 0; i < w.n; i++)
		add_matching(out, w.v[i], partial);
	px_sh_list_free(&w);
}

/* Adds the live names of an argument kind. <proxy> is the proxy typed
 * before (for rule ids).
 */
static void add_kind(struct sh_session *s, int kind, const struct px_cli_desc *d,
		     const char *proxy, const char *partial, struct sh_list *out)
{
	static const int to_names[] = {
		[PX_CA_FRONTEND] = SH_NAMES_FRONTENDS, [PX_CA_BACKEND] = SH_NAMES_BACKENDS,
		[PX_CA_PROXY] = SH_NAMES_PROXIES, [PX_CA_SERVER] = SH_NAMES_SERVERS,
		[PX_CA_SESSION] = SH_NAMES_SESSIONS, [PX_CA_ACL] = SH_NAMES_ACLS,
		[PX_CA_MAP] = SH_NAMES_MAPS,
	};
	const struct sh_list *names;
	struct sh_list ids = { 0 };
	int i;

	switch (kind) {
	case PX_CA_CHOICE:
		if (d->choices)
			add_words(out, d->choices, partial);
		return;
	case PX_CA_RULE:
		if (proxy && px_sh_rule_ids(&s->conn, proxy, &ids) == 0)
			for (i = 0; i < ids.n; i++)
				add_matching(out, ids.v[i], partial);
		px_sh_list_free(&ids);
		return;
	case PX_CA_FRONTEND: case PX_CA_BACKEND: case PX_CA_PROXY: case PX_CA_SERVER:
	case PX_CA_SESSION: case PX_CA_ACL: case PX_CA_MAP:
		names = px_sh_names(&s->conn, to_names[kind]);
		for (i = 0; names && i < names->n; i++)
			add_matching(out, names->v[i], partial);
		return;
	default:
		return;
	}
}

static int in_choices(const struct px_cli_desc *d, const char *word)
{
	struct sh_list w = { 0 };
	int found;

	if (!d->choices)
		return 0;
	px_sh_split_words(d->choices, &w, NULL);
	found = px_sh_list_has(&w, word);
	px_sh_list_free(&w);
	return found;
}

/* The alternatives the usage string spells right after the keyword
 * <prev>: in "state ready|drain|maint", after "state", ready, drain and
 * maint. Only literal words (no <placeholder>) are taken.
 */
static void add_usage_alternatives(const char *usage, const char *prev, const char *partial,
				   struct sh_list *out)
{
	struct sh_list u = { 0 };
	int i;

	px_sh_split_words(usage, &u, NULL);
	for (i = 0; i + 1 < u.n; i++) {
		char alt[256], *p, *tok;

		if (strcmp(u.v[i], prev) || strchr(u.v[i + 1], '<'))
			continue;
		snprintf(alt, sizeof(alt), "%s", u.v[i + 1]);
		for (p = alt; *p; p++)
			if (*p == '[' || *p == ']')
				*p = '|';
		for (tok = strtok(alt, "|"); tok; tok = strtok(NULL, "|"))
			add_matching(out, tok, partial);
	}
	px_sh_list_free(&u);
}

/* Completes the arguments of <d>, whose words are followed in <w> by the
 * arguments from index <first> on.
 */
static void complete_args(struct sh_session *s, const struct px_cli_desc *d,
			  const struct sh_list *w, int first, const char *partial, struct sh_list *out)
{
	const char *proxy = NULL;
	int pos = 0, i, kind;

	for (i = first; i < w->n; i++) {
		kind = pos < PX_CLI_MAXARGS ? d->args[pos] : PX_CA_END;
		if (kind == PX_CA_PROXY || kind == PX_CA_BACKEND || kind == PX_CA_FRONTEND)
			proxy = w->v[i];
		/* An optional choice the user did not write: the word is the
		 * next argument's.
		 */
		if (kind == PX_CA_CHOICE && !in_choices(d, w->v[i]) && pos + 1 < PX_CLI_MAXARGS &&
		    d->args[pos + 1] != PX_CA_END) {
			pos++;
			kind = d->args[pos];
			if (kind == PX_CA_PROXY || kind == PX_CA_BACKEND || kind == PX_CA_FRONTEND)
				proxy = w->v[i];
		}
		if (pos < PX_CLI_MAXARGS)
			pos++;
	}
	kind = pos < PX_CLI_MAXARGS ? d->args[pos] : PX_CA_END;
	add_kind(s, kind, d, proxy, partial, out);
	if (kind == PX_CA_CHOICE && pos + 1 < PX_CLI_MAXARGS)
		add_kind(s, d->args[pos + 1], d, proxy, partial, out);
	if (!out->n && w->n > first)
		add_usage_alternatives(d->usage, w->v[w->n - 1], partial, out);
}

/* Looks <w> (complete words) and <partial> up in one table. */
static void complete_in(struct sh_session *s, const struct px_cli_desc *tab,
			const struct sh_list *w, const char *partial, int words_only,
			struct sh_list *out, struct sh_buf *hint, int *best)
{
	int i;

	for (i = 0; tab[i].words; i++) {
		int m, typed_ok = words_match(tab[i].words, w, w->n, &m);

		if (w->n < m) {
			/* Still in the command words. */
			if (typed_ok)
				entry_word(tab[i].words, w->n, out, partial);
			continue;
		}
		if (!words_match(tab[i].words, w, m, &m) || m <= *best)
			continue;
		/* The longest command whose words are all typed wins. */
		*best = m;
		px_sh_buf_reset(hint);
		px_sh_buf_printf(hint, "usage: %s%s%s  (%s)", tab[i].words, *tab[i].usage ? " " : "",
				 tab[i].usage, tab[i].help);
		if (!words_only) {
			if (tab[i].args[0] == PX_CA_COMMAND) {
				struct sh_list rest = { 0 };
				int j, start = m;

				/* "watch [-n N] CMD", "help CMD": complete the command. */
				if (start + 1 < w->n && !strcmp(w->v[start], "-n"))
					start += 2;
				for (j = start; j < w->n; j++)
					px_sh_list_add(&rest, w->v[j]);
				px_sh_list_clear(out);
				px_sh_complete_words(s, &rest, partial, !strcmp(tab[i].words, "help"),
						     out, hint);
				px_sh_list_free(&rest);
				*best = 1000;
				return;
			}
			complete_args(s, &tab[i], w, m, partial, out);
		}
	}
}

/* Completes the word <partial> that follows the complete words <w>: adds
 * the candidates to <out> and the usage of the command recognised (if
 * any) to <hint>. With <words_only>, only command words (for "help").
 */
void px_sh_complete_words(struct sh_session *s, const struct sh_list *w, const char *partial,
			  int words_only, struct sh_list *out, struct sh_buf *hint)
{
	int best = 0;

	complete_in(s, px_cli_cmds, w, partial, words_only, out, hint, &best);
	if (best < 1000)
		complete_in(s, px_sh_local_cmds, w, partial, words_only, out, hint, &best);
}

/* Completes the text before the cursor, <line>. Sets *partial_len to the
 * length of the word being completed (0 after a blank).
 */
void px_sh_complete(struct sh_session *s, const char *line, struct sh_list *out,
		    size_t *partial_len, struct sh_buf *hint)
{
	struct sh_list w = { 0 };
	const char *last = line, *p;
	char *partial;
	int open;

	/* Only the last command of the line counts. */
	for (p = line; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == ';')
			last = p + 1;
	}
	px_sh_split_words(last, &w, &open);
	if (open && w.n) {
		/* The last word is the one being completed, not a typed one. */
		partial = w.v[--w.n];
	} else {
		partial = px_sh_strdup("");
	}
	*partial_len = strlen(partial);
	px_sh_complete_words(s, &w, partial, 0, out, hint);
	free(partial);
	px_sh_list_free(&w);
}
