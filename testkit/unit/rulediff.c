/* Unit tests of pxsh/rulediff.c: the socket edits "edit rules" sends to
 * turn a proxy's rules into the list the user edited. Exact edit lists for
 * the common cases, then random edits applied by a model of the socket
 * (ids stay with their rule, "add after/before" anchor on an id), whose
 * result must be the edited list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pxsh-t.h"
#include "pxsh.h"

/* Runs the diff and writes the edits one per line: "del ID", "replace ID
 * TEXT", "after ID TEXT", "before ID TEXT", "end TEXT".
 */
static void diff_str(const char *const *ids, const char *const *old, int nold,
		     const char *const *new, int nnew, char *out, size_t size)
{
	struct rule_op *ops = NULL;
	int n = px_sh_rules_diff(ids, old, nold, new, nnew, &ops), i;
	size_t len = 0;

	assert_true(n >= 0);
	out[0] = 0;
	for (i = 0; i < n; i++) {
		static const char *const names[] = {
			[RULE_OP_DEL] = "del", [RULE_OP_REPLACE] = "replace",
			[RULE_OP_ADD_AFTER] = "after", [RULE_OP_ADD_BEFORE] = "before",
			[RULE_OP_ADD_END] = "end",
		};

		len += (size_t)snprintf(out + len, size - len, "%s%s%s%s%s\n", names[ops[i].kind],
					ops[i].id ? " " : "", ops[i].id ? ops[i].id : "",
					ops[i].text ? " " : "", ops[i].text ? ops[i].text : "");
		assert_true(len < size);
	}
	free(ops);
}

static const char *const ids3[] = { "1", "2", "3" };
static const char *const abc[] = { "a", "b", "c" };

static void test_unchanged(void **state)
{
	char out[1024];

	diff_str(ids3, abc, 3, abc, 3, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_change_one(void **state)
{
	const char *const new[] = { "a", "B", "c" };
	char out[1024];

	diff_str(ids3, abc, 3, new, 3, out, sizeof(out));
	assert_string_equal(out, "replace 2 B\n");
}

static void test_delete_middle(void **state)
{
	const char *const new[] = { "a", "c" };
	char out[1024];

	diff_str(ids3, abc, 3, new, 2, out, sizeof(out));
	assert_string_equal(out, "del 2\n");
}

static void test_insert_middle_keeps_order(void **state)
{
	const char *const new[] = { "a", "x", "y", "b", "c" };
	char out[1024];

	/* Each goes right after rule 1: the last one first. */
	diff_str(ids3, abc, 3, new, 5, out, sizeof(out));
	assert_string_equal(out, "after 1 y\nafter 1 x\n");
}

static void test_insert_first(void **state)
{
	const char *const new[] = { "x", "y", "a", "b", "c" };
	char out[1024];

	diff_str(ids3, abc, 3, new, 5, out, sizeof(out));
	assert_string_equal(out, "before 1 x\nbefore 1 y\n");
}

static void test_append(void **state)
{
	const char *const new[] = { "a", "b", "c", "d" };
	char out[1024];

	diff_str(ids3, abc, 3, new, 4, out, sizeof(out));
	assert_string_equal(out, "after 3 d\n");
}

static void test_into_empty(void **state)
{
	const char *const new[] = { "x", "y" };
	char out[1024];

	diff_str(NULL, NULL, 0, new, 2, out, sizeof(out));
	assert_string_equal(out, "end x\nend y\n");
}

static void test_delete_all(void **state)
{
	char out[1024];

	diff_str(ids3, abc, 3, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "del 1\ndel 2\ndel 3\n");
}

static void test_replace_and_grow(void **state)
{
	const char *const new[] = { "a", "B", "B2", "c" };
	char out[1024];

	/* b changed and one more line after it: a replace keeps rule 2's
	 * place, the new line goes after it.
	 */
	diff_str(ids3, abc, 3, new, 4, out, sizeof(out));
	assert_string_equal(out, "replace 2 B\nafter 2 B2\n");
}

static void test_replace_and_shrink(void **state)
{
	const char *const ids5[] = { "1", "2", "3", "4", "5" };
	const char *const old[] = { "a", "b", "c", "d", "e" };
	const char *const new[] = { "a", "X", "e" };
	char out[1024];

	diff_str(ids5, old, 5, new, 3, out, sizeof(out));
	assert_string_equal(out, "replace 2 X\ndel 3\ndel 4\n");
}

static void test_moved_line(void **state)
{
	const char *const new[] = { "b", "c", "a" };
	char out[1024];

	diff_str(ids3, abc, 3, new, 3, out, sizeof(out));
	assert_string_equal(out, "del 1\nafter 3 a\n");
}

/* A model of the socket's rule list: ids stay with their rule. */
struct model {
	char ids[64][16];
	char texts[64][8];
	int n;
	int next_id;
};

static int model_find(const struct model *m, const char *id)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->ids[i], id))
			return i;
	fail_msg("unknown id %s", id);
	return -1;
}

