/* "top": a live list of the servers, refreshed from "show stat" every
 * second, in the manner of hatop. Arrows or j/k select a server; d drains
 * it, m puts it in maintenance, r (or e) makes it ready, each with "set
 * server B/S state ..."; q or Ctrl-C leaves. The answer to an action shows
 * on the status line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pxsh-t.h"
#include "pxsh.h"

/* The columns shown: CSV name, title, width. */
static const struct {
	const char *col;
	const char *title;
	int width;
} top_cols[] = {
	{ "status", "STATUS", 10 }, { "weight", "WEIGHT", 6 }, { "scur", "CUR", 6 },
	{ "smax", "MAX", 6 }, { "rate", "RATE", 6 }, { "rate_max", "RMAX", 6 },
	{ "stot", "TOTAL", 9 }, { "chkfail", "CHKFAIL", 7 }, { "lastchg", "LASTCHG", 8 },
	{ NULL, NULL, 0 },
};

struct top_state {
	struct sh_csv csv;
	int *servers;            /* CSV rows that are servers */
	int nservers;
	char selected[512];      /* "backend/server" of the selected line */
	char message[512];       /* the status line */
};

static void load(struct sh_session *s, struct top_state *t)
{
	struct sh_buf answer = { 0 };
	int r, px, sv;

	px_sh_csv_free(&t->csv);
	free(t->servers);
	t->servers = NULL;
	t->nservers = 0;
	if (px_sh_conn_cmd(&s->conn, "show stat", NULL, &answer) < 0) {
		snprintf(t->message, sizeof(t->message), "%s", answer.data ? answer.data : "");
		goto out;
	}
	if (px_sh_csv_parse(answer.data, answer.len, &t->csv) < 0) {
		snprintf(t->message, sizeof(t->message), "show stat: %.*s",
			 (int)px_sh_first_line_len(answer.data, answer.len), answer.data);
		goto out;
	}
	px = px_sh_csv_col(&t->csv, "pxname");
	sv = px_sh_csv_col(&t->csv, "svname");
	t->servers = calloc((size_t)t->csv.nrows + 1, sizeof(*t->servers));
	for (r = 0; t->servers && px >= 0 && sv >= 0 && r < t->csv.nrows; r++) {
		const char *name = px_sh_csv_get(&t->csv, r, sv);

		if (strcmp(name, "FRONTEND") && strcmp(name, "BACKEND"))
			t->servers[t->nservers++] = r;
	}
out:
	px_sh_buf_free(&answer);
}

static void server_name(const struct top_state *t, int i, char *out, size_t size)
{
	int r = t->servers[i];

	snprintf(out, size, "%s/%s", px_sh_csv_get(&t->csv, r, px_sh_csv_col(&t->csv, "pxname")),
		 px_sh_csv_get(&t->csv, r, px_sh_csv_col(&t->csv, "svname")));
}

/* The index of the selected server, which stays selected when the list
 * changes (it is found by name); the first one otherwise.
 */
static int selected_index(struct top_state *t)
{
	char name[512];
	int i;

	for (i = 0; i < t->nservers; i++) {
		server_name(t, i, name, sizeof(name));
		if (!strcmp(name, t->selected))
			return i;
	}
	if (t->nservers)
		server_name(t, 0, t->selected, sizeof(t->selected));
	return t->nservers ? 0 : -1;
}

