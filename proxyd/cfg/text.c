/* The configuration as text: the lines of the files, each with where it
 * came from and an id that stays with it while the running configuration
 * is edited from the command socket. A generation is parsed from such a
 * text and keeps it, so that "show config" prints what runs and "save
 * config" writes it back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cfg/text.h"
#include "core/util.h"

static uint32_t last_line_id;
static int last_runtime_line;

const char px_cfg_runtime[] = "runtime";

static int grow(struct px_cfg_text *t, uint32_t more)
{
	struct px_cfg_line *l;
	uint32_t cap = t->cap ? t->cap : 64;

	if (t->n + more <= t->cap)
		return 0;
	while (cap < t->n + more)
		cap *= 2;
	l = realloc(t->l, cap * sizeof(*l));
	if (!l)
		return -1;
	t->l = l;
	t->cap = cap;
	return 0;
}

struct px_cfg_text *px_cfg_text_new(void)
{
	return calloc(1, sizeof(struct px_cfg_text));
}

void px_cfg_text_free(struct px_cfg_text *t)
{
	uint32_t i;
	int f;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->l[i].text);
	free(t->l);
	for (f = 0; f < t->nfiles; f++)
		free(t->files[f]);
	free(t->files);
	free(t);
}

/* Appends a line of file <fidx> read at line <line>. */
static int append(struct px_cfg_text *t, const char *s, size_t len, int fidx, int line)
{
	struct px_cfg_line *l;

	if (grow(t, 1) < 0)
		return -1;
	l = &t->l[t->n];
	l->text = malloc(len + 1);
	if (!l->text)
		return -1;
	memcpy(l->text, s, len);
	l->text[len] = '\0';
	l->fidx = (uint16_t)fidx;
	l->file = t->files[fidx];
	l->line = line;
	l->id = ++last_line_id;
	t->n++;
	return 0;
}

/* Reads <files> in order. Returns the text, or NULL with a message. */
struct px_cfg_text *px_cfg_text_read(char **files, int nfiles, char **err)
{
	struct px_cfg_text *t = px_cfg_text_new();
	char *buf = NULL;
	size_t cap = 0;
	int f;

	if (!t || !(t->files = calloc((size_t)nfiles + 1, sizeof(char *))))
		goto oom;
	for (f = 0; f < nfiles; f++) {
		FILE *fp;
		ssize_t len;
		int line = 0;

		t->files[f] = strdup(files[f]);
		if (!t->files[f])
			goto oom;
		t->nfiles = f + 1;
		fp = fopen(files[f], "r");
		if (!fp) {
			px_strfmt(err, "cannot open configuration file '%s': %s", files[f],
			          strerror(errno));
			free(buf);
			px_cfg_text_free(t);
			return NULL;
		}
		while ((len = getline(&buf, &cap, fp)) >= 0) {
			if (len && buf[len - 1] == '\n')
				len--;
			if (append(t, buf, (size_t)len, f, ++line) < 0) {
				fclose(fp);
				goto oom;
			}
		}
		fclose(fp);
	}
	free(buf);
	return t;
oom:
	free(buf);
	px_cfg_text_free(t);
	px_strfmt(err, "out of memory");
	return NULL;
}

/* A copy sharing nothing with <t> (ids and origins included). */
struct px_cfg_text *px_cfg_text_dup(const struct px_cfg_text *t)
{
	struct px_cfg_text *c = px_cfg_text_new();
	uint32_t i;
	int f;

	if (!c || !(c->files = calloc((size_t)t->nfiles + 1, sizeof(char *))))
		goto oom;
	for (f = 0; f < t->nfiles; f++) {
		if (!(c->files[f] = strdup(t->files[f])))
			goto oom;
		c->nfiles = f + 1;
	}
	if (grow(c, t->n) < 0)
		goto oom;
	for (i = 0; i < t->n; i++) {
		struct px_cfg_line *d = &c->l[i];

		*d = t->l[i];
		d->text = strdup(t->l[i].text);
		if (!d->text)
			goto oom;
		d->file = t->l[i].file == px_cfg_runtime ? px_cfg_runtime : c->files[d->fidx];
		c->n = i + 1;
	}
	c->version = t->version;
	return c;
oom:
	px_cfg_text_free(c);
	return NULL;
}

/* The position of the line with id <id>, or -1. */
int px_cfg_text_find(const struct px_cfg_text *t, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->l[i].id == id)
			return (int)i;
	return -1;
}

/* Inserts <s> before position <pos> (t->n: at the end) as a line written
 * at run time, in the file of its neighbours. Returns its id, or 0 when
 * out of memory.
 */
uint32_t px_cfg_text_insert(struct px_cfg_text *t, uint32_t pos, const char *s)
{
	struct px_cfg_line *l;
	char *copy = strdup(s);

	if (!copy || grow(t, 1) < 0) {
		free(copy);
		return 0;
	}
	memmove(t->l + pos + 1, t->l + pos, (t->n - pos) * sizeof(*t->l));
	l = &t->l[pos];
	l->text = copy;
	l->fidx = pos ? t->l[pos - 1].fidx : (t->n > 1 ? t->l[1].fidx : 0);
	l->file = px_cfg_runtime;
	l->line = ++last_runtime_line;
	l->id = ++last_line_id;
	t->n++;
	t->version++;
	return l->id;
}