static void model_insert(struct model *m, int at, const char *text)
{
	assert_true(m->n < 64);
	memmove(m->ids[at + 1], m->ids[at], sizeof(m->ids[0]) * (size_t)(m->n - at));
	memmove(m->texts[at + 1], m->texts[at], sizeof(m->texts[0]) * (size_t)(m->n - at));
	snprintf(m->ids[at], sizeof(m->ids[at]), "%d", m->next_id++);
	snprintf(m->texts[at], sizeof(m->texts[at]), "%s", text);
	m->n++;
}

static void model_apply(struct model *m, const struct rule_op *op)
{
	int i;

	switch (op->kind) {
	case RULE_OP_DEL:
		i = model_find(m, op->id);
		memmove(m->ids[i], m->ids[i + 1], sizeof(m->ids[0]) * (size_t)(m->n - i - 1));
		memmove(m->texts[i], m->texts[i + 1], sizeof(m->texts[0]) * (size_t)(m->n - i - 1));
		m->n--;
		break;
	case RULE_OP_REPLACE:
		i = model_find(m, op->id);
		snprintf(m->texts[i], sizeof(m->texts[i]), "%s", op->text);
		break;
	case RULE_OP_ADD_AFTER:
		model_insert(m, model_find(m, op->id) + 1, op->text);
		break;
	case RULE_OP_ADD_BEFORE:
		model_insert(m, model_find(m, op->id), op->text);
		break;
	case RULE_OP_ADD_END:
		model_insert(m, m->n, op->text);
		break;
	}
}

static void test_random_edits(void **state)
{
	static const char *const words[] = { "a", "b", "c", "d", "e" };
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 3000; round++) {
		struct model m = { .next_id = 1000 };
		const char *ids[16], *old[16], *new[16];
		struct rule_op *ops = NULL;
		int nold, nnew, i, n;

		seed = seed * 1103515245 + 12345;
		nold = (int)(seed >> 16) % 9;
		seed = seed * 1103515245 + 12345;
		nnew = (int)(seed >> 16) % 9;
		for (i = 0; i < nold; i++) {
			seed = seed * 1103515245 + 12345;
			snprintf(m.ids[i], sizeof(m.ids[i]), "%d", i + 1);
			snprintf(m.texts[i], sizeof(m.texts[i]), "%s", words[(seed >> 16) % 5]);
		}
		m.n = nold;
		for (i = 0; i < nold; i++) {
			ids[i] = strdup(m.ids[i]);
			old[i] = strdup(m.texts[i]);
		}
		for (i = 0; i < nnew; i++) {
			seed = seed * 1103515245 + 12345;
			new[i] = words[(seed >> 16) % 5];
		}
		n = px_sh_rules_diff(ids, old, nold, new, nnew, &ops);
		assert_true(n >= 0);
		for (i = 0; i < n; i++)
			model_apply(&m, &ops[i]);
		assert_int_equal(m.n, nnew);
		for (i = 0; i < nnew; i++)
			assert_string_equal(m.texts[i], new[i]);
		/* Never more edits than lines touched. */
		assert_true(n <= nold + nnew);
		free(ops);
		for (i = 0; i < nold; i++) {
			free((char *)ids[i]);
			free((char *)old[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_change_one),
		cmocka_unit_test(test_delete_middle),
		cmocka_unit_test(test_insert_middle_keeps_order),
		cmocka_unit_test(test_insert_first),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_into_empty),
		cmocka_unit_test(test_delete_all),
		cmocka_unit_test(test_replace_and_grow),
		cmocka_unit_test(test_replace_and_shrink),
		cmocka_unit_test(test_moved_line),
		cmocka_unit_test(test_random_edits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
