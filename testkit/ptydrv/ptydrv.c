/* ptydrv: runs a program on a pseudo-terminal and drives it with a small
 * script (type keys, expect output, wait for the exit), for the tests of
 * interactive programs (pxsh). Documented in docs/testkit.md, "ptydrv".
 *
 * One process, one child. Every wait is bounded (a step's "within", the
 * run's --timeout), and the child is killed by its pid at the end, so a
 * stuck program never outlives the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define STEP_TIMEOUT_MS 2000    /* a step's default "within" */
#define TAIL_BYTES 2048         /* output shown when a step fails */

/* Where the escape-sequence filter is, between two reads. */
enum strip_state {
	ST_TEXT = 0,            /* plain text */
	ST_ESC,                 /* after ESC */
	ST_CSI,                 /* in ESC [ ... final byte */
	ST_OSC,                 /* in ESC ] ... BEL or ESC \ */
	ST_OSC_ESC,             /* ESC inside an OSC */
	ST_CHARSET,             /* ESC ( X and the like: one more byte */
};

struct out {
	char *data;
	size_t len;
	size_t cap;
	size_t cursor;          /* expect searches from here */
};

static struct {
	int master;             /* the pty's master side, -1 once closed */
	pid_t pid;              /* the child, 0 once reaped */
	int status;             /* its wait status once reaped */
	struct out raw;         /* everything the child wrote */
	struct out text;        /* the same without escape sequences */
	enum strip_state st;
	long long deadline;     /* of the whole run, ms */
	const char *script_name;
} g = { .master = -1 };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void out_add(struct out *o, const char *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->data = realloc(o->data, o->cap);
		if (!o->data) {
			fputs("ptydrv: out of memory\n", stderr);
			exit(1);
		}
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
	o->data[o->len] = 0;
}

/* Keeps the text of <p>: escape sequences, and control characters other
 * than newline and tab, are dropped.
 */
static void strip(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		switch (g.st) {
		case ST_TEXT:
			if (c == 0x1b)
				g.st = ST_ESC;
			else if (c >= 0x20 || c == '\n' || c == '\t')
				out_add(&g.text, (const char *)&c, 1);
			break;
		case ST_ESC:
			g.st = c == '[' ? ST_CSI : c == ']' ? ST_OSC :
			       (c == '(' || c == ')' || c == '#' || c == '%') ? ST_CHARSET : ST_TEXT;
			break;
		case ST_CSI:
			if (c >= 0x40 && c <= 0x7e)
				g.st = ST_TEXT;
			break;
		case ST_OSC:
			if (c == 0x07)
				g.st = ST_TEXT;
			else if (c == 0x1b)
				g.st = ST_OSC_ESC;
			break;
		case ST_OSC_ESC:
			g.st = c == '\\' ? ST_TEXT : ST_OSC;
			break;
		case ST_CHARSET:
			g.st = ST_TEXT;
			break;
		}
	}
}

static void reap(int block)
{
	int status;

	if (g.pid > 0 && waitpid(g.pid, &status, block ? 0 : WNOHANG) == g.pid) {
		g.status = status;
		g.pid = 0;
	}
}

/* Reads what the child wrote, waiting up to <ms> for the first bytes.
 * Returns 0, or -1 once the pty is closed (the child and its children
 * exited).
 */
