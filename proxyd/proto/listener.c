/* Listening sockets: the "bind" keyword, opening sockets for a new
 * generation while reusing those of the running one (matched by address),
 * and accepting connections. What happens on an accepted connection is
 * sess.c's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"
#include "core/netns.h"
#include "proto/listener.h"
#include "proto/sess.h"
#include "ssl/ssl.h"

#define ACCEPT_BATCH 64

/* Listeners of the process, across generations. */
static struct px_list listeners = PX_LIST_INIT(listeners);

/* The key telling listeners apart: with <full>, every socket option; without,
 * only what a socket keeps for life (family, address, port, namespace,
 * v6only/v4v6), the rest being changeable in place on reload.
 */
static void make_key(const struct px_bind *b, char *key, size_t size, int full)
{
	char ip[64];
	int n;

	if (b->inherited_fd >= 0) {
		snprintf(key, size, "fd@%d", b->inherited_fd);
		return;
	}
	if (b->addr.sa.sa_family == AF_UNIX) {
		snprintf(key, size, "unix@%s", b->addr.un.sun_path);
		return;
	}
	px_addr_ip_str(&b->addr.sa, ip, sizeof(ip));
	n = snprintf(key, size, "%s/%s:%d/%s/%d",
	             b->addr.sa.sa_family == AF_INET6 ? "v6" : "v4", ip, px_addr_port(&b->addr),
	             b->so.netns ? b->so.netns : "", b->so.v6only);
	if (full && n > 0 && (size_t)n < size)
		snprintf(key + n, size - (size_t)n, "/%s/%d%d%d/%d/%d",
		         b->so.iface ? b->so.iface : "", b->so.transparent, b->so.defer_accept,
		         b->so.tfo, b->so.backlog, b->so.mss);
}

/* The accept queue's length: "backlog", else the frontend's maxconn. */
static int listen_backlog(const struct px_bind *b)
{
	if (b->so.backlog)
		return b->so.backlog;
	return b->fe->maxconn > 0 && b->fe->maxconn < 65535 ? (int)b->fe->maxconn : 65535;
}

static const char *const sockopt_names[] = {
	"interface", "transparent", "namespace", "v4v6", "v6only", "defer-accept",
	"backlog", "mss", "tfo",
};

/* The network placement options of a bind line: 1 when args[*i] was one
 * (*i moved past its value), 0 when it is not, -1 with <err> on error.
 */
static int sockopt_parse(struct px_sockopts *o, char **args, int *i, int nargs,
                         struct px_cfg_ctx *ctx, char **err)
{
	const char *kw = args[*i];
	uint64_t v;

	if (!strcmp(kw, "transparent")) {
		o->transparent = 1;
		return 1;
	}
	if (!strcmp(kw, "v4v6") || !strcmp(kw, "v6only")) {
		o->v6only = kw[1] == '6' ? 1 : 2;
		return 1;
	}
	if (!strcmp(kw, "defer-accept")) {
		o->defer_accept = 1;
		return 1;
	}
	if (!strcmp(kw, "tfo")) {
		o->tfo = 1;
		return 1;
	}
	if (strcmp(kw, "interface") && strcmp(kw, "namespace") && strcmp(kw, "backlog") &&
	    strcmp(kw, "mss"))
		return 0;
	if (*i + 1 >= nargs) {
		px_strfmt(err, "bind option '%s' expects a value", kw);
		return -1;
	}
	(*i)++;
	if (kw[0] == 'i' || kw[0] == 'n') {
		char **dst = kw[0] == 'i' ? &o->iface : &o->netns;

		if (!*args[*i] || strlen(args[*i]) >= 16 + (kw[0] == 'n' ? 48 : 0) ||
		    strchr(args[*i], '/')) {
			px_strfmt(err, "invalid %s name '%s'", kw, args[*i]);
			return -1;
		}
		*dst = px_gen_strdup(ctx->gen, args[*i]);
		return *dst ? 1 : -1;
	}
	if (px_parse_uint(args[*i], kw[0] == 'b' ? 1000000 : 65535, &v) < 0 || !v) {
		px_strfmt(err, "bind option '%s' expects a positive number, not '%s'", kw, args[*i]);
		return -1;
	}
	if (kw[0] == 'b')
		o->backlog = (int)v;
	else
		o->mss = (int)v;
	return 1;
}

