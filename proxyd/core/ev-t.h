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

/* Activity of a loop, for "show activity" and "show info": increments
 * on the loop's own path, and two clock reads around a wait that may sleep
 * (a loop that sleeps has time to spare).
 */
struct px_loop_stats {
	uint64_t start_ms;         /* loop clock when the loop was created */
	struct timeval start_tv;   /* wall clock then */
	uint64_t turns;            /* iterations of the loop */
	uint64_t polls;            /* epoll_wait() calls that may have slept */
	uint64_t poll_events;      /* events epoll_wait() returned */
	uint64_t tasks;            /* deferred tasks run */
	uint64_t timers;           /* timers fired */
	uint64_t idle_us;          /* time spent waiting in epoll_wait() */
	uint64_t win_start_ms;     /* start of the current idle measure */
	uint64_t win_idle_us;      /* time waited since then */
	uint32_t idle_pct;         /* share of the last measure (about 1 s) spent waiting */
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
	struct px_loop_stats stats;    /* "show activity" */
};

/* An object whose release waits until no event of the current batch can
 * still point at it.
 */
struct px_deferred {
	void (*release)(void *obj);
	void *obj;
};

#endif