static int pump(int ms)
{
	struct pollfd pfd = { .fd = g.master, .events = POLLIN };
	char buf[8192];
	ssize_t n;

	if (g.master < 0)
		return -1;
	if (ms < 0)
		ms = 0;
	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	for (;;) {
		n = read(g.master, buf, sizeof(buf));
		if (n > 0) {
			out_add(&g.raw, buf, (size_t)n);
			strip((const unsigned char *)buf, (size_t)n);
			if (poll(&pfd, 1, 0) <= 0)
				return 0;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* EIO: no process holds the slave side any more. */
		close(g.master);
		g.master = -1;
		return -1;
	}
}

/* Writes <s> C-escaped, for messages. */
static void put_escaped(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n\n", f);
		else if (c == '\\')
			fputs("\\\\", f);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

static void fail(int line, const char *step, const char *why, int raw)
{
	const struct out *o = raw ? &g.raw : &g.text;
	size_t from = o->len > TAIL_BYTES ? o->len - TAIL_BYTES : 0;

	fprintf(stderr, "ptydrv: %s:%d: %s: %s\n", g.script_name, line, step, why);
	fprintf(stderr, "--- last %zu bytes of output (%s) ---\n", o->len - from,
		raw ? "raw" : "escape sequences stripped");
	put_escaped(stderr, o->data ? o->data + from : "", o->len - from);
	fputs("\n---\n", stderr);
}

/* Decodes the C escapes of a quoted argument: \t \n \r \e \a \b \\ \" \xHH
 * \0. Returns the length, written into <out> (as large as <in>).
 */
static size_t unescape(const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] != '\\' || i + 1 == n) {
			out[o++] = in[i];
			continue;
		}
		switch (in[++i]) {
		case 't': out[o++] = '\t'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 'e': out[o++] = 0x1b; break;
		case 'a': out[o++] = 0x07; break;
		case 'b': out[o++] = 0x08; break;
		case '0': out[o++] = 0; break;
		case 'x': {
			unsigned v = 0;
			int k;

			for (k = 0; k < 2 && i + 1 < n && strchr("0123456789abcdefABCDEF", in[i + 1]) && in[i + 1]; k++) {
				char h = in[++i];

				v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
			}
			out[o++] = (char)v;
			break;
		}
		default: out[o++] = in[i]; break;
		}
	}
	return o;
}

/* Reads a duration: "200ms", "2s", "1.5s", "1m", a bare number is ms.
 * Returns ms, or -1.
 */
static long parse_dur(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "ms"))
		return (long)v;
	if (!strcmp(end, "s"))
		return (long)(v * 1000);
	if (!strcmp(end, "m"))
		return (long)(v * 60000);
	return -1;
}

/* Reads the quoted argument at *p ("..." with escapes, or '...' as is)
 * into a new buffer. Returns it (length in *len), or NULL.
 */
static char *quoted(const char **p, size_t *len)
{
	const char *s = *p, *e;
	char q = *s, *out;

	if (q != '"' && q != '\'')
		return NULL;
	for (e = s + 1; *e && *e != q; e++)
		if (q == '"' && *e == '\\' && e[1])
			e++;
	if (*e != q)
		return NULL;
	out = malloc((size_t)(e - s) + 1);
	if (!out)
		return NULL;
	if (q == '"') {
		*len = unescape(s + 1, (size_t)(e - s - 1), out);
	} else {
		*len = (size_t)(e - s - 1);
		memcpy(out, s + 1, *len);
	}
	out[*len] = 0;
	*p = e + 1;
	return out;
}

/* Reads an optional "within DUR" (or "for DUR") after the argument.
 * Returns the ms, <def> when absent, -1 when malformed.
 */
static long opt_within(const char *p, long def)
{
	char word[32], dur[32];
	int n = sscanf(p, " %31s %31s", word, dur);

	if (n <= 0)
		return def;
	if (n != 2 || (strcmp(word, "within") && strcmp(word, "for")))
		return -1;
	return parse_dur(dur);
}

static long long step_deadline(long ms)
{
	long long d = now_ms() + ms;

	return d < g.deadline ? d : g.deadline;
}

/* Waits until the output after the cursor holds <what> (a substring, or a
 * regex when <re> is not NULL). Returns 0 and moves the cursor past the
 * match, or -1 when the time ran out or the child closed the pty.
 */
static int expect(struct out *o, const char *what, size_t wlen, const regex_t *re, long ms)
{
	long long deadline = step_deadline(ms);

	for (;;) {
		if (o->len > o->cursor) {
			if (re) {
				regmatch_t m;

				if (regexec(re, o->data + o->cursor, 1, &m, 0) == 0) {
					o->cursor += (size_t)m.rm_eo;
					return 0;
				}
			} else {
				const char *hit = memmem(o->data + o->cursor, o->len - o->cursor, what, wlen);

				if (hit) {
					o->cursor = (size_t)(hit - o->data) + wlen;
					return 0;
				}
			}
		}
		if (now_ms() >= deadline)
			return -1;
		if (pump((int)(deadline - now_ms())) < 0 && g.master < 0) {
			/* Closed: one last look was done above only if nothing
			 * new arrived; look again, then give up.
			 */
			if (o->len > o->cursor && ((re && regexec(re, o->data + o->cursor, 0, NULL, 0) == 0) ||
			    (!re && memmem(o->data + o->cursor, o->len - o->cursor, what, wlen))))
				continue;
			return -1;
		}
	}
}

static int write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(g.master, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			pump(10);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		pump(0);
	}
	return 0;
}