/* bind ADDR[,ADDR...] [name NAME] [options] */
static int kw_bind(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_proxy *fe = ctx->px;
	char *list, *save = NULL, *tok;
	const char *name = NULL;
	struct px_ssl_bind *ssl = NULL;
	struct px_sockopts so = { 0 };
	struct px_list *e;
	uint32_t luid = 0;
	int i;

	if (fe->cap & PX_CAP_DEF) {
		px_strfmt(err, "not allowed in a defaults section");
		return -1;
	}
	if (nargs < 2) {
		px_strfmt(err, "expects an address (ADDR:PORT, [IPv6]:PORT, unix@PATH or fd@N)");
		return -1;
	}
	for (i = 2; i < nargs; i++) {
		int r;

		if (!strcmp(args[i], "name") && i + 1 < nargs) {
			name = args[++i];
			continue;
		}
		r = sockopt_parse(&so, args, &i, nargs, ctx, err);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		r = px_ssl_bind_opt(&ssl, args, &i, nargs, ctx, err);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (!strcmp(args[i], "name")) {
			px_strfmt(err, "bind option 'name' expects a value");
			return -1;
		}
		{
			const char *names[64], *near;
			int n = 0;

			names[n++] = "name";
			while (px_ssl_bind_kw_names[n - 1] && n < 48) {
				names[n] = px_ssl_bind_kw_names[n - 1];
				n++;
			}
			n--;
			for (size_t k = 0; k < PX_ARRAY_SIZE(sockopt_names); k++)
				names[n++] = sockopt_names[k];
			near = px_closest(args[i], names, n);
			px_strfmt(err, "unknown bind option '%s'%s%s%s", args[i],
			          near ? " (did you mean '" : "", near ? near : "",
			          near ? "'?)" : "");
		}
		return -1;
	}
	list = strdup(args[1]);
	if (!list) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct px_bind *b = px_gen_alloc(ctx->gen, sizeof(*b));

		if (!b) {
			px_strfmt(err, "out of memory");
			goto fail;
		}
		b->fe = fe;
		b->ssl = ssl;
		b->so = so;
		if (!luid)
			px_list_for_each(e, &fe->binds)
				luid++;
		b->luid = ++luid;
		b->addr_str = px_gen_strdup(ctx->gen, tok);
		b->name = name ? px_gen_strdup(ctx->gen, name) : NULL;
		b->file = px_gen_strdup(ctx->gen, ctx->file);
		b->line = ctx->line;
		b->inherited_fd = -1;
		if (!strncmp(tok, "fd@", 3)) {
			uint64_t fd;

			if (px_parse_uint(tok + 3, 65535, &fd) < 0) {
				px_strfmt(err, "invalid file descriptor in '%s'", tok);
				goto fail;
			}
			b->inherited_fd = (int)fd;
		} else if (px_addr_parse(tok, &b->addr, &b->addrlen, PX_ADDR_PORT_REQUIRED,
		                         0, err) < 0) {
			goto fail;
		}
		px_list_append(&fe->binds, &b->link);
		px_list_append(&ctx->gen->binds, &b->gen_link);
	}
	free(list);
	return 0;
 fail:
	free(list);
	return -1;
}

static void accept_io(struct px_io *io, uint32_t events);

/* Opens the socket of <b>. Returns a new listener, or NULL with <err>. */
static struct px_listener *listener_new(const struct px_bind *b, char **err)
{
	struct px_listener *li = calloc(1, sizeof(*li));
	int fd = -1, one = 1;

