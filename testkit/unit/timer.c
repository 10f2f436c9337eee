/* Unit tests of the timer heap of proxyd/core/ev.c (px_timer_set, _del,
 * _run, _next on a loop whose clock is set by hand) and of the time and
 * size parsers of proxyd/core/util.c that timeouts and buffers are
 * configured with. The epoll side of the loop is not exercised here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/ev.h"
#include "core/list.h"
#include "core/util.h"

/* A timer owned by a test, recording when it fired. */
struct ttimer {
	struct px_timer t;
	int id;
	int fired;              /* times its callback ran */
	uint64_t fired_at;      /* loop time of the last firing */
	int deleted;            /* deleted by the random test: must not fire */
	uint64_t rearm_every;   /* re-arm itself this long after firing, 0: no */
	int rearm_left;
	struct ttimer *kill;    /* another timer to delete when this one fires */
};

static struct px_loop loop;

/* Order of firings across all timers of a test. */
static int order[16384];
static int norder;

static void on_timer(struct px_timer *t)
{
	struct ttimer *tt = px_container_of(t, struct ttimer, t);

	assert_int_equal(t->idx, -1);
	assert_int_equal(t->expire, 0);
	tt->fired++;
	tt->fired_at = loop.now_ms;
	if (norder < (int)(sizeof(order) / sizeof(order[0])))
		order[norder++] = tt->id;
	if (tt->kill)
		px_timer_del(&loop, &tt->kill->t);
	if (tt->rearm_every && tt->rearm_left > 0) {
		tt->rearm_left--;
		px_timer_set(&loop, t, loop.now_ms + tt->rearm_every);
	}
}

static void tinit(struct ttimer *tt, int id)
{
	memset(tt, 0, sizeof(*tt));
	px_timer_init(&tt->t, on_timer);
	tt->id = id;
}

static int setup_loop(void **state)
{
	if (px_loop_init(&loop) < 0)
		return -1;
	loop.now_ms = 1000;
	norder = 0;
	return 0;
}

static int teardown_loop(void **state)
{
	px_loop_free(&loop);
	return 0;
}

/* Checks the heap invariants: positions recorded in the timers, the
 * min-heap order on keys, and key <= expire for every queued timer.
 */
static void check_heap(void)
{
	uint32_t i;

	for (i = 0; i < loop.heap_len; i++) {
		struct px_timer *t = loop.heap[i];

		if (t->idx != (int32_t)i)
			fail_msg("heap[%u] has idx %d", i, t->idx);
		if (!t->expire || t->key > t->expire)
			fail_msg("heap[%u]: key %llu, expire %llu", i,
			         (unsigned long long)t->key, (unsigned long long)t->expire);
		if (i && loop.heap[(i - 1) / 2]->key > t->key)
			fail_msg("heap[%u] key %llu below its parent's %llu", i,
			         (unsigned long long)t->key,
			         (unsigned long long)loop.heap[(i - 1) / 2]->key);
	}
}

static int run_at(uint64_t now)
{
	int n;

	loop.now_ms = now;
	n = px_timer_run(&loop);
	check_heap();
	return n;
}

/* The same for the random tests, checking the whole heap only now and
 * then so that they stay fast.
 */
static int run_at_sometimes_check(uint64_t now)
{
	static unsigned runs;
	int n;

	loop.now_ms = now;
	n = px_timer_run(&loop);
	if (++runs % 64 == 0 || !loop.heap_len)
		check_heap();
	return n;
}

static void assert_order(const int *exp, int n)
{
	int i;

	if (norder != n)
		fail_msg("%d timers fired, expected %d", norder, n);
	for (i = 0; i < n; i++)
		if (order[i] != exp[i])
			fail_msg("firing %d was timer %d, expected %d", i, order[i], exp[i]);
}

#define ORDER(...) do { \
	static const int exp_[] = { __VA_ARGS__ }; \
	assert_order(exp_, (int)(sizeof(exp_) / sizeof(exp_[0]))); \
} while (0)

/* --- timer heap ----------------------------------------------------------- */

static void test_empty(void **state)
{
	assert_int_equal(px_timer_next(&loop), 0);
	assert_int_equal(run_at(5000), 0);
}

