/* Output for people: "show stat" as an aligned table of the columns that
 * matter, "show sess" as a table, "show info" as aligned "key: value";
 * every other answer as received. Also the CSV parser that top.c and
 * names.c share. Rendering only writes into buffers: printing and paging
 * are main.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pxsh-t.h"
#include "pxsh.h"

#define TABLE_MAXCOLS 20

/* A table being built: titles are row 0. */
struct table {
	int ncols;
	struct sh_list cells;            /* row-major */
	int right[TABLE_MAXCOLS];        /* 1: right-aligned (numbers) */
	int status_col;                  /* the column coloured by state, or -1 */
};

const char *px_sh_status_color(const char *status)
{
	if (!strncmp(status, "UP", 2) || !strncmp(status, "OPEN", 4))
		return "\x1b[32m";
	if (!strncmp(status, "DOWN", 4))
		return "\x1b[31m";
	if (!strncmp(status, "MAINT", 5) || !strncmp(status, "DRAIN", 5) ||
	    !strncmp(status, "NOLB", 4))
		return "\x1b[33m";
	return NULL;
}

static void table_render(const struct table *t, int color, struct sh_buf *dst)
{
	int width[TABLE_MAXCOLS] = { 0 };
	int i, c, rows = t->cells.n / t->ncols;

	for (i = 0; i < t->cells.n; i++) {
		int w = (int)strlen(t->cells.v[i]);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (i = 0; i < rows; i++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells.v[i * t->ncols + c];
			const char *esc = NULL;
			int pad = width[c] - (int)strlen(cell), last = c == t->ncols - 1;

			if (color && i > 0 && c == t->status_col)
				esc = px_sh_status_color(cell);
			if (c)
				px_sh_buf_add(dst, "  ", 2);
			if (t->right[c])
				px_sh_buf_printf(dst, "%*s", pad, "");
			if (esc)
				px_sh_buf_str(dst, esc);
			px_sh_buf_str(dst, cell);
			if (esc)
				px_sh_buf_str(dst, "\x1b[0m");
			if (!t->right[c] && !last)
				px_sh_buf_printf(dst, "%*s", pad, "");
		}
		/* No trailing blanks: an empty last cell leaves padding. */
		while (dst->len && dst->data[dst->len - 1] == ' ')
			dst->len--;
		px_sh_buf_add(dst, "\n", 1);
	}
}

/* Parses a CSV answer whose first line is "# name,name,...". Fields hold
 * no commas or quotes in HAProxy's stats, so a plain split is enough.
 * Returns 0, or -1 when the answer is not such a CSV (<csv> is then empty).
 */
int px_sh_csv_parse(const char *text, size_t len, struct sh_csv *csv)
{
	const char *p = text, *end = text + len;
	int first = 1;

	memset(csv, 0, sizeof(*csv));
	if (len < 2 || text[0] != '#')
		return -1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *f;
		struct sh_list *l;

		if (!eol)
			eol = end;
		if (eol == p) {
			p = eol + 1;
			continue;
		}
		if (first) {
			p += 1;
			while (p < eol && *p == ' ')
				p++;
			l = &csv->head;
		} else {
			csv->rows = realloc(csv->rows, sizeof(*csv->rows) * (size_t)(csv->nrows + 1));
			if (!csv->rows)
				exit(PXSH_EXIT_FAILED);
			l = &csv->rows[csv->nrows++];
			memset(l, 0, sizeof(*l));
		}
		for (f = p;; ) {
			const char *comma = memchr(f, ',', (size_t)(eol - f));

			if (!comma)
				comma = eol;
			/* The line ends with a comma: no empty last field. */
			if (comma == eol && f == eol && f > p)
				break;
			px_sh_list_addn(l, f, (size_t)(comma - f));
			if (comma == eol)
				break;
			f = comma + 1;
		}
		first = 0;
		p = eol + 1;
	}
	return 0;
}

