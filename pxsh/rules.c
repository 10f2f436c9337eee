/* "edit rules PROXY": fetch a proxy's rules, let the user edit them in
 * $EDITOR, and send the difference (rulediff.c) as one transaction:
 * begin, the edits, diff (shown), a confirmation, commit. On an error the
 * transaction is aborted and the editor re-opened on the user's text, so
 * nothing typed is lost; leaving the file unchanged then gives up.
 *
 * The format of "show rules PROXY" is read by rules_parse_line() alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pxsh-t.h"
#include "pxsh.h"

/* Reads one line of "show rules PROXY": "ID<TAB>HITS<TAB>ORIGIN<TAB>TEXT"
 * (the text is the fourth field; a line with a single tab is read as
 * "ID<TAB>TEXT"). Header lines ("#...") and blank lines are not rules.
 * Returns 0 with the id and text spans set, or -1 when the line holds no
 * rule.
 */
static int rules_parse_line(const char *line, size_t len, const char **id, size_t *id_len,
			    const char **text, size_t *text_len)
{
	const char *tab = memchr(line, '\t', len), *t;
	int fields;

	if (!len || line[0] == '#' || !tab || tab == line)
		return -1;
	*id = line;
	*id_len = (size_t)(tab - line);
	t = tab + 1;
	for (fields = 1; fields < 3; fields++) {
		const char *next = memchr(t, '\t', len - (size_t)(t - line));

		if (!next)
			break;
		t = next + 1;
	}
	if (fields != 3)
		t = tab + 1;
	*text = t;
	*text_len = len - (size_t)(t - line);
	while (*text_len && ((*text)[*text_len - 1] == ' ' || (*text)[*text_len - 1] == '\r'))
		(*text_len)--;
	return 0;
}

/* Fetches <proxy>'s rules into <ids> and <texts> (same order). Returns 0,
 * -1 when the socket answered with an error (the answer is appended to
 * <err> if not NULL), -2 when the socket could not be reached.
 */
int px_sh_rules_fetch(struct sh_conn *c, const char *proxy, struct sh_list *ids,
		      struct sh_list *texts, struct sh_buf *err)
{
	struct sh_buf cmd = { 0 }, answer = { 0 };
	const char *p, *end;
	int rc = 0;

	px_sh_buf_str(&cmd, "show rules ");
	px_sh_buf_escaped(&cmd, proxy);
	if (px_sh_conn_cmd(c, cmd.data, NULL, &answer) < 0) {
		rc = -2;
		goto out;
	}
	if (px_sh_conn_failed(c, answer.data, answer.len)) {
		rc = -1;
		goto out;
	}
	for (p = answer.data, end = p + answer.len; p < end; ) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *id, *text;
		size_t id_len, text_len;

		if (!eol)
			eol = end;
		if (rules_parse_line(p, (size_t)(eol - p), &id, &id_len, &text, &text_len) == 0) {
			px_sh_list_addn(ids, id, id_len);
			px_sh_list_addn(texts, text, text_len);
		}
		p = eol + 1;
	}
out:
	if (rc && err)
		px_sh_buf_add(err, answer.data ? answer.data : "", answer.len);
	px_sh_buf_free(&cmd);
	px_sh_buf_free(&answer);
	return rc;
}

static int read_file(const char *path, struct sh_buf *out)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;

	px_sh_buf_reset(out);
	px_sh_buf_add(out, "", 0);
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		px_sh_buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

/* The rules of an edited file: its lines, without comment ("#...") and
 * blank lines, trailing blanks removed.
 */
void px_sh_rules_from_text(const char *text, struct sh_list *out)
{
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n'), *s = p, *e;

		if (!eol)
			eol = p + strlen(p);
		e = eol;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > s && *s != '#')
			px_sh_list_addn(out, s, (size_t)(e - s));
		p = *eol ? eol + 1 : eol;
	}
}

/* Runs $EDITOR (default vi) on <path> and waits. Returns its exit status,
 * or -1 when it could not run.
 */