static void test_order(void **state)
{
	static const uint64_t at[] = { 1050, 1010, 1030, 1020, 1040, 1010, 1090, 1060 };
	struct ttimer tt[8];
	int i;

	for (i = 0; i < 8; i++) {
		tinit(&tt[i], i);
		px_timer_set(&loop, &tt[i].t, at[i]);
		assert_int_equal(tt[i].t.expire, at[i]);
		assert_true(tt[i].t.idx >= 0);
		check_heap();
	}
	assert_int_equal(loop.heap_len, 8);
	assert_int_equal(px_timer_next(&loop), 1010);

	/* Nothing is due before its time. */
	assert_int_equal(run_at(1009), 0);
	assert_int_equal(norder, 0);

	assert_int_equal(run_at(1025), 3);
	assert_int_equal(tt[1].fired_at, 1025);
	assert_int_equal(px_timer_next(&loop), 1030);
	assert_int_equal(run_at(1030), 1);
	assert_int_equal(run_at(1100), 4);
	assert_int_equal(px_timer_next(&loop), 0);
	assert_int_equal(loop.heap_len, 0);
	/* Equal deadlines may fire in either order. */
	assert_true((order[0] == 1 && order[1] == 5) || (order[0] == 5 && order[1] == 1));
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 2);
	assert_int_equal(order[4], 4);
	assert_int_equal(order[5], 0);
	assert_int_equal(order[6], 7);
	assert_int_equal(order[7], 6);
	for (i = 0; i < 8; i++) {
		assert_int_equal(tt[i].fired, 1);
		assert_int_equal(tt[i].t.expire, 0);
		assert_int_equal(tt[i].t.idx, -1);
	}
	/* Fired timers do not fire again. */
	assert_int_equal(run_at(10000), 0);
}

/* Moving a queued timer later leaves the heap alone: px_timer_next() may
 * report the old deadline, at which the run re-queues it without firing.
 */
static void test_move_later(void **state)
{
	struct ttimer a, b;

	tinit(&a, 1);
	tinit(&b, 2);
	px_timer_set(&loop, &a.t, 1100);
	px_timer_set(&loop, &b.t, 1150);
	px_timer_set(&loop, &a.t, 1200);
	assert_int_equal(a.t.expire, 1200);
	assert_int_equal(a.t.key, 1100);
	assert_int_equal(loop.heap_len, 2);
	check_heap();
	assert_int_equal(px_timer_next(&loop), 1100);

	assert_int_equal(run_at(1100), 0);
	assert_int_equal(a.fired, 0);
	assert_int_equal(a.t.key, 1200);
	assert_int_equal(px_timer_next(&loop), 1150);
	assert_int_equal(run_at(1199), 1);
	ORDER(2);
	assert_int_equal(px_timer_next(&loop), 1200);
	assert_int_equal(run_at(1200), 1);
	ORDER(2, 1);
	assert_int_equal(a.fired_at, 1200);
}

/* Later, then earlier again but still after the first deadline: fires at
 * the last deadline set, neither before nor after.
 */
static void test_move_later_then_earlier(void **state)
{
	struct ttimer a;

	tinit(&a, 1);
	px_timer_set(&loop, &a.t, 1100);
	px_timer_set(&loop, &a.t, 1300);
	px_timer_set(&loop, &a.t, 1150);
	assert_int_equal(run_at(1100), 0);
	assert_int_equal(run_at(1149), 0);
	assert_int_equal(run_at(1150), 1);
	assert_int_equal(a.fired_at, 1150);

	/* Later, then earlier than the first deadline. */
	px_timer_set(&loop, &a.t, 2100);
	px_timer_set(&loop, &a.t, 2300);
	px_timer_set(&loop, &a.t, 2050);
	assert_int_equal(px_timer_next(&loop), 2050);
	assert_int_equal(run_at(2049), 0);
	assert_int_equal(run_at(2050), 1);
	assert_int_equal(a.fired, 2);
	assert_int_equal(px_timer_next(&loop), 0);
}

