/* Non-blocking socket I/O on a px_conn. */
#ifndef PX_PROTO_CONN_H
#define PX_PROTO_CONN_H

#include <stddef.h>
#include <sys/epoll.h>
#include "core/buf.h"
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

/* Room in c->buf for received bytes, attaching storage when it has none
 * (double size with PX_CF_LARGE_BUF). Returns -1 when out of memory.
 */
static inline int64_t px_conn_room(struct px_conn *c)
{
	if (!c->buf.area && ((c->flags & PX_CF_LARGE_BUF) ? px_buf_alloc_large(&c->buf) :
	                     px_buf_alloc(&c->buf)) < 0)
		return -1;
	return px_buf_room(&c->buf);
}

int px_conn_recv(struct px_conn *c);
ssize_t px_conn_send(struct px_conn *c, const char *data, size_t len);
void px_conn_shutw(struct px_conn *c);

#endif
