/* The difference between a proxy's rules and the list the user edited, as
 * the socket edits that turn one into the other ("edit rules", rules.c).
 * Pure computation on strings: no I/O, no socket, so the unit test
 * (testkit/unit/rulediff.c) links this file alone.
 *
 * Lines are matched by a longest common subsequence, after trimming the
 * common head and tail. Between two matched lines, the old lines left are
 * paired by position with the new ones: a pair becomes a "replace" (the
 * rule keeps its id and its place), old lines beyond become "del", new
 * lines beyond become "add", anchored to a rule that survives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pxsh-t.h"
#include "pxsh.h"

/* Past this many cells the LCS table is not built: the middle part is then
 * compared by position only (every old line replaced in turn). Rule lists
 * are short; this only bounds memory (16 MB) for absurd inputs.
 */
#define LCS_MAX_CELLS (4u << 20)

struct ops_out {
	struct rule_op *v;
	int n;
	int cap;
};

static int push(struct ops_out *o, enum rule_op_kind kind, const char *id, const char *text)
{
	if (o->n == o->cap) {
		int cap = o->cap ? o->cap * 2 : 16;
		struct rule_op *v = realloc(o->v, sizeof(*v) * (size_t)cap);

		if (!v)
			return -1;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = (struct rule_op){ .kind = kind, .id = id, .text = text };
	return 0;
}

/* Emits the edits of one hunk: old lines [i0, i1) became new lines
 * [j0, j1). Old line i0 - 1, if any, survives unchanged, and so does
 * old line i1 if i1 < nold.
 */
static int hunk(struct ops_out *o, const char *const *old_ids, int nold,
		const char *const *new_texts, int i0, int i1, int j0, int j1)
{
	int k = i1 - i0, l = j1 - j0, r = k < l ? k : l, t;

	for (t = 0; t < r; t++)
		if (push(o, RULE_OP_REPLACE, old_ids[i0 + t], new_texts[j0 + t]) < 0)
			return -1;
	for (t = r; t < k; t++)
		if (push(o, RULE_OP_DEL, old_ids[i0 + t], NULL) < 0)
			return -1;
	if (l <= k)
		return 0;
	if (i0 + r > 0) {
		/* After the last surviving rule before them: each new rule is
		 * put right after the anchor, so they go in reverse order.
		 */
		const char *anchor = old_ids[i0 + r - 1];

		for (t = j1 - 1; t >= j0 + r; t--)
			if (push(o, RULE_OP_ADD_AFTER, anchor, new_texts[t]) < 0)
				return -1;
	} else if (i1 < nold) {
		for (t = j0; t < j1; t++)
			if (push(o, RULE_OP_ADD_BEFORE, old_ids[i1], new_texts[t]) < 0)
				return -1;
	} else {
		for (t = j0; t < j1; t++)
			if (push(o, RULE_OP_ADD_END, NULL, new_texts[t]) < 0)
				return -1;
	}
	return 0;
}

/* Computes the edits that turn the old rules (<nold> ids and texts) into
 * <new_texts> (<nnew> lines). On success returns the number of edits and
 * sets *ops to a malloc'ed array the caller frees; the ids and texts in it
 * point into the arguments. Returns -1 when out of memory.
 */
int px_sh_rules_diff(const char *const *old_ids, const char *const *old_texts, int nold,
		     const char *const *new_texts, int nnew, struct rule_op **ops)
{
	struct ops_out o = { 0 };
	uint32_t *lcs = NULL;
	int head = 0, tail = 0, a, b, i, j, pi, pj;

	while (head < nold && head < nnew && !strcmp(old_texts[head], new_texts[head]))
		head++;
	while (tail < nold - head && tail < nnew - head &&
	       !strcmp(old_texts[nold - 1 - tail], new_texts[nnew - 1 - tail]))
		tail++;
	a = nold - head - tail;
	b = nnew - head - tail;

	if (a > 0 && b > 0 && (size_t)(a + 1) * (size_t)(b + 1) <= LCS_MAX_CELLS) {
		/* lcs[i][j]: length of the LCS of old[head+i..] and new[head+j..]
		 * (within the middle part), so the walk below goes forward.
		 */
		lcs = calloc((size_t)(a + 1) * (size_t)(b + 1), sizeof(*lcs));
		if (!lcs)
			return -1;
#define L(x, y) lcs[(size_t)(x) * (size_t)(b + 1) + (size_t)(y)]
		for (i = a - 1; i >= 0; i--)
			for (j = b - 1; j >= 0; j--) {
				if (!strcmp(old_texts[head + i], new_texts[head + j]))
					L(i, j) = L(i + 1, j + 1) + 1;
				else
					L(i, j) = L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
			}
	}

	/* Walk the middle part: pi/pj is where the pending hunk starts. */
	i = j = 0;
	pi = pj = 0;
	while (lcs && i < a && j < b) {
		if (!strcmp(old_texts[head + i], new_texts[head + j]) &&
		    L(i, j) == L(i + 1, j + 1) + 1) {
			if ((pi < i || pj < j) &&
			    hunk(&o, old_ids, nold, new_texts, head + pi, head + i,
				 head + pj, head + j) < 0)
				goto fail;
			i++;
			j++;
			pi = i;
			pj = j;
		} else if (L(i + 1, j) >= L(i, j + 1)) {
			i++;
		} else {
			j++;
		}
	}
#undef L
	if ((pi < a || pj < b) &&
	    hunk(&o, old_ids, nold, new_texts, head + pi, head + a, head + pj, head + b) < 0)
		goto fail;
	free(lcs);
	*ops = o.v;
	return o.n;
fail:
	free(lcs);
	free(o.v);
	return -1;
}
