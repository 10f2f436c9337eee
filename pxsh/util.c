/* Small helpers every part of pxsh uses: growable buffers and string
 * lists, and the two ways a command line is cut: into commands (at
 * unescaped ';', the socket's own rule) and into words (for pxsh's local
 * commands and for completion). No I/O here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pxsh-t.h"
#include "pxsh.h"

static void *xrealloc(void *p, size_t size)
{
	void *r = realloc(p, size);

	if (!r) {
		fputs("pxsh: out of memory\n", stderr);
		exit(PXSH_EXIT_FAILED);
	}
	return r;
}

char *px_sh_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

void px_sh_buf_add(struct sh_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
}

void px_sh_buf_str(struct sh_buf *b, const char *s)
{
	px_sh_buf_add(b, s, strlen(s));
}

void px_sh_buf_printf(struct sh_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		px_sh_buf_add(b, small, (size_t)n);
		return;
	}
	px_sh_buf_add(b, "", 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->data = xrealloc(b->data, b->len + (size_t)n + 1);
		b->cap = b->len + (size_t)n + 1;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void px_sh_buf_reset(struct sh_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void px_sh_buf_free(struct sh_buf *b)
{
	free(b->data);
	*b = (struct sh_buf){ 0 };
}

void px_sh_list_add(struct sh_list *l, const char *s)
{
	px_sh_list_addn(l, s, strlen(s));
}

void px_sh_list_addn(struct sh_list *l, const char *s, size_t len)
{
	char *copy;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, sizeof(*l->v) * (size_t)l->cap);
	}
	copy = xrealloc(NULL, len + 1);
	memcpy(copy, s, len);
	copy[len] = 0;
	l->v[l->n++] = copy;
}

int px_sh_list_has(const struct sh_list *l, const char *s)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

void px_sh_list_clear(struct sh_list *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void px_sh_list_free(struct sh_list *l)
{
	px_sh_list_clear(l);
	free(l->v);
	*l = (struct sh_list){ 0 };
}

/* Cuts <line> into commands at each ';' not preceded by a backslash, as
 * the socket does. The commands are kept verbatim (escapes included, the
 * socket undoes them), without the blanks around them; empty ones are
 * dropped. Appends them to <out>.
 */
void px_sh_split_cmds(const char *line, struct sh_list *out)
{
	const char *start = line, *p;

	for (p = line;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == ';' || !*p) {
			const char *s = start, *e = p;

			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
				e--;
			if (e > s)
				px_sh_list_addn(out, s, (size_t)(e - s));
			if (!*p)
				break;
			start = p + 1;
		}
	}
}

/* Cuts <cmd> into words at blanks. A backslash takes the next character
 * as it is; "double" and 'single' quotes group blanks into a word (pxsh's
 * local commands need them for values with spaces; the socket itself only
 * knows backslashes). Appends the words to <out>. When <last_open> is not
 * NULL it is set to 1 if the text ends inside a word (no blank after the
 * last one), which tells completion whether it completes a word or starts
 * a new one.
 */
void px_sh_split_words(const char *cmd, struct sh_list *out, int *last_open)
{
	struct sh_buf w = { 0 };
	const char *p = cmd;
	int in_word = 0;
	char quote = 0;

	for (; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else
				px_sh_buf_add(&w, p, 1);
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			if (in_word)
				px_sh_list_addn(out, w.data, w.len);
			in_word = 0;
			px_sh_buf_reset(&w);
			continue;
		}
		in_word = 1;
		if (*p == '\\' && p[1]) {
			p++;
			px_sh_buf_add(&w, p, 1);
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else {
			px_sh_buf_add(&w, p, 1);
		}
	}
	if (in_word)
		px_sh_list_addn(out, w.data ? w.data : "", w.len);
	if (last_open)
		*last_open = in_word;
	px_sh_buf_free(&w);
}

/* Appends <text> to <b> with ';' and '\' escaped by a backslash, so the
 * socket reads it as one piece of one command.
 */
void px_sh_buf_escaped(struct sh_buf *b, const char *text)
{
	for (; *text; text++) {
		if (*text == ';' || *text == '\\')
			px_sh_buf_add(b, "\\", 1);
		px_sh_buf_add(b, text, 1);
	}
}

/* Returns the length of <cmd>'s first line. */
size_t px_sh_first_line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl ? (size_t)(nl - s) : len;
}
