/* pxsh: the interactive shell of proxyd's command socket (HAProxy's
 * "stats socket" protocol, so it also drives HAProxy).
 *
 * This file owns the command line, the three ways of reading commands
 * (interactive with libedit, -c, a script on stdin or in FILE), the
 * dispatch between pxsh's own commands (help, watch, top, edit rules,
 * trace, quit) and the socket's, and the exit status. Talking to the
 * socket is conn.c's, presenting answers fmt.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "admin/clitab.h"
#include "pxsh-t.h"
#include "pxsh.h"

/* What running a command gave. */
enum run_result {
	RUN_OK = 0,              /* the command succeeded */
	RUN_FAILED,              /* the socket answered with an error */
	RUN_NOSOCKET,            /* the socket could not be reached */
	RUN_QUIT,                /* quit or exit */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pxsh [-s SOCKET] [-c 'CMD; CMD'] [--raw|--json] [FILE]\n"
		"  -s SOCKET   the command socket: a path or ipv4@ADDR:PORT\n"
		"              (default $PXSH_SOCKET, else " PXSH_DEFAULT_SOCKET ")\n"
		"  -c CMDS     run these commands (';' between them) and exit\n"
		"  --raw       print the socket's own text, no tables\n"
		"  --json      ask show commands for json and print it as received\n"
		"  FILE        run the commands in FILE (one per line) and exit\n"
		"Without -c or FILE, commands are read from stdin: interactively on a\n"
		"terminal, else as a script. Exit status: 0 ok, 1 a command failed,\n"
		"2 the socket could not be reached. See docs/pxsh.md.\n");
}

/* Returns the text after the first <n> words of <cmd> and the blanks after
 * them (words as px_sh_split_words() cuts them).
 */
static const char *skip_words(const char *cmd, int n)
{
	const char *p = cmd;
	char quote = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (n > 0 && *p) {
		for (; *p; p++) {
			if (quote) {
				if (*p == quote)
					quote = 0;
			} else if (*p == '\\' && p[1]) {
				p++;
			} else if (*p == '"' || *p == '\'') {
				quote = *p;
			} else if (*p == ' ' || *p == '\t') {
				break;
			}
		}
		while (*p == ' ' || *p == '\t')
			p++;
		n--;
	}
	return p;
}

/* "help [WORDS...]": the commands of the shared table and pxsh's own,
 * those whose words start with WORDS when given.
 */
static enum run_result help(const char *cmd, const struct sh_list *w)
{
	const struct px_cli_desc *tabs[2] = { px_cli_cmds, px_sh_local_cmds };
	const char *titles[2] = { "Commands of the socket:", "Commands of pxsh:" };
	int t, i, j, shown = 0;

	for (t = 0; t < 2; t++) {
		int titled = 0;

		for (i = 0; tabs[t][i].words; i++) {
			const struct px_cli_desc *d = &tabs[t][i];
			struct sh_list ew = { 0 };
			char head[160];
			int ok = 1;

			px_sh_split_words(d->words, &ew, NULL);
			/* Every word given is one of the command's; the last may
			 * be the start of one ("help show s").
			 */
			for (j = 1; j < w->n && ok; j++)
				ok = j - 1 < ew.n && (j + 1 == w->n ?
					!strncmp(ew.v[j - 1], w->v[j], strlen(w->v[j])) :
					!strcmp(ew.v[j - 1], w->v[j]));
			px_sh_list_free(&ew);
			if (!ok)
				continue;
			if (!titled && w->n == 1)
				printf("%s%s\n", t ? "\n" : "", titles[t]);
			titled = 1;
			snprintf(head, sizeof(head), "%s%s%s", d->words, *d->usage ? " " : "", d->usage);
			if (w->n == 1 && strlen(head) <= 38)
				printf("  %-38s %s\n", head, d->help);
			else if (w->n == 1)
				printf("  %s\n  %38s %s\n", head, "", d->help);
			else
				printf("%s\n    %s (level %s)\n", head, d->help,
				       px_cli_level_name(d->level));
			shown++;
		}
	}
	if (!shown) {
		printf("No command starts with '%s'; \"help\" lists them all.\n", skip_words(cmd, 1));
		return RUN_FAILED;
	}
	return RUN_OK;
}

/* "trace METHOD URI [Name:value ...]": sends "trace request <<" with the
 * request built from it as payload: its lines, without the empty line that
 * ends a head (the payload's own end marks it).
 */