	if (!li) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	px_list_init(&li->link);
	px_list_init(&li->pause_link);
	make_key(b, li->key, sizeof(li->key), 1);
	if (b->inherited_fd >= 0) {
		int type = 0, acc = 0;
		socklen_t len = sizeof(type);

		fd = b->inherited_fd;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    type != SOCK_STREAM) {
			px_strfmt(err, "fd@%d is not an inherited stream socket", fd);
			goto fail;
		}
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc) {
			if (listen(fd, 1024) < 0) {
				px_strfmt(err, "fd@%d is not a listening socket: %s", fd,
				          strerror(errno));
				goto fail;
			}
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	} else {
		char *why = NULL;

		fd = px_netns_socket(b->so.netns, b->addr.sa.sa_family,
		                     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, &why);
		if (fd < 0) {
			px_strfmt(err, "cannot create the socket of '%s': %s",
			          b->addr_str, why);
			free(why);
			goto fail;
		}
		if (b->addr.sa.sa_family != AF_UNIX &&
		    px_sockopts_apply(fd, b->addr.sa.sa_family, &b->so, &why) < 0) {
			px_strfmt(err, "bind '%s': %s", b->addr_str, why);
			free(why);
			goto fail;
		}
		if (b->so.tfo) {
			long v = px_netns_sysctl(b->so.netns, "net.ipv4.tcp_fastopen");

			/* The option is taken whatever the sysctl says; the
			 * kernel then ignores Fast Open requests in silence.
			 */
			if (v >= 0 && !(v & 2))
				px_warning("%s:%d: bind '%s': 'tfo': net.ipv4.tcp_fastopen is %ld, "
				           "which does not accept Fast Open as a server: clients "
				           "will make normal handshakes (set it to 3)",
				           b->file ? b->file : "?", b->line, b->addr_str, v);
		}
		if (b->addr.sa.sa_family == AF_UNIX) {
			struct stat st;

			/* A stale socket file from a previous run would make
			 * bind() fail; anything else is left alone.
			 */
			if (!stat(b->addr.un.sun_path, &st) && S_ISSOCK(st.st_mode))
				unlink(b->addr.un.sun_path);
			li->unix_path = strdup(b->addr.un.sun_path);
		} else {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			/* Accepted sockets inherit it: one call per listener
			 * instead of one per connection.
			 */
			px_sock_nodelay(fd);
		}
		if (bind(fd, &b->addr.sa, b->addrlen) < 0) {
			px_strfmt(err, "cannot bind to '%s': %s", b->addr_str, strerror(errno));
			goto fail;
		}
		li->backlog = listen_backlog(b);
		if (listen(fd, li->backlog) < 0) {
			px_strfmt(err, "cannot listen on '%s': %s", b->addr_str, strerror(errno));
			goto fail;
		}
	}
	px_sock_nonblock(fd);
	li->io.fd = fd;
	li->io.fn = accept_io;
	return li;
 fail:
	if (fd >= 0 && b->inherited_fd < 0)
		close(fd);
	free(li->unix_path);
	free(li);
	return NULL;
}

static struct px_listener *find_listener(const char *key)
{
	struct px_list *e;

	px_list_for_each(e, &listeners) {
		struct px_listener *li = px_container_of(e, struct px_listener, link);

		if (!strcmp(li->key, key))
			return li;
	}
	return NULL;
}

/* Listener marks during a (re)load. */
enum {
	LI_UNUSED = 0,  /* not used by the generation being loaded */
	LI_NEW,         /* opened for it */
	LI_KEPT,        /* running, and used by it too */
	LI_CHANGED,     /* running, used by it with other options (li->next_bind) */
};

static int key_eq(const struct px_bind *a, const struct px_bind *b)
{
	char ka[160], kb[160];

	make_key(a, ka, sizeof(ka), 0);
	make_key(b, kb, sizeof(kb), 0);
	return !strcmp(ka, kb);
}

/* Gives <b> a running listener of the same address whose other options
 * differ, changing them in place: a new socket could not bind while the
 * old one holds the address, and the old one's accept queue would be lost
 * with it. Returns the listener, NULL when there is none, or NULL with
 * <err> when an option cannot be applied.
 */
static struct px_listener *change_listener(struct px_bind *b, char **err)
{
	struct px_list *e;

