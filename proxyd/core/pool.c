/* Pool slow path, registry and trimming. The fast paths are inline in
 * pool.h. This file does not know which objects live in which pool.
 */
#include <string.h>
#include <malloc.h>
#include "core/pool.h"

static __thread struct px_pool *registry;

void *px_pool_alloc_slow(struct px_pool *pool)
{
	void *obj;

	if (!pool->registered) {
		pool->registered = 1;
		pool->next = registry;
		registry = pool;
	}
	obj = malloc(pool->size < sizeof(void *) ? sizeof(void *) : pool->size);
	if (!obj) {
		pool->failed++;
		return NULL;
	}
	pool->used++;
	pool->allocs++;
	if (pool->used > pool->peak)
		pool->peak = pool->used;
	return obj;
}

void *px_pool_zalloc(struct px_pool *pool)
{
	void *obj = px_pool_alloc(pool);

	if (obj)
		memset(obj, 0, pool->size);
	return obj;
}

/* The pools of this thread that served at least one object, most recently
 * first used first ("show pools" lists them).
 */
struct px_pool *px_pool_registry(void)
{
	return registry;
}

/* Frees a quarter of the idle objects of every pool holding more than
 * <keep_min> of them, then asks the allocator to return free memory to the
 * system. Called periodically from the event loop; repeated calls decay an
 * idle pool geometrically.
 */
void px_pool_trim(int keep_min)
{
	struct px_pool *pool;
	int trimmed = 0;

	for (pool = registry; pool; pool = pool->next) {
		uint32_t excess, n;

		if (pool->nfree <= (uint32_t)keep_min)
			continue;
		excess = pool->nfree - keep_min;
		n = excess > 3 ? excess / 4 : excess;
		while (n--) {
			void *obj = pool->free_list;

			pool->free_list = *(void **)obj;
			pool->nfree--;
			free(obj);
			trimmed = 1;
		}
	}
	if (trimmed)
		malloc_trim(64 * 1024);
}
