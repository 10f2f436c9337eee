/* Event loop implementation (see ev.h): the epoll backend, the timer heap
 * and deferred tasks. It knows nothing of connections or protocols.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/ev.h"

#define EV_BATCH 256

int px_loop_init(struct px_loop *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -1;
	loop->stopping = 0;
	loop->heap = NULL;
	loop->heap_len = 0;
	loop->heap_cap = 0;
	px_list_init(&loop->tasks);
	loop->graveyard = NULL;
	loop->grave_len = loop->grave_cap = 0;
	px_loop_update_clock(loop);
	memset(&loop->stats, 0, sizeof(loop->stats));
	loop->stats.start_ms = loop->now_ms;
	loop->stats.start_tv = loop->now_tv;
	loop->stats.win_start_ms = loop->now_ms;
	loop->stats.idle_pct = 100;
	return 0;
}

void px_loop_free(struct px_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
	free(loop->heap);
	free(loop->graveyard);
	loop->graveyard = NULL;
	loop->heap = NULL;
	loop->heap_len = loop->heap_cap = 0;
}

uint64_t px_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Start at a large value so that 0 always means "no deadline". */
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1000000;
}

void px_loop_update_clock(struct px_loop *loop)
{
	loop->now_ms = px_clock_ms();
	gettimeofday(&loop->now_tv, NULL);
}

void px_loop_stop(struct px_loop *loop)
{
	loop->stopping = 1;
}

int px_io_add(struct px_loop *loop, struct px_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, io->fd, &ev);
}

/* Stops watching <io>. Closing the descriptor does the same implicitly;
 * this is for descriptors that stay open (a listener being paused).
 */
void px_io_del(struct px_loop *loop, struct px_io *io)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

/* --- timer heap ---------------------------------------------------------- */

static void heap_swap(struct px_loop *loop, uint32_t a, uint32_t b)
{
	struct px_timer *ta = loop->heap[a];
	struct px_timer *tb = loop->heap[b];

	loop->heap[a] = tb;
	loop->heap[b] = ta;
	tb->idx = a;
	ta->idx = b;
}

static void heap_up(struct px_loop *loop, uint32_t i)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (loop->heap[parent]->key <= loop->heap[i]->key)
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void heap_down(struct px_loop *loop, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->heap_len && loop->heap[l]->key < loop->heap[m]->key)
			m = l;
		if (r < loop->heap_len && loop->heap[r]->key < loop->heap[m]->key)
			m = r;
		if (m == i)
			break;
		heap_swap(loop, i, m);
		i = m;
	}
}

static void heap_remove(struct px_loop *loop, struct px_timer *t)
{
	uint32_t i = t->idx;
	uint32_t last = --loop->heap_len;

	t->idx = -1;
	if (i == last)
		return;
	loop->heap[i] = loop->heap[last];
	loop->heap[i]->idx = i;
	heap_down(loop, i);
	heap_up(loop, i);
}

/* Arms <t> to fire at <expire> (loop clock, ms), or disarms it when
 * <expire> is 0. A timer is never lost for lack of memory: on allocation
 * failure the heap keeps its size and the caller's timer fires at the next
 * occasion it is re-armed, which is reported to the caller by returning
 * without queuing; in practice the heap grows in large steps at start-up.
 */
void px_timer_set(struct px_loop *loop, struct px_timer *t, uint64_t expire)
{
	if (!expire) {
		px_timer_del(loop, t);
		return;
	}
	t->expire = expire;
	if (t->idx >= 0) {
		/* Later: leave the heap alone, fixed when it comes up. */
		if (expire >= t->key)
			return;
		t->key = expire;
		heap_up(loop, t->idx);
		return;
	}
	if (loop->heap_len == loop->heap_cap) {
		uint32_t cap = loop->heap_cap ? loop->heap_cap * 2 : 1024;
		struct px_timer **heap = realloc(loop->heap, cap * sizeof(*heap));

		if (!heap)
			return;
		loop->heap = heap;
		loop->heap_cap = cap;
	}
	t->key = expire;
	t->idx = loop->heap_len;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, t->idx);
}

void px_timer_del(struct px_loop *loop, struct px_timer *t)
{
	t->expire = 0;
	if (t->idx >= 0)
		heap_remove(loop, t);
}

/* Earliest key in the heap, or 0 when no timer is armed. */
uint64_t px_timer_next(struct px_loop *loop)
{
	return loop->heap_len ? loop->heap[0]->key : 0;
}

/* Fires every timer due at the current loop time. A timer moved later is
 * re-queued instead. Returns the number of timers fired.
 */
