/* Address parsing and formatting, socket helpers. */
#ifndef PX_CORE_NET_H
#define PX_CORE_NET_H

#include <stddef.h>
#include "core/net-t.h"

/* How a textual address is read: what a missing port means. */
enum px_addr_port {
	PX_ADDR_PORT_REQUIRED = 0,  /* "host:port" with a port */
	PX_ADDR_PORT_OPTIONAL,      /* port may be absent: <dflt_port> */
};

int px_addr_parse(const char *str, union px_sockaddr *addr, socklen_t *len,
                  enum px_addr_port port_mode, int dflt_port, char **err);
socklen_t px_addr_len(const union px_sockaddr *addr);
int px_addr_port(const union px_sockaddr *addr);
size_t px_addr_ip_str(const struct sockaddr *sa, char *out, size_t size);
int px_sock_nonblock(int fd);
int px_sock_nodelay(int fd);

#endif
