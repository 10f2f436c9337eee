/* Unit tests of proxyd/backend/lb.c on backends loaded from small
 * configuration files: the keys of "balance uri" and "balance hdr()"
 * (px_lb_hash_uri(), px_lb_hash_hdr()), the server map and the
 * active/backup choice (px_lb_update(), px_lb_eligible()), and px_lb_pick()
 * for each algorithm, on streams built by hand. Queues and connections are
 * not involved: a pick only tells which server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "backend/lb.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"

static struct px_gen *gen;
static char path[64];

static void report(void *arg, int is_warning, const char *msg)
{
	(void)arg;
	print_message("%s: %s\n", is_warning ? "warning" : "error", msg);
}

/* Loads <backends> after a defaults section; fails the test on errors. */
static void load(const char *backends)
{
	int fd;
	FILE *f;
	char *files[1] = { path };

	snprintf(path, sizeof(path), "/tmp/unit-lb-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "defaults\n    mode http\n    timeout connect 1s\n"
	           "    timeout client 1s\n    timeout server 1s\n%s", backends);
	fclose(f);
	gen = px_cfg_load(files, 1, 1, report, NULL);
	assert_non_null(gen);
}

static int cleanup(void **state)
{
	(void)state;
	px_gen_unref(gen);
	gen = NULL;
	unlink(path);
	return 0;
}

static struct px_proxy *backend(int idx)
{
	struct px_list *e;
	int i = 0;

	px_list_for_each(e, &gen->proxies)
		if (i++ == idx)
			return px_container_of(e, struct px_proxy, link);
	fail_msg("no proxy %d", idx);
	return NULL;
}

/* The servers of the map of <be> as a string of their first letters. */
static const char *map_str(const struct px_proxy *be)
{
	static char s[256];
	uint32_t i;

	for (i = 0; i < be->lbprm.map_len && i < sizeof(s) - 1; i++)
		s[i] = be->lbprm.map[i]->id[0];
	s[i] = 0;
	return s;
}

/* --- keys ------------------------------------------------------------------ */

/* px_lb_hash_uri() of <uri> on <be> hashes exactly <key> (NULL: no key). */
static void uri_key(const struct px_proxy *be, const char *uri, const char *key)
{
	uint32_t h = 0;
	int r = px_lb_hash_uri(be, uri, strlen(uri), &h);

	if (!key) {
		if (r != -1)
			fail_msg("\"%s\": a key where none was expected", uri);
		return;
	}
	if (r != 0)
		fail_msg("\"%s\": no key, expected \"%s\"", uri, key);
	if (h != px_lb_hash(key, strlen(key)))
		fail_msg("\"%s\": the key is not \"%s\"", uri, key);
}

static void hdr_key(const struct px_proxy *be, const char *value, const char *key)
{
	uint32_t h = 0;
	int r = px_lb_hash_hdr(be, value, strlen(value), &h);

	if (!key) {
		if (r != -1)
			fail_msg("\"%s\": a key where none was expected", value);
		return;
	}
	if (r != 0)
		fail_msg("\"%s\": no key, expected \"%s\"", value, key);
	if (h != px_lb_hash(key, strlen(key)))
		fail_msg("\"%s\": the key is not \"%s\"", value, key);
}

static void test_uri_keys(void **state)
{
	struct px_proxy *plain, *whole, *depth, *len, *both, *path_only;

	(void)state;
	load("backend plain\n    balance uri\n    server a 127.0.0.1:1\n"
	     "backend whole\n    balance uri whole\n    server a 127.0.0.1:1\n"
	     "backend depth\n    balance uri depth 2\n    server a 127.0.0.1:1\n"
	     "backend len\n    balance uri len 5\n    server a 127.0.0.1:1\n"
	     "backend both\n    balance uri depth 1 len 3 whole\n    server a 127.0.0.1:1\n"
	     "backend path\n    balance uri path-only\n    server a 127.0.0.1:1\n");
	plain = backend(0);
	whole = backend(1);
	depth = backend(2);
	len = backend(3);
	both = backend(4);
	path_only = backend(5);
	assert_int_equal(plain->lb, PX_LB_URI);

	uri_key(plain, "/a/b?x=1", "/a/b");
	uri_key(plain, "/a/b", "/a/b");
	uri_key(plain, "?x", NULL);
	uri_key(plain, "", NULL);
	uri_key(plain, "http://h/p?q", "http://h/p");
	uri_key(whole, "/a/b?x=1", "/a/b?x=1");
	uri_key(depth, "/a/b/c/d?x", "/a/b");
	uri_key(depth, "/a/b/", "/a/b");
	uri_key(depth, "/a", "/a");
	uri_key(len, "/abcdefgh", "/abcd");
	uri_key(len, "/ab?cdefgh", "/ab");
	uri_key(both, "/abcdef", "/ab");
	uri_key(both, "/a/bcdef", "/a");
	uri_key(both, "/?xyz", "/?x");
	uri_key(path_only, "http://host:80/p/q?r", "/p/q");
	uri_key(path_only, "https://host", NULL);
	uri_key(path_only, "/p/q", "/p/q");
	uri_key(path_only, "*", "*");
}

