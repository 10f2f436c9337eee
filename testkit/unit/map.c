/* Unit tests of proxyd/rules/map.c through its programming interface, the
 * one the command socket uses: sharing per generation, lookups by every
 * method, run-time additions, changes and removals (the indexes must follow
 * them), entry numbers, and large maps. File syntax and the map_*
 * converters are tested in testkit/unit/conv.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "cfg/cfg.h"
#include "rules/map.h"

static struct px_gen *gen;
static char tmpdir[64];

static int setup(void **state)
{
	gen = calloc(1, sizeof(*gen));
	assert_non_null(gen);
	gen->refcnt = 1;
	return 0;
}

static int teardown(void **state)
{
	px_gen_unref(gen);
	gen = NULL;
	return 0;
}

static const char *write_file(const char *name, const char *content)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static struct px_map *load(const char *name, const char *content, int match, int out)
{
	char *err = NULL;
	struct px_map *m = px_map_get(gen, write_file(name, content), match, out, &err);

	if (!m) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err ? err : "(no message)");
		free(err);
		fail_msg("loading %s: %s", name, msg);
	}
	return m;
}

/* The value found for <s> with <match>, or NULL. */
static const char *get(const struct px_map *m, int match, const char *s)
{
	const struct px_map_ent *e = px_map_lookup_str(m, match, s, strlen(s), NULL, 0, NULL);

	return e ? e->val : NULL;
}

static const char *get_ip(const struct px_map *m, const char *addr)
{
	uint8_t a[16];
	const struct px_map_ent *e;
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(fam, addr, a), 1);
	e = px_map_lookup_ip(m, fam, a);
	return e ? e->val : NULL;
}

#define VAL(got, exp) assert_string_equal((got) ? (got) : "(none)", (exp))

static void add(struct px_map *m, const char *k, const char *v)
{
	char *err = NULL;

	if (px_map_add(m, k, strlen(k), v, strlen(v), &err) < 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err ? err : "(no message)");
		free(err);
		fail_msg("adding %s: %s", k, msg);
	}
}

static void test_shared(void **state)
{
	char *err = NULL;
	struct px_map *m = load("s.map", "a 1\n", PX_MAP_STR, PX_MAP_OUT_STR);
	struct px_map *m2 = px_map_get(gen, m->path, PX_MAP_BEG, PX_MAP_OUT_INT, &err);
	struct px_gen *other = calloc(1, sizeof(*other));
	struct px_map *m3;

	assert_ptr_equal(m, m2);
	assert_ptr_equal(px_map_find(gen, m->path), m);
	assert_ptr_equal(px_map_next(gen, NULL), m);
	assert_null(px_map_next(gen, m));
	assert_int_equal(m->matches, (1u << PX_MAP_STR) | (1u << PX_MAP_BEG));
	/* Another generation has its own copy. */
	assert_non_null(other);
	other->refcnt = 1;
	m3 = px_map_get(other, m->path, PX_MAP_STR, PX_MAP_OUT_STR, &err);
	assert_non_null(m3);
	assert_ptr_not_equal(m3, m);
	assert_null(px_map_next(other, m3));
	px_map_clear(m3);
	VAL(get(m, PX_MAP_STR, "a"), "1");
	px_gen_unref(other);
	assert_null(err);
	assert_ptr_equal(px_map_next(gen, NULL), m);
	assert_string_equal(px_map_match_name(PX_MAP_REGM), "regm");
	assert_int_equal(px_map_match_parse("dom", 3), PX_MAP_DOM);
	assert_int_equal(px_map_match_parse("xx", 2), -1);
}

