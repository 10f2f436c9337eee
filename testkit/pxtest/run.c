/* run.c: running one scenario, in its own process.
 *
 * Owns: the life of a scenario process (steps in order, stop at the first
 * failure, clean up, report to the parent over a pipe), failure messages
 * and their excerpts, and the steps that manage processes and files:
 * name, timeout, skip-unless-root, skip-unless-cmd, env, file, sleep, server, proxyd,
 * proxyd-config, signal, expect-exit, exec and exec-in; server, proxyd
 * and exec-in run their process in a network namespace of netns.c when
 * asked. Raw connections are in net.c, libcurl requests in http.c, checks
 * in expect.c.
 *
 * Cleanup only ever signals processes this scenario started, by PID: the
 * fake servers, proxyd, exec process groups, and orphans they left behind
 * (this process is a child subreaper, so those become its children and are
 * found in /proc/self/task/TID/children).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkstr.h"

/* ---- reporting ------------------------------------------------------- */

/* Sends one tagged line (newlines inside become separate lines with the
 * same tag) to the parent.
 */
static void report(const struct px_env *env, char tag, const char *text, size_t n)
{
	struct tk_buf b = { 0 };
	size_t i = 0;

	do {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - text) : n;

		tk_buf_addc(&b, tag);
		tk_buf_addc(&b, ' ');
		tk_buf_add(&b, text + i, e - i);
		tk_buf_addc(&b, '\n');
		i = e + 1;
	} while (i < n);
	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(env->report_fd, b.data + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	tk_buf_free(&b);
}

/* Records the scenario's failure at the current step's line. Only the
 * first failure is kept; later ones become excerpt lines. Returns -1 so
 * steps can "return px_fail(...)".
 */
int px_fail(struct px_ctx *ctx, const char *fmt, ...)
{
	struct tk_buf *b = ctx->failed ? &ctx->detail : &ctx->fail_msg;
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (ctx->failed) {
		tk_buf_printf(b, "also: %s\n", s);
	} else {
		ctx->failed = 1;
		ctx->fail_line = ctx->step ? ctx->step->lineno : 0;
		tk_buf_adds(b, s);
		if (ctx->deadline_hit && tk_now_us() >= ctx->deadline)
			tk_buf_printf(b, " (the scenario's %.1fs time limit was reached)",
				      ctx->sc->timeout_us / 1e6);
	}
	free(s);
	return -1;
}

/* Adds a line to the failure's excerpt. */
void px_detail(struct px_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		tk_buf_adds(&ctx->detail, s);
		tk_buf_addc(&ctx->detail, '\n');
	}
	va_end(ap);
	free(s);
}

/* Adds `label: "bytes"` (C-escaped, at most 2 KiB shown) to the excerpt. */
void px_detail_bytes(struct px_ctx *ctx, const char *label, const void *p, size_t n)
{
	tk_buf_printf(&ctx->detail, "%s (%zu bytes): \"", label, n);
	tk_escape(&ctx->detail, p, n, 2048);
	tk_buf_adds(&ctx->detail, "\"\n");
}

/* With -v, tells the parent what is happening. */
void px_trace(struct px_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (!ctx->env->verbose)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0) {
		char pre[32];
		struct tk_buf b = { 0 };

		snprintf(pre, sizeof(pre), "%7.3fs ", (tk_now_us() - ctx->start) / 1e6);
		tk_buf_adds(&b, pre);
		tk_buf_add(&b, s, (size_t)n);
		report(ctx->env, 'V', b.data, b.len);
		tk_buf_free(&b);
	}
	free(s);
}

/* ---- argument helpers ------------------------------------------------ */

int px_get_dur(struct px_ctx *ctx, const struct px_arg *a, int64_t *us)
{
	if (tk_parse_duration(a->s, us) < 0)
		return px_fail(ctx, "bad duration '%s' (examples: 150ms, 2s, 1.5s, 500us, 1m)", a->s);
	return 0;
}

int px_get_window(struct px_ctx *ctx, const struct px_arg *a, int64_t *lo, int64_t *hi)
{
	if (tk_parse_window(a->s, lo, hi) < 0)
		return px_fail(ctx, "bad time window '%s' (expected MIN..MAX, e.g. 100ms..300ms)", a->s);
	return 0;
}

int px_get_uint(struct px_ctx *ctx, const struct px_arg *a, uint64_t *v)
{
	if (tk_parse_size(a->s, v) < 0)
		return px_fail(ctx, "bad number '%s'", a->s);
	return 0;
}

/* Reads an optional "within DUR" at argv[at]; *us = dflt when absent. */
int px_opt_within(struct px_ctx *ctx, const struct px_step *st, int at,
		  int64_t dflt, int64_t *us)
{
	*us = dflt;
	if (at >= st->argc)
		return 0;
	if (strcmp(st->argv[at].s, "within") != 0 || at + 2 != st->argc)
		return px_fail(ctx, "expected 'within DUR' after the arguments, got '%s'",
			       st->argv[at].s);
	return px_get_dur(ctx, &st->argv[at + 1], us);
}

/* Clamps a wait deadline to the scenario's; remembers when it did, so the
 * failure message can say the scenario limit was the cause.
 */
int64_t px_limit(struct px_ctx *ctx, int64_t at)
{
	if (at >= ctx->deadline) {
		ctx->deadline_hit = 1;
		return ctx->deadline;
	}
	ctx->deadline_hit = 0;
	return at;
}

