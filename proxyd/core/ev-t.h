/* Types of the event loop: I/O handles, timers, deferred tasks. */
#ifndef PX_CORE_EV_T_H
#define PX_CORE_EV_T_H

#include <stdint.h>
#include <sys/time.h>
#include "core/list.h"

struct px_loop;
struct px_io;
struct px_timer;
struct px_task;

/* Called with the epoll event bits (EPOLLIN, EPOLLOUT, ...) of <io>. */
typedef void (*px_io_fn)(struct px_io *io, uint32_t events);
typedef void (*px_timer_fn)(struct px_timer *t);
typedef void (*px_task_fn)(struct px_task *t);

/* A file descriptor watched by the loop, embedded in its owner. */
struct px_io {
	int fd;
	px_io_fn fn;
};

/* A one-shot timer, embedded in its owner. Moving a timer later costs
 * nothing: "expire" changes and the heap position, keyed on the older and
 * earlier "key", is corrected only when it comes up.
 */
struct px_timer {
	uint64_t expire;   /* ms on the loop clock; 0 when not armed */
	uint64_t key;      /* heap ordering key, <= expire while queued */
	int32_t idx;       /* heap slot, -1 when not queued */
	px_timer_fn fn;
};

/* Work to run once before the loop sleeps again. */
struct px_task {
	struct px_list link;
	px_task_fn fn;
};

struct px_loop {
	int epfd;
	int stopping;              /* px_loop_stop() was called */
	uint64_t now_ms;           /* monotonic clock, refreshed each turn */
	struct timeval now_tv;     /* wall clock, refreshed each turn */
	struct px_timer **heap;    /* binary min-heap on key */
	uint32_t heap_len;
	uint32_t heap_cap;
	struct px_list tasks;      /* pending px_task */
	struct px_deferred *graveyard; /* objects freed after the event batch */
	uint32_t grave_len;
	uint32_t grave_cap;
};

/* An object whose release waits until no event of the current batch can
 * still point at it.
 */
struct px_deferred {
	void (*release)(void *obj);
	void *obj;
};

#endif