static void test_add_del_set(void **state)
{
	struct px_map *m = load("a.map", "k1 v1\nk2 v2\nk1 v1bis\n", PX_MAP_STR, PX_MAP_OUT_STR);
	const struct px_map_ent *e;
	struct px_map_ent *ent;
	char *err = NULL;
	uint64_t id2;
	int n;

	assert_int_equal(m->count, 3);
	VAL(get(m, PX_MAP_STR, "k1"), "v1");
	add(m, "k3", "v3");
	add(m, "k1", "v1ter");
	VAL(get(m, PX_MAP_STR, "k3"), "v3");
	VAL(get(m, PX_MAP_STR, "k1"), "v1");
	/* File order, then additions; numbers only grow. */
	ent = px_map_first(m);
	assert_string_equal(ent->key, "k1");
	assert_int_equal(ent->line, 1);
	ent = ent->next;
	assert_string_equal(ent->key, "k2");
	id2 = ent->id;
	assert_ptr_equal(px_map_find_id(m, id2), ent);
	assert_int_equal(m->tail->line, 0);
	assert_string_equal(m->tail->val, "v1ter");
	/* set changes every entry with the key. */
	n = px_map_set(m, "k1", 2, "new", 3, &err);
	assert_int_equal(n, 3);
	for (e = px_map_first(m); e; e = e->next)
		if (!strcmp(e->key, "k1"))
			assert_string_equal(e->val, "new");
	assert_int_equal(px_map_set(m, "nope", 4, "x", 1, &err), 0);
	/* del removes every entry with the key. */
	assert_int_equal(px_map_del(m, "k1", 2), 3);
	assert_null(get(m, PX_MAP_STR, "k1"));
	assert_int_equal(m->count, 2);
	assert_int_equal(px_map_del(m, "k1", 2), 0);
	px_map_del_ent(m, px_map_find_id(m, id2));
	assert_null(get(m, PX_MAP_STR, "k2"));
	assert_null(px_map_find_id(m, id2));
	VAL(get(m, PX_MAP_STR, "k3"), "v3");
	add(m, "k2", "again");
	assert_true(m->tail->id > id2);
	px_map_clear(m);
	assert_int_equal(m->count, 0);
	assert_null(px_map_first(m));
	assert_null(get(m, PX_MAP_STR, "k3"));
	assert_null(get(m, PX_MAP_BEG, "k3"));
	add(m, "k4", "v4");
	VAL(get(m, PX_MAP_STR, "k4"), "v4");
	assert_null(err);
}

/* Entries added later must suit what the map is used for. */
static void test_typed_changes(void **state)
{
	struct px_map *m = load("t.map", "10.0.0.0/8 5\n", PX_MAP_IP, PX_MAP_OUT_INT);
	struct px_map_ent *e = px_map_first(m);
	char *err = NULL;

	assert_int_equal(px_map_add(m, "nope", 4, "1", 1, &err), -1);
	assert_non_null(strstr(err, "'nope' is not a valid IPv4 or IPv6 address or network"));
	assert_int_equal(px_map_add(m, "1.2.3.4", 7, "x", 1, &err), -1);
	assert_non_null(strstr(err, "value 'x' of key '1.2.3.4' is not a valid integer"));
	assert_int_equal(m->count, 1);
	/* A refused value leaves the entry as it was. */
	assert_int_equal(px_map_set_ent(m, e, "y", 1, &err), -1);
	assert_string_equal(e->val, "5");
	assert_int_equal(e->vint, 5);
	assert_int_equal(px_map_set(m, "10.0.0.0/8", 10, "y", 1, &err), -1);
	assert_int_equal(px_map_set_ent(m, e, "-7", 2, &err), 0);
	assert_int_equal(e->vint, -7);
	VAL(get_ip(m, "10.9.9.9"), "-7");
	free(err);
}

static void test_methods(void **state)
{
	struct px_map *m = load("m.map",
	                        "/img imgs\n"
	                        "/img/big big\n"
	                        "/ root\n"
	                        ".png png\n"
	                        "example.com dom\n"
	                        "ab(c+) re\n",
	                        PX_MAP_STR, PX_MAP_OUT_STR);
	long ov[20];
	int n = 0;
	const struct px_map_ent *e;
	char *err = NULL;

	VAL(get(m, PX_MAP_BEG, "/img/big/x.png"), "big");
	VAL(get(m, PX_MAP_BEG, "/img/bi"), "imgs");
	VAL(get(m, PX_MAP_BEG, "/x"), "root");
	assert_null(get(m, PX_MAP_BEG, "x/"));
	assert_null(get(m, PX_MAP_BEG, ""));
	VAL(get(m, PX_MAP_SUB, "a/imgx"), "imgs");
	VAL(get(m, PX_MAP_END, "a.png"), "png");
	VAL(get(m, PX_MAP_DIR, "/a/img/b"), "imgs");
	VAL(get(m, PX_MAP_DIR, "/a/img/big"), "imgs");
	VAL(get(m, PX_MAP_DOM, "www.example.com"), "dom");
	/* The methods that need more of the keys must be asked for first. */
	assert_null(get(m, PX_MAP_REG, "abccc"));
	assert_non_null(px_map_get(gen, m->path, PX_MAP_REGM, PX_MAP_OUT_STR, &err));
	VAL(get(m, PX_MAP_REG, "xabccc"), "re");
	VAL(get(m, PX_MAP_REG, "x/"), "root");
	e = px_map_lookup_str(m, PX_MAP_REGM, "zabccz", 6, ov, 10, &n);
	assert_non_null(e);
	assert_string_equal(e->val, "re");
	assert_int_equal(n, 2);
	assert_int_equal(ov[2], 3);
	assert_int_equal(ov[3], 5);
	/* Keys added later are compiled too. */
	add(m, "^q(x)", "qx");
	VAL(get(m, PX_MAP_REG, "qxy"), "qx");
	assert_int_equal(px_map_add(m, "(", 1, "bad", 3, &err), -1);
	assert_non_null(strstr(err, "in map '"));
	free(err);
}