static void test_hdr_keys(void **state)
{
	struct px_proxy *plain, *dom;

	(void)state;
	load("backend plain\n    balance hdr(X-User)\n    server a 127.0.0.1:1\n"
	     "backend dom\n    balance hdr(Host) use_domain_only\n    server a 127.0.0.1:1\n");
	plain = backend(0);
	dom = backend(1);
	assert_int_equal(plain->lb, PX_LB_HDR);
	assert_string_equal(plain->lb_hdr, "X-User");
	assert_string_equal(dom->lb_hdr, "Host");

	hdr_key(plain, "alice", "alice");
	hdr_key(plain, "  alice \t", "alice");
	hdr_key(plain, "alice, bob", "alice");
	hdr_key(plain, "", NULL);
	hdr_key(plain, " , bob", NULL);
	hdr_key(dom, "www.example.com", "example");
	hdr_key(dom, "example.com:8080", "example");
	hdr_key(dom, "a.b.example.org", "example");
	hdr_key(dom, "localhost", "localhost");
	hdr_key(dom, ".com", NULL);
}

/* --- map and backups ----------------------------------------------------------- */

static void test_map(void **state)
{
	struct px_proxy *be, *rr;

	(void)state;
	load("backend be\n    balance static-rr\n"
	     "    server a 127.0.0.1:1 weight 3\n"
	     "    server z 127.0.0.1:2 weight 0\n"
	     "    server b 127.0.0.1:3\n"
	     "    server d 127.0.0.1:4 disabled\n"
	     "    server x 127.0.0.1:5 backup weight 2\n"
	     "    server y 127.0.0.1:6 backup\n"
	     "backend rr\n    server a 127.0.0.1:1\n");
	be = backend(0);
	rr = backend(1);
	assert_string_equal(map_str(be), "aaba");
	assert_int_equal(be->lbprm.srv_act, 2);
	assert_int_equal(be->lbprm.srv_bck, 2);
	assert_ptr_equal(be->lbprm.fbck, be->srv[4]);
	/* No map for round robin, which walks the servers. */
	assert_int_equal(rr->lbprm.map_len, 0);

	/* Actives down: the first backup only, then all with allbackups. */
	be->srv[0]->state = PX_SRV_DOWN;
	be->srv[2]->state = PX_SRV_DOWN;
	assert_int_equal(px_lb_update(be), 0);
	assert_int_equal(be->lbprm.srv_act, 0);
	assert_string_equal(map_str(be), "xx");
	assert_false(px_lb_eligible(be, be->srv[5]));
	be->options |= PX_OPT_ALLBACKUPS;
	assert_int_equal(px_lb_update(be), 0);
	assert_string_equal(map_str(be), "xyx");
	assert_true(px_lb_eligible(be, be->srv[5]));

	/* The first backup down: the next one takes over. */
	be->options &= ~PX_OPT_ALLBACKUPS;
	be->srv[4]->state = PX_SRV_DOWN;
	assert_int_equal(px_lb_update(be), 0);
	assert_ptr_equal(be->lbprm.fbck, be->srv[5]);
	assert_string_equal(map_str(be), "y");

	/* An active back: backups out of the map. */
	be->srv[2]->state = PX_SRV_UP;
	assert_int_equal(px_lb_update(be), 0);
	assert_string_equal(map_str(be), "b");
	assert_false(px_lb_eligible(be, be->srv[5]));
}

/* --- picks ------------------------------------------------------------------- */

static struct px_sess sess;
static struct px_stream strm;

static struct px_stream *stream_on(struct px_proxy *be, const char *ip)
{
	memset(&sess, 0, sizeof(sess));
	memset(&strm, 0, sizeof(strm));
	sess.src.in4.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sess.src.in4.sin_addr), 1);
	strm.sess = &sess;
	strm.be = be;
	return &strm;
}

/* Picks <n> times on <be> for <s>, taking no slot, and returns the
 * first letters of the servers chosen.
 */
static const char *picks(struct px_stream *s, const struct px_server *avoid, int n)
{
	static char out[1024];
	struct px_server *srv;
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(px_lb_pick(s, avoid, &srv), PX_LB_OK);
		out[i] = srv->id[0];
	}
	out[i] = 0;
	return out;
}