/* Replaces the text of line <pos>, which keeps its id. */
int px_cfg_text_replace(struct px_cfg_text *t, uint32_t pos, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -1;
	free(t->l[pos].text);
	t->l[pos].text = copy;
	t->l[pos].file = px_cfg_runtime;
	t->l[pos].line = ++last_runtime_line;
	t->version++;
	return 0;
}

void px_cfg_text_delete(struct px_cfg_text *t, uint32_t pos)
{
	free(t->l[pos].text);
	memmove(t->l + pos, t->l + pos + 1, (t->n - pos - 1) * sizeof(*t->l));
	t->n--;
	t->version++;
}

/* Writes the lines of file <fidx> (-1: all of them) to <fp>. */
int px_cfg_text_write(const struct px_cfg_text *t, FILE *fp, int fidx)
{
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		if (fidx >= 0 && t->l[i].fidx != fidx)
			continue;
		if (fputs(t->l[i].text, fp) == EOF || fputc('\n', fp) == EOF)
			return -1;
	}
	return 0;
}

/* Writes <fidx>'s lines (-1: every line) to <path> atomically: a
 * temporary file beside it, flushed to disk, then renamed over it.
 * Returns 0, or -1 with a message.
 */
int px_cfg_text_save(const struct px_cfg_text *t, const char *path, int fidx, char **err)
{
	char tmp[4096];
	struct stat st;
	mode_t mode = 0644;
	FILE *fp;
	int fd;

	/* The new file keeps the permissions of the one it replaces. */
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		px_strfmt(err, "path too long: '%s'", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		px_strfmt(err, "cannot create a file beside '%s': %s", path, strerror(errno));
		return -1;
	}
	fp = fdopen(fd, "w");
	if (!fp) {
		close(fd);
		unlink(tmp);
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (px_cfg_text_write(t, fp, fidx) < 0 || fflush(fp) == EOF || fsync(fd) < 0 ||
	    fchmod(fd, mode) < 0) {
		px_strfmt(err, "cannot write '%s': %s", tmp, strerror(errno));
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(fp) == EOF || rename(tmp, path) < 0) {
		px_strfmt(err, "cannot replace '%s': %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Gives the lines of <t> (just read from the files) the ids they had in
 * <old> (the running text): a line keeps its id when its text is found
 * again, by preference at the same file and line, else anywhere in the
 * same section. Rule ids, and the hit counters that follow them, thus stay
 * across a reload of unchanged lines, even after "save config" moved them.
 */
void px_cfg_text_adopt_ids(struct px_cfg_text *t, const struct px_cfg_text *old)
{
	uint32_t nb, *head, *next, i;
	uint8_t *used;
	char sec_new[512] = "", *sec_old;

	if (!old || !old->n || !t->n)
		return;
	for (nb = 64; nb < old->n * 2; nb *= 2)
		;
	head = malloc(nb * sizeof(*head));
	next = malloc(old->n * sizeof(*next));
	used = calloc(old->n, 1);
	sec_old = calloc(old->n, 512);
	if (!head || !next || !used || !sec_old)
		goto out;
	for (i = 0; i < nb; i++)
		head[i] = UINT32_MAX;
	/* Each old line's section (the text of its header), and a hash of
	 * its text.
	 */
	for (i = 0; i < old->n; i++) {
		const char *p = old->l[i].text;
		uint32_t h = 2166136261u;

		while (*p == ' ' || *p == '\t')
			p++;
		if (i && !(*p && strchr("fbldg", *p) && (!strncmp(p, "frontend", 8) ||
		    !strncmp(p, "backend", 7) || !strncmp(p, "listen", 6) ||
		    !strncmp(p, "defaults", 8) || !strncmp(p, "global", 6))))
			memcpy(sec_old + (size_t)i * 512, sec_old + (size_t)(i - 1) * 512, 512);
		else
			snprintf(sec_old + (size_t)i * 512, 512, "%s", p);
		for (p = old->l[i].text; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		next[i] = head[h & (nb - 1)];
		head[h & (nb - 1)] = i;
	}
	for (i = 0; i < t->n; i++) {
		const char *p = t->l[i].text, *q;
		uint32_t h = 2166136261u, k, best = UINT32_MAX;

		for (q = p; *q == ' ' || *q == '\t'; q++)
			;
		if (!strncmp(q, "frontend", 8) || !strncmp(q, "backend", 7) ||
		    !strncmp(q, "listen", 6) || !strncmp(q, "defaults", 8) || !strncmp(q, "global", 6))
			snprintf(sec_new, sizeof(sec_new), "%s", q);
		for (; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		for (k = head[h & (nb - 1)]; k != UINT32_MAX; k = next[k]) {
			if (used[k] || strcmp(old->l[k].text, t->l[i].text) ||
			    strcmp(sec_old + (size_t)k * 512, sec_new))
				continue;
			if (old->l[k].line == t->l[i].line && old->l[k].file != px_cfg_runtime &&
			    !strcmp(old->l[k].file, t->l[i].file)) {
				best = k;
				break;
			}
			if (best == UINT32_MAX)
				best = k;
		}
		if (best != UINT32_MAX) {
			used[best] = 1;
			t->l[i].id = old->l[best].id;
		}
	}
out:
	free(head);
	free(next);
	free(used);
	free(sec_old);
}