static enum run_result trace(struct sh_session *s, const struct sh_list *w)
{
	struct sh_buf payload = { 0 }, answer = { 0 }, out = { 0 }, cmd = { 0 };
	enum run_result res = RUN_OK;
	const char *fe = NULL;
	int i, a = 1;

	/* "-f FRONTEND" picks the frontend (proxyd's first HTTP one else). */
	if (w->n > 2 && !strcmp(w->v[1], "-f")) {
		fe = w->v[2];
		a = 3;
	}
	if (w->n < a + 2) {
		fprintf(stderr, "pxsh: usage: trace [-f <frontend>] <method> <uri> "
			"[<name>:<value> ...]\n");
		return RUN_FAILED;
	}
	px_sh_buf_printf(&payload, "%s %s HTTP/1.1\r\n", w->v[a], w->v[a + 1]);
	for (i = a + 2; i < w->n; i++) {
		const char *colon = strchr(w->v[i], ':'), *v;

		if (!colon || colon == w->v[i]) {
			fprintf(stderr, "pxsh: trace: '%s' is not a header (Name:value)\n", w->v[i]);
			px_sh_buf_free(&payload);
			return RUN_FAILED;
		}
		for (v = colon + 1; *v == ' '; v++)
			;
		px_sh_buf_printf(&payload, "%.*s: %s\r\n", (int)(colon - w->v[i]), w->v[i], v);
	}
	/* The payload's end (an empty line) stands for the head's end: proxyd
	 * adds it back.
	 */
	px_sh_buf_printf(&cmd, "trace request%s%s <<", fe ? " " : "", fe ? fe : "");
	if (px_sh_conn_cmd(&s->conn, cmd.data, payload.data, &answer) < 0) {
		fprintf(stderr, "%s\n", answer.data);
		res = RUN_NOSOCKET;
	} else {
		if (px_sh_conn_failed(&s->conn, answer.data, answer.len))
			res = RUN_FAILED;
		px_sh_render("trace request", answer.data, answer.len, s->output, s->color, &out);
		px_sh_page(out.data ? out.data : "", out.len, s->interactive);
	}
	px_sh_buf_free(&payload);
	px_sh_buf_free(&answer);
	px_sh_buf_free(&out);
	px_sh_buf_free(&cmd);
	return res;
}

/* In --json mode, the json form of a command whose usage offers it. */
static void json_form(const char *cmd, struct sh_buf *out)
{
	struct sh_list w = { 0 };
	int i, m;

	px_sh_buf_str(out, cmd);
	px_sh_split_words(cmd, &w, NULL);
	for (i = 0; px_cli_cmds[i].words && !px_sh_list_has(&w, "json"); i++) {
		struct sh_list ew = { 0 };
		int ok = 1;

		px_sh_split_words(px_cli_cmds[i].words, &ew, NULL);
		for (m = 0; m < ew.n && ok; m++)
			ok = m < w.n && !strcmp(ew.v[m], w.v[m]);
		px_sh_list_free(&ew);
		if (ok && strstr(px_cli_cmds[i].usage, "json")) {
			px_sh_buf_str(out, " json");
			break;
		}
	}
	px_sh_list_free(&w);
}

/* Sends one command to the socket and prints its answer. */
static enum run_result remote(struct sh_session *s, const char *cmd, const char *payload)
{
	struct sh_buf sent = { 0 }, answer = { 0 }, out = { 0 };
	enum run_result res = RUN_OK;
	int rc;

	if (s->output == SH_OUT_JSON)
		json_form(cmd, &sent);
	else
		px_sh_buf_str(&sent, cmd);
	rc = px_sh_conn_cmd(&s->conn, sent.data, payload, &answer);
	if (rc == -2) {
		fprintf(stderr, "\npxsh: interrupted\n");
		res = RUN_FAILED;
	} else if (rc < 0) {
		fprintf(stderr, "%s\n", answer.data);
		res = RUN_NOSOCKET;
	} else {
		if (px_sh_conn_failed(&s->conn, answer.data, answer.len))
			res = RUN_FAILED;
		px_sh_render(sent.data, answer.data, answer.len, s->output, s->color, &out);
		px_sh_page(out.data ? out.data : "", out.len, s->interactive);
	}
	px_sh_buf_free(&sent);
	px_sh_buf_free(&answer);
	px_sh_buf_free(&out);
	return res;
}

