/* "watch [-n SECONDS] CMD": runs a command again and again, redrawing the
 * screen in place (as watch(1)), with the cells that changed since the
 * previous run in reverse video. A cell is a run of non-blank characters;
 * tables are aligned, so a cell keeps its columns from one run to the
 * next. q or Ctrl-C leaves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pxsh-t.h"
#include "pxsh.h"

/* Appends line <cur> (at most <cols> characters) to <o>, each cell that
 * differs from the same columns of <prev> in reverse video. A line that
 * did not exist before (<prev> NULL) is all reversed, unless <mark> is 0
 * (the first run).
 */
static void emit_line(struct sh_buf *o, const char *cur, size_t len, const char *prev,
		      size_t prev_len, int cols, int mark)
{
	size_t i = 0, n = len < (size_t)cols ? len : (size_t)cols;

	while (i < n) {
		size_t j = i;
		int changed = 0;

		if (cur[i] == ' ') {
			px_sh_buf_add(o, " ", 1);
			i++;
			continue;
		}
		while (j < n && cur[j] != ' ')
			j++;
		if (mark && !prev) {
			changed = 1;
		} else if (mark) {
			size_t k;

			for (k = i; k < j && !changed; k++)
				changed = k >= prev_len || prev[k] != cur[k];
			/* A cell that grew into what was a longer neighbour. */
			if (!changed && j < prev_len && prev[j] != ' ')
				changed = 1;
		}
		if (changed)
			px_sh_buf_str(o, "\x1b[7m");
		px_sh_buf_add(o, cur + i, j - i);
		if (changed)
			px_sh_buf_str(o, "\x1b[27m");
		i = j;
	}
	px_sh_buf_str(o, "\x1b[K\n");
}

/* Returns line <n> of <text> (its length in *len), or NULL. */
static const char *nth_line(const char *text, size_t tlen, int n, size_t *len)
{
	const char *p = text, *end = text + tlen;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (n-- == 0) {
			*len = (size_t)(eol - p);
			return p;
		}
		p = eol + 1;
	}
	return NULL;
}

/* Runs the watch loop. Returns 0 when the user left it, -1 when the
 * terminal cannot do it.
 */
int px_sh_watch(struct sh_session *s, double interval, const char *cmd)
{
	struct sh_buf prev = { 0 }, cur = { 0 }, answer = { 0 }, screen = { 0 };
	int runs = 0, quit = 0;

	if (interval < 0.1)
		interval = 0.1;
	if (px_sh_term_raw() < 0) {
		fprintf(stderr, "pxsh: watch needs a terminal\n");
		return -1;
	}
	while (!quit) {
		struct timespec t0, now;
		char clock[32];
		time_t wall = time(NULL);
		int rows, cols, i, rc;
		long waited = 0;

		px_sh_buf_reset(&answer);
		px_sh_buf_reset(&cur);
		rc = px_sh_conn_cmd(&s->conn, cmd, NULL, &answer);
		if (rc < 0)
			px_sh_buf_add(&cur, answer.data ? answer.data : "", answer.len);
		else
			px_sh_render(cmd, answer.data, answer.len, s->output, 0, &cur);
		px_sh_buf_add(&cur, "", 0);
redraw:
		px_sh_term_size(&rows, &cols);
		strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&wall));
		px_sh_buf_reset(&screen);
		px_sh_buf_str(&screen, "\x1b[H\x1b[2J");
		px_sh_buf_printf(&screen, "Every %.1fs: %.*s", interval,
				 cols > 30 ? cols - 30 : 1, cmd);
		px_sh_buf_printf(&screen, "\x1b[%dG%s  (q to quit)\n\n",
				 cols > 20 ? cols - 20 : 1, clock);
		for (i = 0; i < rows - 3; i++) {
			size_t len, plen = 0;
			const char *line = nth_line(cur.data, cur.len, i, &len), *pline;

			if (!line)
				break;
			pline = nth_line(prev.data ? prev.data : "", prev.len, i, &plen);
			emit_line(&screen, line, len, pline, plen, cols, runs > 0);
		}
		fwrite(screen.data, 1, screen.len, stdout);
		fflush(stdout);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		waited = 0;
		while (waited < (long)(interval * 1000)) {
			int key = px_sh_term_key((int)((long)(interval * 1000) - waited));

			if (key == 'q' || key == 'Q' || key == 0x03 || key == -1) {
				quit = 1;
				break;
			}
			if (px_sh_winch) {
				px_sh_winch = 0;
				goto redraw;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			waited = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		}
		/* The cells of this run are what the next one is compared to. */
		px_sh_buf_reset(&prev);
		px_sh_buf_add(&prev, cur.data, cur.len);
		runs++;
	}
	px_sh_term_restore();
	px_sh_buf_free(&prev);
	px_sh_buf_free(&cur);
	px_sh_buf_free(&answer);
	px_sh_buf_free(&screen);
	return 0;
}
