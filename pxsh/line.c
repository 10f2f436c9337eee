/* The interactive line editor: libedit (BSD editline) with the history in
 * ~/.pxsh_history and Tab bound to pxsh's completion (complete.c).
 *
 * Hints: libedit has no inline hints, so a Tab that has nothing to insert
 * prints, below the line, the candidates (if several) and the usage of
 * the command typed so far, then redraws the line as it was.
 */
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "pxsh-t.h"
#include "pxsh.h"

#define HISTORY_SIZE 1000

static EditLine *el;
static History *hist;
static char *hist_path;
static const char *cur_prompt = "pxsh> ";
static struct sh_session *session;

static char *prompt_fn(EditLine *e)
{
	return (char *)cur_prompt;
}

/* Prints the candidates in columns, then the hint, below the line. */
static void list_below(const struct sh_list *cands, const char *hint)
{
	int rows, cols, i, w = 0, per_line;

	px_sh_term_size(&rows, &cols);
	for (i = 0; i < cands->n; i++)
		if ((int)strlen(cands->v[i]) > w)
			w = (int)strlen(cands->v[i]);
	w += 2;
	per_line = cols / w > 0 ? cols / w : 1;
	fputc('\n', stdout);
	for (i = 0; i < cands->n; i++)
		fprintf(stdout, "%-*s%s", w, cands->v[i],
			(i + 1) % per_line == 0 || i + 1 == cands->n ? "\n" : "");
	if (hint && *hint)
		fprintf(stdout, "%s\n", hint);
	fflush(stdout);
}

static unsigned char complete_fn(EditLine *e, int ch)
{
	const LineInfo *li = el_line(e);
	struct sh_list cands = { 0 };
	struct sh_buf hint = { 0 }, before = { 0 };
	size_t partial_len, common;
	unsigned char rc = CC_REFRESH;
	int i;

	px_sh_buf_add(&before, li->buffer, (size_t)(li->cursor - li->buffer));
	px_sh_complete(session, before.data, &cands, &partial_len, &hint);
	common = 0;
	if (cands.n) {
		common = strlen(cands.v[0]);
		for (i = 1; i < cands.n; i++) {
			size_t k = 0;

			while (k < common && cands.v[i][k] == cands.v[0][k])
				k++;
			common = k;
		}
	}
	if (cands.n == 1) {
		const char *c = cands.v[0];
		size_t l = strlen(c);

		el_insertstr(e, c + partial_len);
		/* "backend/" waits for the server; anything else is a word. */
		if (l && c[l - 1] != '/')
			el_insertstr(e, " ");
	} else if (cands.n > 1 && common > partial_len) {
		char *ext = px_sh_strdup(cands.v[0] + partial_len);

		ext[common - partial_len] = 0;
		el_insertstr(e, ext);
		free(ext);
	} else if (cands.n > 1 || hint.len) {
		list_below(&cands, hint.data);
		rc = CC_REDISPLAY;
	} else {
		rc = CC_REFRESH_BEEP;
	}
	px_sh_list_free(&cands);
	px_sh_buf_free(&hint);
	px_sh_buf_free(&before);
	return rc;
}

int px_sh_line_init(struct sh_session *s)
{
	const char *home = getenv("HOME");
	HistEvent ev;

	session = s;
	el = el_init("pxsh", stdin, stdout, stderr);
	hist = history_init();
	if (!el || !hist)
		return -1;
	history(hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(hist, &ev, H_SETUNIQUE, 1);
	if (home && *home && asprintf(&hist_path, "%s/.pxsh_history", home) > 0)
		history(hist, &ev, H_LOAD, hist_path);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_PROMPT, prompt_fn);
	el_set(el, EL_HIST, history, hist);
	el_set(el, EL_SIGNAL, 1);
	/* The wide form: the narrow one copies the name and help with
	 * wcsdup() and never frees them.
	 */
	el_wset(el, EL_ADDFN, L"pxsh-complete", L"complete a command or a name", complete_fn);
	el_set(el, EL_BIND, "^I", "pxsh-complete", NULL);
	/* Ctrl-U clears the line, as in a shell (libedit's emacs map makes
	 * it a repeat count).
	 */
	el_set(el, EL_BIND, "^U", "em-kill-line", NULL);
	/* ~/.editrc, for the user's own bindings. */
	el_source(el, NULL);
	return 0;
}

/* Reads one line with <prompt>. Returns it without its newline (valid
 * until the next call), "" after Ctrl-C, or NULL at end of input.
 */
const char *px_sh_line_read(const char *prompt)
{
	static char *line;
	const char *got;
	int count = 0;
	size_t len;

	cur_prompt = prompt;
	px_sh_interrupted = 0;
	got = el_gets(el, &count);
	if (!got) {
		if (count < 0 && errno == EINTR) {
			fputc('\n', stdout);
			return "";
		}
		return NULL;
	}
	free(line);
	line = px_sh_strdup(got);
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = 0;
	return line;
}

void px_sh_line_remember(const char *line)
{
	HistEvent ev;

	if (*line)
		history(hist, &ev, H_ENTER, line);
}

/* Saves the history (bounded to HISTORY_SIZE by libedit) and ends. */
void px_sh_line_end(void)
{
	HistEvent ev;

	if (hist && hist_path)
		history(hist, &ev, H_SAVE, hist_path);
	if (el)
		el_end(el);
	if (hist)
		history_end(hist);
	el = NULL;
	hist = NULL;
	free(hist_path);
	hist_path = NULL;
}