static void test_move_earlier(void **state)
{
	struct ttimer a, b, c;

	tinit(&a, 1);
	tinit(&b, 2);
	tinit(&c, 3);
	px_timer_set(&loop, &a.t, 1100);
	px_timer_set(&loop, &b.t, 1050);
	px_timer_set(&loop, &c.t, 1070);
	px_timer_set(&loop, &a.t, 1020);
	check_heap();
	assert_int_equal(px_timer_next(&loop), 1020);
	assert_int_equal(loop.heap_len, 3);
	assert_int_equal(run_at(1020), 1);
	ORDER(1);
	assert_int_equal(run_at(1100), 2);
	ORDER(1, 2, 3);
	assert_int_equal(a.fired, 1);
}

static void test_set_same_and_zero(void **state)
{
	struct ttimer a, b;

	tinit(&a, 1);
	tinit(&b, 2);
	px_timer_set(&loop, &a.t, 1100);
	px_timer_set(&loop, &a.t, 1100);
	assert_int_equal(loop.heap_len, 1);

	/* Setting 0 disarms. */
	px_timer_set(&loop, &b.t, 1050);
	px_timer_set(&loop, &b.t, 0);
	assert_int_equal(b.t.expire, 0);
	assert_int_equal(b.t.idx, -1);
	assert_int_equal(loop.heap_len, 1);
	assert_int_equal(run_at(2000), 1);
	ORDER(1);
	assert_int_equal(a.fired, 1);

	/* A timer already due when set fires at the next run. */
	px_timer_set(&loop, &b.t, 1500);
	assert_int_equal(run_at(2000), 1);
	assert_int_equal(b.fired, 1);
}

static void test_delete(void **state)
{
	struct ttimer tt[7];
	int i;

	for (i = 0; i < 7; i++) {
		tinit(&tt[i], i);
		px_timer_set(&loop, &tt[i].t, 1010 + 10 * (uint64_t)i);
	}
	/* The head, one in the middle, the last slot. */
	px_timer_del(&loop, &tt[0].t);
	check_heap();
	px_timer_del(&loop, &tt[3].t);
	check_heap();
	px_timer_del(&loop, loop.heap[loop.heap_len - 1]);
	check_heap();
	assert_int_equal(loop.heap_len, 4);
	/* Deleting twice, or a timer never armed, changes nothing. */
	px_timer_del(&loop, &tt[3].t);
	assert_int_equal(loop.heap_len, 4);
	{
		struct ttimer idle;

		tinit(&idle, 99);
		px_timer_del(&loop, &idle.t);
		assert_int_equal(idle.t.idx, -1);
		assert_int_equal(loop.heap_len, 4);
	}
	assert_int_equal(tt[0].t.idx, -1);
	assert_int_equal(tt[0].t.expire, 0);
	assert_int_equal(run_at(5000), 4);
	assert_int_equal(tt[0].fired, 0);
	assert_int_equal(tt[3].fired, 0);
	for (i = 1; i < 4; i++)
		assert_true(order[i - 1] < order[i]);

	/* Deleting a timer moved later (key and expire differ). */
	tinit(&tt[0], 0);
	px_timer_set(&loop, &tt[0].t, 5100);
	px_timer_set(&loop, &tt[0].t, 5900);
	px_timer_del(&loop, &tt[0].t);
	assert_int_equal(loop.heap_len, 0);
	assert_int_equal(px_timer_next(&loop), 0);
	assert_int_equal(run_at(9000), 0);
	assert_int_equal(tt[0].fired, 0);
}

static void test_rearm_from_callback(void **state)
{
	struct ttimer a, b;

	tinit(&a, 1);
	tinit(&b, 2);
	a.rearm_every = 10;
	a.rearm_left = 3;
	px_timer_set(&loop, &a.t, 1010);
	px_timer_set(&loop, &b.t, 1025);

	assert_int_equal(run_at(1010), 1);
	assert_int_equal(a.t.expire, 1020);
	assert_true(a.t.idx >= 0);
	assert_int_equal(px_timer_next(&loop), 1020);
	assert_int_equal(run_at(1020), 1);
	assert_int_equal(run_at(1025), 1);
	assert_int_equal(run_at(1040), 1);
	ORDER(1, 1, 2, 1);
	assert_int_equal(a.fired_at, 1040);
	/* A late run fires a re-armed timer once, at its new deadline. */
	assert_int_equal(px_timer_next(&loop), 1050);
	assert_int_equal(run_at(1200), 1);
	assert_int_equal(a.fired, 4);
	assert_int_equal(a.rearm_left, 0);
	assert_int_equal(px_timer_next(&loop), 0);
}