int px_timer_run(struct px_loop *loop)
{
	int fired = 0;

	while (loop->heap_len) {
		struct px_timer *t = loop->heap[0];

		if (t->key > loop->now_ms)
			break;
		if (t->expire > loop->now_ms) {
			t->key = t->expire;
			heap_down(loop, 0);
			continue;
		}
		heap_remove(loop, t);
		t->expire = 0;
		t->fn(t);
		fired++;
	}
	loop->stats.timers += fired;
	return fired;
}

/* Schedules release(obj) for after the current batch of events: an object
 * holding a px_io may be closed by the handler of another descriptor while
 * its own event is still pending in the batch. The caller must have set
 * io->fn to NULL so that such a pending event is skipped. If the list cannot
 * grow, the object is released at once (the rare pending event then reads
 * freed memory only if its fd was in the same batch; growth happens in
 * large steps, so this does not occur in practice).
 */
void px_loop_defer(struct px_loop *loop, void (*release)(void *), void *obj)
{
	if (loop->grave_len == loop->grave_cap) {
		uint32_t cap = loop->grave_cap ? loop->grave_cap * 2 : 256;
		struct px_deferred *g = realloc(loop->graveyard, cap * sizeof(*g));

		if (!g) {
			release(obj);
			return;
		}
		loop->graveyard = g;
		loop->grave_cap = cap;
	}
	loop->graveyard[loop->grave_len].release = release;
	loop->graveyard[loop->grave_len].obj = obj;
	loop->grave_len++;
}

static void bury(struct px_loop *loop)
{
	uint32_t i;

	/* A release may defer more objects: loop until the list is empty. */
	for (i = 0; i < loop->grave_len; i++)
		loop->graveyard[i].release(loop->graveyard[i].obj);
	loop->grave_len = 0;
}

/* Releases what px_loop_defer() queued (used at exit, outside the loop). */
void px_loop_run_pending(struct px_loop *loop)
{
	bury(loop);
}

static void run_tasks(struct px_loop *loop)
{
	/* Tasks woken while running wait for the next turn, so a task waking
	 * itself cannot starve I/O.
	 */
	struct px_list batch;
	struct px_list *e;

	if (px_list_empty(&loop->tasks))
		return;
	batch = loop->tasks;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	px_list_init(&loop->tasks);
	while (!px_list_empty(&batch)) {
		struct px_task *t;

		e = batch.next;
		px_list_del(e);
		t = px_container_of(e, struct px_task, link);
		t->fn(t);
		loop->stats.tasks++;
	}
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void idle_add(struct px_loop *loop, uint64_t us)
{
	loop->stats.polls++;
	loop->stats.idle_us += us;
	loop->stats.win_idle_us += us;
}

/* Closes the idle measure once it covers a second or more: Idle_pct is
 * the share of that time spent waiting for events.
 */
static void idle_window(struct px_loop *loop)
{
	uint64_t elapsed_ms = loop->now_ms - loop->stats.win_start_ms;
	uint64_t pct;

	if (elapsed_ms < 1000)
		return;
	pct = loop->stats.win_idle_us / 10 / elapsed_ms;
	loop->stats.idle_pct = pct > 100 ? 100 : (uint32_t)pct;
	loop->stats.win_start_ms = loop->now_ms;
	loop->stats.win_idle_us = 0;
}

void px_loop_run(struct px_loop *loop)
{
	struct epoll_event events[EV_BATCH];

	while (!loop->stopping) {
		uint64_t next = px_timer_next(loop);
		int timeout = -1;
		int n, i;

		if (!px_list_empty(&loop->tasks))
			timeout = 0;
		else if (next)
			timeout = next <= loop->now_ms ? 0 : (int)(next - loop->now_ms);

		if (timeout) {
			uint64_t before = mono_us();

			n = epoll_wait(loop->epfd, events, EV_BATCH, timeout);
			idle_add(loop, mono_us() - before);
		} else {
			n = epoll_wait(loop->epfd, events, EV_BATCH, 0);
		}
		px_loop_update_clock(loop);
		if (n < 0 && errno != EINTR)
			break;
		loop->stats.turns++;
		if (n > 0)
			loop->stats.poll_events += (uint64_t)n;
		idle_window(loop);
		for (i = 0; i < n; i++) {
			struct px_io *io = events[i].data.ptr;

			if (io->fn)
				io->fn(io, events[i].events);
		}
		bury(loop);
		px_timer_run(loop);
		run_tasks(loop);
		bury(loop);
	}
}
