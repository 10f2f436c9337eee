/* Network namespaces and listening socket options (see netns.h). proxyd
 * runs one thread, so it can step into a namespace for the time of one
 * socket() call and step back: a socket stays in the namespace it was
 * made in.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/netns.h"
#include "core/net.h"
#include "core/util.h"

#define NETNS_DIR "/var/run/netns"

/* Descriptors of namespaces used so far, and of proxyd's own. */
struct ns_fd {
	struct ns_fd *next;
	int fd;
	char name[];
};

static struct ns_fd *ns_fds;
static int self_fd = -1;

const char *px_netns_why(int err, const char *what)
{
	static char buf[256];

	if (err == EPERM || err == EACCES)
		snprintf(buf, sizeof(buf), "%s is not permitted: proxyd lacks the privilege "
		         "(run it as root: transparent and usesrc need CAP_NET_ADMIN or CAP_NET_RAW, "
		         "namespace "
		         "CAP_SYS_ADMIN, interface CAP_NET_RAW on kernels before 5.7)", what);
	else if (err == ENOPROTOOPT || err == EOPNOTSUPP || err == EINVAL)
		snprintf(buf, sizeof(buf), "%s is not supported by this kernel or socket "
		         "(%s)", what, strerror(err));
	else if (err == ENODEV)
		snprintf(buf, sizeof(buf), "%s: no such interface", what);
	else
		snprintf(buf, sizeof(buf), "%s: %s", what, strerror(err));
	return buf;
}

static int ns_open(const char *name, char **err)
{
	struct ns_fd *n;
	char path[256];
	int fd;

	for (n = ns_fds; n; n = n->next)
		if (!strcmp(n->name, name))
			return n->fd;
	if (strchr(name, '/') || !*name || strlen(name) > 64) {
		px_strfmt(err, "invalid namespace name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		px_strfmt(err, "namespace '%s': cannot open %s: %s (create it with 'ip netns add "
		          "%s')", name, path, strerror(errno), name);
		return -1;
	}
	n = malloc(sizeof(*n) + strlen(name) + 1);
	if (!n) {
		close(fd);
		px_strfmt(err, "out of memory");
		return -1;
	}
	strcpy(n->name, name);
	n->fd = fd;
	n->next = ns_fds;
	ns_fds = n;
	return fd;
}

/* Steps into namespace <ns>. Returns 0, or -1 with <err> set. */
static int ns_enter(const char *ns, char **err)
{
	int nsfd = ns_open(ns, err);

	if (nsfd < 0)
		return -1;
	if (self_fd < 0) {
		self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self_fd < 0) {
			px_strfmt(err, "namespace '%s': cannot open /proc/self/ns/net: %s", ns,
			          strerror(errno));
			return -1;
		}
	}
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		px_strfmt(err, "namespace '%s': %s", ns, px_netns_why(errno, "entering a namespace"));
		return -1;
	}
	return 0;
}

/* Steps back into proxyd's own namespace, keeping errno. */
static void ns_leave(void)
{
	int e = errno;

	if (setns(self_fd, CLONE_NEWNET) < 0) {
		/* Cannot happen once the first setns() worked; better stop
		 * than open every later socket in the wrong namespace.
		 */
		perror("proxyd: cannot return to its network namespace");
		abort();
	}
	errno = e;
}

int px_netns_socket(const char *ns, int family, int type, char **err)
{
	int fd;

	if (!ns) {
		fd = socket(family, type, 0);
		if (fd < 0)
			px_strfmt(err, "socket: %s", strerror(errno));
		return fd;
	}
	if (ns_enter(ns, err) < 0)
		return -1;
	fd = socket(family, type, 0);
	ns_leave();
	if (fd < 0) {
		px_strfmt(err, "namespace '%s': socket: %s", ns, strerror(errno));
		return -1;
	}
	return fd;
}

