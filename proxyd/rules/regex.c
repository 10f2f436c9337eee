/* PCRE2 regular expressions for rules (see regex.h). Patterns are
 * compiled once when the configuration is loaded, JIT-compiled when the
 * platform allows, and matched with one match-data block per thread.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>
#include "cfg/cfg.h"
#include "core/util.h"
#include "rules/regex.h"

#define MAX_GROUPS 10   /* \0 to \9 */

struct px_regex {
	pcre2_code *code;
	int jit;
};

static __thread pcre2_match_data *md;

static void regex_free(void *arg)
{
	struct px_regex *re = arg;

	pcre2_code_free(re->code);
}

struct px_regex *px_regex_comp(struct px_gen *gen, const char *pattern, unsigned flags,
                               char **err)
{
	struct px_regex *re;
	PCRE2_SIZE erroff;
	int errcode;
	uint32_t opts = (flags & PX_RE_ICASE) ? PCRE2_CASELESS : 0;

	re = px_gen_alloc(gen, sizeof(*re));
	if (!re) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts,
	                         &errcode, &erroff, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		px_strfmt(err, "invalid regex '%s': %s at offset %zu", pattern,
		          (char *)msg, (size_t)erroff);
		return NULL;
	}
	px_gen_on_free(gen, regex_free, re);
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	return re;
}

static pcre2_match_data *match_data(void)
{
	if (!md)
		md = pcre2_match_data_create(MAX_GROUPS, NULL);
	return md;
}

static int run(const struct px_regex *re, const char *s, size_t len, size_t start)
{
	pcre2_match_data *d = match_data();

	if (!d)
		return -1;
	if (re->jit)
		return pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, start, 0, d, NULL);
	return pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, d, NULL);
}

int px_regex_exec(const struct px_regex *re, const char *s, size_t len)
{
	return run(re, s, len, 0) >= 0;
}

int px_regex_match(const struct px_regex *re, const char *s, size_t len, size_t start,
                   long *ov, int nov)
{
	PCRE2_SIZE *v;
	int rc = run(re, s, len, start), i;

	if (rc < 0)
		return 0;
	/* rc == 0: more groups than the match data holds; all of it is set. */
	if (rc == 0 || rc > MAX_GROUPS)
		rc = MAX_GROUPS;
	if (rc > nov)
		rc = nov;
	v = pcre2_get_ovector_pointer(md);
	for (i = 0; i < rc; i++) {
		ov[2 * i] = v[2 * i] == PCRE2_UNSET ? -1 : (long)v[2 * i];
		ov[2 * i + 1] = v[2 * i + 1] == PCRE2_UNSET ? -1 : (long)v[2 * i + 1];
	}
	return rc;
}

long px_regex_expand(const char *repl, size_t rlen, const char *s, const long *ov, int n,
                     char *out, size_t outsz)
{
	size_t o = 0, i;

	for (i = 0; i < rlen; i++) {
		const char *src = repl + i;
		size_t cnt = 1;

		if (repl[i] == '\\' && i + 1 < rlen) {
			char c = repl[i + 1];

			if (c >= '0' && c <= '9') {
				int g = c - '0';

				i++;
				if (g >= n || ov[2 * g] < 0)
					continue;
				src = s + ov[2 * g];
				cnt = ov[2 * g + 1] - ov[2 * g];
			} else {
				/* "\\" is a backslash; before anything else the
				 * backslash is dropped, as HAProxy does.
				 */
				i++;
				src = repl + i;
			}
		}
		if (o + cnt > outsz)
			return -1;
		memcpy(out + o, src, cnt);
		o += cnt;
	}
	return (long)o;
}

long px_regex_subst(const struct px_regex *re, const char *s, size_t len,
                    const char *repl, size_t rlen, int global, char *out, size_t outsz)
{
	long ov[2 * MAX_GROUPS];
	size_t pos = 0, o = 0;
	int n;

	while (pos <= len && (n = px_regex_match(re, s, len, pos, ov, MAX_GROUPS)) > 0) {
		size_t mstart = (size_t)ov[0], mend = (size_t)ov[1];
		long r;

		if (o + (mstart - pos) > outsz)
			return -1;
		memcpy(out + o, s + pos, mstart - pos);
		o += mstart - pos;
		r = px_regex_expand(repl, rlen, s, ov, n, out + o, outsz - o);
		if (r < 0)
			return -1;
		o += (size_t)r;
		if (mend == mstart) {
			/* An empty match: copy one byte and move past it. */
			if (mend < len) {
				if (o + 1 > outsz)
					return -1;
				out[o++] = s[mend];
			}
			pos = mend + 1;
		} else {
			pos = mend;
		}
		if (!global)
			break;
	}
	if (pos < len) {
		if (o + (len - pos) > outsz)
			return -1;
		memcpy(out + o, s + pos, len - pos);
		o += len - pos;
	}
	return (long)o;
}
