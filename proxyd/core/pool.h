/* Fixed-size free-list pools for hot objects (connections, streams,
 * buffers). Pools are per thread: declare them "static __thread" with
 * PX_POOL_INIT() in the module that owns the object type. Objects come from
 * malloc() the first time and are then recycled; px_pool_trim() gives back
 * part of what an idle pool holds, so a burst does not pin memory forever.
 */
#ifndef PX_CORE_POOL_H
#define PX_CORE_POOL_H

#include <stdlib.h>
#include "core/pool-t.h"

#define PX_POOL_INIT(pname, psize) { .name = (pname), .size = (psize) }

void *px_pool_alloc_slow(struct px_pool *pool);
void px_pool_trim(int keep_min);
struct px_pool *px_pool_registry(void);

/* Returns an object of pool->size bytes (contents undefined), or NULL when
 * memory is exhausted.
 */
static inline void *px_pool_alloc(struct px_pool *pool)
{
	void *obj = pool->free_list;

	if (!obj)
		return px_pool_alloc_slow(pool);
	pool->free_list = *(void **)obj;
	pool->nfree--;
	pool->used++;
	pool->allocs++;
	if (pool->used > pool->peak)
		pool->peak = pool->used;
	return obj;
}

/* Same as px_pool_alloc(), zero-filled. */
void *px_pool_zalloc(struct px_pool *pool);

/* Gives <obj> back to <pool>. NULL is accepted and ignored. */
static inline void px_pool_free(struct px_pool *pool, void *obj)
{
	if (!obj)
		return;
	*(void **)obj = pool->free_list;
	pool->free_list = obj;
	pool->nfree++;
	pool->used--;
}

#endif
