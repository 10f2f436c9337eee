/* Types of network placement (see netns.h). */
#ifndef PX_CORE_NETNS_T_H
#define PX_CORE_NETNS_T_H

#include <stdint.h>

/* Options of a listening socket ("bind" line). */
struct px_sockopts {
	char *iface;            /* interface NAME (SO_BINDTODEVICE) */
	char *netns;            /* namespace NAME */
	uint8_t transparent;    /* IP_TRANSPARENT / IPV6_TRANSPARENT */
	uint8_t v6only;         /* 0: system default, 1: v6only, 2: v4v6 */
	uint8_t defer_accept;   /* TCP_DEFER_ACCEPT */
	uint8_t tfo;            /* TCP_FASTOPEN */
	int backlog;            /* listen() backlog, 0: the default */
	int mss;                /* TCP_MAXSEG, 0: the system's */
};

/* Where connections to servers come from: "source" in a backend (or
 * defaults) and on a server line.
 */
enum px_usesrc {
	PX_USESRC_NONE = 0,     /* the source address itself */
	PX_USESRC_CLIENTIP,     /* the client's address, any port (usesrc clientip) */
	PX_USESRC_CLIENT,       /* the client's address and port (usesrc client) */
	PX_USESRC_ADDR,         /* a fixed foreign address (usesrc ADDR[:PORT]) */
};

struct px_source {
	uint8_t set;            /* a "source" was given */
	uint8_t usesrc;         /* enum px_usesrc */
	uint8_t family;         /* of the source address */
	uint16_t port;          /* source port, 0: any */
	uint8_t addr[16];       /* source address (network order) */
	uint16_t usesrc_port;   /* PX_USESRC_ADDR */
	uint8_t usesrc_addr[16];
	char *iface;            /* "interface NAME": SO_BINDTODEVICE */
};

#endif
