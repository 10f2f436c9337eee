/* Types for fixed-size object pools (see pool.h). */
#ifndef PX_CORE_POOL_T_H
#define PX_CORE_POOL_T_H

#include <stddef.h>
#include <stdint.h>

struct px_pool {
	const char *name;       /* shown by "show pools" */
	size_t size;            /* bytes per object */
	void *free_list;        /* objects ready for reuse, linked by first word */
	uint32_t used;          /* objects handed out and not yet returned */
	uint32_t nfree;         /* objects on free_list */
	uint32_t peak;          /* highest "used" seen */
	uint64_t allocs;        /* px_pool_alloc() calls, for statistics */
	uint64_t failed;        /* allocations that failed (out of memory) */
	uint32_t registered;    /* linked into this thread's pool registry */
	struct px_pool *next;   /* registry link */
};

#endif
