/* The command socket: "stats socket" and "stats timeout" in the global
 * section, the sockets, and the protocol HAProxy's users and tools speak.
 *
 * A client sends a line of commands separated by ';' (a backslash escapes
 * the next character). Each command's output ends with an empty line, so a
 * script can split the answers of several commands. Without "prompt" the
 * connection closes after the line; with it, a "> " prompt asks for the
 * next one. A line ending in " <<" takes a payload: the lines that follow,
 * up to an empty one.
 *
 * Nothing here blocks the event loop. A command writes its output into the
 * connection's buffer; one that may write a lot (every session, a large
 * map) writes up to PX_CLI_OUT_SOFT and continues from a dump function
 * each time the client has read, so its memory is bounded whatever the
 * size of the answer, and a client that leaves mid-output only ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "admin/cli.h"
#include "admin/counters.h"
#include "cfg/cfg.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"

#define CLI_LINE_MAX     16384          /* a command line, as tune.bufsize */
#define CLI_PAYLOAD_MAX  (1024 * 1024)  /* a "<<" payload */
#define CLI_MAX_ARGS     64             /* words of one command */
#define CLI_IN_MAX       (2 * 1024 * 1024)  /* input buffer, > line + payload */
#define CLI_DEF_TIMEOUT  10000          /* "stats timeout" default, ms */

/* --- handlers -------------------------------------------------------------- */

static struct px_cli_handler_list *handler_lists;

void px_cli_register(struct px_cli_handler_list *list)
{
	list->next = handler_lists;
	handler_lists = list;
}

static px_cli_fn handler_of(const char *words)
{
	for (struct px_cli_handler_list *l = handler_lists; l; l = l->next)
		for (const struct px_cli_handler *h = l->h; h->words; h++)
			if (!strcmp(h->words, words))
				return h->fn;
	return NULL;
}

/* --- sockets --------------------------------------------------------------- */

enum { CL_ACTIVE = 0, CL_KEPT, CL_NEW };

struct cli_listener {
	struct px_list link;
	struct px_io io;
	char *name;
	char *path;                /* Unix socket path, to unlink at exit */
	dev_t dev;                 /* the socket file we created */
	ino_t ino;
	uint8_t level;
	uint8_t mark;
	uint32_t timeout_ms;
};

struct px_cli_conn {
	struct px_io io;
	struct px_timer timer;
	struct px_timer resume;    /* work postponed by the CPU budget */
	struct px_list link;
	uint8_t level;
	uint8_t prompt;            /* interactive mode */
	uint8_t json;              /* the current command answers in JSON */
	uint8_t closing;           /* close once the output is sent */
	uint8_t mark_errors;       /* "set cli errors marked" */
	uint8_t draining;          /* answered and shut: dropping input until EOF */
	uint8_t rd_ready, wr_ready, rd_eof;
	uint32_t payload_prompts;  /* "+ " prompts sent for the awaited payload */
	uint32_t timeout_ms;

	char *in;                  /* received, not yet consumed */
	size_t in_len, in_cap;
	char *out;                 /* to send, from out_off */
	size_t out_len, out_off, out_cap;
	int oom;                   /* output could not be stored */

	/* The line being executed. */
	char *raw;                 /* the line as received, for px_cli_rest() */
	uint32_t *word_off;        /* where each word starts in <raw> */
	uint32_t *cmd_end;         /* where each command ends in <raw> */
	char *line;                /* unescaped words, NUL-separated */
	char **words;              /* every word of the line */
	int *cmd_start;            /* index in words[] of each command */
	int *cmd_len;
	int ncmds, cur;
	char *payload;

	/* The command in progress. */
	px_cli_dump_fn dump;
	void *dctx;
	void (*drelease)(void *);
	int failed;

	/* "show events -w": new log lines are appended as they come. */
	struct px_list watch_link;
	uint8_t watching;
	uint32_t watch_dropped;

	/* An open transaction ("begin"), owned by the transaction code. */
	void *txn;
	void (*txn_free)(void *);
};

static struct px_list cli_listeners = PX_LIST_INIT(cli_listeners);
static struct px_list cli_conns = PX_LIST_INIT(cli_conns);
static struct px_loop *cli_loop;

static void conn_io(struct px_io *io, uint32_t events);
static void conn_timeout(struct px_timer *t);
static void conn_resume(struct px_timer *t);
static void conn_process(struct px_cli_conn *c);

struct px_loop *px_cli_loop(void)
{
	return cli_loop;
}

static struct cli_listener *listener_find(const char *name)
{
	struct px_list *e;

	px_list_for_each(e, &cli_listeners) {
		struct cli_listener *l = px_container_of(e, struct cli_listener, link);

		if (!strcmp(l->name, name))
			return l;
	}
	return NULL;
}

