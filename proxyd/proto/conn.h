/* Non-blocking socket I/O on a px_conn. */
#ifndef PX_PROTO_CONN_H
#define PX_PROTO_CONN_H

#include <stddef.h>
#include <sys/epoll.h>
#include "proto/conn-t.h"

/* Records readiness from epoll event bits. */
static inline void px_conn_note_events(struct px_conn *c, uint32_t events)
{
	/* Error and hang-up surface through read() and write() themselves. */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= PX_CF_RD_READY;
	/* After a hang-up no further edge comes: keep reading until read()
	 * itself reports the end, even after a short read.
	 */
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= PX_CF_HUP;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->flags |= PX_CF_WR_READY;
	/* TLS may need to write to go on reading, or the reverse: the
	 * readiness it waited for unblocks both directions.
	 */
	if (c->flags & (PX_CF_SSL_WANT_RD | PX_CF_SSL_WANT_WR)) {
		if (((c->flags & PX_CF_SSL_WANT_RD) && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) ||
		    ((c->flags & PX_CF_SSL_WANT_WR) && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))))
			c->flags = (c->flags & ~(PX_CF_SSL_WANT_RD | PX_CF_SSL_WANT_WR)) |
			           PX_CF_RD_READY | PX_CF_WR_READY;
	}
}

int px_conn_recv(struct px_conn *c);
ssize_t px_conn_send(struct px_conn *c, const char *data, size_t len);
void px_conn_shutw(struct px_conn *c);

#endif
