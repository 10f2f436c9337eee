/* String and number helpers: error message formatting, time and size
 * parsing with HAProxy's units, "did you mean" suggestions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/util.h"

/* Replaces *out (freed) with a newly allocated formatted string. A NULL
 * <out> discards the message. On memory exhaustion *out becomes a static
 * message so that an error is never silently lost.
 */
void px_strfmt(char **out, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!out)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*out);
	*out = s ? s : strdup("out of memory");
}

/* Parses a time with an optional unit (us, ms, s, m, h, d; ms by default)
 * into milliseconds, rounding microseconds up. Returns 0, or -1 with a
 * message in <err>.
 */
int px_parse_time(const char *s, uint64_t *ms, char **err)
{
	static const struct { const char *unit; uint64_t num, den; } units[] = {
		{ "us", 1, 1000 }, { "ms", 1, 1 }, { "s", 1000, 1 },
		{ "m", 60000, 1 }, { "h", 3600000, 1 }, { "d", 86400000, 1 },
		{ "", 1, 1 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (*s < '0' || *s > '9') {
		px_strfmt(err, "invalid time value '%s' (a number with an optional unit "
		          "us, ms, s, m, h or d is expected)", s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno) {
		px_strfmt(err, "time value '%s' is too large", s);
		return -1;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > UINT64_MAX / 1000 || v / units[i].den > (UINT64_C(1) << 40) / units[i].num) {
			px_strfmt(err, "time value '%s' is too large (at most 24 days)", s);
			return -1;
		}
		*ms = (v * units[i].num + units[i].den - 1) / units[i].den;
		if (*ms > INT32_MAX) {
			px_strfmt(err, "time value '%s' is too large (at most 24 days)", s);
			return -1;
		}
		return 0;
	}
	px_strfmt(err, "invalid unit '%s' in time value '%s' (us, ms, s, m, h or d)",
	          end, s);
	return -1;
}

/* Parses a decimal unsigned integer no larger than <max>. Returns 0 or -1. */
int px_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses a size with an optional k, m or g suffix (powers of 1024). */
int px_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	uint64_t mult = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end | 0x20) {
	case 'k': mult = 1024; end++; break;
	case 'm': mult = 1024 * 1024; end++; break;
	case 'g': mult = 1024 * 1024 * 1024; end++; break;
	}
	if (*end && strcmp(end, "b") && strcmp(end, "B"))
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* Returns the entry of <list> closest to <word> by edit distance when it is
 * close enough to be a likely typo, else NULL.
 */
const char *px_closest(const char *word, const char *const *list, int n)
{
	const char *best = NULL;
	unsigned best_d = 99;
	int i;

	for (i = 0; i < n; i++) {
		unsigned d;

		if (!list[i])
			continue;
		d = edit_distance(word, list[i]);
		if (d < best_d) {
			best_d = d;
			best = list[i];
		}
	}
	if (best && best_d <= 1 + strlen(word) / 4)
		return best;
	return NULL;
}

/* Writes <v> in decimal to <out> (no terminating NUL). Returns the length. */
size_t px_utoa(uint64_t v, char *out)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Opens <path> for reading a configuration-referenced file (ACL patterns,
 * maps, response bodies). Only a regular file is accepted: a FIFO would
 * block the loading (and a reload of the running process), a device such
 * as /dev/zero would never end. Returns the stream, or NULL with a message
 * in <err> that names the file.
 */
FILE *px_open_regular(const char *path, const char *what, char **err)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		px_strfmt(err, "cannot open %s '%s': %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		px_strfmt(err, "%s '%s' is not a regular file", what, path);
		close(fd);
		return NULL;
	}
	/* Reads of a regular file never block: O_NONBLOCK may stay. */
	f = fdopen(fd, "r");
	if (!f) {
		px_strfmt(err, "cannot open %s '%s': %s", what, path, strerror(errno));
		close(fd);
	}
	return f;
}