static void test_ip(void **state)
{
	struct px_map *m = load("ip.map",
	                        "10.0.0.0/8 a\n"
	                        "10.1.0.0/16 b\n"
	                        "10.1.0.0/16 b-dup\n"
	                        "10.1.2.3/32 c\n"
	                        "10.1.2.3/8 d\n"
	                        "2001:db8::/32 e\n"
	                        "::ffff:172.16.0.0/108 f\n",
	                        PX_MAP_IP, PX_MAP_OUT_STR);

	VAL(get_ip(m, "10.1.2.3"), "c");
	VAL(get_ip(m, "10.1.9.9"), "b");
	/* "10.1.2.3/8" is 10.0.0.0/8 again: the first one wins. */
	VAL(get_ip(m, "10.200.0.1"), "a");
	assert_null(get_ip(m, "11.0.0.1"));
	VAL(get_ip(m, "2001:db8:1::1"), "e");
	assert_null(get_ip(m, "2001:db9::1"));
	/* IPv4 inputs match IPv4-mapped networks, and the reverse. */
	VAL(get_ip(m, "172.16.5.5"), "f");
	VAL(get_ip(m, "::ffff:10.1.2.3"), "c");
	/* Removing the most specific network uncovers the next one. */
	assert_int_equal(px_map_del(m, "10.1.2.3/32", 11), 1);
	VAL(get_ip(m, "10.1.2.3"), "b");
	assert_int_equal(px_map_del(m, "10.1.0.0/16", 11), 2);
	VAL(get_ip(m, "10.1.2.3"), "a");
	add(m, "0.0.0.0/0", "all");
	VAL(get_ip(m, "11.0.0.1"), "all");
	assert_int_equal(px_map_lookup_int(m, 3) == NULL, 1);
}

static void test_int(void **state)
{
	struct px_map *m = load("i.map", "5 five\n1:3 range\n2 two\n:-10 low\n100: high\n",
	                        PX_MAP_INT, PX_MAP_OUT_STR);
	char *err = NULL;

	assert_string_equal(px_map_lookup_int(m, 5)->val, "five");
	assert_string_equal(px_map_lookup_int(m, 2)->val, "range");
	assert_string_equal(px_map_lookup_int(m, -11)->val, "low");
	assert_string_equal(px_map_lookup_int(m, INT64_MAX)->val, "high");
	assert_null(px_map_lookup_int(m, 4));
	assert_int_equal(px_map_add(m, "3:1", 3, "x", 1, &err), -1);
	assert_int_equal(px_map_add(m, ":", 1, "x", 1, &err), -1);
	assert_int_equal(px_map_add(m, "1x", 2, "x", 1, &err), -1);
	free(err);
}

/* A large map: the tables grow, and every kind of lookup stays exact. */
static void test_large(void **state)
{
	struct px_map *m = load("big.map", "", PX_MAP_STR, PX_MAP_OUT_STR);
	char k[64], v[64];
	int i;

	for (i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "/p%d/%.*s", i, i % 7, "xxxxxxx");
		snprintf(v, sizeof(v), "%d", i);
		add(m, k, v);
	}
	assert_int_equal(m->count, 50000);
	assert_true(m->h[0].mask + 1 >= 50000);
	for (i = 0; i < 50000; i += 997) {
		snprintf(k, sizeof(k), "/p%d/%.*s", i, i % 7, "xxxxxxx");
		snprintf(v, sizeof(v), "%d", i);
		VAL(get(m, PX_MAP_STR, k), v);
		strcat(k, "zz");
		VAL(get(m, PX_MAP_BEG, k), v);
	}
	assert_null(get(m, PX_MAP_STR, "/p50000/"));
	for (i = 0; i < 50000; i += 2) {
		snprintf(k, sizeof(k), "/p%d/%.*s", i, i % 7, "xxxxxxx");
		assert_int_equal(px_map_del(m, k, strlen(k)), 1);
	}
	assert_int_equal(m->count, 25000);
	assert_null(get(m, PX_MAP_STR, "/p2/xx"));
	VAL(get(m, PX_MAP_STR, "/p3/xxx"), "3");
}

static void test_missing(void **state)
{
	char *err = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/none.map", tmpdir);
	assert_null(px_map_get(gen, path, PX_MAP_STR, PX_MAP_OUT_STR, &err));
	assert_non_null(strstr(err, "cannot open map file '"));
	assert_non_null(strstr(err, "none.map': No such file or directory"));
	assert_null(px_map_find(gen, path));
	free(err);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shared),
		T(test_add_del_set),
		T(test_typed_changes),
		T(test_methods),
		T(test_ip),
		T(test_int),
		T(test_large),
		T(test_missing),
	};
	char cmd[128];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/proxyd-unit-map.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
