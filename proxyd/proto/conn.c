/* Non-blocking reads and writes on a px_conn, keeping the readiness flags
 * that edge-triggered epoll requires: a flag is cleared only when the
 * kernel says there is nothing more (EAGAIN or a short transfer), and set
 * again by the next event.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/buf.h"
#include "proto/conn.h"
#include "ssl/sslsock.h"

/* Reads what fits into c->buf (attaching storage first when none).
 * Returns bytes read (> 0), 0 on end of stream, -2 when nothing is
 * available or there is no room, -1 on error (PX_CF_ERROR set) or memory
 * exhaustion.
 */
int px_conn_recv(struct px_conn *c)
{
	int64_t room;
	ssize_t n;

	if (c->ssl)
		return px_ssl_recv(c);
	room = px_conn_room(c);
	if (room <= 0)
		return room < 0 ? -1 : -2;
	n = recv(c->io.fd, px_buf_tail(&c->buf), room, 0);
	if (n > 0) {
		c->buf.len += n;
		c->flags |= PX_CF_RD_ANY;
		if (n < room && !(c->flags & PX_CF_HUP))
			c->flags &= ~PX_CF_RD_READY;
		return (int)n;
	}
	if (n == 0) {
		c->flags |= PX_CF_RD_EOF;
		c->flags &= ~PX_CF_RD_READY;
		return 0;
	}
	if (errno == EAGAIN || errno == EINTR) {
		if (errno == EAGAIN)
			c->flags &= ~PX_CF_RD_READY;
		return -2;
	}
	c->flags |= PX_CF_ERROR;
	c->flags &= ~PX_CF_RD_READY;
	return -1;
}

/* Sends up to <len> bytes. Returns bytes sent (possibly 0 when the socket
 * is full), or -1 on error (PX_CF_ERROR set).
 */
ssize_t px_conn_send(struct px_conn *c, const char *data, size_t len)
{
	ssize_t n;

	if (c->ssl)
		return px_ssl_send(c, data, len);
	n = send(c->io.fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n >= 0) {
		if ((size_t)n < len)
			c->flags &= ~PX_CF_WR_READY;
		return n;
	}
	/* EINPROGRESS: a Fast Open SYN left without the data (no cookie);
	 * the data goes once the connection is made, which EPOLLOUT tells.
	 */
	if (errno == EAGAIN || errno == EINTR || errno == EINPROGRESS) {
		if (errno != EINTR)
			c->flags &= ~PX_CF_WR_READY;
		return 0;
	}
	c->flags |= PX_CF_ERROR;
	c->flags &= ~PX_CF_WR_READY;
	return -1;
}

/* Shuts our sending side down once (the peer sees end of stream). */
void px_conn_shutw(struct px_conn *c)
{
	if (c->flags & PX_CF_WR_SHUT)
		return;
	c->flags |= PX_CF_WR_SHUT;
	if (c->ssl)
		px_ssl_shutw(c);
	shutdown(c->io.fd, SHUT_WR);
}
