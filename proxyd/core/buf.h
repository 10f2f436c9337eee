/* I/O buffers: per thread, a pool of tune.bufsize-byte areas and a pool of
 * areas twice that size, and the few operations the protocol code needs. A
 * buffer keeps "reserve" bytes free in front of the data it receives first,
 * so that a header block can be rewritten in place, longer than it arrived
 * (HAProxy's tune.maxrewrite). Limits on message heads are counted in
 * tune.bufsize whatever the area size: a large area only lets a response
 * head and its body move in one read and one write.
 */
#ifndef PX_CORE_BUF_H
#define PX_CORE_BUF_H

#include <string.h>
#include "core/buf-t.h"

extern uint32_t px_bufsize;      /* tune.bufsize */
extern uint32_t px_bufreserve;   /* tune.maxrewrite */

int px_buf_setup(uint32_t size, uint32_t reserve);
int px_buf_alloc(struct px_buf *b);
int px_buf_alloc_large(struct px_buf *b);
void px_buf_release(struct px_buf *b);
void px_buf_realign(struct px_buf *b, uint32_t to);

static inline char *px_buf_data(const struct px_buf *b)
{
	return b->area + b->head;
}

static inline char *px_buf_tail(const struct px_buf *b)
{
	return b->area + b->head + b->len;
}

/* Bytes that can still be appended after the data. */
static inline uint32_t px_buf_room(const struct px_buf *b)
{
	return b->size - b->head - b->len;
}

/* Makes room at the tail of a full buffer by moving its data to the
 * front. Returns 0 when there is room, -1 when the data fills the area.
 */
static inline int px_buf_make_room(struct px_buf *b)
{
	if (!b->area || px_buf_room(b))
		return 0;
	if (!b->head)
		return -1;
	px_buf_realign(b, 0);
	return 0;
}

/* Drops <n> bytes from the front; an emptied buffer restarts at the reserve
 * offset so the next message has rewrite space in front of it.
 */
static inline void px_buf_consume(struct px_buf *b, uint32_t n)
{
	b->head += n;
	b->len -= n;
	if (!b->len)
		b->head = px_bufreserve;
}

#endif
