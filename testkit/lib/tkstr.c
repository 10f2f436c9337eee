/* tkstr.c: the small string utilities every testkit tool needs.
 *
 * Owns: growable byte buffers, C-escape decoding (scenario strings, fakesrv
 * bodies) and encoding (showing received bytes in reports), duration, time
 * window and size parsing, the deterministic body pattern that fakesrv
 * --body-size sends and pxtest body-size uploads, and the running body hash.
 * It does not know about HTTP (tkh1.c) or sockets.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tkstr.h"

/* Makes room for at least room more bytes (plus the spare NUL byte).
 * Returns 0, or -1 when out of memory (the buffer is left untouched).
 */
int tk_buf_reserve(struct tk_buf *b, size_t room)
{
	size_t need = b->len + room + 1;
	size_t cap = b->cap ? b->cap : 64;
	char *p;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int tk_buf_add(struct tk_buf *b, const void *p, size_t n)
{
	if (tk_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int tk_buf_addc(struct tk_buf *b, char c)
{
	return tk_buf_add(b, &c, 1);
}

int tk_buf_adds(struct tk_buf *b, const char *s)
{
	return tk_buf_add(b, s, strlen(s));
}

int tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || tk_buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Drops the first n bytes (a read cursor would be faster, but the buffers
 * that use this are small or drained whole).
 */
void tk_buf_consume(struct tk_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* Returns the contents as a NUL-terminated string ("" when empty). */
const char *tk_buf_str(struct tk_buf *b)
{
	if (!b->data)
		return "";
	b->data[b->len] = '\0';
	return b->data;
}

void tk_buf_free(struct tk_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The single-character escapes, as a table so encoder and decoder agree. */
static const struct {
	char esc;        /* letter after the backslash */
	char byte;       /* byte it stands for */
} esc_table[] = {
	{ .esc = 'r', .byte = '\r' },
	{ .esc = 'n', .byte = '\n' },
	{ .esc = 't', .byte = '\t' },
	{ .esc = '\\', .byte = '\\' },
	{ .esc = '"', .byte = '"' },
	{ .esc = '\'', .byte = '\'' },
	{ .esc = '0', .byte = '\0' },
	{ .esc = '/', .byte = '/' },     /* so quoted /regexes/ may escape '/' */
};

/* Decodes the C escapes \r \n \t \\ \" \' \xHH \0 of s[0..n) and appends the
 * bytes to out. Returns 0, or -1 with *err set to a static message.
 */
int tk_unescape(const char *s, size_t n, struct tk_buf *out, const char **err)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c != '\\') {
			if (tk_buf_addc(out, c) < 0)
				goto fail_mem;
			continue;
		}
		if (++i >= n) {
			*err = "backslash at end of string";
			return -1;
		}
		c = s[i];
		if (c == 'x') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				*err = "\\x needs two hex digits";
				return -1;
			}
			if (tk_buf_addc(out, (char)(hi * 16 + lo)) < 0)
				goto fail_mem;
			i += 2;
			continue;
		}
		for (k = 0; k < sizeof(esc_table) / sizeof(esc_table[0]); k++)
			if (esc_table[k].esc == c)
				break;
		if (k == sizeof(esc_table) / sizeof(esc_table[0])) {
			*err = "unknown escape (use \\r \\n \\t \\\\ \\\" \\' \\/ \\xHH \\0)";
			return -1;
		}
		if (tk_buf_addc(out, esc_table[k].byte) < 0)
			goto fail_mem;
	}
	return 0;
fail_mem:
	*err = "out of memory";
	return -1;
}

/* Appends p[0..n) to out in C-escaped form: printable ASCII as is, \r \n \t
 * \\ \" by name, everything else as \xHH. At most max input bytes are shown
 * (0: no limit); the rest is summarised as "...(N more bytes)".
 */
int tk_escape(struct tk_buf *out, const void *p, size_t n, size_t max)
{
	const unsigned char *s = p;
	size_t shown = (max && n > max) ? max : n;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < shown && rc == 0; i++) {
		unsigned char c = s[i];

		for (k = 0; k < sizeof(esc_table) / sizeof(esc_table[0]); k++)
			if (esc_table[k].byte == (char)c && c != '\'' && c != '\0' && c != '/')
				break;
		if (k < sizeof(esc_table) / sizeof(esc_table[0])) {
			char e[2] = { '\\', esc_table[k].esc };

			rc = tk_buf_add(out, e, 2);
		} else if (c >= 0x20 && c < 0x7f) {
			rc = tk_buf_addc(out, (char)c);
		} else {
			rc = tk_buf_printf(out, "\\x%02x", c);
		}
	}
	if (rc == 0 && shown < n)
		rc = tk_buf_printf(out, "...(%zu more bytes)", n - shown);
	return rc;
}

