/* Socket address types shared by listeners, servers and loggers. */
#ifndef PX_CORE_NET_T_H
#define PX_CORE_NET_T_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Any address proxyd handles. */
union px_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
};

/* The compact form kept per client connection, where memory matters. */
union px_inaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

#endif
