/* libFuzzer target: px_cfg_tokenize() (proxyd/cfg/cfg.c), the configuration
 * line tokenizer (quotes, escapes, \xNN, environment variables), with
 * small output buffers and word limits.
 *
 * Input: byte 0 chooses the output size (0..255), byte 1 the word limit
 * (0..15); the rest, up to its first NUL, is the line. The line, the
 * output buffer and the args array are each a heap block of exactly their
 * size, so a read or write outside them is an ASAN report.
 *
 * Checks: on success the count is within the limit, each word starts
 * inside the output buffer and ends with a NUL inside it, words do not
 * overlap and come in order, and no error message was set; on failure an
 * error message was set. A line that tokenizes with the small buffer
 * tokenizes to the same words with a large one (8192 bytes, 64 words, as
 * proxyd reads its files).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "fuzz.h"

#define BIG_OUT 8192

static void check_words(char **args, int nargs, const char *out, size_t outsz)
{
	const char *prev_end = out;
	int i;

	for (i = 0; i < nargs; i++) {
		const char *w = args[i], *nul;

		CHECK(w >= out && w < out + outsz, "word %d at offset %td of %zu", i, w - out,
		      outsz);
		CHECK(w >= prev_end, "word %d overlaps the previous one", i);
		nul = memchr(w, 0, out + outsz - w);
		CHECK(nul != NULL, "word %d has no NUL inside the buffer", i);
		prev_end = nul + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char big_out[BIG_OUT];
	char *big_args[PX_CFG_MAX_ARGS];
	size_t outsz, len;
	int maxargs, n, big_n, i;
	char *line, *out, **args, *err = NULL;

	if (size < 2)
		return 0;
	outsz = data[0];
	maxargs = data[1] & 0x0f;
	len = strnlen((const char *)data + 2, size - 2);
	if (len >= BIG_OUT / 2)
		return 0;   /* proxyd refuses such lines before tokenizing */
	line = malloc(len + 1);
	memcpy(line, data + 2, len);
	line[len] = 0;
	out = malloc(outsz);   /* the buffer ends where the block ends */
	args = malloc(sizeof(*args) * (size_t)maxargs);

	n = px_cfg_tokenize(line, out, outsz, args, maxargs, &err);
	CHECK(n >= -1 && n <= maxargs, "%d words with a limit of %d", n, maxargs);
	if (n < 0) {
		CHECK(err != NULL, "failure without a message");
	} else {
		CHECK(err == NULL, "success with a message: %s", err);
		check_words(args, n, out, outsz);
	}

	if (n >= 0) {
		char *big_err = NULL;

		big_n = px_cfg_tokenize(line, big_out, sizeof(big_out), big_args,
		                        PX_CFG_MAX_ARGS, &big_err);
		CHECK(big_n == n, "%d words with %zu bytes, %d with %d: %s", n, outsz, big_n,
		      BIG_OUT, big_err ? big_err : "");
		for (i = 0; i < n; i++)
			CHECK(!strcmp(args[i], big_args[i]), "word %d '%s' with %zu bytes, '%s' "
			      "with %d", i, args[i], outsz, big_args[i], BIG_OUT);
		free(big_err);
	}
	free(err);
	free(args);
	free(out);
	free(line);
	return 0;
}