/* Returns 1 when p[0..n) holds bytes that would not print as text. */
int tk_is_binary(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\r' && s[i] != '\n' && s[i] != '\t') ||
		    s[i] == 0x7f)
			return 1;
	return 0;
}

/* Duration units, longest suffix first so "ms" is not read as "m". */
static const struct {
	const char *suffix;
	double usec;
} dur_units[] = {
	{ .suffix = "us", .usec = 1 },
	{ .suffix = "ms", .usec = 1000 },
	{ .suffix = "s", .usec = 1000000 },
	{ .suffix = "m", .usec = 60000000 },
	{ .suffix = "h", .usec = 3600000000.0 },
	{ .suffix = "", .usec = 1000 },   /* a bare number is milliseconds */
};

/* Parses "150ms", "2s", "1.5s", "500us", "1m", or a bare number of
 * milliseconds into microseconds. Returns 0, or -1 when malformed.
 */
int tk_parse_duration(const char *s, int64_t *usec)
{
	char *end;
	double v;
	size_t k;

	if (!*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return -1;
	for (k = 0; k < sizeof(dur_units) / sizeof(dur_units[0]); k++) {
		if (strcmp(end, dur_units[k].suffix) == 0) {
			*usec = (int64_t)(v * dur_units[k].usec + 0.5);
			return 0;
		}
	}
	return -1;
}

/* Parses a time window "MIN..MAX" of two durations. */
int tk_parse_window(const char *s, int64_t *min_us, int64_t *max_us)
{
	const char *dots = strstr(s, "..");
	char first[64];

	if (!dots || (size_t)(dots - s) >= sizeof(first))
		return -1;
	memcpy(first, s, (size_t)(dots - s));
	first[dots - s] = '\0';
	if (tk_parse_duration(first, min_us) < 0 ||
	    tk_parse_duration(dots + 2, max_us) < 0 || *max_us < *min_us)
		return -1;
	return 0;
}

/* Size suffixes (binary multiples), case-insensitive, with an optional
 * trailing "b"/"ib" so "40MB", "40m" and "40MiB" all read the same.
 */
static const struct {
	char letter;
	uint64_t mult;
} size_units[] = {
	{ .letter = 'k', .mult = 1ULL << 10 },
	{ .letter = 'm', .mult = 1ULL << 20 },
	{ .letter = 'g', .mult = 1ULL << 30 },
	{ .letter = 't', .mult = 1ULL << 40 },
};

/* Parses "N", "Nk", "Nm", "Ng" (also "NkB", "NMiB") into bytes. */
int tk_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;
	size_t k;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		for (k = 0; k < sizeof(size_units) / sizeof(size_units[0]); k++)
			if (tolower((unsigned char)*end) == size_units[k].letter)
				break;
		if (k < sizeof(size_units) / sizeof(size_units[0])) {
			mult = size_units[k].mult;
			end++;
			if (tolower((unsigned char)*end) == 'i')
				end++;
		}
		if (tolower((unsigned char)*end) == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (mult > 1 && v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* Writes a duration for humans: "850us", "12.3ms", "1.234s". */
int tk_fmt_duration(char *dst, size_t size, int64_t usec)
{
	if (usec < 0)
		usec = 0;   /* only clock skew could make one; show it as zero */
	if (usec < 1000)
		return snprintf(dst, size, "%lldus", (long long)usec);
	if (usec < 1000000)
		return snprintf(dst, size, "%.1fms", usec / 1000.0);
	return snprintf(dst, size, "%.3fs", usec / 1000000.0);
}

int64_t tk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Fills dst with n bytes of the generated body pattern starting at body
 * offset off: byte i of a generated body is 'a' + i % 26.
 */
void tk_gen_fill(char *dst, uint64_t off, size_t n)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz";
	size_t phase = (size_t)(off % 26);
	size_t i = 0;

	while (i < n) {
		size_t run = 26 - phase;

		if (run > n - i)
			run = n - i;
		memcpy(dst + i, alpha + phase, run);
		i += run;
		phase = 0;
	}
}

/* 64-bit FNV-1a over p[0..n), continuing from h (start with TK_HASH_INIT). */
uint64_t tk_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Returns the hash of the generated body of the given size. */
uint64_t tk_gen_hash(uint64_t size)
{
	char block[26 * 1024];
	uint64_t h = TK_HASH_INIT;
	uint64_t off = 0;

	tk_gen_fill(block, 0, sizeof(block));
	while (off < size) {
		size_t n = sizeof(block);

		/* block is a whole number of periods, so every slice is aligned */
		if (n > size - off)
			n = (size_t)(size - off);
		h = tk_hash(h, block, n);
		off += n;
	}
	return h;
}