long px_netns_sysctl(const char *ns, const char *name)
{
	char path[128], buf[32], *p;
	long v = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	if (ns && ns_enter(ns, NULL) < 0)
		return -1;
	/* /proc/sys/net shows the namespace of whoever opens it. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns)
		ns_leave();
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		v = strtol(buf, NULL, 10);
	}
	return v;
}

/* SO_BINDTODEVICE; <kw> names the option in the error ("interface"). */
static int bind_device(int fd, const char *iface, const char *kw, char **err)
{
	char what[64];

	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1) == 0)
		return 0;
	snprintf(what, sizeof(what), "'%s %s'", kw, iface);
	px_strfmt(err, "%s", px_netns_why(errno, what));
	return -1;
}

/* IP_TRANSPARENT (or its IPv6 twin); <what> names the option. */
static int set_transparent(int fd, int family, const char *what, char **err)
{
	int one = 1;
	int r = family == AF_INET6 ?
	        setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) :
	        setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));

	if (r < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, what));
		return -1;
	}
	return 0;
}

int px_sockopts_apply(int fd, int family, const struct px_sockopts *o, char **err)
{
	int one = 1;

	if (o->iface && bind_device(fd, o->iface, "interface", err) < 0)
		return -1;
	if (o->transparent && set_transparent(fd, family, "'transparent'", err) < 0)
		return -1;
	if (o->v6only && family == AF_INET6) {
		int v = o->v6only == 1;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)) < 0) {
			px_strfmt(err, "%s", px_netns_why(errno, v ? "'v6only'" : "'v4v6'"));
			return -1;
		}
	}
	if (o->defer_accept && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one,
	                                  sizeof(one)) < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, "'defer-accept'"));
		return -1;
	}
	if (o->mss && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &o->mss, sizeof(o->mss)) < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, "'mss'"));
		return -1;
	}
	if (o->tfo) {
		int qlen = o->backlog ? o->backlog : 256;

		if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)) < 0) {
			px_strfmt(err, "%s", px_netns_why(errno, "'tfo'"));
			return -1;
		}
	}
	return 0;
}

static int str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

int px_sockopts_change(int fd, int family, const struct px_sockopts *from,
                       const struct px_sockopts *to, char **err)
{
	int v;

	if (str_differs(from->iface, to->iface) &&
	    bind_device(fd, to->iface ? to->iface : "", "interface", err) < 0)
		return -1;
	if (from->transparent != to->transparent) {
		if (to->transparent) {
			if (set_transparent(fd, family, "'transparent'", err) < 0)
				return -1;
		} else {
			v = 0;
			if (family == AF_INET6)
				setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &v, sizeof(v));
			else
				setsockopt(fd, SOL_IP, IP_TRANSPARENT, &v, sizeof(v));
		}
	}
	v = to->defer_accept;
	if (from->defer_accept != to->defer_accept &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v)) < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, "'defer-accept'"));
		return -1;
	}
	/* 0 gives the system's segment size back. */
	if (from->mss != to->mss &&
	    setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &to->mss, sizeof(to->mss)) < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, "'mss'"));
		return -1;
	}
	/* A queue of 0 turns Fast Open off. */
	v = to->tfo ? (to->backlog ? to->backlog : 256) : 0;
	if ((from->tfo != to->tfo || (to->tfo && from->backlog != to->backlog)) &&
	    setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &v, sizeof(v)) < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, "'tfo'"));
		return -1;
	}
	return 0;
}

/* "ADDR[:PORT]" as an IP address (no port: 0). */
static int parse_ip(const char *text, uint8_t *family, uint8_t *addr, uint16_t *port, char **err)
{
	union px_sockaddr sa;
	socklen_t len;

	if (px_addr_parse(text, &sa, &len, PX_ADDR_PORT_OPTIONAL, 0, err) < 0)
		return -1;
	if (sa.sa.sa_family == AF_INET) {
		memcpy(addr, &sa.in4.sin_addr, 4);
		*port = ntohs(sa.in4.sin_port);
	} else if (sa.sa.sa_family == AF_INET6) {
		memcpy(addr, &sa.in6.sin6_addr, 16);
		*port = ntohs(sa.in6.sin6_port);
	} else {
		px_strfmt(err, "'%s' is not an IPv4 or IPv6 address", text);
		return -1;
	}
	*family = (uint8_t)sa.sa.sa_family;
	return 0;
}