static void listener_free(struct cli_listener *l)
{
	struct stat st;

	px_list_del(&l->link);
	if (l->io.fd >= 0)
		close(l->io.fd);
	/* Remove the path only if it is still our socket (another process may
	 * have taken it over since).
	 */
	if (l->path && stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	free(l->path);
	free(l->name);
	free(l);
}

/* Binds a Unix socket to a temporary name, sets its owner and mode, then
 * renames it over <path>: clients never find the path missing or a socket
 * with the wrong permissions, even across a restart.
 */
static int bind_unix(struct cli_listener *l, const struct px_cli_bind *b, char **err)
{
	struct sockaddr_un tmp = b->addr.un;
	struct stat st;
	int fd;

	fd = -1;
	if ((size_t)snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%.*s.%d.tmp",
	                     (int)sizeof(tmp.sun_path) - 20, b->addr.un.sun_path,
	                     (int)getpid()) >= sizeof(tmp.sun_path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0)
		goto fail;
	if (chmod(tmp.sun_path, b->mode >= 0 ? (mode_t)b->mode : 0600) < 0 ||
	    ((b->uid >= 0 || b->gid >= 0) && chown(tmp.sun_path, b->uid, b->gid) < 0) ||
	    listen(fd, 16) < 0 || rename(tmp.sun_path, b->addr.un.sun_path) < 0) {
		int e = errno;

		unlink(tmp.sun_path);
		errno = e;
		goto fail;
	}
	if (stat(b->addr.un.sun_path, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	l->path = strdup(b->addr.un.sun_path);
	l->io.fd = fd;
	return l->path ? 0 : -1;
fail:
	px_strfmt(err, "%s:%d: cannot create the command socket '%s': %s", b->file, b->line,
	          b->name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int bind_inet(struct cli_listener *l, const struct px_cli_bind *b, char **err)
{
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, &b->addr.sa, b->addrlen) < 0 || listen(fd, 16) < 0) {
		px_strfmt(err, "%s:%d: cannot create the command socket '%s': %s", b->file,
		          b->line, b->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	l->io.fd = fd;
	return 0;
}

static void rollback(void)
{
	struct px_list *e, *tmp;

	px_list_for_each_safe(e, tmp, &cli_listeners) {
		struct cli_listener *l = px_container_of(e, struct cli_listener, link);

		if (l->mark == CL_NEW)
			listener_free(l);
		else
			l->mark = CL_ACTIVE;
	}
}

/* Opens the sockets of <gen> that are not open yet. Sockets of the running
 * generation with the same name are kept (their clients stay connected).
 * Returns 0, or -1 with a message (nothing changed then).
 */
int px_cli_open(struct px_gen *gen, char **err)
{
	const struct px_cli_cfg *cfg = gen->global.cli;

	if (!cfg)
		return 0;
	for (const struct px_cli_bind *b = cfg->binds; b; b = b->next) {
		struct cli_listener *l = listener_find(b->name);

		if (l && l->mark == CL_ACTIVE) {
			l->mark = CL_KEPT;
			continue;
		}
		l = calloc(1, sizeof(*l));
		if (!l || !(l->name = strdup(b->name))) {
			free(l);
			px_strfmt(err, "out of memory");
			rollback();
			return -1;
		}
		l->io.fd = -1;
		px_list_append(&cli_listeners, &l->link);
		l->mark = CL_NEW;
		if ((b->is_inet ? bind_inet(l, b, err) : bind_unix(l, b, err)) < 0) {
			rollback();
			return -1;
		}
	}
	return 0;
}

static void listener_accept(struct px_io *io, uint32_t events);

/* Makes <gen>'s sockets the live ones: new ones are watched, kept ones take
 * their new level, the others close.
 */
void px_cli_commit(struct px_loop *loop, struct px_gen *gen)
{
	const struct px_cli_cfg *cfg = gen->global.cli;
	struct px_list *e, *tmp;

	cli_loop = loop;
	px_list_for_each_safe(e, tmp, &cli_listeners) {
		struct cli_listener *l = px_container_of(e, struct cli_listener, link);
		const struct px_cli_bind *b = NULL;

		if (l->mark == CL_ACTIVE) {
			listener_free(l);
			continue;
		}
		for (b = cfg ? cfg->binds : NULL; b && strcmp(b->name, l->name); b = b->next)
			;
		l->level = b ? b->level : PX_CLI_OPERATOR;
		l->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : CLI_DEF_TIMEOUT;
		if (l->mark == CL_NEW) {
			l->io.fn = listener_accept;
			if (px_io_add(loop, &l->io, EPOLLIN | EPOLLET) < 0)
				px_warning("command socket '%s' cannot be watched: %s", l->name,
				           strerror(errno));
		}
		l->mark = CL_ACTIVE;
	}
}

static void conn_close(struct px_cli_conn *c);

/* Closes every socket and connection (the process is stopping). */
void px_cli_close_all(void)
{
	while (!px_list_empty(&cli_conns))
		conn_close(px_container_of(cli_conns.next, struct px_cli_conn, link));
	while (!px_list_empty(&cli_listeners))
		listener_free(px_container_of(cli_listeners.next, struct cli_listener, link));
}

/* Undoes px_cli_open() after a reload failed further on. */
void px_cli_unlink_all(void)
{
	rollback();
}

/* --- connections ----------------------------------------------------------- */

static void listener_accept(struct px_io *io, uint32_t events)
{
	struct cli_listener *l = px_container_of(io, struct cli_listener, io);

	for (;;) {
		struct px_cli_conn *c;
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->io.fd = fd;
		c->io.fn = conn_io;
		c->level = l->level;
		c->timeout_ms = l->timeout_ms;
		c->rd_ready = c->wr_ready = 1;
		px_list_init(&c->watch_link);
		px_timer_init(&c->timer, conn_timeout);
		px_timer_init(&c->resume, conn_resume);
		px_list_append(&cli_conns, &c->link);
		if (px_io_add(cli_loop, &c->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
			conn_close(c);
			continue;
		}
		conn_process(c);
	}
}

static void end_dump(struct px_cli_conn *c)
{
	if (c->drelease && c->dctx)
		c->drelease(c->dctx);
	c->dump = NULL;
	c->dctx = NULL;
	c->drelease = NULL;
}

static void free_line(struct px_cli_conn *c)
{
	free(c->payload);
	free(c->raw);
	free(c->word_off);
	free(c->cmd_end);
	c->raw = NULL;
	c->word_off = c->cmd_end = NULL;
	free(c->line);
	free(c->words);
	free(c->cmd_start);
	free(c->cmd_len);
	c->line = NULL;
	c->words = NULL;
	c->cmd_start = c->cmd_len = NULL;
	c->ncmds = c->cur = 0;
	c->payload = NULL;
}

static void conn_release(void *arg)
{
	struct px_cli_conn *c = arg;

	free(c->in);
	free(c->out);
	free(c);
}

static void conn_close(struct px_cli_conn *c)
{
	px_list_del(&c->watch_link);
	end_dump(c);
	free_line(c);
	if (c->txn && c->txn_free)
		c->txn_free(c->txn);
	c->txn = NULL;
	px_timer_del(cli_loop, &c->timer);
	px_timer_del(cli_loop, &c->resume);
	px_list_del(&c->link);
	close(c->io.fd);
	c->io.fd = -1;
	c->io.fn = NULL;
	/* An event of the current batch may still name it. */
	px_loop_defer(cli_loop, conn_release, c);
}

static void conn_timeout(struct px_timer *t)
{
	conn_close(px_container_of(t, struct px_cli_conn, timer));
}

/* --- the CPU budget --------------------------------------------------------- */

/* Commands must not slow traffic down. Over each window of CLI_WINDOW_US,
 * the command socket may use CLI_BUSY_PCT of the time while there is
 * traffic (a request or a connection in this window or the previous one),
 * and CLI_IDLE_PCT otherwise. A connection over budget waits CLI_PAUSE_MS,
 * then goes on. A long output (every session of a large process) thus
 * takes longer to come out of a busy proxy, without costing its traffic
 * more than a few percent; on a quiet one it comes at full speed.
 */
#define CLI_WINDOW_US 100000
#define CLI_BUSY_PCT  2
#define CLI_IDLE_PCT  90
#define CLI_PAUSE_MS  10

static uint64_t budget_start_us, budget_used_us;
static uint64_t traffic_mark;           /* traffic counters at the window start */
static int traffic_before;              /* the previous window had traffic */

static uint64_t traffic_now(void)
{
	return px_proc_ctr.cum_req + px_proc_ctr.cum_conns;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Whether the command socket may work now (<now> in microseconds). */
static int budget_ok(uint64_t now)
{
	uint64_t t = traffic_now();
	uint32_t pct;

	if (now - budget_start_us >= CLI_WINDOW_US) {
		traffic_before = t != traffic_mark;
		traffic_mark = t;
		budget_start_us = now;
		budget_used_us = 0;
	}
	pct = traffic_before || t != traffic_mark ? CLI_BUSY_PCT : CLI_IDLE_PCT;
	return budget_used_us * 100 < (uint64_t)CLI_WINDOW_US * pct;
}

static void conn_resume(struct px_timer *t)
{
	conn_process(px_container_of(t, struct px_cli_conn, resume));
}

static void conn_io(struct px_io *io, uint32_t events)
{
	struct px_cli_conn *c = px_container_of(io, struct px_cli_conn, io);

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->rd_ready = 1;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->wr_ready = 1;
	conn_process(c);
}

/* --- output ---------------------------------------------------------------- */

static int out_reserve(struct px_cli_conn *c, size_t n)
{
	size_t cap;
	char *p;

	if (c->oom)
		return -1;
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n <= c->out_cap)
		return 0;
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + n <= c->out_cap)
			return 0;
	}
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap < c->out_len + n)
		cap *= 2;
	p = realloc(c->out, cap);
	if (!p) {
		c->oom = 1;
		return -1;
	}
	c->out = p;
	c->out_cap = cap;
	return 0;
}

void px_cli_write(struct px_cli_conn *c, const char *data, size_t len)
{
	if (!len || out_reserve(c, len) < 0)
		return;
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
}

void px_cli_puts(struct px_cli_conn *c, const char *s)
{
	px_cli_write(c, s, strlen(s));
}

/* Formats straight into the buffer; only an output longer than the room
 * left (rare: room is kept at 512 bytes) is formatted twice.
 */
static void cli_vprintf(struct px_cli_conn *c, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room;
	int n;

	if (out_reserve(c, 512) < 0)
		return;
	room = c->out_cap - c->out_len;
	va_copy(ap2, ap);
	n = vsnprintf(c->out + c->out_len, room, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (out_reserve(c, (size_t)n + 1) < 0)
			return;
		vsnprintf(c->out + c->out_len, (size_t)n + 1, fmt, ap);
	}
	c->out_len += (size_t)n;
}

void px_cli_printf(struct px_cli_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vprintf(c, fmt, ap);
	va_end(ap);
}

/* Writes <s> as a JSON string, quotes included. */
void px_cli_json_str(struct px_cli_conn *c, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, from = 0;

	px_cli_write(c, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];

		if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
			continue;
		px_cli_write(c, s + from, i - from);
		from = i + 1;
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			px_cli_write(c, esc, 2);
		} else if (ch == '\n') {
			px_cli_write(c, "\\n", 2);
		} else if (ch == '\t') {
			px_cli_write(c, "\\t", 2);
		} else if (ch == '\r') {
			px_cli_write(c, "\\r", 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			px_cli_write(c, esc, 6);
		}
	}
	px_cli_write(c, s + from, len - from);
	px_cli_write(c, "\"", 1);
}

int px_cli_full(const struct px_cli_conn *c)
{
	return c->out_len - c->out_off >= PX_CLI_OUT_SOFT;
}

void px_cli_set_json(struct px_cli_conn *c, int on)
{
	c->json = !!on;
}

int px_cli_json(const struct px_cli_conn *c)
{
	return c->json;
}

int px_cli_level(const struct px_cli_conn *c)
{
	return c->level;
}

void px_cli_error(struct px_cli_conn *c, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line: an error never contains the empty line that ends an
	 * answer.
	 */
	for (n = 0; msg[n]; n++)
		if (msg[n] == '\n' || msg[n] == '\r')
			msg[n] = ' ';
	c->failed = 1;
	if (c->json) {
		px_cli_printf(c, "{\"error\":{\"code\":%d,\"message\":", code);
		px_cli_json_str(c, msg, n);
		px_cli_puts(c, "}}\n");
	} else {
		if (c->mark_errors)
			px_cli_write(c, "Error: ", 7);
		px_cli_write(c, msg, n);
		px_cli_write(c, "\n", 1);
	}
}

int px_cli_dump(struct px_cli_conn *c, px_cli_dump_fn fn, void *ctx,
                void (*release)(void *ctx))
{
	c->dump = fn;
	c->dctx = ctx;
	c->drelease = release;
	return 1;
}

void *px_cli_ctx(struct px_cli_conn *c)
{
	return c->dctx;
}

struct px_gen *px_cli_target;

static const struct px_cli_desc *desc_find(char **args, int nargs, int *nwords);
static int split_line(struct px_cli_conn *c, const char *src, size_t len, char **err);

/* The text of the command from its word args[i] to its end, as the client
 * wrote it (spaces and quotes kept) except that backslash escapes are
 * undone. Returns a string to free, or NULL when out of memory.
 */
char *px_cli_rest(struct px_cli_conn *c, char **args, int i)
{
	int w = (int)(args - c->words) + i;
	uint32_t from = c->word_off[w], to = c->cmd_end[c->cur], k;
	char *out = malloc(to - from + 1), *o = out;

	if (!out)
		return NULL;
	for (k = from; k < to; k++) {
		if (c->raw[k] == '\\' && k + 1 < to)
			k++;
		*o++ = c->raw[k];
	}
	while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
		o--;
	*o = '\0';
	return out;
}

void *px_cli_txn(struct px_cli_conn *c)
{
	return c->txn;
}

void px_cli_set_txn(struct px_cli_conn *c, void *txn, void (*release)(void *))
{
	if (c->txn && c->txn != txn && c->txn_free)
		c->txn_free(c->txn);
	c->txn = txn;
	c->txn_free = release;
}

/* Runs the command line <line> as if <c>'s client had sent it, appending
 * its output; returns -1 when a command failed. Used to replay the
 * operations of a transaction at commit time.
 */
int px_cli_run_line(struct px_cli_conn *c, const char *line)
{
	struct px_cli_conn tmp;
	char *err = NULL;
	int failed = 0;

	memset(&tmp, 0, sizeof(tmp));
	tmp.level = c->level;
	tmp.mark_errors = c->mark_errors;
	tmp.io.fd = -1;
	px_list_init(&tmp.watch_link);
	if (split_line(&tmp, line, strlen(line), &err) < 0) {
		free(err);
		free_line(&tmp);
		return -1;
	}
	for (tmp.cur = 0; tmp.cur < tmp.ncmds; tmp.cur++) {
		char **args = tmp.words + tmp.cmd_start[tmp.cur];
		int nargs = tmp.cmd_len[tmp.cur], n;
		const struct px_cli_desc *d = desc_find(args, nargs, &n);

		tmp.failed = 0;
		if (!d || d->level > tmp.level || handler_of(d->words)(&tmp, args, nargs, NULL))
			tmp.failed = 1;
		failed |= tmp.failed;
		if (tmp.dump)
			end_dump(&tmp);
	}
	if (tmp.out_len)
		px_cli_write(c, tmp.out, tmp.out_len);
	free(tmp.out);
	free_line(&tmp);
	return failed ? -1 : 0;
}

/* --- parsing a line -------------------------------------------------------- */

/* Splits <src> (a line without its newline) into commands and words:
 * blanks separate words, ';' commands, and a backslash makes the next
 * character ordinary. Returns 0, or -1 with a message in <err>.
 */
static int split_line(struct px_cli_conn *c, const char *src, size_t len, char **err)
{
	size_t i, nw = 0, cap_w = 16, cap_c = 4;
	char *dst;
	int in_word = 0, cmd_words = 0;

	c->line = malloc(len + 1);
	c->raw = malloc(len + 1);
	c->words = malloc(cap_w * sizeof(*c->words));
	c->word_off = malloc(cap_w * sizeof(*c->word_off));
	c->cmd_start = malloc(cap_c * sizeof(int));
	c->cmd_len = malloc(cap_c * sizeof(int));
	c->cmd_end = malloc(cap_c * sizeof(*c->cmd_end));
	if (!c->line || !c->raw || !c->words || !c->word_off || !c->cmd_start ||
	    !c->cmd_len || !c->cmd_end)
		goto oom;
	memcpy(c->raw, src, len);
	c->raw[len] = '\0';
	dst = c->line;
	c->ncmds = 0;
	c->cmd_start[0] = 0;
	for (i = 0; i <= len; i++) {
		char ch = i < len ? src[i] : ';';
		int esc = 0;

		if (ch == '\\' && i + 1 < len) {
			ch = src[++i];
			esc = 1;
		} else if (ch == ' ' || ch == '\t' || ch == ';') {
			if (in_word) {
				*dst++ = '\0';
				in_word = 0;
			}
			if (ch == ';') {
				if (cmd_words) {
					if ((size_t)c->ncmds + 1 >= cap_c) {
						int *a, *b;
						uint32_t *e;

						cap_c *= 2;
						a = realloc(c->cmd_start, cap_c * sizeof(int));
						if (a)
							c->cmd_start = a;
						b = realloc(c->cmd_len, cap_c * sizeof(int));
						if (b)
							c->cmd_len = b;
						e = realloc(c->cmd_end, cap_c * sizeof(*e));
						if (e)
							c->cmd_end = e;
						if (!a || !b || !e)
							goto oom;
					}
					c->cmd_len[c->ncmds] = cmd_words;
					c->cmd_end[c->ncmds] = (uint32_t)(i < len ? i : len);
					c->ncmds++;
					c->cmd_start[c->ncmds] = (int)nw;
				}
				cmd_words = 0;
			}
			continue;
		}
		if (!in_word) {
			if (cmd_words >= CLI_MAX_ARGS) {
				px_strfmt(err, "Too many words in a command (at most %d)", CLI_MAX_ARGS);
				return -1;
			}
			if (nw + 1 >= cap_w) {
				char **w = realloc(c->words, cap_w * 2 * sizeof(*w));
				uint32_t *o;

				if (!w)
					goto oom;
				c->words = w;
				o = realloc(c->word_off, cap_w * 2 * sizeof(*o));
				if (!o)
					goto oom;
				c->word_off = o;
				cap_w *= 2;
			}
			/* An escaped first character starts one byte earlier. */
			c->word_off[nw] = (uint32_t)(esc ? i - 1 : i);
			c->words[nw++] = dst;
			cmd_words++;
			in_word = 1;
		}
		*dst++ = ch;
	}
	c->words[nw] = NULL;
	c->cur = 0;
	return 0;
oom:
	px_strfmt(err, "Out of memory");
	return -1;
}

/* Looks for a complete line (and its payload) in the input. Returns 1 and
 * sets up the line, 0 when more input is needed, -1 when the input breaks
 * a limit (an error was written and the connection will close).
 */
static int take_line(struct px_cli_conn *c)
{
	char *nl = c->in_len ? memchr(c->in, '\n', c->in_len) : NULL;
	size_t llen, consumed;
	char *err = NULL;
	const char *payload = NULL;
	size_t plen = 0;

	if (!nl) {
		if (c->in_len > CLI_LINE_MAX) {
			px_cli_error(c, 400, "Command line too long (at most %d bytes)", CLI_LINE_MAX);
			return -1;
		}
		return 0;
	}
	llen = (size_t)(nl - c->in);
	consumed = llen + 1;
	if (llen > CLI_LINE_MAX) {
		px_cli_error(c, 400, "Command line too long (at most %d bytes)", CLI_LINE_MAX);
		return -1;
	}
	if (llen && c->in[llen - 1] == '\r')
		llen--;
	/* "<<" as the last word announces a payload ending with an empty line. */
	if (llen >= 2 && !memcmp(c->in + llen - 2, "<<", 2) &&
	    (llen == 2 || c->in[llen - 3] == ' ' || c->in[llen - 3] == '\t')) {
		char *p = nl + 1, *end = c->in + c->in_len;
		uint32_t lines = 0;

		for (;;) {
			char *e = memchr(p, '\n', (size_t)(end - p));

			if (!e) {
				if ((size_t)(end - (nl + 1)) > CLI_PAYLOAD_MAX) {
					px_cli_error(c, 413, "Payload too large (at most %d bytes)",
					             CLI_PAYLOAD_MAX);
					return -1;
				}
				/* Interactive: "+ " once for each line awaited. */
				if (c->prompt && c->payload_prompts <= lines) {
					px_cli_write(c, "+ ", 2);
					c->payload_prompts = lines + 1;
				}
				return 0;
			}
			if (e == p || (e == p + 1 && *p == '\r')) {
				payload = nl + 1;
				plen = (size_t)(p - payload);
				consumed = (size_t)(e + 1 - c->in);
				break;
			}
			p = e + 1;
			lines++;
		}
		if ((size_t)(p - (nl + 1)) > CLI_PAYLOAD_MAX) {
			px_cli_error(c, 413, "Payload too large (at most %d bytes)", CLI_PAYLOAD_MAX);
			return -1;
		}
		llen -= 2;
	}
	c->payload_prompts = 0;
	if (split_line(c, c->in, llen, &err) < 0) {
		free_line(c);
		px_cli_error(c, 400, "%s", err);
		px_cli_write(c, "\n", 1);
		free(err);
		memmove(c->in, c->in + consumed, c->in_len - consumed);
		c->in_len -= consumed;
		return 1;
	}
	if (payload) {
		/* Stored after the words, NUL-terminated. */
		char *copy = malloc(plen + 1);

		if (!copy) {
			free_line(c);
			px_cli_error(c, 500, "Out of memory");
			return -1;
		}
		memcpy(copy, payload, plen);
		copy[plen] = '\0';
		c->payload = copy;
	}
	memmove(c->in, c->in + consumed, c->in_len - consumed);
	c->in_len -= consumed;
	return 1;
}

/* --- commands of the session itself ------------------------------------------ */

static const struct px_cli_desc *desc_find(char **args, int nargs, int *nwords)
{
	const struct px_cli_desc *best = NULL;
	int best_n = 0;

	for (const struct px_cli_desc *d = px_cli_cmds; d->words; d++) {
		const char *p = d->words;
		int i = 0;

		while (i < nargs) {
			size_t wl = strcspn(p, " ");

			if (strlen(args[i]) != wl || memcmp(args[i], p, wl))
				break;
			i++;
			p += wl;
			if (!*p)
				break;
			p++;
		}
		if (!*p && i > best_n && handler_of(d->words)) {
			best = d;
			best_n = i;
		}
	}
	*nwords = best_n;
	return best;
}

static void help_line(struct px_cli_conn *c, const struct px_cli_desc *d)
{
	char head[128];

	snprintf(head, sizeof(head), "%s%s%s", d->words, *d->usage ? " " : "", d->usage);
	if (strlen(head) < 40)
		px_cli_printf(c, "  %-40s: %s\n", head, d->help);
	else
		px_cli_printf(c, "  %s\n  %-40s: %s\n", head, "", d->help);
}

const struct px_cli_ext *px_cli_ext;

static void help_list(struct px_cli_conn *c)
{
	px_cli_puts(c, "The following commands are valid at this level:\n");
	for (const struct px_cli_desc *d = px_cli_cmds; d->words; d++)
		if (d->level <= c->level && handler_of(d->words))
			help_line(c, d);
	if (px_cli_ext && c->level >= PX_CLI_OPERATOR)
		px_cli_ext->help(c);
}

static int cmd_help(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const struct px_cli_desc *d;
	int n;

	if (nargs == 1) {
		help_list(c);
		return 0;
	}
	d = desc_find(args + 1, nargs - 1, &n);
	if (!d || n != nargs - 1) {
		px_cli_error(c, 404, "No command '%s' (type 'help' for the list)", args[1]);
		return 0;
	}
	px_cli_printf(c, "%s%s%s\n  %s\n  level: %s\n", d->words, *d->usage ? " " : "", d->usage,
	              d->help, px_cli_level_name(d->level));
	return 0;
}

static int cmd_prompt(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	c->prompt = !c->prompt;
	return 0;
}

static int cmd_quit(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	c->closing = 1;
	return 0;
}

static int cmd_set_timeout(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	uint64_t ms;
	char *err = NULL;

	if (nargs != 4) {
		px_cli_error(c, 400, "'set timeout cli' expects a delay (seconds by default)");
		return 0;
	}
	/* HAProxy reads a bare number as seconds here. */
	if (px_parse_uint(args[3], 86400 * 24, &ms) == 0) {
		ms *= 1000;
	} else if (px_parse_time(args[3], &ms, &err) < 0) {
		px_cli_error(c, 400, "'set timeout cli': %s", err);
		free(err);
		return 0;
	}
	if (!ms || ms > 0x7fffffff) {
		px_cli_error(c, 400, "'set timeout cli' expects a delay between 1ms and 24 days");
		return 0;
	}
	c->timeout_ms = (uint32_t)ms;
	return 0;
}

/* --- show events ---------------------------------------------------------- */

static int flush(struct px_cli_conn *c);

/* The last log lines, for "show events": a ring of CLI_EVENTS lines. */
#define CLI_EVENTS      1024
#define CLI_WATCH_MAX   (256 * 1024)   /* output a watcher may fall behind */

static char *events[CLI_EVENTS];
static uint32_t events_len[CLI_EVENTS];
static uint64_t events_next;          /* lines ever logged */
static struct px_list watchers = PX_LIST_INIT(watchers);

static void event_tap(const char *msg, size_t len)
{
	uint32_t slot = (uint32_t)(events_next % CLI_EVENTS);
	struct px_list *e, *tmp;
	char *copy;

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, msg, len);
	copy[len] = '\0';
	free(events[slot]);
	events[slot] = copy;
	events_len[slot] = (uint32_t)len;
	events_next++;
	px_list_for_each_safe(e, tmp, &watchers) {
		struct px_cli_conn *c = px_container_of(e, struct px_cli_conn, watch_link);

		if (c->out_len - c->out_off > CLI_WATCH_MAX) {
			c->watch_dropped++;
			continue;
		}
		if (c->watch_dropped) {
			px_cli_printf(c, "(%u lines dropped: this client reads too slowly)\n",
			              c->watch_dropped);
			c->watch_dropped = 0;
		}
		/* An empty line would end the answer. */
		px_cli_write(c, len ? copy : " ", len ? len : 1);
		px_cli_write(c, "\n", 1);
		if (c->wr_ready && flush(c) < 0)
			c->wr_ready = 0;   /* the next event finds the error */
	}
}

static int cmd_show_events(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	uint64_t n = events_next < CLI_EVENTS ? events_next : CLI_EVENTS, i;
	int watch = 0, a, json = 0;

	for (a = 2; a < nargs; a++) {
		uint64_t v;

		if (!strcmp(args[a], "json") && a == nargs - 1) {
			json = 1;
			px_cli_set_json(c, 1);
		} else if (!strcmp(args[a], "-w")) {
			watch = 1;
		} else if (px_parse_uint(args[a], CLI_EVENTS, &v) == 0) {
			if (v < n)
				n = v;
		} else {
			px_cli_error(c, 400, "'show events' expects [-w] [<lines>] (at most %d).",
			             CLI_EVENTS);
			return 0;
		}
	}
	if (json && watch) {
		px_cli_error(c, 400, "'show events -w' has no JSON form (lines come as they are "
		             "logged).");
		return 0;
	}
	if (json)
		px_cli_puts(c, "[");
	for (i = events_next - n; i < events_next; i++) {
		uint32_t slot = (uint32_t)(i % CLI_EVENTS);

		if (json) {
			if (i != events_next - n)
				px_cli_puts(c, ",\n");
			px_cli_json_str(c, events[slot], events_len[slot]);
			continue;
		}
		px_cli_write(c, events_len[slot] ? events[slot] : " ",
		             events_len[slot] ? events_len[slot] : 1);
		px_cli_write(c, "\n", 1);
	}
	if (json)
		px_cli_puts(c, "]\n");
	if (!watch)
		return 0;
	c->watching = 1;
	px_list_append(&watchers, &c->watch_link);
	return 1;
}

static int cmd_set_errors(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	if (nargs != 4 || (strcmp(args[3], "plain") && strcmp(args[3], "marked"))) {
		px_cli_error(c, 400, "'set cli errors' expects 'plain' or 'marked'.");
		return 0;
	}
	c->mark_errors = args[3][0] == 'm';
	return 0;
}

static const struct px_cli_handler session_handlers[] = {
	{ "help", cmd_help },
	{ "set cli errors", cmd_set_errors },
	{ "show events", cmd_show_events },
	{ "prompt", cmd_prompt },
	{ "quit", cmd_quit },
	{ "set timeout cli", cmd_set_timeout },
	{ NULL }
};

static struct px_cli_handler_list session_list = { .h = session_handlers };

__attribute__((constructor)) static void cli_register(void)
{
	px_log_tap = event_tap;
	px_cli_register(&session_list);
}

/* --- running ----------------------------------------------------------------- */

/* Ends the current command's output with the empty line. */
static void end_command(struct px_cli_conn *c)
{
	if (c->out_len > c->out_off && c->out[c->out_len - 1] != '\n')
		px_cli_write(c, "\n", 1);
	px_cli_write(c, "\n", 1);
	c->json = 0;
	c->failed = 0;
	c->cur++;
}

static void run_command(struct px_cli_conn *c)
{
	char **args = c->words + c->cmd_start[c->cur];
	int nargs = c->cmd_len[c->cur];
	const char *payload = c->cur == c->ncmds - 1 ? c->payload : NULL;
	const struct px_cli_desc *d;
	px_cli_fn fn;
	int n;

	d = desc_find(args, nargs, &n);
	if (!d && px_cli_ext && c->level >= PX_CLI_OPERATOR) {
		int r = px_cli_ext->run(c, args, nargs, payload);

		if (r >= 0) {
			if (r == 0)
				end_command(c);
			return;
		}
	}
	if (!d) {
		char cmd[128];
		int i, off = 0;

		for (i = 0; i < nargs && i < 3 && off < (int)sizeof(cmd) - 1; i++)
			off += snprintf(cmd + off, sizeof(cmd) - (size_t)off, "%s%s", i ? " " : "",
			                args[i]);
		px_cli_printf(c, "%sUnknown command '%s'. ", c->mark_errors ? "Error: " : "", cmd);
		help_list(c);
		c->failed = 1;
		end_command(c);
		return;
	}
	if (d->level > c->level) {
		px_cli_error(c, 403, "Permission denied");
		end_command(c);
		return;
	}
	fn = handler_of(d->words);
	if (fn(c, args, nargs, payload) == 0)
		end_command(c);
}

/* Sends what can be sent. Returns -1 when the connection failed. */
static int flush(struct px_cli_conn *c)
{
	while (c->wr_ready && c->out_len > c->out_off) {
		ssize_t n = send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			px_timer_set(cli_loop, &c->timer, cli_loop->now_ms + c->timeout_ms);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->wr_ready = 0;
			break;
		}
		return -1;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return 0;
}

/* Reads what the socket has. Returns -1 when the connection failed. */
static int fill(struct px_cli_conn *c)
{
	while (c->rd_ready && !c->rd_eof) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *p;

			/* take_line() refuses a line or a payload over its limit
			 * before the buffer reaches this size; should input still
			 * fill it, stop reading rather than spin.
			 */
			if (cap > CLI_IN_MAX) {
				px_cli_error(c, 413, "Input too large (a line may have %d bytes, a "
				             "payload %d)", CLI_LINE_MAX, CLI_PAYLOAD_MAX);
				px_cli_write(c, "\n", 1);
				c->closing = 1;
				c->rd_ready = 0;
				return 0;
			}
			p = realloc(c->in, cap);
			if (!p)
				return -1;
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->io.fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			px_timer_set(cli_loop, &c->timer, cli_loop->now_ms + c->timeout_ms);
			/* One line at a time is enough to go on. */
			if (memchr(c->in + c->in_len - n, '\n', (size_t)n))
				return 0;
			continue;
		}
		if (n == 0) {
			c->rd_eof = 1;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			c->rd_ready = 0;
			break;
		}
		return -1;
	}
	return 0;
}