	if (b->inherited_fd >= 0 || b->addr.sa.sa_family == AF_UNIX)
		return NULL;
	px_list_for_each(e, &listeners) {
		struct px_listener *li = px_container_of(e, struct px_listener, link);
		char *why = NULL;

		if (li->mark != LI_UNUSED || !li->bind || li->bind->inherited_fd >= 0 ||
		    li->bind->addr.sa.sa_family == AF_UNIX || !key_eq(li->bind, b))
			continue;
		if (px_sockopts_change(li->io.fd, b->addr.sa.sa_family, &li->bind->so, &b->so,
		                       &why) < 0) {
			/* Back to what it was, as far as it goes. */
			px_sockopts_change(li->io.fd, b->addr.sa.sa_family, &b->so, &li->bind->so,
			                   NULL);
			px_strfmt(err, "%s:%d: bind '%s': %s", b->file, b->line, b->addr_str, why);
			free(why);
			return NULL;
		}
		li->mark = LI_CHANGED;
		li->next_bind = b;
		return li;
	}
	return NULL;
}

/* Gives every bind of <gen> a listening socket: the running listener of
 * the same address and options, else one of the same address whose
 * options are changed in place, else a new one. Returns 0, or -1 with
 * <err> after undoing what this call did.
 */
int px_listeners_open(struct px_gen *gen, char **err)
{
	struct px_list *e;

	px_list_for_each(e, &listeners)
		px_container_of(e, struct px_listener, link)->mark = LI_UNUSED;

	/* Exact matches first, so that no other bind line takes their
	 * socket to change it.
	 */
	px_list_for_each(e, &gen->binds) {
		struct px_bind *b = px_container_of(e, struct px_bind, gen_link);
		struct px_listener *li;
		char key[160];

		make_key(b, key, sizeof(key), 1);
		li = find_listener(key);
		b->li = NULL;
		if (li && li->mark != LI_UNUSED) {
			px_strfmt(err, "%s:%d: address '%s' is bound twice", b->file, b->line,
			          b->addr_str);
			px_listeners_rollback();
			return -1;
		}
		if (li) {
			li->mark = LI_KEPT;
			b->li = li;
		}
	}
	px_list_for_each(e, &gen->binds) {
		struct px_bind *b = px_container_of(e, struct px_bind, gen_link);
		struct px_listener *li;
		char key[160];

		if (b->li)
			continue;
		make_key(b, key, sizeof(key), 1);
		li = find_listener(key);
		if (li && li->mark == LI_NEW) {
			px_strfmt(err, "%s:%d: address '%s' is bound twice", b->file, b->line,
			          b->addr_str);
			px_listeners_rollback();
			return -1;
		}
		li = change_listener(b, err);
		if (!li && *err) {
			px_listeners_rollback();
			return -1;
		}
		if (!li) {
			li = listener_new(b, err);
			if (!li) {
				char *msg = NULL;

				px_strfmt(&msg, "%s:%d: %s", b->file, b->line, *err);
				free(*err);
				*err = msg;
				px_listeners_rollback();
				return -1;
			}
			li->mark = LI_NEW;
			li->paused = 1;   /* not watched until committed */
			px_list_append(&listeners, &li->link);
		}
		b->li = li;
	}
	return 0;
}

static void listener_free(struct px_loop *loop, struct px_listener *li)
{
	if (loop && !li->paused)
		px_io_del(loop, &li->io);
	px_list_del(&li->link);
	px_list_del(&li->pause_link);
	if (li->unix_path)
		unlink(li->unix_path);
	free(li->unix_path);
	close(li->io.fd);
	free(li);
}

/* Undoes px_listeners_open(): closes the listeners it created. */
void px_listeners_rollback(void)
{
	struct px_list *e, *tmp;

	px_list_for_each_safe(e, tmp, &listeners) {
		struct px_listener *li = px_container_of(e, struct px_listener, link);

		if (li->mark == LI_NEW) {
			listener_free(NULL, li);
			continue;
		}
		if (li->mark == LI_CHANGED)
			px_sockopts_change(li->io.fd, li->bind->addr.sa.sa_family,
			                   &li->next_bind->so, &li->bind->so, NULL);
		li->next_bind = NULL;
		li->mark = LI_UNUSED;
	}
}

