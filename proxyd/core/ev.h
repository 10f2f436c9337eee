/* The event loop: epoll for I/O, a binary heap for timers, a list for
 * deferred tasks. One loop per thread; nothing here is shared between
 * loops. I/O handles are edge-triggered by default: a handler must read
 * or write until the kernel says EAGAIN (or a short transfer), or remember
 * that the descriptor is still ready.
 */
#ifndef PX_CORE_EV_H
#define PX_CORE_EV_H

#include <sys/epoll.h>
#include "core/ev-t.h"

int px_loop_init(struct px_loop *loop);
void px_loop_free(struct px_loop *loop);
void px_loop_run(struct px_loop *loop);
void px_loop_stop(struct px_loop *loop);
void px_loop_update_clock(struct px_loop *loop);

/* The monotonic clock now, on the loop's scale (loop->now_ms is this value
 * as of the last wake-up, which work in the same turn may have outrun).
 */
uint64_t px_clock_ms(void);

int px_io_add(struct px_loop *loop, struct px_io *io, uint32_t events);
void px_io_del(struct px_loop *loop, struct px_io *io);

void px_loop_run_pending(struct px_loop *loop);
void px_loop_defer(struct px_loop *loop, void (*release)(void *), void *obj);

void px_timer_set(struct px_loop *loop, struct px_timer *t, uint64_t expire);
void px_timer_del(struct px_loop *loop, struct px_timer *t);
uint64_t px_timer_next(struct px_loop *loop);
int px_timer_run(struct px_loop *loop);

static inline void px_timer_init(struct px_timer *t, px_timer_fn fn)
{
	t->expire = 0;
	t->key = 0;
	t->idx = -1;
	t->fn = fn;
}

static inline void px_task_init(struct px_task *t, px_task_fn fn)
{
	px_list_init(&t->link);
	t->fn = fn;
}

/* Queues <t> to run before the loop next sleeps (once, however many times
 * it is woken).
 */
static inline void px_task_wake(struct px_loop *loop, struct px_task *t)
{
	if (px_list_empty(&t->link))
		px_list_append(&loop->tasks, &t->link);
}

static inline void px_task_cancel(struct px_task *t)
{
	px_list_del(&t->link);
}

/* Earliest of two deadlines where 0 means "none". */
static inline uint64_t px_tick_first(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* Deadline <ms> after <now>, or 0 ("none") when <ms> is 0 (unset). */
static inline uint64_t px_tick_add(uint64_t now, uint64_t ms)
{
	return ms ? now + ms : 0;
}

#endif