static void draw(struct sh_session *s, struct top_state *t)
{
	struct sh_buf o = { 0 };
	int rows, cols, i, c, sel = selected_index(t), first = 0, room, namew = 14;
	char clock[32], name[512];
	time_t now = time(NULL);

	px_sh_term_size(&rows, &cols);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	for (i = 0; i < t->nservers; i++) {
		server_name(t, i, name, sizeof(name));
		if ((int)strlen(name) > namew)
			namew = (int)strlen(name);
	}
	if (namew > 40)
		namew = 40;
	px_sh_buf_str(&o, "\x1b[H\x1b[2J");
	px_sh_buf_printf(&o, "pxsh top  %s  %s  %d servers\n", s->conn.target, clock, t->nservers);
	px_sh_buf_printf(&o, "\x1b[1m%-*s", namew, "SERVER");
	for (c = 0; top_cols[c].col; c++)
		px_sh_buf_printf(&o, " %*s", top_cols[c].width, top_cols[c].title);
	px_sh_buf_str(&o, "\x1b[0m\x1b[K\n");
	room = rows - 5;
	if (room < 1)
		room = 1;
	if (sel >= room)
		first = sel - room + 1;
	for (i = first; i < t->nservers && i < first + room; i++) {
		int r = t->servers[i];

		server_name(t, i, name, sizeof(name));
		if (i == sel)
			px_sh_buf_str(&o, "\x1b[7m");
		px_sh_buf_printf(&o, "%-*.*s", namew, namew, name);
		for (c = 0; top_cols[c].col; c++) {
			const char *v = px_sh_csv_get(&t->csv, r, px_sh_csv_col(&t->csv, top_cols[c].col));
			const char *esc = NULL;
			char human[64];

			if (!strcmp(top_cols[c].col, "lastchg")) {
				px_sh_human_secs(v, human, sizeof(human));
				v = human;
			}
			if (!strcmp(top_cols[c].col, "status")) {
				if (s->color && i != sel)
					esc = px_sh_status_color(v);
				px_sh_buf_printf(&o, " %s%-*.*s%s", esc ? esc : "", top_cols[c].width,
						 top_cols[c].width, v, esc ? "\x1b[0m" : "");
				continue;
			}
			px_sh_buf_printf(&o, " %*s", top_cols[c].width, v);
		}
		if (i == sel)
			px_sh_buf_str(&o, "\x1b[27m");
		px_sh_buf_str(&o, "\x1b[K\n");
	}
	px_sh_buf_printf(&o, "\x1b[%d;1H%.*s\x1b[K\n", rows - 1, cols, t->message);
	px_sh_buf_printf(&o, "\x1b[%d;1H\x1b[2m%.*s\x1b[0m\x1b[K", rows, cols,
			 "up/down j/k select   d drain   m maint   r ready   q quit");
	fwrite(o.data, 1, o.len, stdout);
	fflush(stdout);
	px_sh_buf_free(&o);
}

/* Sends "set server B/S state <state>" for the selected server. */
static void act(struct sh_session *s, struct top_state *t, const char *state)
{
	struct sh_buf cmd = { 0 }, answer = { 0 };
	int rc;

	if (selected_index(t) < 0)
		return;
	px_sh_buf_str(&cmd, "set server ");
	px_sh_buf_escaped(&cmd, t->selected);
	px_sh_buf_printf(&cmd, " state %s", state);
	rc = px_sh_conn_cmd(&s->conn, cmd.data, NULL, &answer);
	if (rc == 0 && !px_sh_conn_failed(&s->conn, answer.data, answer.len))
		snprintf(t->message, sizeof(t->message), "%s: done", cmd.data);
	else
		snprintf(t->message, sizeof(t->message), "%s: %.*s", cmd.data,
			 (int)px_sh_first_line_len(answer.data ? answer.data : "", answer.len),
			 answer.data ? answer.data : "");
	px_sh_buf_free(&cmd);
	px_sh_buf_free(&answer);
}

int px_sh_top(struct sh_session *s)
{
	struct top_state t = { 0 };
	struct timespec last = { 0 }, now;
	int quit = 0;

	if (px_sh_term_raw() < 0) {
		fprintf(stderr, "pxsh: top needs a terminal\n");
		return -1;
	}
	while (!quit) {
		int key, sel;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!last.tv_sec || (now.tv_sec - last.tv_sec) * 1000 +
		    (now.tv_nsec - last.tv_nsec) / 1000000 >= 1000) {
			load(s, &t);
			last = now;
		}
		draw(s, &t);
		key = px_sh_term_key(1000);
		sel = selected_index(&t);
		switch (key) {
		case 'q': case 'Q': case 0x03: case -1:
			quit = 1;
			break;
		case PXSH_KEY_UP: case 'k':
			if (sel > 0)
				server_name(&t, sel - 1, t.selected, sizeof(t.selected));
			break;
		case PXSH_KEY_DOWN: case 'j':
			if (sel >= 0 && sel + 1 < t.nservers)
				server_name(&t, sel + 1, t.selected, sizeof(t.selected));
			break;
		case 'd':
			act(s, &t, "drain");
			last.tv_sec = 0;
			break;
		case 'm':
			act(s, &t, "maint");
			last.tv_sec = 0;
			break;
		case 'r': case 'e':
			act(s, &t, "ready");
			last.tv_sec = 0;
			break;
		default:
			px_sh_winch = 0;
			break;
		}
	}
	px_sh_term_restore();
	px_sh_csv_free(&t.csv);
	free(t.servers);
	return 0;
}
