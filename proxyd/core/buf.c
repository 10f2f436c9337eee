/* Buffer pool and buffer maintenance. Owns the per-thread pool of buffer
 * areas; does not know what the bytes mean.
 */
#include <errno.h>
#include "core/buf.h"
#include "core/pool.h"

uint32_t px_bufsize = 16384;
uint32_t px_bufreserve = 1024;

static __thread struct px_pool buf_pool = PX_POOL_INIT("buffer", 16384);
static __thread struct px_pool big_pool = PX_POOL_INIT("buffer-large", 32768);

static void drain(struct px_pool *pool)
{
	/* Areas of the old size still on the free list would be too small. */
	while (pool->free_list) {
		void *obj = pool->free_list;

		pool->free_list = *(void **)obj;
		pool->nfree--;
		free(obj);
	}
}

/* Sets the buffer size and reserve once, before any buffer exists. Returns
 * 0, or -1 when buffers were already handed out with another size.
 */
int px_buf_setup(uint32_t size, uint32_t reserve)
{
	if ((buf_pool.used || big_pool.used) && size != buf_pool.size)
		return -1;
	drain(&buf_pool);
	drain(&big_pool);
	px_bufsize = size;
	px_bufreserve = reserve;
	buf_pool.size = size;
	big_pool.size = 2 * (size_t)size;
	return 0;
}

/* Attaches an empty area to <b>. Returns 0, or -1 on memory exhaustion. */
int px_buf_alloc(struct px_buf *b)
{
	b->area = px_pool_alloc(&buf_pool);
	if (!b->area)
		return -1;
	b->size = px_bufsize;
	b->head = px_bufreserve;
	b->len = 0;
	return 0;
}

/* Same as px_buf_alloc() with an area of twice tune.bufsize. */
int px_buf_alloc_large(struct px_buf *b)
{
	b->area = px_pool_alloc(&big_pool);
	if (!b->area)
		return -1;
	b->size = 2 * px_bufsize;
	b->head = px_bufreserve;
	b->len = 0;
	return 0;
}

/* Returns the area of <b> to its pool, whatever it holds. */
void px_buf_release(struct px_buf *b)
{
	if (b->area)
		px_pool_free(b->size == px_bufsize ? &buf_pool : &big_pool, b->area);
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
