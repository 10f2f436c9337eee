/* Address parsing ("1.2.3.4:80", "[::1]:80", ":80", "unix@/path", "/path")
 * and small socket helpers. It does not open listeners or connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/net.h"
#include "core/util.h"

static int parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535 || *s < '0' || *s > '9')
		return -1;
	*port = (int)v;
	return 0;
}

/* Parses <str> into <addr>/<len>. Accepted forms: "IPv4:PORT", "[IPv6]:PORT",
 * ":PORT" and "*:PORT" (any IPv4 address), "ipv4@", "ipv6@" prefixes,
 * "unix@/path" and a bare "/path" (Unix socket). Returns 0, or -1 with a
 * message in <err>.
 */
int px_addr_parse(const char *str, union px_sockaddr *addr, socklen_t *len,
                  enum px_addr_port port_mode, int dflt_port, char **err)
{
	char host[256];
	const char *colon, *portstr = NULL;
	int port = dflt_port;
	int family = 0;

	memset(addr, 0, sizeof(*addr));
	if (!strncmp(str, "unix@", 5) || str[0] == '/') {
		const char *path = str[0] == '/' ? str : str + 5;

		if (!*path || strlen(path) >= sizeof(addr->un.sun_path)) {
			px_strfmt(err, "invalid Unix socket path '%s'", path);
			return -1;
		}
		addr->un.sun_family = AF_UNIX;
		strcpy(addr->un.sun_path, path);
		*len = sizeof(addr->un);
		return 0;
	}
	if (!strncmp(str, "ipv4@", 5)) {
		family = AF_INET;
		str += 5;
	} else if (!strncmp(str, "ipv6@", 5)) {
		family = AF_INET6;
		str += 5;
	}

	if (str[0] == '[') {
		const char *close = strchr(str, ']');

		if (!close || (size_t)(close - str - 1) >= sizeof(host)) {
			px_strfmt(err, "invalid address '%s': missing ']'", str);
			return -1;
		}
		memcpy(host, str + 1, close - str - 1);
		host[close - str - 1] = 0;
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1]) {
			px_strfmt(err, "invalid address '%s'", str);
			return -1;
		}
		family = AF_INET6;
	} else {
		colon = strrchr(str, ':');
		if (colon && strchr(str, ':') != colon) {
			/* Several colons and no brackets: a bare IPv6 address
			 * whose last group is the port, as HAProxy reads it.
			 */
			family = AF_INET6;
		}
		if (colon) {
			if ((size_t)(colon - str) >= sizeof(host)) {
				px_strfmt(err, "invalid address '%s'", str);
				return -1;
			}
			memcpy(host, str, colon - str);
			host[colon - str] = 0;
			portstr = colon + 1;
		} else {
			snprintf(host, sizeof(host), "%s", str);
		}
	}

	if (portstr) {
		if (parse_port(portstr, &port) < 0) {
			px_strfmt(err, "invalid port '%s' in address '%s'", portstr, str);
			return -1;
		}
	} else if (port_mode == PX_ADDR_PORT_REQUIRED) {
		px_strfmt(err, "missing port in address '%s'", str);
		return -1;
	}

	if (!host[0] || !strcmp(host, "*"))
		snprintf(host, sizeof(host), "%s", family == AF_INET6 ? "::" : "0.0.0.0");

	if (family != AF_INET6 && inet_pton(AF_INET, host, &addr->in4.sin_addr) == 1) {
		addr->in4.sin_family = AF_INET;
		addr->in4.sin_port = htons(port);
		*len = sizeof(addr->in4);
		return 0;
	}
	if (family != AF_INET && inet_pton(AF_INET6, host, &addr->in6.sin6_addr) == 1) {
		addr->in6.sin6_family = AF_INET6;
		addr->in6.sin6_port = htons(port);
		*len = sizeof(addr->in6);
		return 0;
	}
	if (!strcmp(host, "localhost")) {
		addr->in4.sin_family = AF_INET;
		addr->in4.sin_port = htons(port);
		addr->in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(addr->in4);
		return 0;
	}
	px_strfmt(err, "invalid address '%s' (an IPv4 or IPv6 address is expected; "
	          "host names are not resolved)", host);
	return -1;
}

socklen_t px_addr_len(const union px_sockaddr *addr)
{
	switch (addr->sa.sa_family) {
	case AF_INET:
		return sizeof(addr->in4);
	case AF_INET6:
		return sizeof(addr->in6);
	case AF_UNIX:
		return sizeof(addr->un);
	}
	return 0;
}

int px_addr_port(const union px_sockaddr *addr)
{
	switch (addr->sa.sa_family) {
	case AF_INET:
		return ntohs(addr->in4.sin_port);
	case AF_INET6:
		return ntohs(addr->in6.sin6_port);
	}
	return 0;
}

/* Writes the IP of <sa> into <out> as text ("unix" for Unix sockets).
 * Returns the length written.
 */
size_t px_addr_ip_str(const struct sockaddr *sa, char *out, size_t size)
{
	const struct sockaddr_in6 *in6 = (const void *)sa;

	switch (sa->sa_family) {
	case AF_INET:
		if (!inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, size))
			break;
		return strlen(out);
	case AF_INET6:
		/* A v4-mapped peer on a v6 socket reads ::ffff:a.b.c.d, as
		 * HAProxy writes it, so logs parse the same.
		 */
		if (!inet_ntop(AF_INET6, &in6->sin6_addr, out, size))
			break;
		return strlen(out);
	case AF_UNIX:
		return snprintf(out, size, "unix");
	}
	return snprintf(out, size, "-");
}

int px_sock_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int px_sock_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