/* Runs one script line. Returns 0 when the step passed. */
static int step(int lineno, char *line)
{
	char cmd[32], why[256];
	const char *p = line;
	int n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	if (sscanf(p, "%31s%n", cmd, &n) != 1)
		return 0;
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;

	if (!strcmp(cmd, "type")) {
		size_t len;
		char *text = quoted(&p, &len);

		if (!text) {
			fail(lineno, line, "expected a quoted string", 0);
			return -1;
		}
		if (g.master < 0 || write_all(text, len) < 0) {
			free(text);
			fail(lineno, line, "the program closed its terminal", 0);
			return -1;
		}
		free(text);
		/* Let the program see the keys before the next step types more:
		 * line editors read escape sequences with short timeouts.
		 */
		pump(30);
		return 0;
	}
	if (!strcmp(cmd, "expect") || !strcmp(cmd, "expect-raw")) {
		int raw = !strcmp(cmd, "expect-raw");
		size_t len;
		char *text = quoted(&p, &len);
		long ms = text ? opt_within(p, STEP_TIMEOUT_MS) : -1;
		int rc;

		if (ms < 0) {
			free(text);
			fail(lineno, line, "expected a quoted string and an optional 'within DUR'", 0);
			return -1;
		}
		rc = expect(raw ? &g.raw : &g.text, text, len, NULL, ms);
		free(text);
		if (rc < 0) {
			snprintf(why, sizeof(why), "not seen within %ldms%s", ms,
				 g.master < 0 ? " (the program closed its terminal)" : "");
			fail(lineno, line, why, raw);
		}
		return rc;
	}
	if (!strcmp(cmd, "expect-re")) {
		const char *end = strrchr(p, '/');
		regex_t re;
		char *pat;
		long ms;
		int rc;

		if (*p != '/' || !end || end == p) {
			fail(lineno, line, "expected /regex/", 0);
			return -1;
		}
		ms = opt_within(end + 1, STEP_TIMEOUT_MS);
		pat = strndup(p + 1, (size_t)(end - p - 1));
		if (ms < 0 || !pat || regcomp(&re, pat, REG_EXTENDED | REG_NEWLINE) != 0) {
			free(pat);
			fail(lineno, line, "bad regex or duration", 0);
			return -1;
		}
		free(pat);
		rc = expect(&g.text, NULL, 0, &re, ms);
		regfree(&re);
		if (rc < 0) {
			snprintf(why, sizeof(why), "no match within %ldms%s", ms,
				 g.master < 0 ? " (the program closed its terminal)" : "");
			fail(lineno, line, why, 0);
		}
		return rc;
	}
	if (!strcmp(cmd, "sleep")) {
		long ms = parse_dur(p), long_end;

		if (ms < 0) {
			fail(lineno, line, "bad duration", 0);
			return -1;
		}
		long_end = (long)(step_deadline(ms) - now_ms());
		for (long long end = now_ms() + long_end; now_ms() < end; )
			if (pump((int)(end - now_ms())) < 0)
				usleep(10000);
		return 0;
	}
	if (!strcmp(cmd, "wait-exit")) {
		char *end;
		long code = strtol(p, &end, 10), ms = end == p ? -1 : opt_within(end, STEP_TIMEOUT_MS);
		long long deadline;
		int got;

		if (ms < 0) {
			fail(lineno, line, "expected an exit code and an optional 'within DUR'", 0);
			return -1;
		}
		deadline = step_deadline(ms);
		for (reap(0); g.pid > 0 && now_ms() < deadline; reap(0))
			if (pump(20) < 0)
				usleep(10000);
		if (g.pid > 0) {
			snprintf(why, sizeof(why), "still running after %ldms", ms);
			fail(lineno, line, why, 0);
			return -1;
		}
		while (pump(0) == 0 && g.master >= 0 && now_ms() < deadline)
			if (pump(20) == 0)
				break;
		got = WIFEXITED(g.status) ? WEXITSTATUS(g.status) : 128 + WTERMSIG(g.status);
		if (got != code) {
			snprintf(why, sizeof(why), "exit status %d, expected %ld", got, code);
			fail(lineno, line, why, 0);
			return -1;
		}
		return 0;
	}
	if (!strcmp(cmd, "exec")) {
		/* A shell command run beside the program (to change what it
		 * watches); it must exit 0 within the step's time.
		 */
		size_t len;
		char *text = quoted(&p, &len);
		long ms = text ? opt_within(p, STEP_TIMEOUT_MS) : -1;
		long long deadline;
		int status = 0;
		pid_t pid;

		if (ms < 0) {
			free(text);
			fail(lineno, line, "expected a quoted command and an optional 'within DUR'", 0);
			return -1;
		}
		pid = fork();
		if (pid == 0) {
			int devnull = open("/dev/null", O_RDWR);

			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			execl("/bin/sh", "sh", "-c", text, (char *)NULL);
			_exit(127);
		}
		free(text);
		deadline = step_deadline(ms);
		while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
			if (now_ms() >= deadline) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				fail(lineno, line, "the command did not finish in time", 0);
				return -1;
			}
			if (pump(10) < 0)
				usleep(10000);
		}
		if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fail(lineno, line, "the command failed", 0);
			return -1;
		}
		return 0;
	}
	if (!strcmp(cmd, "screen")) {
		pump(0);
		fwrite(g.text.data ? g.text.data : "", 1, g.text.len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return 0;
	}
	snprintf(why, sizeof(why), "unknown step '%s'", cmd);
	fail(lineno, line, why, 0);
	return -1;
}

