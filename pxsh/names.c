/* Live names for completion: frontends, backends, servers, sessions, ACLs,
 * maps and rule ids, fetched from the socket and cached for a moment (a
 * burst of Tabs costs one request).
 *
 * proxyd answers "show names KIND" with one name per line. HAProxy does
 * not know that command: the first error answer switches the connection to
 * the fallback for good, which reads "show stat" (proxies and servers),
 * "show sess" (session ids), "show acl" and "show map" (references).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pxsh-t.h"
#include "pxsh.h"

#define NAMES_CACHE_MS 2000

static const char *const kind_words[SH_NAMES_COUNT] = {
	[SH_NAMES_FRONTENDS] = "frontends",
	[SH_NAMES_BACKENDS] = "backends",
	[SH_NAMES_PROXIES] = "proxies",
	[SH_NAMES_SERVERS] = "servers",
	[SH_NAMES_SESSIONS] = "sessions",
	[SH_NAMES_ACLS] = "acls",
	[SH_NAMES_MAPS] = "maps",
};

/* Calls <fn> on each non-empty line of <text>. */
static void each_line(const char *text, size_t len, void (*fn)(const char *, size_t, void *),
		      void *arg)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (eol > p)
			fn(p, (size_t)(eol - p), arg);
		p = eol + 1;
	}
}

static void add_unique(struct sh_list *l, const char *s, size_t len)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && !memcmp(l->v[i], s, len))
			return;
	px_sh_list_addn(l, s, len);
}

static void name_line(const char *line, size_t len, void *arg)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len)
		add_unique(arg, line, len);
}

/* "0x55d0c8a1e2c0: proto=..." gives "0x55d0c8a1e2c0". */
static void sess_line(const char *line, size_t len, void *arg)
{
	const char *colon = memchr(line, ':', len);

	if (len > 2 && !memcmp(line, "0x", 2) && colon)
		add_unique(arg, line, (size_t)(colon - line));
}

/* "2 (/etc/proxyd/hosts.map) pattern loaded ..." gives "#2" and the file. */
static void ref_line(const char *line, size_t len, void *arg)
{
	const char *sp = memchr(line, ' ', len), *close;
	char id[32];

	if (!len || line[0] == '#' || !sp || (size_t)(sp - line) >= sizeof(id) - 1)
		return;
	snprintf(id, sizeof(id), "#%.*s", (int)(sp - line), line);
	add_unique(arg, id, strlen(id));
	if ((size_t)(sp - line) + 2 < len && sp[1] == '(') {
		close = memchr(sp + 2, ')', len - (size_t)(sp + 2 - line));
		if (close && close > sp + 2)
			add_unique(arg, sp + 2, (size_t)(close - sp - 2));
	}
}

static void from_stat(const char *answer, size_t len, enum sh_name_kind kind, struct sh_list *out)
{
	struct sh_csv csv;
	int r, px, sv;

	if (px_sh_csv_parse(answer, len, &csv) < 0)
		return;
	px = px_sh_csv_col(&csv, "pxname");
	sv = px_sh_csv_col(&csv, "svname");
	for (r = 0; px >= 0 && sv >= 0 && r < csv.nrows; r++) {
		const char *p = px_sh_csv_get(&csv, r, px), *s = px_sh_csv_get(&csv, r, sv);
		int is_fe = !strcmp(s, "FRONTEND"), is_be = !strcmp(s, "BACKEND");

		if ((kind == SH_NAMES_FRONTENDS && is_fe) || (kind == SH_NAMES_BACKENDS && is_be) ||
		    kind == SH_NAMES_PROXIES) {
			add_unique(out, p, strlen(p));
		} else if (kind == SH_NAMES_SERVERS && !is_fe && !is_be) {
			char name[512];

			snprintf(name, sizeof(name), "%s/%s", p, s);
			add_unique(out, name, strlen(name));
		}
	}
	px_sh_csv_free(&csv);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Returns the live names of <kind> (owned by the connection's cache, valid
 * until the next call), or NULL when the socket could not tell.
 */
const struct sh_list *px_sh_names(struct sh_conn *c, enum sh_name_kind kind)
{
	struct sh_list *l = &c->cache[kind].names;
	struct sh_buf answer = { 0 };
	char cmd[64];

	if (c->cache[kind].at.tv_sec && ms_since(&c->cache[kind].at) < NAMES_CACHE_MS)
		return l;
	px_sh_list_clear(l);
	if (!c->no_show_names) {
		snprintf(cmd, sizeof(cmd), "show names %s", kind_words[kind]);
		if (px_sh_conn_cmd(c, cmd, NULL, &answer) < 0)
			goto fail;
		if (!px_sh_conn_failed(c, answer.data, answer.len)) {
			each_line(answer.data, answer.len, name_line, l);
			goto done;
		}
		c->no_show_names = 1;
		px_sh_buf_reset(&answer);
	}
	switch (kind) {
	case SH_NAMES_SESSIONS:
		if (px_sh_conn_cmd(c, "show sess", NULL, &answer) < 0)
			goto fail;
		each_line(answer.data, answer.len, sess_line, l);
		break;
	case SH_NAMES_ACLS:
	case SH_NAMES_MAPS:
		if (px_sh_conn_cmd(c, kind == SH_NAMES_ACLS ? "show acl" : "show map", NULL, &answer) < 0)
			goto fail;
		if (!px_sh_conn_failed(c, answer.data, answer.len))
			each_line(answer.data, answer.len, ref_line, l);
		break;
	default:
		if (px_sh_conn_cmd(c, "show stat", NULL, &answer) < 0)
			goto fail;
		from_stat(answer.data, answer.len, kind, l);
		break;
	}
done:
	clock_gettime(CLOCK_MONOTONIC, &c->cache[kind].at);
	px_sh_buf_free(&answer);
	return l;
fail:
	px_sh_buf_free(&answer);
	return NULL;
}

/* Fills <out> with the ids of <proxy>'s rules (the first column of "show
 * rules PROXY"). Returns 0, or -1 when the socket did not give them.
 */
int px_sh_rule_ids(struct sh_conn *c, const char *proxy, struct sh_list *out)
{
	struct sh_list ids = { 0 }, texts = { 0 };
	int i;

	if (px_sh_rules_fetch(c, proxy, &ids, &texts, NULL) < 0)
		return -1;
	for (i = 0; i < ids.n; i++)
		px_sh_list_add(out, ids.v[i]);
	px_sh_list_free(&ids);
	px_sh_list_free(&texts);
	return 0;
}