/* A callback deleting another due timer stops it from firing. */
static void test_delete_from_callback(void **state)
{
	struct ttimer a, b, c;

	tinit(&a, 1);
	tinit(&b, 2);
	tinit(&c, 3);
	a.kill = &b;
	px_timer_set(&loop, &a.t, 1010);
	px_timer_set(&loop, &b.t, 1020);
	px_timer_set(&loop, &c.t, 1030);
	assert_int_equal(run_at(1100), 2);
	ORDER(1, 3);
	assert_int_equal(b.fired, 0);
	assert_int_equal(b.t.idx, -1);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*, so that the sequence is the same on every system. */
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

#define NRANDOM 10000

/* Storage of the random tests (static: a failing assertion leaks nothing). */
static struct ttimer rtt[NRANDOM];
static uint64_t rdeadline[NRANDOM];

/* 10,000 timers with random deadlines, a quarter of them moved later or
 * earlier and an eighth deleted, run with a clock jumping forward by up to
 * 200 ms: each fires exactly once, in the first run at or after its last
 * deadline; deleted ones never fire.
 */
static void test_random(void **state)
{
	struct ttimer *tt = rtt;
	uint64_t *deadline = rdeadline;
	uint64_t now = 1000, prev;
	int i, expected = 0, fired = 0;

	for (i = 0; i < NRANDOM; i++) {
		tinit(&tt[i], i);
		px_timer_set(&loop, &tt[i].t, now + 1 + rnd() % 100000);
	}
	check_heap();
	for (i = 0; i < NRANDOM; i++) {
		switch (rnd() % 8) {
		case 0:
			px_timer_set(&loop, &tt[i].t, tt[i].t.expire + 1 + rnd() % 50000);
			break;
		case 1:
			px_timer_set(&loop, &tt[i].t, now + 1 + rnd() % (tt[i].t.expire - now));
			break;
		case 2:
			px_timer_del(&loop, &tt[i].t);
			tt[i].deleted = 1;
			break;
		}
		deadline[i] = tt[i].t.expire;
		expected += !tt[i].deleted;
	}
	check_heap();
	assert_int_equal(loop.heap_len, expected);

	norder = 0;
	while (loop.heap_len) {
		int n, k;

		prev = now;
		now += 1 + rnd() % 200;
		n = run_at_sometimes_check(now);
		fired += n;
		for (k = 0; k < n; k++) {
			int id = order[k];

			if (deadline[id] <= prev || deadline[id] > now)
				fail_msg("timer %d with deadline %llu fired in the run at %llu "
				         "(previous run %llu)", id, (unsigned long long)deadline[id],
				         (unsigned long long)now, (unsigned long long)prev);
		}
		/* What is left is due later. */
		if (loop.heap_len && px_timer_next(&loop) <= now)
			fail_msg("a timer due at %llu is left after the run at %llu",
			         (unsigned long long)px_timer_next(&loop), (unsigned long long)now);
		norder = 0;
	}
	assert_int_equal(fired, expected);
	for (i = 0; i < NRANDOM; i++)
		assert_int_equal(tt[i].fired, tt[i].deleted ? 0 : 1);
}

/* Timers fire in deadline order when each run fires at most a few: the
 * clock moves 1 ms at a time and every firing is checked against the
 * deadline it was given.
 */
static void test_random_order(void **state)
{
	struct ttimer *tt = rtt;
	uint64_t *deadline = rdeadline;
	uint64_t now = 1000, prev = 0;
	int i, k, fired = 0;

	for (i = 0; i < NRANDOM; i++) {
		tinit(&tt[i], i);
		deadline[i] = now + 1 + rnd() % 20000;
		px_timer_set(&loop, &tt[i].t, deadline[i] + 1 + rnd() % 5000);
		/* Half of them are moved earlier to their real deadline. */
		if (rnd() & 1)
			px_timer_set(&loop, &tt[i].t, deadline[i]);
		else
			deadline[i] = tt[i].t.expire;
	}
	check_heap();
	norder = 0;
	while (loop.heap_len) {
		int n;

		now++;
		n = run_at_sometimes_check(now);
		for (k = norder - n; k < norder; k++) {
			int id = order[k];

			if (deadline[id] != now)
				fail_msg("timer %d with deadline %llu fired at %llu", id,
				         (unsigned long long)deadline[id], (unsigned long long)now);
			if (deadline[id] < prev)
				fail_msg("timer %d fired out of order", id);
			prev = deadline[id];
		}
		fired += n;
		norder = 0;
	}
	assert_int_equal(fired, NRANDOM);
}

/* --- px_parse_time -------------------------------------------------------- */

static void time_ok(const char *s, uint64_t exp)
{
	uint64_t ms = 12345;
	char *err = NULL;

	if (px_parse_time(s, &ms, &err) != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err ? err : "(no message)");
		free(err);
		fail_msg("\"%s\" refused: %s", s, msg);
	}
	if (ms != exp)
		fail_msg("\"%s\" gave %llu ms, expected %llu", s, (unsigned long long)ms,
		         (unsigned long long)exp);
	assert_null(err);
}