static void conn_work(struct px_cli_conn *c);
static uint64_t work_start_us;

static void conn_process(struct px_cli_conn *c)
{
	uint64_t t0 = mono_us();

	if (!budget_ok(t0)) {
		if (!c->resume.expire)
			px_timer_set(cli_loop, &c->resume, cli_loop->now_ms + CLI_PAUSE_MS);
		return;
	}
	px_timer_del(cli_loop, &c->resume);
	work_start_us = t0;
	conn_work(c);
	/* <c> may be gone: only the clock is read now. */
	budget_used_us += mono_us() - t0;
}

/* Inside conn_work(): whether it may go on with another piece of work, or
 * must stop and come back later (set up here).
 */
static int budget_continue(struct px_cli_conn *c)
{
	uint64_t now = mono_us();

	budget_used_us += now - work_start_us;
	work_start_us = now;
	if (budget_ok(now))
		return 1;
	px_timer_set(cli_loop, &c->resume, cli_loop->now_ms + CLI_PAUSE_MS);
	return 0;
}

static void conn_work(struct px_cli_conn *c)
{
	if (!c->timer.expire)
		px_timer_set(cli_loop, &c->timer, cli_loop->now_ms + c->timeout_ms);
	for (;;) {
		if (flush(c) < 0 || c->oom) {
			conn_close(c);
			return;
		}
		if (px_cli_full(c)) {
			if (c->wr_ready)
				continue;
			return;   /* EPOLLOUT brings us back */
		}
		if (c->watching) {
			/* Any input, or the client leaving, ends the watch. */
			if (!c->in_len && !c->rd_eof && c->rd_ready && fill(c) < 0) {
				conn_close(c);
				return;
			}
			if (!c->in_len && !c->rd_eof) {
				px_timer_del(cli_loop, &c->timer);
				return;
			}
			c->watching = 0;
			px_list_del(&c->watch_link);
			px_timer_set(cli_loop, &c->timer, cli_loop->now_ms + c->timeout_ms);
			end_command(c);
			continue;
		}
		if (c->dump) {
			if (!budget_continue(c))
				return;
			if (c->dump(c) == 0) {
				end_dump(c);
				end_command(c);
			}
			continue;
		}
		if (c->line && c->cur < c->ncmds && !c->closing) {
			if (!budget_continue(c))
				return;
			run_command(c);
			continue;
		}
		if (c->line) {
			free_line(c);
			if (!c->prompt)
				c->closing = 1;
			else if (!c->closing)
				px_cli_write(c, "> ", 2);
			continue;
		}
		if (c->closing) {
			if (c->out_len > c->out_off)
				return;
			if (!c->draining) {
				shutdown(c->io.fd, SHUT_WR);
				c->draining = 1;
				/* What the client still sends is read and dropped
				 * until it closes (a close with unread input would
				 * reset the connection and lose our answer), for 1s
				 * at most.
				 */
				px_timer_set(cli_loop, &c->timer, cli_loop->now_ms + 1000);
			}
			while (!c->rd_eof && c->rd_ready) {
				char junk[16384];
				ssize_t n = recv(c->io.fd, junk, sizeof(junk), 0);

				if (n > 0)
					continue;
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0 && errno == EAGAIN)
					c->rd_ready = 0;
				else
					c->rd_eof = 1;
			}
			if (c->rd_eof)
				conn_close(c);
			return;
		}
		switch (take_line(c)) {
		case 1:
			if (!c->line && !c->prompt)
				c->closing = 1;   /* the line was refused */
			continue;
		case -1:
			px_cli_write(c, "\n", 1);
			c->closing = 1;
			continue;
		default:
			break;
		}
		if (c->rd_eof) {
			c->closing = 1;
			continue;
		}
		if (!c->rd_ready)
			return;
		if (fill(c) < 0) {
			conn_close(c);
			return;
		}
	}
}