int px_source_parse(struct px_source *src, char **args, int nargs, int *used,
                    char *(*dup)(void *, const char *), void *arg, char **err)
{
	int i = 1;

	memset(src, 0, sizeof(*src));
	if (nargs < 2) {
		px_strfmt(err, "'source' expects an address (ADDR[:PORT], 0.0.0.0 for any)");
		return -1;
	}
	if (parse_ip(args[1], &src->family, src->addr, &src->port, err) < 0)
		return -1;
	src->set = 1;
	for (i = 2; i + 1 < nargs; i += 2) {
		if (!strcmp(args[i], "usesrc")) {
			const char *u = args[i + 1];

			if (!strcmp(u, "clientip"))
				src->usesrc = PX_USESRC_CLIENTIP;
			else if (!strcmp(u, "client"))
				src->usesrc = PX_USESRC_CLIENT;
			else if (!strcmp(u, "hdr_ip") || !strncmp(u, "hdr_ip(", 7)) {
				px_strfmt(err, "'usesrc hdr_ip' is not supported by proxyd (clientip, "
				          "client or an address)");
				return -1;
			} else {
				uint8_t fam;

				if (parse_ip(u, &fam, src->usesrc_addr, &src->usesrc_port, err) < 0) {
					free(*err);
					*err = NULL;
					px_strfmt(err, "'usesrc' expects clientip, client or ADDR[:PORT], "
					          "not '%s'", u);
					return -1;
				}
				if (fam != src->family) {
					px_strfmt(err, "'usesrc %s' and the source '%s' are of different "
					          "families", u, args[1]);
					return -1;
				}
				src->usesrc = PX_USESRC_ADDR;
			}
		} else if (!strcmp(args[i], "interface")) {
			src->iface = dup(arg, args[i + 1]);
			if (!src->iface || !*args[i + 1] || strlen(args[i + 1]) >= 16) {
				px_strfmt(err, "invalid interface name '%s'", args[i + 1]);
				return -1;
			}
		} else {
			break;
		}
	}
	*used = i;
	return 0;
}

int px_source_bind(int fd, const struct px_source *src, const struct sockaddr *client,
                   char **err)
{
	union px_sockaddr sa;
	socklen_t len;
	int one = 1;
	const uint8_t *ip = src->addr;
	uint16_t port = src->port;
	int family = src->family;

	if (src->iface && bind_device(fd, src->iface, "source ... interface", err) < 0)
		return -1;
	if (src->usesrc != PX_USESRC_NONE) {
		if (src->usesrc == PX_USESRC_ADDR) {
			ip = src->usesrc_addr;
			port = src->usesrc_port;
		} else if (client && client->sa_family == family) {
			const struct sockaddr_in *c4 = (const void *)client;
			const struct sockaddr_in6 *c6 = (const void *)client;

			ip = family == AF_INET ? (const uint8_t *)&c4->sin_addr :
			     (const uint8_t *)&c6->sin6_addr;
			port = src->usesrc == PX_USESRC_CLIENT ?
			       ntohs(family == AF_INET ? c4->sin_port : c6->sin6_port) : 0;
		} else {
			px_strfmt(err, "'usesrc' needs a client of the source's address family");
			return -1;
		}
		if (set_transparent(fd, family, "'usesrc' (IP_TRANSPARENT)", err) < 0)
			return -1;
	}
	memset(&sa, 0, sizeof(sa));
	if (family == AF_INET) {
		sa.in4.sin_family = AF_INET;
		memcpy(&sa.in4.sin_addr, ip, 4);
		sa.in4.sin_port = htons(port);
		len = sizeof(sa.in4);
	} else {
		sa.in6.sin6_family = AF_INET6;
		memcpy(&sa.in6.sin6_addr, ip, 16);
		sa.in6.sin6_port = htons(port);
		len = sizeof(sa.in6);
	}
	if (port)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else
		setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, &sa.sa, len) < 0) {
		px_strfmt(err, "%s", px_netns_why(errno, "binding the source address"));
		return -1;
	}
	return 0;
}

void px_netns_close_all(void)
{
	while (ns_fds) {
		struct ns_fd *n = ns_fds;

		ns_fds = n->next;
		close(n->fd);
		free(n);
	}
	if (self_fd >= 0)
		close(self_fd);
	self_fd = -1;
}