/* Formats "1.234s" for time t since since, in a static buffer (two slots,
 * so a message can use it twice).
 */
const char *px_when(struct px_ctx *ctx, int64_t since, int64_t t)
{
	static char buf[2][32];
	static int k;

	k ^= 1;
	tk_fmt_duration(buf[k], sizeof(buf[k]), t - since);
	return buf[k];
}

void px_result_reset(struct px_result *r, enum px_res_kind kind, const char *what,
		     int lineno)
{
	struct px_result keep = *r;

	tk_buf_reset(&keep.head);
	tk_buf_reset(&keep.body);
	tk_buf_reset(&keep.raw);
	tk_buf_reset(&keep.out);
	tk_buf_reset(&keep.err);
	memset(r, 0, sizeof(*r));
	r->head = keep.head;
	r->body = keep.body;
	r->raw = keep.raw;
	r->out = keep.out;
	r->err = keep.err;
	r->kind = kind;
	r->what = what;
	r->lineno = lineno;
	r->body_hash = TK_HASH_INIT;
}

void px_status_str(int status, char *dst, size_t size)
{
	if (WIFEXITED(status))
		snprintf(dst, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(dst, size, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(dst, size, "wait status 0x%x", status);
}

/* ---- processes ------------------------------------------------------- */

/* Collects p's exit status if it has ended (block: wait for it). Returns 1
 * when it has ended, 0 when it still runs.
 */
int px_proc_reap(struct px_proc *p, int block)
{
	int status;
	pid_t r;

	if (p->reaped || !p->pid)
		return 1;
	do
		r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	p->reaped = 1;
	p->status = r > 0 ? status : 0;
	return 1;
}

/* Waits up to until for p to end. Returns 1 when it did. */
static int proc_wait(struct px_proc *p, int64_t until)
{
	while (!px_proc_reap(p, 0)) {
		if (tk_now_us() >= until)
			return 0;
		usleep(2000);
	}
	return 1;
}

/* How to start a process (spawn()). */
struct spawn_args {
	char *const *argv;           /* argv[0] is a path */
	const char *out_path;        /* stdout+stderr appended there, or */
	int out_fd, err_fd;          /* when out_path is NULL, to these */
	const char *stdin_path;      /* NULL: /dev/null */
	int ready_fd;                /* becomes fd 3 when >= 0 */
	int new_group;               /* its own process group (exec steps,
				      * whose whole pipeline we may kill) */
	const char *netns;           /* a namespace file to run in, or NULL */
};

/* Starts a process as sa says. Returns the pid, or -1. */
static pid_t spawn(struct px_ctx *ctx, const struct spawn_args *sa)
{
	pid_t parent = getpid(), pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in, out;

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		if (sa->new_group)
			setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		in = open(sa->stdin_path ? sa->stdin_path : "/dev/null", O_RDONLY);
		out = sa->out_path ? open(sa->out_path, O_WRONLY | O_CREAT | O_APPEND, 0644) :
			sa->out_fd;
		if (in < 0 || out < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(sa->out_path ? out : sa->err_fd, 2);
		if (sa->ready_fd >= 0)
			dup2(sa->ready_fd, 3);   /* dup2 clears close-on-exec */
		if (sa->netns && px_netns_enter(sa->netns) < 0) {
			dprintf(2, "pxtest: cannot enter network namespace %s: %s\n", sa->netns,
				strerror(errno));
			_exit(127);
		}
		execv(sa->argv[0], sa->argv);
		dprintf(2, "pxtest: cannot execute %s: %s\n", sa->argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Appends the last n lines of a file to the excerpt. */
static void detail_tail(struct px_ctx *ctx, const char *title, const char *path, int n)
{
	struct tk_buf all = { 0 };
	char block[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), lines = 0;
	size_t start;

	if (fd < 0)
		return;
	while ((r = read(fd, block, sizeof(block))) > 0)
		tk_buf_add(&all, block, (size_t)r);
	close(fd);
	start = all.len;
	if (start && all.data[start - 1] == '\n')
		start--;
	while (start > 0 && lines < n) {
		start--;
		if (all.data[start] == '\n' && ++lines == n) {
			start++;
			break;
		}
	}
	px_detail(ctx, "%s:", title);
	if (!all.len)
		px_detail(ctx, "  (nothing)");
	for (size_t i = start; i < all.len;) {
		const char *nl = memchr(all.data + i, '\n', all.len - i);
		size_t e = nl ? (size_t)(nl - all.data) : all.len;
		struct tk_buf esc = { 0 };

		tk_escape(&esc, all.data + i, e - i, 400);
		px_detail(ctx, "  | %s", tk_buf_str(&esc));
		tk_buf_free(&esc);
		i = e + 1;
	}
	tk_buf_free(&all);
}

/* ---- simple steps ---------------------------------------------------- */

static int step_noop(struct px_ctx *ctx, const struct px_step *st)
{
	return 0;   /* name and timeout were applied when the file was read */
}

static int step_skip_unless_root(struct px_ctx *ctx, const struct px_step *st)
{
	if (geteuid() == 0)
		return 0;
	ctx->skipped = 1;
	tk_buf_adds(&ctx->skip_reason, st->rest[0] ? st->rest : "needs root");
	return -1;
}

/* skip-unless-cmd NAME [REASON...]: the scenario needs program NAME. */
static int step_skip_unless_cmd(struct px_ctx *ctx, const struct px_step *st)
{
	const char *name = st->argv[1].s;
	char full[4096];
	int i;

	if (px_which(name, full, sizeof(full)) == 0)
		return 0;
	ctx->skipped = 1;
	tk_buf_adds(&ctx->skip_reason, "needs ");
	tk_buf_adds(&ctx->skip_reason, name);
	for (i = 2; i < st->argc; i++) {
		tk_buf_adds(&ctx->skip_reason, i == 2 ? " (" : " ");
		tk_buf_adds(&ctx->skip_reason, st->argv[i].s);
		if (i == st->argc - 1)
			tk_buf_adds(&ctx->skip_reason, ")");
	}
	return -1;
}

static int step_env(struct px_ctx *ctx, const struct px_step *st)
{
	if (setenv(st->argv[1].s, st->argv[2].s, 1) < 0)
		return px_fail(ctx, "cannot set %s: %s", st->argv[1].s, strerror(errno));
	return 0;
}

/* Waits for dur, reading syslog messages meanwhile. */
static void pause_for(struct px_ctx *ctx, int64_t until)
{
	int64_t now;

	while ((now = tk_now_us()) < until) {
		struct pollfd pf[16];
		int n = 0, i;

		for (i = 0; i < ctx->nsyslogs && n < 16; i++)
			pf[n++] = (struct pollfd){ .fd = ctx->syslogs[i].fd, .events = POLLIN };
		if (n) {
			struct timespec ts = { .tv_sec = (until - now) / 1000000,
					       .tv_nsec = ((until - now) % 1000000) * 1000 };

			ppoll(pf, (nfds_t)n, &ts, NULL);
			px_poll_syslogs(ctx);
		} else {
			struct timespec ts = { .tv_sec = (until - now) / 1000000,
					       .tv_nsec = ((until - now) % 1000000) * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

static int step_sleep(struct px_ctx *ctx, const struct px_step *st)
{
	int64_t us;

	if (px_get_dur(ctx, &st->argv[1], &us) < 0)
		return -1;
	pause_for(ctx, px_limit(ctx, tk_now_us() + us));
	if (ctx->deadline_hit)
		return px_fail(ctx, "sleep went past the scenario's time limit");
	return 0;
}

/* Writes data to path (relative paths are in the scenario's temp dir). */
static int write_file(struct px_ctx *ctx, const char *path, const char *data, size_t n,
		      char *full, size_t full_size)
{
	char tmp[4096];
	int fd;

	/* path and full may be the same buffer */
	if (path[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", path);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", ctx->env->tmp, path);
	snprintf(full, full_size, "%s", tmp);
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return px_fail(ctx, "cannot write %s: %s", full, strerror(errno));
	while (n) {
		ssize_t w = write(fd, data, n);

		if (w <= 0) {
			close(fd);
			return px_fail(ctx, "cannot write %s: %s", full, strerror(errno));
		}
		data += w;
		n -= (size_t)w;
	}
	close(fd);
	return 0;
}

static int step_file(struct px_ctx *ctx, const struct px_step *st)
{
	struct tk_buf conv = { 0 };
	const char *path;
	char full[4096];
	int crlf = 0, rc;

	if (st->argc == 3 && strcmp(st->argv[1].s, "-crlf") == 0)
		crlf = 1;
	else if (st->argc != 2)
		return px_fail(ctx, "usage: file [-crlf] PATH <<END");
	path = st->argv[st->argc - 1].s;
	if (crlf) {
		for (size_t i = 0; i < st->heredoc.len; i++) {
			if (st->heredoc.data[i] == '\n' && (i == 0 || st->heredoc.data[i - 1] != '\r'))
				tk_buf_addc(&conv, '\r');
			tk_buf_addc(&conv, st->heredoc.data[i]);
		}
		rc = write_file(ctx, path, conv.data ? conv.data : "", conv.len, full, sizeof(full));
	} else {
		rc = write_file(ctx, path, st->heredoc.data, st->heredoc.len, full, sizeof(full));
	}
	tk_buf_free(&conv);
	px_trace(ctx, "wrote %s", full);
	return rc;
}

/* ---- fake servers ---------------------------------------------------- */

/* Reads "netns NS" at argv[at] when it is there: *ns is then the
 * namespace (the step fails when the scenario made none of that name) and
 * *at moves past it. Returns 0 or -1.
 */
static int opt_netns(struct px_ctx *ctx, const struct px_step *st, int *at,
		     const struct px_netns **ns)
{
	*ns = NULL;
	if (*at >= st->argc || strcmp(st->argv[*at].s, "netns"))
		return 0;
	if (*at + 1 >= st->argc)
		return px_fail(ctx, "'netns' needs a namespace name");
	*ns = px_netns_find(ctx, st->argv[*at + 1].s);
	if (!*ns)
		return px_fail(ctx, "no network namespace '%s' (make it first with 'netns %s')",
			       st->argv[*at + 1].s, st->argv[*at + 1].s);
	*at += 2;
	return 0;
}

/* server NAME [netns NS] [fakesrv options]. Without -l or -u among the
 * options, the server listens on 127.0.0.1:{{NAME}}, or in a namespace on
 * 0.0.0.0:{{NAME}}, where the other namespaces reach it.
 */
static int step_server(struct px_ctx *ctx, const struct px_step *st)
{
	const char *name = st->argv[1].s;
	const struct px_netns *ns;
	struct px_proc *srv;
	char listen[64], path[4096];
	char **argv;
	int port, pfd[2], i, n = 0, first = 2, own_listen = 0;
	int64_t until;
	char ready = 0;

	if (opt_netns(ctx, st, &first, &ns) < 0)
		return -1;
	for (i = first; i < st->argc; i++)
		if (!strcmp(st->argv[i].s, "-l") || !strcmp(st->argv[i].s, "-u"))
			own_listen = 1;
	for (i = 0; i < ctx->nservers; i++)
		if (strcmp(ctx->servers[i].name, name) == 0)
			return px_fail(ctx, "server '%s' is already started", name);
	port = px_port_get(ctx->sc, name);
	if (port < 0)
		return px_fail(ctx, "no free port for server '%s'", name);
	srv = realloc(ctx->servers, sizeof(*srv) * (size_t)(ctx->nservers + 1));
	if (!srv)
		return px_fail(ctx, "out of memory");
	ctx->servers = srv;
	srv = &ctx->servers[ctx->nservers++];
	memset(srv, 0, sizeof(*srv));
	srv->name = strdup(name);
	snprintf(path, sizeof(path), "%s/%s.rec", ctx->env->tmp, name);
	srv->rec_path = strdup(path);
	snprintf(path, sizeof(path), "%s/%s.out", ctx->env->tmp, name);
	srv->out_path = strdup(path);
	snprintf(listen, sizeof(listen), "%s:%d", ns ? "0.0.0.0" : "127.0.0.1", port);

	argv = calloc((size_t)st->argc + 12, sizeof(*argv));
	argv[n++] = (char *)ctx->env->fakesrv;
	if (!own_listen) {
		argv[n++] = "-l";
		argv[n++] = listen;
	}
	argv[n++] = "--record";
	argv[n++] = srv->rec_path;
	argv[n++] = "-q";
	argv[n++] = "--ready-fd";
	argv[n++] = "3";
	for (i = first; i < st->argc; i++)
		argv[n++] = st->argv[i].s;
	argv[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(argv);
		return px_fail(ctx, "pipe: %s", strerror(errno));
	}
	srv->pid = spawn(ctx, &(struct spawn_args){ .argv = argv, .out_path = srv->out_path,
						    .ready_fd = pfd[1],
						    .netns = ns ? ns->path : NULL });
	free(argv);
	close(pfd[1]);
	if (srv->pid < 0) {
		close(pfd[0]);
		srv->pid = 0;
		return px_fail(ctx, "cannot start fakesrv: %s", strerror(errno));
	}
	px_trace(ctx, "server %s: pid %d on %s%s%s", name, (int)srv->pid,
		 own_listen ? "its own -l/-u" : listen, ns ? " in " : "", ns ? ns->real : "");
	/* The byte comes once it listens; EOF without it means it died. */
	until = px_limit(ctx, tk_now_us() + 5000000);
	for (;;) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int64_t left = until - tk_now_us();
		ssize_t r;

		if (left <= 0 || poll(&pf, 1, (int)((left + 999) / 1000)) == 0) {
			close(pfd[0]);
			px_fail(ctx, "fakesrv '%s' did not get ready within 5s", name);
			detail_tail(ctx, "fakesrv output", srv->out_path, 20);
			return -1;
		}
		r = read(pfd[0], &ready, 1);
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	close(pfd[0]);
	if (ready != 'R') {
		char how[128];

		px_proc_reap(srv, 1);
		px_status_str(srv->status, how, sizeof(how));
		px_fail(ctx, "fakesrv '%s' failed to start (%s)", name, how);
		detail_tail(ctx, "fakesrv output", srv->out_path, 20);
		return -1;
	}
	return 0;
}

/* ---- proxyd ---------------------------------------------------------- */

/* Where the listeners a proxyd step waits for are: ports[i] in the
 * network namespace whose file is netns[i], or when that is NULL (or
 * netns is) in dflt; NULL is the scenario's own namespace.
 */
struct listeners {
	const int *ports;
	char *const *netns;
	const char *dflt;
	int n;
};

static const char *listener_netns(const struct listeners *l, int i)
{
	return l->netns && l->netns[i] ? l->netns[i] : l->dflt;
}

static int same_netns(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* Marks in found[] the ports of namespace where that are in LISTEN state
 * in the kernel table (/proc/.../net/tcp or tcp6) seen from there.
 * Returns how many it marked.
 */
static int scan_listeners(const struct listeners *l, const char *where, const char *table,
			  int *found)
{
	FILE *f = px_netns_fopen(where, table);
	char line[512];
	int marked = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char local[128];
		unsigned int port, state;
		char *colon;
		int i;

		if (sscanf(line, " %*d: %127s %*s %x", local, &state) != 2 || state != 0x0A)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		for (i = 0; i < l->n; i++)
			if (!found[i] && (unsigned int)l->ports[i] == port &&
			    same_netns(listener_netns(l, i), where)) {
				found[i] = 1;
				marked++;
			}
	}
	fclose(f);
	return marked;
}

/* Returns 1 when every listener of l is in LISTEN state, per the kernel's
 * tables of its namespace (never by connecting: proxyd would see that).
 */
static int ports_listening(const struct listeners *l)
{
	static const char *const tables[] = { "/proc/thread-self/net/tcp",
					      "/proc/thread-self/net/tcp6" };
	int found[64] = { 0 }, nfound = 0, i, j;
	size_t t;

	for (i = 0; i < l->n && i < 64; i++) {
		const char *where = listener_netns(l, i);
		int read_already = 0;

		for (j = 0; j < i && !read_already; j++)
			read_already = same_netns(listener_netns(l, j), where);
		for (t = 0; !read_already && t < sizeof(tables) / sizeof(tables[0]); t++)
			nfound += scan_listeners(l, where, tables[t], found);
	}
	return nfound >= (l->n < 64 ? l->n : 64);
}

static void proxyd_paths(struct px_ctx *ctx, char *cfg, char *out, size_t size)
{
	snprintf(cfg, size, "%s/proxyd.cfg", ctx->env->tmp);
	snprintf(out, size, "%s/proxyd.out", ctx->env->tmp);
}

static int step_proxyd_config(struct px_ctx *ctx, const struct px_step *st)
{
	char cfg[4096], out[4096];

	proxyd_paths(ctx, cfg, out, sizeof(cfg));
	return write_file(ctx, cfg, st->heredoc.data, st->heredoc.len, cfg, sizeof(cfg));
}

static int proxyd_line;   /* the proxyd step, for end-of-scenario failures */
static int proxyd_exit_checked;

/* proxyd [netns NS] [ARGS...] <<END */
static int step_proxyd(struct px_ctx *ctx, const struct px_step *st)
{
	char cfg[4096], out[4096], how[128];
	const struct px_netns *ns;
	struct listeners lis;
	char **argv;
	int i, n = 0, first = 1;
	int64_t until;

	if (opt_netns(ctx, st, &first, &ns) < 0)
		return -1;
	if (ctx->proxyd_started && !px_proc_reap(&ctx->proxyd, 0))
		return px_fail(ctx, "proxyd is already running (pid %d)", (int)ctx->proxyd.pid);
	proxyd_paths(ctx, cfg, out, sizeof(cfg));
	if (write_file(ctx, cfg, st->heredoc.data, st->heredoc.len, cfg, sizeof(cfg)) < 0)
		return -1;
	argv = calloc((size_t)st->argc + 8, sizeof(*argv));
	argv[n++] = (char *)ctx->env->proxyd;
	argv[n++] = "-d";
	argv[n++] = "-f";
	argv[n++] = cfg;
	for (i = first; i < st->argc; i++)
		argv[n++] = st->argv[i].s;
	argv[n] = NULL;
	free(ctx->proxyd.out_path);
	free(ctx->proxyd.name);
	memset(&ctx->proxyd, 0, sizeof(ctx->proxyd));
	ctx->proxyd.name = strdup("proxyd");
	ctx->proxyd.out_path = strdup(out);
	ctx->proxyd.pid = spawn(ctx, &(struct spawn_args){ .argv = argv, .out_path = out,
							   .ready_fd = -1,
							   .netns = ns ? ns->path : NULL });
	free(argv);
	if (ctx->proxyd.pid < 0) {
		ctx->proxyd.pid = 0;
		return px_fail(ctx, "cannot start proxyd: %s", strerror(errno));
	}
	ctx->proxyd_started = 1;
	proxyd_line = st->lineno;
	proxyd_exit_checked = 0;
	px_trace(ctx, "proxyd: pid %d%s%s, waiting for %d listener(s)", (int)ctx->proxyd.pid,
		 ns ? " in " : "", ns ? ns->real : "", st->nbind_ports);
	lis = (struct listeners){ .ports = st->bind_ports, .netns = st->bind_ns,
				  .dflt = ns ? ns->path : NULL, .n = st->nbind_ports };
	until = px_limit(ctx, tk_now_us() + 5000000);
	for (;;) {
		if (ports_listening(&lis))
			break;
		if (px_proc_reap(&ctx->proxyd, 0)) {
			proxyd_exit_checked = 1;
			px_status_str(ctx->proxyd.status, how, sizeof(how));
			return px_fail(ctx, "proxyd exited (%s) before listening", how);
		}
		if (tk_now_us() >= until) {
			struct tk_buf ports = { 0 };

			for (i = 0; i < st->nbind_ports; i++)
				tk_buf_printf(&ports, "%s%d", i ? ", " : "", st->bind_ports[i]);
			px_fail(ctx, "proxyd did not listen on port(s) %s within 5s",
				tk_buf_str(&ports));
			tk_buf_free(&ports);
			return -1;
		}
		usleep(5000);
	}
	/* It may have died between the last table scan and now. */
	if (px_proc_reap(&ctx->proxyd, 0)) {
		proxyd_exit_checked = 1;
		px_status_str(ctx->proxyd.status, how, sizeof(how));
		return px_fail(ctx, "proxyd exited (%s) right after start-up", how);
	}
	return 0;
}

/* Signal names for "signal proxyd SIG". */
static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ .name = "HUP", .sig = SIGHUP }, { .name = "INT", .sig = SIGINT },
	{ .name = "QUIT", .sig = SIGQUIT }, { .name = "KILL", .sig = SIGKILL },
	{ .name = "USR1", .sig = SIGUSR1 }, { .name = "USR2", .sig = SIGUSR2 },
	{ .name = "TERM", .sig = SIGTERM }, { .name = "CONT", .sig = SIGCONT },
	{ .name = "STOP", .sig = SIGSTOP }, { .name = "ABRT", .sig = SIGABRT },
	{ .name = "SEGV", .sig = SIGSEGV }, { .name = "PIPE", .sig = SIGPIPE },
	{ .name = "TTIN", .sig = SIGTTIN }, { .name = "TTOU", .sig = SIGTTOU },
};

/* Finds the process "proxyd" or a server by name. */
static struct px_proc *find_proc(struct px_ctx *ctx, const char *name)
{
	int i;

	if (strcmp(name, "proxyd") == 0)
		return ctx->proxyd_started ? &ctx->proxyd : NULL;
	for (i = 0; i < ctx->nservers; i++)
		if (strcmp(ctx->servers[i].name, name) == 0)
			return &ctx->servers[i];
	return NULL;
}

static int step_signal(struct px_ctx *ctx, const struct px_step *st)
{
	const char *sn = st->argv[2].s;
	struct px_proc *p = find_proc(ctx, st->argv[1].s);
	size_t k;

	if (!strncmp(sn, "SIG", 3))
		sn += 3;
	for (k = 0; k < sizeof(signames) / sizeof(signames[0]); k++)
		if (strcmp(signames[k].name, sn) == 0)
			break;
	if (k == sizeof(signames) / sizeof(signames[0]))
		return px_fail(ctx, "unknown signal '%s'", st->argv[2].s);
	if (!p)
		return px_fail(ctx, "no process '%s' was started", st->argv[1].s);
	if (px_proc_reap(p, 0)) {
		char how[128];

		px_status_str(p->status, how, sizeof(how));
		return px_fail(ctx, "cannot signal %s: it already ended (%s)", p->name, how);
	}
	px_trace(ctx, "kill -%s %d", signames[k].name, (int)p->pid);
	kill(p->pid, signames[k].sig);
	return 0;
}

static int step_expect_exit(struct px_ctx *ctx, const struct px_step *st)
{
	struct px_proc *p = find_proc(ctx, st->argv[1].s);
	uint64_t code;
	int64_t within, t0 = tk_now_us();
	char how[128];

	if (px_get_uint(ctx, &st->argv[2], &code) < 0 ||
	    px_opt_within(ctx, st, 3, 5000000, &within) < 0)
		return -1;
	if (!p)
		return px_fail(ctx, "no process '%s' was started", st->argv[1].s);
	if (!proc_wait(p, px_limit(ctx, t0 + within)))
		return px_fail(ctx, "%s still runs after %s (expected it to exit with %llu)",
			       p->name, px_when(ctx, t0, tk_now_us()), (unsigned long long)code);
	if (p == &ctx->proxyd)
		proxyd_exit_checked = 1;
	px_status_str(p->status, how, sizeof(how));
	px_trace(ctx, "%s ended: %s", p->name, how);
	if (!WIFEXITED(p->status) || (uint64_t)WEXITSTATUS(p->status) != code)
		return px_fail(ctx, "%s ended with %s, expected exit status %llu", p->name, how,
			       (unsigned long long)code);
	return 0;
}

/* ---- exec ------------------------------------------------------------ */

/* Reads what is available from fd into b, keeping PX_KEEP_MAX bytes.
 * Returns 0 at EOF, 1 otherwise.
 */
static int drain_fd(int fd, struct tk_buf *b)
{
	char block[16384];
	ssize_t r = read(fd, block, sizeof(block));

	if (r > 0) {
		size_t keep = b->len < PX_KEEP_MAX ? PX_KEEP_MAX - b->len : 0;

		tk_buf_add(b, block, (size_t)r < keep ? (size_t)r : keep);
		return 1;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	return 0;
}

/* Runs the shell command cmd ("" with a heredoc: the heredoc is the
 * script) of an exec or exec-in step, in the namespace ns (NULL: here).
 */
static int run_exec(struct px_ctx *ctx, const struct px_step *st, char *cmd,
		    const struct px_netns *ns)
{
	struct px_result *res = &ctx->res;
	char *argv[4] = { "/bin/sh", "-c", NULL, NULL };
	char in_path[4096], how[128];
	int po[2], pe[2], open_o = 1, open_e = 1;
	struct px_proc p = { .name = "exec" };
	int64_t t0 = tk_now_us(), until, exited_at = 0;

	if (!cmd[0] && !st->has_heredoc)
		return px_fail(ctx, "%s needs a command", st->cmd->name);
	px_result_reset(res, PX_RES_EXEC, st->cmd->name, st->lineno);
	in_path[0] = '\0';
	if (st->has_heredoc && cmd[0]) {
		/* "exec CMD <<END": the heredoc is CMD's standard input. */
		snprintf(in_path, sizeof(in_path), ".exec-stdin-%d", st->lineno);
		if (write_file(ctx, in_path, st->heredoc.data, st->heredoc.len,
			       in_path, sizeof(in_path)) < 0)
			return -1;
	}
	argv[2] = cmd[0] ? cmd : st->heredoc.data;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		return px_fail(ctx, "pipe: %s", strerror(errno));
	p.pid = spawn(ctx, &(struct spawn_args){ .argv = argv, .out_fd = po[1], .err_fd = pe[1],
						 .stdin_path = in_path[0] ? in_path : NULL,
						 .ready_fd = -1, .new_group = 1,
						 .netns = ns ? ns->path : NULL });
	if (p.pid < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return px_fail(ctx, "cannot start /bin/sh: %s", strerror(errno));
	}
	close(po[1]);
	close(pe[1]);
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	fcntl(pe[0], F_SETFL, O_NONBLOCK);
	px_trace(ctx, "exec%s%s: %s", ns ? " in " : "", ns ? ns->real : "", argv[2]);
	until = ctx->deadline;
	for (;;) {
		struct pollfd pf[2];
		int n = 0;
		int64_t now = tk_now_us(), wait_until = exited_at ? exited_at + 100000 : until;

		if (!exited_at && px_proc_reap(&p, 0))
			exited_at = now;
		if ((!open_o && !open_e) || now >= wait_until)
			break;
		if (open_o)
			pf[n++] = (struct pollfd){ .fd = po[0], .events = POLLIN };
		if (open_e)
			pf[n++] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
		poll(pf, (nfds_t)n, exited_at ? 10 : 20);
		if (open_o)
			open_o = drain_fd(po[0], &res->out);
		if (open_e)
			open_e = drain_fd(pe[0], &res->err);
	}
	close(po[0]);
	close(pe[0]);
	/* Output closed (or the limit passed): the shell is ending or hung. */
	if (!px_proc_reap(&p, 0) && !proc_wait(&p, until)) {
		/* Only the scenario limit gets here: kill the command's group. */
		kill(-p.pid, SIGKILL);
		px_proc_reap(&p, 1);
		res->took_us = tk_now_us() - t0;
		ctx->deadline_hit = 1;
		return px_fail(ctx, "exec did not finish: %s", argv[2]);
	}
	res->took_us = tk_now_us() - t0;
	res->exit_status = WIFEXITED(p.status) ? WEXITSTATUS(p.status) : 128 + WTERMSIG(p.status);
	px_status_str(p.status, how, sizeof(how));
	px_trace(ctx, "exec: %s, %zu bytes out, %zu bytes err", how, res->out.len, res->err.len);
	return 0;
}

static int step_exec(struct px_ctx *ctx, const struct px_step *st)
{
	return run_exec(ctx, st, st->rest, NULL);
}

/* exec-in NS SHELL-COMMAND: exec, in the scenario's namespace NS. */
static int step_exec_in(struct px_ctx *ctx, const struct px_step *st)
{
	char *name = strdup(st->rest), *cmd;
	const struct px_netns *ns;
	int rc;

	if (!name)
		return px_fail(ctx, "out of memory");
	cmd = name + strcspn(name, " \t");
	if (*cmd) {
		*cmd++ = '\0';
		cmd += strspn(cmd, " \t");
	}
	if (!name[0])
		rc = px_fail(ctx, "usage: exec-in NS SHELL-COMMAND");
	else if (!(ns = px_netns_find(ctx, name)))
		rc = px_fail(ctx, "no network namespace '%s' (make it first with 'netns %s')",
			     name, name);
	else
		rc = run_exec(ctx, st, cmd, ns);
	free(name);
	return rc;
}

/* ---- cleanup --------------------------------------------------------- */

/* Kills the orphans left by what we started (reparented to us). */
static void kill_orphans(void)
{
	char path[64], buf[4096];
	int round;

	for (round = 0; round < 20; round++) {
		int fd, found = 0;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			char *p = buf, *end;

			buf[n] = '\0';
			for (;;) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				kill((pid_t)pid, SIGKILL);
				found = 1;
				p = end;
			}
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!found)
			break;
		usleep(5000);
	}
}

static void cleanup(struct px_ctx *ctx)
{
	char how[128];
	int i;

	px_conns_close(ctx);
	px_tls_sessions_free(ctx);
	if (ctx->proxyd_started) {
		struct px_step fake = { .lineno = proxyd_line };
		const struct px_step *was = ctx->step;

		ctx->step = ctx->failed ? was : &fake;
		if (!px_proc_reap(&ctx->proxyd, 0)) {
			kill(ctx->proxyd.pid, SIGTERM);
			if (!proc_wait(&ctx->proxyd, tk_now_us() + 5000000)) {
				px_fail(ctx, "proxyd did not exit within 5s of SIGTERM at the end of the scenario");
				kill(ctx->proxyd.pid, SIGKILL);
				px_proc_reap(&ctx->proxyd, 1);
			} else if (!WIFEXITED(ctx->proxyd.status) || WEXITSTATUS(ctx->proxyd.status)) {
				px_status_str(ctx->proxyd.status, how, sizeof(how));
				px_fail(ctx, "proxyd ended with %s on SIGTERM at the end of the scenario (expected exit status 0)", how);
			}
		} else if (!proxyd_exit_checked) {
			px_status_str(ctx->proxyd.status, how, sizeof(how));
			px_fail(ctx, "proxyd ended by itself during the scenario (%s)", how);
		}
		ctx->step = was;
	}
	for (i = 0; i < ctx->nservers; i++) {
		struct px_proc *srv = &ctx->servers[i];

		if (!px_proc_reap(srv, 0)) {
			kill(srv->pid, SIGTERM);
			continue;
		}
		/* A fake server never ends by itself: that is a testkit bug. */
		px_status_str(srv->status, how, sizeof(how));
		px_fail(ctx, "fakesrv '%s' died during the scenario (%s)", srv->name, how);
		detail_tail(ctx, "its output", srv->out_path, 20);
	}
	for (i = 0; i < ctx->nservers; i++)
		if (!proc_wait(&ctx->servers[i], tk_now_us() + 1000000)) {
			kill(ctx->servers[i].pid, SIGKILL);
			px_proc_reap(&ctx->servers[i], 1);
		}
	kill_orphans();
	for (i = 0; i < ctx->nsyslogs; i++)
		close(ctx->syslogs[i].fd);
	/* Last, once nothing the scenario started runs in them. */
	px_netns_cleanup(ctx);
}

/* ---- the scenario ---------------------------------------------------- */

/* Runs the scenario at path in this (forked) process and reports to the
 * parent. Returns the exit code: 0 passed, 1 failed, 2 skipped.
 */
int px_run_scenario(const char *path, const struct px_env *env)
{
	struct px_ctx ctx = { .env = env };
	struct tk_buf err = { 0 }, line = { 0 };
	char abspath[8192];
	int i;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	setenv("PROXYD", env->proxyd, 1);
	setenv("FAKESRV", env->fakesrv, 1);
	setenv("PXTEST_TMP", env->tmp, 1);
	setenv("PXTEST_CERTS", env->certs, 1);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	ctx.sc = px_script_load(path, env, &err);
	if (!ctx.sc) {
		report(env, 'R', "fail", 4);
		report(env, 'M', err.data, err.len);
		return 1;
	}
	tk_buf_printf(&line, "%lld", (long long)ctx.sc->timeout_us);
	report(env, 'T', line.data, line.len);
	if (ctx.sc->name)
		report(env, 'N', ctx.sc->name, strlen(ctx.sc->name));
	ctx.start = tk_now_us();
	ctx.deadline = ctx.start + ctx.sc->timeout_us;
	snprintf(abspath, sizeof(abspath), "%s", path);
	for (i = 0; i < ctx.sc->nsteps; i++) {
		const struct px_step *st = &ctx.sc->steps[i];

		ctx.step = st;
		ctx.deadline_hit = 0;
		if (env->verbose) {
			struct tk_buf args = { 0 };

			for (int k = 1; k < st->argc; k++) {
				tk_buf_adds(&args, st->argv[k].regex ? " /" : " ");
				tk_escape(&args, st->argv[k].s, st->argv[k].len, 200);
				if (st->argv[k].regex)
					tk_buf_adds(&args, st->argv[k].caseless ? "/i" : "/");
			}
			if (st->rest && st->rest[0])
				tk_buf_printf(&args, " %s", st->rest);
			px_trace(&ctx, "line %d: %s%s", st->lineno, st->cmd->name, tk_buf_str(&args));
			tk_buf_free(&args);
		}
		if (tk_now_us() >= ctx.deadline) {
			px_fail(&ctx, "the scenario's %.1fs time limit was reached before this step",
				ctx.sc->timeout_us / 1e6);
			break;
		}
		if (st->cmd->run(&ctx, st) < 0)
			break;
	}
	cleanup(&ctx);

	tk_buf_reset(&line);
	if (ctx.failed) {
		report(env, 'R', "fail", 4);
		tk_buf_printf(&line, "%s:%d: %s", abspath, ctx.fail_line, tk_buf_str(&ctx.fail_msg));
		report(env, 'M', line.data, line.len);
		if (ctx.proxyd_started)
			detail_tail(&ctx, "proxyd output (last 20 lines)", ctx.proxyd.out_path, 20);
		if (ctx.detail.len)
			report(env, 'X', ctx.detail.data, ctx.detail.len - 1);
		return 1;
	}
	if (ctx.skipped) {
		report(env, 'R', "skip", 4);
		report(env, 'M', ctx.skip_reason.data, ctx.skip_reason.len);
		return 2;
	}
	report(env, 'R', "ok", 2);
	return 0;
}

const struct px_cmd px_cmds_run[] = {
	{ .name = "name", .raw_rest = 1, .max_args = 0, .run = step_noop },
	{ .name = "timeout", .min_args = 1, .max_args = 1, .run = step_noop },
	{ .name = "skip-unless-root", .raw_rest = 1, .max_args = 0, .run = step_skip_unless_root },
	{ .name = "skip-unless-cmd", .min_args = 1, .max_args = -1, .run = step_skip_unless_cmd },
	{ .name = "env", .min_args = 2, .max_args = 2, .run = step_env },
	{ .name = "file", .min_args = 1, .max_args = 2, .heredoc = 2, .run = step_file },
	{ .name = "sleep", .min_args = 1, .max_args = 1, .run = step_sleep },
	{ .name = "server", .min_args = 1, .max_args = -1, .run = step_server },
	{ .name = "proxyd", .min_args = 0, .max_args = -1, .heredoc = 2, .run = step_proxyd },
	{ .name = "proxyd-config", .min_args = 0, .max_args = 0, .heredoc = 2,
	  .run = step_proxyd_config },
	{ .name = "signal", .min_args = 2, .max_args = 2, .run = step_signal },
	{ .name = "expect-exit", .min_args = 2, .max_args = 4, .run = step_expect_exit },
	{ .name = "exec", .raw_rest = 1, .max_args = 0, .heredoc = 1, .run = step_exec },
	{ .name = "exec-in", .raw_rest = 1, .max_args = 0, .heredoc = 1, .run = step_exec_in },
	{ .name = NULL },
};
