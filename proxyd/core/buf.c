/* Buffer pool and buffer maintenance. Owns the per-thread pool of buffer
 * areas; does not know what the bytes mean.
 */
#include <errno.h>
#include "core/buf.h"
#include "core/pool.h"

uint32_t px_bufsize = 16384;
uint32_t px_bufreserve = 1024;

static __thread struct px_pool buf_pool = PX_POOL_INIT("buffer", 16384);

/* Sets the buffer size and reserve once, before any buffer exists. Returns
 * 0, or -1 when buffers were already handed out with another size.
 */
int px_buf_setup(uint32_t size, uint32_t reserve)
{
	if (buf_pool.used && size != buf_pool.size)
		return -1;
	/* Areas of the old size still on the free list would be too small. */
	while (buf_pool.free_list) {
		void *obj = buf_pool.free_list;

		buf_pool.free_list = *(void **)obj;
		buf_pool.nfree--;
		free(obj);
	}
	px_bufsize = size;
	px_bufreserve = reserve;
	buf_pool.size = size;
	return 0;
}

/* Attaches an empty area to <b>. Returns 0, or -1 on memory exhaustion. */
int px_buf_alloc(struct px_buf *b)
{
	b->area = px_pool_alloc(&buf_pool);
	if (!b->area)
		return -1;
	b->head = px_bufreserve;
	b->len = 0;
	return 0;
}

/* Returns the area of <b> to the pool, whatever it holds. */
void px_buf_release(struct px_buf *b)
{
	px_pool_free(&buf_pool, b->area);
	b->area = NULL;
	b->head = 0;
	b->len = 0;
}

/* Moves the data so that it starts at offset <to>. */
void px_buf_realign(struct px_buf *b, uint32_t to)
{
	if (b->head == to)
		return;
	memmove(b->area + to, b->area + b->head, b->len);
	b->head = to;
}