/* Runs one command, pxsh's own or the socket's. <payload> is the text of
 * a command ending in "<<", or NULL.
 */
static enum run_result run_cmd(struct sh_session *s, const char *cmd, const char *payload)
{
	struct sh_list w = { 0 };
	enum run_result res = RUN_OK;

	px_sh_split_words(cmd, &w, NULL);
	if (!w.n)
		goto out;
	if (!strcmp(w.v[0], "quit") || !strcmp(w.v[0], "exit")) {
		res = RUN_QUIT;
	} else if (!strcmp(w.v[0], "help")) {
		res = help(cmd, &w);
	} else if (!strcmp(w.v[0], "prompt")) {
		fprintf(stderr, "pxsh: pxsh keeps the connection in interactive mode itself\n");
	} else if (!strcmp(w.v[0], "watch") || !strcmp(w.v[0], "top")) {
		double every = 2;
		int skip = 1;

		if (!s->interactive) {
			fprintf(stderr, "pxsh: %s needs a terminal\n", w.v[0]);
			res = RUN_FAILED;
		} else if (!strcmp(w.v[0], "top")) {
			res = px_sh_top(s) < 0 ? RUN_FAILED : RUN_OK;
		} else {
			if (w.n > 2 && !strcmp(w.v[1], "-n")) {
				every = strtod(w.v[2], NULL);
				skip = 3;
			}
			if (w.n <= skip) {
				fprintf(stderr, "pxsh: usage: watch [-n <seconds>] <command>\n");
				res = RUN_FAILED;
			} else {
				res = px_sh_watch(s, every, skip_words(cmd, skip)) < 0 ? RUN_FAILED : RUN_OK;
			}
		}
	} else if (!strcmp(w.v[0], "edit") && w.n >= 2 && !strcmp(w.v[1], "rules")) {
		int yes = w.n >= 3 && !strcmp(w.v[2], "-y"), rc;

		if (w.n != 3 + yes) {
			fprintf(stderr, "pxsh: usage: edit rules [-y] <proxy>\n");
			res = RUN_FAILED;
		} else {
			rc = px_sh_edit_rules(s, w.v[2 + yes], yes);
			res = rc == -2 ? RUN_NOSOCKET : rc < 0 ? RUN_FAILED : RUN_OK;
		}
	} else if (!strcmp(w.v[0], "trace") && (w.n < 2 || strcmp(w.v[1], "request"))) {
		res = trace(s, &w);
	} else {
		res = remote(s, cmd, payload);
	}
out:
	px_sh_list_free(&w);
	return res;
}

/* Whether <cmd> ends with the payload marker "<<". */
static int wants_payload(const char *cmd)
{
	size_t n = strlen(cmd);

	return n >= 2 && !strcmp(cmd + n - 2, "<<") && (n == 2 || cmd[n - 3] == ' ');
}

/* Runs the commands of one line, which may hold several separated by ';'.
 * A last command ending in "<<" gets the lines <next_line> gives, up to an
 * empty one, as payload. Returns the worst result.
 */
static enum run_result run_line(struct sh_session *s, const char *line,
				const char *(*next_line)(void *), void *arg)
{
	struct sh_list cmds = { 0 };
	enum run_result worst = RUN_OK;
	int i;

	px_sh_split_cmds(line, &cmds);
	for (i = 0; i < cmds.n; i++) {
		struct sh_buf payload = { 0 };
		enum run_result r;

		if (i == cmds.n - 1 && wants_payload(cmds.v[i])) {
			const char *l;

			px_sh_buf_add(&payload, "", 0);
			while ((l = next_line(arg)) && *l) {
				px_sh_buf_str(&payload, l);
				px_sh_buf_add(&payload, "\n", 1);
			}
		}
		r = run_cmd(s, cmds.v[i], payload.data);
		px_sh_buf_free(&payload);
		if (r == RUN_FAILED && !s->interactive)
			fprintf(stderr, "pxsh: command failed: %s\n", cmds.v[i]);
		if (r > worst)
			worst = r;
		if (r == RUN_NOSOCKET || r == RUN_QUIT)
			break;
	}
	px_sh_list_free(&cmds);
	return worst;
}

/* Lines of a script (a FILE, stdin, or -c's text). */
struct script {
	FILE *f;                 /* or NULL for <text> */
	const char *text;
	char *line;
	size_t cap;
};