static void test_pick_static_and_hash(void **state)
{
	struct px_proxy *srr, *src, *uri;
	struct px_stream *s;
	struct px_server *srv;
	char first;

	(void)state;
	load("backend srr\n    balance static-rr\n"
	     "    server a 127.0.0.1:1 weight 3\n    server b 127.0.0.1:2\n"
	     "backend src\n    balance source\n"
	     "    server a 127.0.0.1:1\n    server b 127.0.0.1:2\n    server c 127.0.0.1:3\n"
	     "backend uri\n    balance uri\n"
	     "    server a 127.0.0.1:1\n    server b 127.0.0.1:2 maxconn 1\n");
	srr = backend(0);
	src = backend(1);
	uri = backend(2);

	s = stream_on(srr, "10.0.0.1");
	assert_string_equal(picks(s, NULL, 8), "aabaaaba");
	/* A redispatch never goes back to the failed server while another is usable. */
	assert_string_equal(picks(s, srr->srv[0], 3), "bbb");

	s = stream_on(src, "192.0.2.7");
	first = picks(s, NULL, 1)[0];
	assert_int_equal(picks(s, NULL, 5)[4], first);
	assert_int_not_equal(picks(s, src->srv[first - 'a'], 1)[0], first);
	/* Only the failed server left: it is used again. */
	src->srv[(first - 'a' + 1) % 3]->disabled = 1;
	src->srv[(first - 'a' + 2) % 3]->disabled = 1;
	px_lb_update(src);
	assert_int_equal(picks(s, src->srv[first - 'a'], 1)[0], first);
	src->srv[0]->disabled = src->srv[1]->disabled = src->srv[2]->disabled = 1;
	px_lb_update(src);
	assert_int_equal(px_lb_pick(s, NULL, &srv), PX_LB_NONE);

	/* uri: a key sticks; a full server is insisted on; no key: round robin. */
	s = stream_on(uri, "10.0.0.1");
	assert_int_equal(px_lb_hash_uri(uri, "/k1", 3, &s->lb_hash), 0);
	s->lb_has_hash = 1;
	first = picks(s, NULL, 1)[0];
	assert_int_equal(picks(s, NULL, 4)[3], first);
	uri->srv[1]->cur_sess = 1;
	for (;;) {
		/* Find a key that lands on the full server b. */
		s->lb_hash++;
		if (uri->lbprm.map[s->lb_hash % uri->lbprm.map_len] == uri->srv[1])
			break;
	}
	assert_int_equal(px_lb_pick(s, NULL, &srv), PX_LB_SRV_FULL);
	assert_ptr_equal(srv, uri->srv[1]);
	uri->srv[1]->cur_sess = 0;
	s->lb_has_hash = 0;
	assert_string_equal(picks(s, NULL, 4), "abab");
}

static void test_pick_random_and_backup(void **state)
{
	struct px_proxy *rnd, *bk, *lc;
	struct px_stream *s;
	struct px_server *srv;
	int counts[3] = { 0 }, i;

	(void)state;
	load("backend rnd\n    balance random\n"
	     "    server a 127.0.0.1:1\n    server b 127.0.0.1:2\n"
	     "    server c 127.0.0.1:3 weight 2\n    server z 127.0.0.1:4 weight 0\n"
	     "backend bk\n"
	     "    server a 127.0.0.1:1 maxconn 1\n    server x 127.0.0.1:2 backup\n"
	     "backend lc\n    balance leastconn\n"
	     "    server a 127.0.0.1:1 backup\n    server b 127.0.0.1:2\n");
	rnd = backend(0);
	bk = backend(1);
	lc = backend(2);

	assert_int_equal(rnd->lb, PX_LB_RANDOM);
	assert_int_equal(rnd->lbprm.draws, 2);
	s = stream_on(rnd, "10.0.0.1");
	for (i = 0; i < 4000; i++) {
		assert_int_equal(px_lb_pick(s, NULL, &srv), PX_LB_OK);
		assert_true(srv->id[0] >= 'a' && srv->id[0] <= 'c');
		counts[srv->id[0] - 'a']++;
	}
	/* Expected 1000, 1000, 2000; the windows are about 6 standard deviations. */
	assert_in_range(counts[0], 800, 1200);
	assert_in_range(counts[1], 800, 1200);
	assert_in_range(counts[2], 1750, 2250);
	/* With two draws, a busy server loses to an idle one it is drawn with. */
	rnd->srv[2]->cur_sess = 1000;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 1000; i++) {
		assert_int_equal(px_lb_pick(s, NULL, &srv), PX_LB_OK);
		counts[srv->id[0] - 'a']++;
	}
	assert_in_range(counts[2], 0, 400);

	/* A full active server: wait for it, not for the backup. */
	s = stream_on(bk, "10.0.0.1");
	bk->srv[0]->cur_sess = 1;
	assert_int_equal(px_lb_pick(s, NULL, &srv), PX_LB_ALL_FULL);
	bk->srv[0]->state = PX_SRV_DOWN;
	px_lb_update(bk);
	assert_string_equal(picks(s, NULL, 2), "xx");

	s = stream_on(lc, "10.0.0.1");
	assert_string_equal(picks(s, NULL, 3), "bbb");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_uri_keys, cleanup),
		cmocka_unit_test_teardown(test_hdr_keys, cleanup),
		cmocka_unit_test_teardown(test_map, cleanup),
		cmocka_unit_test_teardown(test_pick_static_and_hash, cleanup),
		cmocka_unit_test_teardown(test_pick_random_and_backup, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
