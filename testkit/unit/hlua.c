/* Unit tests of the Lua glue's head snapshots (proxyd/script/hlua.c): the
 * copy taken before an action's first edit brings the view back exactly
 * (fields, hash index, start line, arena use), and a parked view survives
 * another stream's use of the shared view.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "script/hlua-int.h"

static struct px_h1_hdr idx[64];

static struct px_hmsg *load(const char *head)
{
	static struct px_h1_msg m;
	struct px_hmsg *hm = px_hmsg_req();

	px_h1_msg_init(&m, 1, idx, 64);
	assert_true(px_h1_parse(&m, head, strlen(head)) > 0);
	px_hmsg_load(hm, head, &m);
	return hm;
}

/* The view as text: start line, then each live field. */
static void dump(const struct px_hmsg *hm, char *out, size_t size)
{
	size_t o = (size_t)snprintf(out, size, "%.*s %.*s|", (int)hm->sll[PX_SL_METH],
	                            hm->sl[PX_SL_METH], (int)hm->sll[PX_SL_URI], hm->sl[PX_SL_URI]);
	uint32_t i;

	for (i = 0; i < hm->nhdr && o < size; i++)
		if (hm->hdr[i].nl)
			o += (size_t)snprintf(out + o, size - o, "%.*s=%.*s|", (int)hm->hdr[i].nl,
			                      hm->hdr[i].n, (int)hm->hdr[i].vl, hm->hdr[i].v);
}

static int setup(void **state)
{
	(void)state;
	return px_hmsg_setup(64, 16384);
}

static void test_undo(void **state)
{
	const char *head = "GET /a?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\n\r\n";
	struct px_hmsg *hm = load(head);
	struct lua_snap sn = { 0 };
	char before[512], after[512];
	uint32_t used;

	(void)state;
	/* An edit before the snapshot stays. */
	assert_int_equal(px_hmsg_add(hm, "X-Kept", 6, "k", 1), 0);
	dump(hm, before, sizeof(before));
	used = hm->arena_used;
	hl_snap_take(&sn, hm, 0);

	assert_int_equal(px_hmsg_add(hm, "X-New", 5, "n", 1), 0);
	px_hmsg_del(hm, px_hmsg_find(hm, "x-a", 3, -1));
	assert_int_equal(px_hmsg_set_value(hm, px_hmsg_find(hm, "x-b", 3, -1), "changed", 7), 0);
	assert_int_equal(px_hmsg_set_sl(hm, PX_SL_URI, "/other", 6), 0);
	dump(hm, after, sizeof(after));
	assert_string_not_equal(before, after);

	hl_snap_restore(&sn, hm);
	dump(hm, after, sizeof(after));
	assert_string_equal(before, after);
	assert_string_equal(after, "GET /a?q=1|Host=h|X-A=1|X-B=2|X-Kept=k|");
	assert_int_equal(hm->arena_used, used);
	/* The hash index follows: deleted and added fields. */
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, -1), 1);
	assert_int_equal(px_hmsg_find(hm, "x-new", 5, -1), -1);
	assert_int_equal(px_hmsg_find(hm, "x-kept", 6, -1), 3);
	assert_false(hm->flags & PX_HM_SL_CHANGED);
	hl_snap_free(&sn);
}

static void test_park(void **state)
{
	const char *head = "GET /p HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *other = "POST /x HTTP/1.1\r\nHost: o\r\nY: 1\r\n\r\n";
	struct px_hmsg *hm = load(head);
	struct lua_snap sn = { 0 };
	char before[512], after[512];

	(void)state;
	assert_int_equal(px_hmsg_add(hm, "X-Edit", 6, "before-wait", 11), 0);
	assert_int_equal(px_hmsg_set_sl(hm, PX_SL_URI, "/parked", 7), 0);
	dump(hm, before, sizeof(before));
	hl_snap_take(&sn, hm, 1);

	/* Another stream uses the shared view meanwhile, arena included. */
	hm = load(other);
	assert_int_equal(px_hmsg_add(hm, "Z", 1, "zzzzzzzzzzzzzzzzzzzz", 20), 0);
	assert_int_equal(px_hmsg_set_sl(hm, PX_SL_URI, "/clobber", 8), 0);

	hl_snap_restore(&sn, hm);
	dump(hm, after, sizeof(after));
	assert_string_equal(before, after);
	assert_string_equal(after, "GET /parked|Host=h|X-Edit=before-wait|");
	hl_snap_free(&sn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_park),
	};

	return cmocka_run_group_tests_name("hlua", tests, setup, NULL);
}