static const char *script_next(void *arg)
{
	struct script *sc = arg;
	ssize_t n;

	if (sc->f) {
		n = getline(&sc->line, &sc->cap, sc->f);
		if (n < 0)
			return NULL;
	} else {
		const char *nl;

		if (!sc->text || !*sc->text)
			return NULL;
		nl = strchr(sc->text, '\n');
		n = nl ? nl - sc->text : (ssize_t)strlen(sc->text);
		free(sc->line);
		sc->line = strndup(sc->text, (size_t)n);
		sc->text += n + (nl ? 1 : 0);
	}
	n = (ssize_t)strlen(sc->line);
	while (n && (sc->line[n - 1] == '\n' || sc->line[n - 1] == '\r'))
		sc->line[--n] = 0;
	return sc->line;
}

static int run_script(struct sh_session *s, struct script *sc)
{
	enum run_result worst = RUN_OK, r;
	const char *line;

	while ((line = script_next(sc))) {
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		r = run_line(s, p, script_next, sc);
		if (r == RUN_QUIT)
			break;
		if (r > worst)
			worst = r;
		if (r == RUN_NOSOCKET)
			break;
	}
	free(sc->line);
	return worst == RUN_NOSOCKET ? PXSH_EXIT_NOSOCKET :
	       worst == RUN_FAILED ? PXSH_EXIT_FAILED : PXSH_EXIT_OK;
}

static const char *interactive_next(void *arg)
{
	return px_sh_line_read("+ ");
}

static int run_interactive(struct sh_session *s)
{
	const char *line;
	int status = PXSH_EXIT_OK;

	if (px_sh_line_init(s) < 0) {
		fprintf(stderr, "pxsh: cannot set up the line editor\n");
		return PXSH_EXIT_FAILED;
	}
	while ((line = px_sh_line_read("pxsh> "))) {
		enum run_result r;

		if (!*line)
			continue;
		px_sh_line_remember(line);
		r = run_line(s, line, interactive_next, NULL);
		if (r == RUN_QUIT)
			break;
	}
	if (!line)
		fputc('\n', stdout);
	px_sh_line_end();
	return status;
}

static void on_sigint(int sig)
{
	px_sh_interrupted = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "command", required_argument, NULL, 'c' },
		{ "raw", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sh_session s = { .conn = { .fd = -1 } };
	struct sigaction sa = { .sa_handler = on_sigint };
	struct script sc = { 0 };
	struct sh_buf err = { 0 };
	const char *commands = NULL, *no_color = getenv("NO_COLOR");
	int opt, status;

	s.conn.target = getenv("PXSH_SOCKET");
	if (!s.conn.target || !*s.conn.target)
		s.conn.target = PXSH_DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			s.conn.target = optarg;
			break;
		case 'c':
			commands = optarg;
			break;
		case 'r':
			s.output = SH_OUT_RAW;
			break;
		case 'j':
			s.output = SH_OUT_JSON;
			break;
		case 'h':
			usage(stdout);
			return PXSH_EXIT_OK;
		default:
			usage(stderr);
			return PXSH_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc || (commands && optind < argc)) {
		usage(stderr);
		return PXSH_EXIT_USAGE;
	}
	if (optind < argc) {
		sc.f = fopen(argv[optind], "r");
		if (!sc.f) {
			fprintf(stderr, "pxsh: %s: %s\n", argv[optind], strerror(errno));
			return PXSH_EXIT_USAGE;
		}
	} else if (commands) {
		sc.text = commands;
	} else if (isatty(STDIN_FILENO)) {
		s.interactive = 1;
	} else {
		sc.f = stdin;
	}
	s.color = isatty(STDOUT_FILENO) && !(no_color && *no_color);

	/* Ctrl-C interrupts a command waiting for its answer, not pxsh. */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (px_sh_conn_open(&s.conn, &err) < 0) {
		fprintf(stderr, "%s\n", err.data);
		px_sh_buf_free(&err);
		return PXSH_EXIT_NOSOCKET;
	}
	status = s.interactive ? run_interactive(&s) : run_script(&s, &sc);
	if (sc.f && sc.f != stdin)
		fclose(sc.f);
	px_sh_conn_close(&s.conn);
	for (opt = 0; opt < SH_NAMES_COUNT; opt++)
		px_sh_list_free(&s.conn.cache[opt].names);
	return status;
}