void px_sh_csv_free(struct sh_csv *csv)
{
	int i;

	px_sh_list_free(&csv->head);
	for (i = 0; i < csv->nrows; i++)
		px_sh_list_free(&csv->rows[i]);
	free(csv->rows);
	memset(csv, 0, sizeof(*csv));
}

/* Returns the index of column <name>, or -1. */
int px_sh_csv_col(const struct sh_csv *csv, const char *name)
{
	int i;

	for (i = 0; i < csv->head.n; i++)
		if (!strcmp(csv->head.v[i], name))
			return i;
	return -1;
}

/* Returns row <r>'s field in column <col>, "" when it has none. */
const char *px_sh_csv_get(const struct sh_csv *csv, int r, int col)
{
	if (col < 0 || r < 0 || r >= csv->nrows || col >= csv->rows[r].n)
		return "";
	return csv->rows[r].v[col];
}

/* Writes a byte count for people: "812", "12.4K", "3.1M" (powers of 1024). */
void px_sh_human_bytes(const char *num, char *out, size_t size)
{
	static const char units[] = "KMGTP";
	double v;
	char *end;
	int u = -1;

	v = strtod(num, &end);
	if (!*num || *end || v < 10000) {
		snprintf(out, size, "%s", num);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, "%.1f%c", v, units[u]);
}

/* Writes a duration in seconds for people: "42s", "3m12s", "2h05m", "3d04h". */
void px_sh_human_secs(const char *num, char *out, size_t size)
{
	char *end;
	long s = strtol(num, &end, 10);

	if (!*num || *end || s < 0)
		snprintf(out, size, "%s", num);
	else if (s < 60)
		snprintf(out, size, "%lds", s);
	else if (s < 3600)
		snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

/* The "show stat" columns shown, in order; bin/bout and lastchg are
 * written for people. A column the socket does not send is left out.
 */
static const char *const stat_cols[] = {
	"pxname", "svname", "status", "weight", "scur", "smax", "stot", "rate",
	"bin", "bout", "ereq", "econ", "eresp", "chkfail", "lastchg", NULL,
};

static int render_stat(const char *answer, size_t len, int color, struct sh_buf *dst)
{
	struct table t = { .status_col = -1 };
	struct sh_csv csv;
	int idx[TABLE_MAXCOLS], i, r;

	if (px_sh_csv_parse(answer, len, &csv) < 0 || px_sh_csv_col(&csv, "pxname") < 0) {
		px_sh_csv_free(&csv);
		return -1;
	}
	for (i = 0; stat_cols[i]; i++) {
		int col = px_sh_csv_col(&csv, stat_cols[i]);

		if (col < 0)
			continue;
		idx[t.ncols] = col;
		t.right[t.ncols] = i >= 3;
		if (!strcmp(stat_cols[i], "status"))
			t.status_col = t.ncols;
		px_sh_list_add(&t.cells, stat_cols[i]);
		t.ncols++;
	}
	for (r = 0; r < csv.nrows; r++) {
		for (i = 0; i < t.ncols; i++) {
			const char *v = px_sh_csv_get(&csv, r, idx[i]), *name = csv.head.v[idx[i]];
			char human[64];

			if (!strcmp(name, "bin") || !strcmp(name, "bout")) {
				px_sh_human_bytes(v, human, sizeof(human));
				v = human;
			} else if (!strcmp(name, "lastchg")) {
				px_sh_human_secs(v, human, sizeof(human));
				v = human;
			}
			px_sh_list_add(&t.cells, v);
		}
	}
	table_render(&t, color, dst);
	px_sh_list_free(&t.cells);
	px_sh_csv_free(&csv);
	return 0;
}

/* "show sess" lines: "0x55d0c8a1e2c0: proto=tcpv4 src=127.0.0.1:51234
 * fe=fe be=app srv=s1 ts=00 age=3s calls=4 ..." become a table of the
 * fields below. Any line not of that form (a session's detail) means the
 * answer is shown as is.
 */
static const char *const sess_keys[] = { "proto", "src", "fe", "be", "srv", "age", "calls", "exp", NULL };

static int render_sess(const char *answer, size_t len, struct sh_buf *dst)
{
	struct table t = { .status_col = -1 };
	const char *p = answer, *end = answer + len;
	int i;

	px_sh_list_add(&t.cells, "id");
	for (i = 0; sess_keys[i]; i++)
		px_sh_list_add(&t.cells, sess_keys[i]);
	t.ncols = i + 1;
	t.right[6] = t.right[7] = 1;   /* age, calls */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon;
		struct sh_list words = { 0 };
		struct sh_buf line = { 0 };

		if (!eol)
			eol = end;
		if (eol == p) {
			p = eol + 1;
			continue;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (eol - p < 3 || memcmp(p, "0x", 2) || !colon) {
			px_sh_list_free(&t.cells);
			return -1;
		}
		px_sh_list_addn(&t.cells, p, (size_t)(colon - p));
		px_sh_buf_add(&line, colon + 1, (size_t)(eol - colon - 1));
		px_sh_split_words(line.data, &words, NULL);
		for (i = 0; sess_keys[i]; i++) {
			size_t kl = strlen(sess_keys[i]);
			const char *val = "-";
			int w;

			for (w = 0; w < words.n; w++)
				if (!strncmp(words.v[w], sess_keys[i], kl) && words.v[w][kl] == '=') {
					val = words.v[w] + kl + 1;
					break;
				}
			px_sh_list_add(&t.cells, val);
		}
		px_sh_list_free(&words);
		px_sh_buf_free(&line);
		p = eol + 1;
	}
	table_render(&t, 0, dst);
	px_sh_list_free(&t.cells);
	return 0;
}

/* "Key: value" lines, values aligned after the longest key. */
static int render_info(const char *answer, size_t len, struct sh_buf *dst)
{
	const char *p, *end = answer + len;
	int keyw = 0;

	for (p = answer; p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (eol > p && !colon)
			return -1;
		if (colon && colon - p > keyw)
			keyw = (int)(colon - p);
		p = eol + 1;
	}
	for (p = answer; p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon, *v;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			for (v = colon + 1; v < eol && *v == ' '; v++)
				;
			px_sh_buf_printf(dst, "%.*s:%*s %.*s\n", (int)(colon - p), p,
					 keyw - (int)(colon - p), "", (int)(eol - v), v);
		}
		p = eol + 1;
	}
	return 0;
}

