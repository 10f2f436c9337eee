/* Unit tests of the editable head view (proxyd/proto/hmsg.c) the rules
 * work on: loading from the parser's index, lookups through the name-hash
 * index as fields are added, deleted and renamed, the request target
 * helpers; and of the regex back-reference helpers (rules/regex.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cfg/cfg.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "rules/regex.h"

static struct px_h1_hdr idx[64];

/* Parses <head> and loads the request view from it. */
static struct px_hmsg *load(const char *head, int is_req)
{
	static struct px_h1_msg m;
	struct px_hmsg *hm = is_req ? px_hmsg_req() : px_hmsg_res();

	px_h1_msg_init(&m, is_req, idx, 64);
	assert_true(px_h1_parse(&m, head, strlen(head)) > 0);
	px_hmsg_load(hm, head, &m);
	return hm;
}

static int setup(void **state)
{
	(void)state;
	return px_hmsg_setup(64, 16384);
}

static void test_find(void **state)
{
	const char *head = "GET /a?b HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n"
	                   "Cookie: c=1\r\nX-a: 3\r\n\r\n";
	struct px_hmsg *hm = load(head, 1);
	int i;

	(void)state;
	assert_int_equal(hm->nhdr, 5);
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, -1), 1);
	assert_int_equal(px_hmsg_find(hm, "X-A", 3, 2), 2);
	assert_int_equal(px_hmsg_find(hm, "x-A", 3, 3), 4);
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, 5), -1);
	assert_int_equal(px_hmsg_find(hm, "x-b", 3, -1), -1);
	assert_int_equal(px_hmsg_find(hm, "host", 4, -1), 0);
	/* A name of the same length and hash bucket but other letters. */
	assert_int_equal(px_hmsg_find(hm, "x-z", 3, -1), -1);

	/* Deleted fields are never found again; added ones are, in order. */
	px_hmsg_del(hm, 2);
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, 2), 4);
	assert_int_equal(px_hmsg_add(hm, "X-A", 3, "4", 1), 0);
	assert_int_equal(px_hmsg_add_const(hm, "x-b", 3, px_hmsg_name_hash("x-b", 3), "5", 1), 0);
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, 5), 5);
	assert_int_equal(px_hmsg_find(hm, "X-B", 3, -1), 6);

	/* A renamed field moves to its new name's chain. */
	px_hmsg_set_field(hm, 1, "Via", 3, "x", 1);
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, -1), 4);
	assert_int_equal(px_hmsg_find(hm, "via", 3, -1), 1);
	for (i = 0; i < 40; i++) {
		char n[16];

		snprintf(n, sizeof(n), "x-%d", i);
		assert_int_equal(px_hmsg_add(hm, n, strlen(n), "v", 1), 0);
	}
	assert_int_equal(px_hmsg_find(hm, "x-39", 4, -1), 46);
	assert_int_equal(px_hmsg_find(hm, "x-a", 3, 6), -1);
	assert_true(hm->flags & PX_HM_HDR_CHANGED);
}

static void test_start_line(void **state)
{
	const char *p;
	uint32_t len;
	struct px_hmsg *hm = load("GET http://h.example/x/y?q=1 HTTP/1.1\r\nHost: h.example\r\n\r\n", 1);

	(void)state;
	px_hmsg_path(hm, &p, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "/x/y", 4);
	assert_true(px_hmsg_query(hm, &p, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(p, "q=1", 3);

	hm = load("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	px_hmsg_path(hm, &p, &len);
	assert_int_equal(len, 0);
	assert_false(px_hmsg_query(hm, &p, &len));

	hm = load("HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\n", 0);
	assert_int_equal(hm->status, 404);
	assert_int_equal(hm->sll[PX_SL_CODE], 3);
	assert_memory_equal(hm->sl[PX_SL_CODE], "404", 3);
	assert_int_equal(hm->sll[PX_SL_REASON], 9);
	assert_int_equal(px_hmsg_set_sl(hm, PX_SL_REASON, "Gone", 4), 0);
	assert_true(hm->flags & PX_HM_SL_CHANGED);
}

static void test_regex(void **state)
{
	struct px_gen *gen = calloc(1, sizeof(*gen));
	struct px_regex *re;
	char *err = NULL, out[64];
	long ov[20], n;
	int g;

	(void)state;
	gen->refcnt = 1;
	re = px_regex_comp(gen, "^([^ :]*) /mirror/foo/(.*)", 0, &err);
	assert_non_null(re);
	g = px_regex_match(re, "GET /mirror/foo/bar?x HTTP/1.1", 30, 0, ov, 10);
	assert_int_equal(g, 3);
	n = px_regex_expand("\\1 /\\2", 6, "GET /mirror/foo/bar?x HTTP/1.1", ov, g, out, sizeof(out));
	assert_int_equal(n, 19);
	assert_memory_equal(out, "GET /bar?x HTTP/1.1", 19);
	/* "\\" is a backslash, "\9" of a group that does not exist is empty,
	 * a backslash before anything else is dropped.
	 */
	n = px_regex_expand("[\\\\|\\9|\\q]", 10, "GET /mirror/foo/bar?x HTTP/1.1", ov, g, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_memory_equal(out, "[\\||q]", 6);
	/* Too small an output is an error, never an overflow. */
	assert_int_equal(px_regex_expand("\\2\\2", 4, "GET /mirror/foo/bar?x HTTP/1.1", ov, g, out, 5), -1);

	re = px_regex_comp(gen, "o", PX_RE_ICASE, &err);
	assert_non_null(re);
	n = px_regex_subst(re, "fOo bOO", 7, "0", 1, 1, out, sizeof(out));
	assert_int_equal(n, 7);
	assert_memory_equal(out, "f00 b00", 7);
	n = px_regex_subst(re, "fOo bOO", 7, "0", 1, 0, out, sizeof(out));
	assert_memory_equal(out, "f0o bOO", 7);
	/* Empty matches move on by one byte. */
	re = px_regex_comp(gen, "x*", 0, &err);
	n = px_regex_subst(re, "abc", 3, "-", 1, 1, out, sizeof(out));
	assert_int_equal(n, 7);
	assert_memory_equal(out, "-a-b-c-", 7);

	assert_null(px_regex_comp(gen, "([a-z", 0, &err));
	/* PCRE2's message and where it stopped. */
	assert_non_null(strstr(err, "invalid regex '([a-z': missing terminating ] for "
	                       "character class at offset 5"));
	free(err);
	px_gen_unref(gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_start_line),
		cmocka_unit_test(test_regex),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