/* Makes the listeners of <gen> the running ones: closes those it does not
 * use and starts watching the new ones.
 */
void px_listeners_commit(struct px_loop *loop, struct px_gen *gen)
{
	struct px_list *e, *tmp;

	px_list_for_each_safe(e, tmp, &listeners) {
		struct px_listener *li = px_container_of(e, struct px_listener, link);

		if (li->mark == LI_UNUSED)
			listener_free(loop, li);
	}
	px_list_for_each(e, &gen->binds) {
		struct px_bind *b = px_container_of(e, struct px_bind, gen_link);
		struct px_listener *li = b->li;

		li->bind = b;
		li->next_bind = NULL;
		li->mark = LI_UNUSED;
		make_key(b, li->key, sizeof(li->key), 1);
		/* A changed backlog (or maxconn) takes effect at once. */
		if (b->inherited_fd < 0 && b->addr.sa.sa_family != AF_UNIX &&
		    listen_backlog(b) != li->backlog && listen(li->io.fd, listen_backlog(b)) == 0)
			li->backlog = listen_backlog(b);
		/* A listener paused by the old frontend starts afresh. */
		px_list_del(&li->pause_link);
		if (li->paused) {
			li->paused = 0;
			px_io_add(loop, &li->io, EPOLLIN);
		}
	}
}

void px_listeners_close_all(struct px_loop *loop)
{
	struct px_list *e, *tmp;

	px_list_for_each_safe(e, tmp, &listeners)
		listener_free(loop, px_container_of(e, struct px_listener, link));
}

/* Stops accepting on <li> until px_listeners_resume() (frontend full). */
void px_listener_pause(struct px_loop *loop, struct px_listener *li)
{
	if (li->paused)
		return;
	li->paused = 1;
	px_io_del(loop, &li->io);
	px_list_append(&li->bind->fe->paused_listeners, &li->pause_link);
}

/* Resumes the paused listeners of <fe> (or of every frontend when the
 * process-wide limit was the reason).
 */
void px_listeners_resume(struct px_loop *loop, struct px_proxy *fe)
{
	if (fe->admin_stopped)
		return;
	while (!px_list_empty(&fe->paused_listeners)) {
		struct px_listener *li = px_container_of(fe->paused_listeners.next,
		                                         struct px_listener, pause_link);

		px_list_del(&li->pause_link);
		if (li->bind && li->bind->fe == fe && li->paused) {
			li->paused = 0;
			px_io_add(loop, &li->io, EPOLLIN);
		}
	}
}

static void accept_io(struct px_io *io, uint32_t events)
{
	struct px_listener *li = px_container_of(io, struct px_listener, io);
	int i;

	(void)events;
	for (i = 0; i < ACCEPT_BATCH && !li->paused; i++) {
		union px_sockaddr addr;
		socklen_t len = sizeof(addr);
		int fd;

		if (px_sess_full(li)) {
			px_listener_pause(px_sess_loop(), li);
			return;
		}
		fd = accept4(io->fd, &addr.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS) {
				/* Out of resources: pause briefly rather than spin. */
				px_sess_accept_pressure(li);
				return;
			}
			px_warning("accept() on '%s' failed: %s", li->key, strerror(errno));
			return;
		}
		if (li->bind->fe->options & PX_OPT_CLITCPKA) {
			int one = 1;

			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		}
		px_sess_accept(li, fd, &addr, len);
	}
}

static const struct px_cfg_kw listener_kws[] = {
	{ .name = "bind", .sections = PX_SEC_FE, .parse = kw_bind },
	{ 0 }
};

static struct px_cfg_kw_list listener_kw_list = { .kws = listener_kws };

__attribute__((constructor)) static void listener_register(void)
{
	px_cfg_register(&listener_kw_list);
}