/* Renders the answer to <cmd> into <dst>: as a table or aligned list for
 * the commands above in human mode, as received otherwise (and always for
 * error answers). <color> allows ANSI colours.
 */
void px_sh_render(const char *cmd, const char *answer, size_t len, enum sh_output mode,
		  int color, struct sh_buf *dst)
{
	struct sh_list w = { 0 };
	size_t before = dst->len;
	int done = -1;

	if (mode == SH_OUT_HUMAN && len && !px_sh_is_error(answer, len)) {
		px_sh_split_words(cmd, &w, NULL);
		if (w.n >= 2 && !strcmp(w.v[0], "show") && !strcmp(w.v[1], "stat") &&
		    !px_sh_list_has(&w, "json") && !px_sh_list_has(&w, "typed"))
			done = render_stat(answer, len, color, dst);
		else if (w.n >= 2 && !strcmp(w.v[0], "show") && !strcmp(w.v[1], "sess") &&
			 !px_sh_list_has(&w, "json"))
			done = render_sess(answer, len, dst);
		else if (w.n == 2 && !strcmp(w.v[0], "show") && !strcmp(w.v[1], "info"))
			done = render_info(answer, len, dst);
		px_sh_list_free(&w);
	}
	if (done < 0) {
		dst->len = before;
		px_sh_buf_add(dst, answer, len);
	}
}