static void time_err(const char *s, const char *msg)
{
	uint64_t ms = 12345;
	char *err = NULL;

	if (px_parse_time(s, &ms, &err) != -1)
		fail_msg("\"%s\" accepted as %llu ms", s, (unsigned long long)ms);
	if (!err || strcmp(err, msg)) {
		char got[256];

		snprintf(got, sizeof(got), "%s", err ? err : "(null)");
		free(err);
		fail_msg("\"%s\": \"%s\", expected \"%s\"", s, got, msg);
	}
	free(err);
}

/* Refused with a message starting with <prefix>. */
static void time_err_prefix(const char *s, const char *prefix)
{
	uint64_t ms = 0;
	char *err = NULL;

	if (px_parse_time(s, &ms, &err) != -1)
		fail_msg("\"%s\" accepted as %llu ms", s, (unsigned long long)ms);
	if (!err || strncmp(err, prefix, strlen(prefix))) {
		char got[256];

		snprintf(got, sizeof(got), "%s", err ? err : "(null)");
		free(err);
		fail_msg("\"%s\": \"%s\", expected \"%s...\"", s, got, prefix);
	}
	free(err);
}

static void test_parse_time_units(void **state)
{
	time_ok("0", 0);
	time_ok("10", 10);
	time_ok("10ms", 10);
	time_ok("1s", 1000);
	time_ok("30s", 30000);
	time_ok("2m", 120000);
	time_ok("3h", 10800000);
	time_ok("1d", 86400000);
	time_ok("24d", 2073600000);
	time_ok("007s", 7000);
	time_ok("2147483647", 2147483647);
	time_ok("2147483647ms", 2147483647);
}

/* Microseconds are rounded up to the next millisecond. */
static void test_parse_time_us(void **state)
{
	time_ok("0us", 0);
	time_ok("1us", 1);
	time_ok("999us", 1);
	time_ok("1000us", 1);
	time_ok("1001us", 2);
	time_ok("1500us", 2);
	time_ok("2000us", 2);
	time_ok("123456789us", 123457);
	/* Up to the same limit as other units: 2^31-1 ms, about 24.8 days. */
	time_ok("2000000000000us", 2000000000);
	time_ok("2147483647000us", 2147483647);
	time_err("2147483648000us",
	         "time value '2147483648000us' is too large (at most 24 days)");
}

static void test_parse_time_errors(void **state)
{
	static const char unit[] = " (us, ms, s, m, h or d)";
	static const char num[] =
		" (a number with an optional unit us, ms, s, m, h or d is expected)";
	char exp[256];

#define BADNUM(s) (snprintf(exp, sizeof(exp), "invalid time value '%s'%s", s, num), exp)
#define BADUNIT(u, s) (snprintf(exp, sizeof(exp), "invalid unit '%s' in time value '%s'%s", \
                                u, s, unit), exp)
	time_err("", BADNUM(""));
	time_err("abc", BADNUM("abc"));
	time_err("s", BADNUM("s"));
	time_err("-1", BADNUM("-1"));
	time_err("+5", BADNUM("+5"));
	time_err(" 5", BADNUM(" 5"));
	time_err("5x", BADUNIT("x", "5x"));
	time_err("5 s", BADUNIT(" s", "5 s"));
	time_err("5s ", BADUNIT("s ", "5s "));
	time_err("1.5s", BADUNIT(".5s", "1.5s"));
	time_err("5S", BADUNIT("S", "5S"));
	time_err("5MS", BADUNIT("MS", "5MS"));
	time_err("5sec", BADUNIT("sec", "5sec"));
	time_err("5mss", BADUNIT("mss", "5mss"));
	time_err("5 ", BADUNIT(" ", "5 "));
