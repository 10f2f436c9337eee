/* Types of load balancing (see lb.h): the options of "balance" and the
 * run-time state the algorithms keep in each backend.
 */
#ifndef PX_BACKEND_LB_T_H
#define PX_BACKEND_LB_T_H

#include <stdint.h>

struct px_server;

/* Options of "balance" (bits of px_lbprm.flags). */
#define PX_LBF_URI_WHOLE     0x01   /* uri: the query string is hashed too */
#define PX_LBF_URI_PATH_ONLY 0x02   /* uri: the key starts at the path's '/' */
#define PX_LBF_HDR_DOMAIN    0x04   /* hdr: use_domain_only */

struct px_lbprm {
	/* Configuration. */
	uint32_t flags;             /* PX_LBF_* */
	uint32_t uri_len;           /* uri: hash at most this many bytes, 0: all */
	uint32_t uri_depth;         /* uri: stop before the (N+1)th '/', 0: no limit */
	uint32_t draws;             /* random(N): servers drawn per pick */

	/* Run-time state, rebuilt by px_lb_update() whenever a server's
	 * usability changes. The map lists the servers that take part in
	 * balancing (the active ones, or the backup ones when none is
	 * usable), each as many times as its weight, interleaved; hash-based
	 * algorithms index it, static-rr walks it.
	 */
	struct px_server **map;
	uint32_t map_len;           /* entries in use */
	uint32_t map_cap;           /* entries allocated */
	uint32_t map_pos;           /* static-rr: next entry */
	uint32_t srv_act;           /* usable active servers */
	uint32_t srv_bck;           /* usable backup servers */
	struct px_server *fbck;     /* first usable backup server, or NULL */

	/* Whether the backend as a whole has a usable server, and since when
	 * (show stat's lastchg, chkdown and downtime for the BACKEND row).
	 */
	int64_t last_change;        /* wall clock (s) it last went up or down, 0: not yet */
	uint64_t down_time;         /* seconds it spent down before last_change */
	uint32_t down_trans;        /* times it went down */
	uint8_t down;               /* no usable server since last_change */
};

#endif
