/* Regular expressions: PCRE2, compiled once at configuration time with the
 * JIT when available, and back-reference substitution ("\1" to "\9", as
 * HAProxy writes them).
 */
#ifndef PX_RULES_REGEX_H
#define PX_RULES_REGEX_H

#include <stddef.h>
#include <stdint.h>

struct px_gen;
struct px_regex;

#define PX_RE_ICASE 0x01

/* Compiles <pattern>; the code is freed with <gen>. Returns NULL with
 * PCRE2's message and the offending offset in <err>.
 */
struct px_regex *px_regex_comp(struct px_gen *gen, const char *pattern, unsigned flags,
                               char **err);

/* Tells whether <re> matches somewhere in <s>. */
int px_regex_exec(const struct px_regex *re, const char *s, size_t len);

/* Matches and leaves the capture offsets in <ov> (pairs of start and end,
 * <nov> pairs at most, -1 for groups that did not take part). Returns the
 * number of pairs set (>= 1), 0 when there is no match.
 */
int px_regex_match(const struct px_regex *re, const char *s, size_t len, size_t start,
                   long *ov, int nov);

/* Writes <repl> to <out> with "\N" replaced by group N of the last match
 * (<ov>, <n> pairs from px_regex_match() on <s>) and "\\" by a backslash.
 * Returns the length, or -1 when <outsz> is too small.
 */
long px_regex_expand(const char *repl, size_t rlen, const char *s, const long *ov, int n,
                     char *out, size_t outsz);

/* Replaces the matches of <re> in <s> by <repl> (with back-references)
 * into <out>: only the first unless <global>. Returns the length, or -1
 * when <outsz> is too small.
 */
long px_regex_subst(const struct px_regex *re, const char *s, size_t len,
                    const char *repl, size_t rlen, int global, char *out, size_t outsz);

#endif