static void usage(void)
{
	fputs("usage: ptydrv [-f SCRIPT] [--home DIR] [--size COLSxROWS] [--timeout DUR]\n"
	      "              [-e NAME=VALUE]... -- COMMAND [ARG...]\n"
	      "Runs COMMAND on a pseudo-terminal and follows the script (stdin by\n"
	      "default): type \"keys\", expect \"text\" [within DUR], expect-re /re/,\n"
	      "expect-raw \"bytes\", sleep DUR, exec \"shell command\", wait-exit CODE,\n"
	      "screen.\n"
	      "See docs/testkit.md, section ptydrv.\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_col = 100, .ws_row = 30 };
	const char *script = NULL, *home = NULL, *envs[32];
	long total_ms = 30000;
	int nenv = 0, i, lineno = 0, rc = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = stdin;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			script = argv[++i];
		} else if (!strcmp(argv[i], "--home") && i + 1 < argc) {
			home = argv[++i];
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			unsigned c, r;

			if (sscanf(argv[++i], "%ux%u", &c, &r) != 2 || !c || !r)
				usage();
			ws.ws_col = (unsigned short)c;
			ws.ws_row = (unsigned short)r;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			total_ms = parse_dur(argv[++i]);
			if (total_ms <= 0)
				usage();
		} else if (!strcmp(argv[i], "-e") && i + 1 < argc && nenv < 32) {
			envs[nenv++] = argv[++i];
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	if (script && !(f = fopen(script, "r"))) {
		fprintf(stderr, "ptydrv: %s: %s\n", script, strerror(errno));
		return 2;
	}
	g.script_name = script ? script : "stdin";
	signal(SIGPIPE, SIG_IGN);

	g.pid = forkpty(&g.master, NULL, NULL, &ws);
	if (g.pid < 0) {
		fprintf(stderr, "ptydrv: forkpty: %s\n", strerror(errno));
		return 2;
	}
	if (g.pid == 0) {
		int k;

		setenv("TERM", "xterm", 1);
		unsetenv("COLUMNS");
		unsetenv("LINES");
		if (home)
			setenv("HOME", home, 1);
		for (k = 0; k < nenv; k++)
			putenv((char *)envs[k]);
		execvp(argv[i], argv + i);
		fprintf(stderr, "ptydrv: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	fcntl(g.master, F_SETFL, fcntl(g.master, F_GETFL) | O_NONBLOCK);
	g.deadline = now_ms() + total_ms;

	while (getline(&line, &cap, f) >= 0) {
		size_t len = strlen(line);

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (step(lineno, line) < 0) {
			rc = 1;
			break;
		}
		if (now_ms() >= g.deadline) {
			fail(lineno, line, "the run's --timeout expired", 0);
			rc = 1;
			break;
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);

	/* The child goes at the end, whatever happened: TERM, then KILL. */
	reap(0);
	if (g.pid > 0) {
		long long end = now_ms() + 1000;

		kill(g.pid, SIGTERM);
		for (reap(0); g.pid > 0 && now_ms() < end; reap(0))
			if (pump(20) < 0)
				usleep(10000);
		if (g.pid > 0) {
			kill(g.pid, SIGKILL);
			reap(1);
		}
	}
	if (g.master >= 0)
		close(g.master);
	return rc;
}