static int run_editor(const char *path)
{
	const char *editor = getenv("EDITOR");
	int status;
	pid_t pid;

	if (!editor || !*editor)
		editor = getenv("VISUAL");
	if (!editor || !*editor)
		editor = "vi";
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *cmd;

		/* Through the shell, so EDITOR may hold arguments ("emacs -nw"). */
		if (asprintf(&cmd, "%s \"$1\"", editor) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Sends one command of the transaction and prints its answer when it is
 * an error. Returns 0, -1 on an error answer, -2 when the connection broke.
 */
static int tx_cmd(struct sh_session *s, const char *cmd, int show)
{
	struct sh_buf answer = { 0 };
	int rc = px_sh_conn_cmd(&s->conn, cmd, NULL, &answer);

	if (rc < 0) {
		fprintf(stderr, "%s\n", answer.data ? answer.data : "pxsh: connection lost");
		px_sh_buf_free(&answer);
		return -2;
	}
	rc = px_sh_conn_failed(&s->conn, answer.data, answer.len) ? -1 : 0;
	if (rc < 0)
		fprintf(stdout, "%s: %s", cmd, answer.data);
	else if (show)
		fwrite(answer.data, 1, answer.len, stdout);
	fflush(stdout);
	px_sh_buf_free(&answer);
	return rc;
}

static void op_cmd(const char *proxy, const struct rule_op *op, struct sh_buf *cmd)
{
	static const char *const verbs[] = {
		[RULE_OP_DEL] = "del rule ", [RULE_OP_REPLACE] = "replace rule ",
		[RULE_OP_ADD_AFTER] = "add rule ", [RULE_OP_ADD_BEFORE] = "add rule ",
		[RULE_OP_ADD_END] = "add rule ",
	};

	px_sh_buf_reset(cmd);
	px_sh_buf_str(cmd, verbs[op->kind]);
	px_sh_buf_escaped(cmd, proxy);
	px_sh_buf_add(cmd, " ", 1);
	if (op->kind == RULE_OP_ADD_AFTER)
		px_sh_buf_str(cmd, "after ");
	else if (op->kind == RULE_OP_ADD_BEFORE)
		px_sh_buf_str(cmd, "before ");
	if (op->id) {
		px_sh_buf_escaped(cmd, op->id);
		if (op->text)
			px_sh_buf_add(cmd, " ", 1);
	}
	if (op->text)
		px_sh_buf_escaped(cmd, op->text);
}

/* Asks "commit? [y/N]" on the terminal. Returns 1 for yes. */
static int confirm(void)
{
	char answer[16];
	FILE *tty = fopen("/dev/tty", "r");
	int yes = 0;

	fputs("commit? [y/N] ", stdout);
	fflush(stdout);
	if (tty && fgets(answer, sizeof(answer), tty))
		yes = answer[0] == 'y' || answer[0] == 'Y';
	if (tty)
		fclose(tty);
	return yes;
}

/* Sends the transaction for the rules in <edited>. Returns 0 when
 * committed (or nothing to do, or the user said no), -1 when the socket
 * refused something (the transaction is aborted), -2 when the connection
 * broke.
 */
static int send_tx(struct sh_session *s, const char *proxy, const struct sh_list *ids,
		   const struct sh_list *texts, const char *edited, int assume_yes)
{
	struct sh_list lines = { 0 };
	struct sh_buf cmd = { 0 };
	struct rule_op *ops = NULL;
	int n, i, rc;

	px_sh_rules_from_text(edited, &lines);
	n = px_sh_rules_diff((const char *const *)ids->v, (const char *const *)texts->v, ids->n,
			     (const char *const *)lines.v, lines.n, &ops);
	if (n < 0) {
		rc = -2;
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "pxsh: no change to the rules of %s\n", proxy);
		rc = 0;
		goto out;
	}
	rc = tx_cmd(s, "begin", 0);
	for (i = 0; rc == 0 && i < n; i++) {
		op_cmd(proxy, &ops[i], &cmd);
		rc = tx_cmd(s, cmd.data, 0);
	}
	if (rc == 0)
		rc = tx_cmd(s, "diff", 1);
	if (rc == 0 && !assume_yes && !(s->interactive && confirm())) {
		tx_cmd(s, "abort", 0);
		fprintf(stderr, "pxsh: not committed%s\n",
			s->interactive ? "" : " (\"edit rules -y\" commits without asking)");
		rc = s->interactive ? 0 : -1;
		goto out;
	}
	if (rc == 0)
		rc = tx_cmd(s, "commit", 0);
	if (rc == -1)
		tx_cmd(s, "abort", 0);
out:
	free(ops);
	px_sh_buf_free(&cmd);
	px_sh_list_free(&lines);
	return rc;
}

/* The "edit rules [-y] PROXY" command. Returns 0, -1 (a command failed or
 * the user gave up after an error), -2 (the socket could not be reached).
 */
int px_sh_edit_rules(struct sh_session *s, const char *proxy, int assume_yes)
{
	struct sh_list ids = { 0 }, texts = { 0 };
	struct sh_buf before = { 0 }, after = { 0 }, err = { 0 };
	const char *tmpdir = getenv("TMPDIR");
	char path[4096];
	FILE *f;
	int fd, i, rc, first = 1;

	rc = px_sh_rules_fetch(&s->conn, proxy, &ids, &texts, &err);
	if (rc < 0) {
		if (err.len)
			fwrite(err.data, 1, err.len, stdout);
		goto out_nofile;
	}
	snprintf(path, sizeof(path), "%s/pxsh-rules-XXXXXX.cfg", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemps(path, 4);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "pxsh: cannot create a temporary file: %s\n", strerror(errno));
		rc = -1;
		goto out_nofile;
	}
	fprintf(f, "# The rules of %s, one per line, in order. Lines starting with '#' are\n"
		"# ignored. Save and quit to send the changes as one transaction; quit\n"
		"# without changing anything to cancel.\n", proxy);
	for (i = 0; i < texts.n; i++)
		fprintf(f, "%s\n", texts.v[i]);
	fclose(f);

	for (;;) {
		read_file(path, &before);
		if (run_editor(path) != 0) {
			fprintf(stderr, "pxsh: the editor failed; nothing sent\n");
			rc = -1;
			break;
		}
		read_file(path, &after);
		if (!strcmp(before.data, after.data)) {
			if (first) {
				fprintf(stderr, "pxsh: no change to the rules of %s\n", proxy);
				rc = 0;
			} else {
				fprintf(stderr, "pxsh: file unchanged after the error: gave up\n");
				rc = -1;
			}
			break;
		}
		first = 0;
		rc = send_tx(s, proxy, &ids, &texts, after.data, assume_yes);
		if (rc != -1 || !s->interactive)
			break;
		fprintf(stderr, "pxsh: the transaction was aborted; back to the editor "
			"(quit without a change to give up)\n");
	}
	unlink(path);
out_nofile:
	px_sh_list_free(&ids);
	px_sh_list_free(&texts);
	px_sh_buf_free(&before);
	px_sh_buf_free(&after);
	px_sh_buf_free(&err);
	return rc;
}