#undef BADNUM
#undef BADUNIT
	time_err("25d", "time value '25d' is too large (at most 24 days)");
	time_err("2147483648", "time value '2147483648' is too large (at most 24 days)");
	time_err("2147484s", "time value '2147484s' is too large (at most 24 days)");
	time_err("99999999999999999999", "time value '99999999999999999999' is too large");
	time_err("99999999999999999999ms", "time value '99999999999999999999ms' is too large");
	/* Far too large, whichever limit is hit first. */
	time_err_prefix("1099511627777", "time value '1099511627777' is too large");
	time_err_prefix("100000000d", "time value '100000000d' is too large");
	time_err_prefix("18446744073709551615us",
	                "time value '18446744073709551615us' is too large");

	/* A NULL <err> is allowed. */
	{
		uint64_t ms = 7;

		assert_int_equal(px_parse_time("x", &ms, NULL), -1);
	}
}

/* --- px_parse_size -------------------------------------------------------- */

static void size_ok(const char *s, uint64_t exp)
{
	uint64_t v = 12345;

	if (px_parse_size(s, &v) != 0)
		fail_msg("\"%s\" refused", s);
	if (v != exp)
		fail_msg("\"%s\" gave %llu, expected %llu", s, (unsigned long long)v,
		         (unsigned long long)exp);
}

static void size_err(const char *s)
{
	uint64_t v = 12345;

	if (px_parse_size(s, &v) != -1)
		fail_msg("\"%s\" accepted as %llu", s, (unsigned long long)v);
}

static void test_parse_size(void **state)
{
	size_ok("0", 0);
	size_ok("123", 123);
	size_ok("16384", 16384);
	size_ok("1k", 1024);
	size_ok("1K", 1024);
	size_ok("2m", 2097152);
	size_ok("2M", 2097152);
	size_ok("3g", UINT64_C(3221225472));
	size_ok("3G", UINT64_C(3221225472));
	size_ok("1kb", 1024);
	size_ok("1kB", 1024);
	size_ok("1KB", 1024);
	size_ok("10b", 10);
	size_ok("10B", 10);
	size_ok("0k", 0);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("17179869183g", UINT64_C(17179869183) << 30);
	size_ok("18014398509481983k", UINT64_C(18014398509481983) << 10);
}

static void test_parse_size_errors(void **state)
{
	size_err("");
	size_err("k");
	size_err("-1");
	size_err("+1");
	size_err(" 1");
	size_err("1 ");
	size_err("1x");
	size_err("1t");
	size_err("1kk");
	size_err("1 k");
	size_err("1.5k");
	size_err("1kib");
	size_err("1bb");
	size_err("1kbb");
	size_err("0x10");
	/* Overflow, in the number or with the unit. */
	size_err("18446744073709551616");
	size_err("99999999999999999999999");
	size_err("17179869184g");
	size_err("18014398509481984k");
}

#define TIMER_TEST(f) cmocka_unit_test_setup_teardown(f, setup_loop, teardown_loop)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TIMER_TEST(test_empty),
		TIMER_TEST(test_order),
		TIMER_TEST(test_move_later),
		TIMER_TEST(test_move_later_then_earlier),
		TIMER_TEST(test_move_earlier),
		TIMER_TEST(test_set_same_and_zero),
		TIMER_TEST(test_delete),
		TIMER_TEST(test_rearm_from_callback),
		TIMER_TEST(test_delete_from_callback),
		TIMER_TEST(test_random),
		TIMER_TEST(test_random_order),
		cmocka_unit_test(test_parse_time_units),
		cmocka_unit_test(test_parse_time_us),
		cmocka_unit_test(test_parse_time_errors),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_size_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
