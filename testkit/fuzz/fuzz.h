/* Helpers shared by the libFuzzer targets of testkit/fuzz/: invariant
 * checks that survive -DNDEBUG and print what failed, a small PRNG seeded
 * from the input to choose split points, and "exact length" windows over
 * a buffer so that ASAN reports any read past the length a parser was
 * given. Header only: each target is one translation unit.
 */
#ifndef PX_FUZZ_H
#define PX_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sanitizer/asan_interface.h>

/* An invariant: on failure, print where and what, then abort() so that
 * libFuzzer records the input as a crash.
 */
#define CHECK(cond, ...) do {                                                 \
	if (!(cond)) {                                                        \
		fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,    \
		        __LINE__, #cond);                                     \
		fprintf(stderr, __VA_ARGS__);                                 \
		fputc('\n', stderr);                                          \
		abort();                                                      \
	}                                                                     \
} while (0)

/* xorshift64*, enough to spread split points deterministically. */
struct fz_rng {
	uint64_t s;
};

static inline void fz_rng_seed(struct fz_rng *r, uint64_t seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (!r->s)
		r->s = 1;
}

static inline uint32_t fz_rng_next(struct fz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545f4914f6cdd1dULL) >> 32);
}

/* A number in [lo, hi]. */
static inline uint32_t fz_rng_range(struct fz_rng *r, uint32_t lo, uint32_t hi)
{
	return lo + fz_rng_next(r) % (hi - lo + 1);
}

/* Makes bytes [len, size) of the heap block <buf> (of <size> bytes)
 * unreadable, so that the parser sees exactly <len> bytes; fz_window_open
 * undoes it. The block's own end is guarded by the ASAN redzone.
 */
static inline void fz_window_close(const char *buf, size_t len, size_t size)
{
	if (len < size)
		ASAN_POISON_MEMORY_REGION(buf + len, size - len);
}

static inline void fz_window_open(const char *buf, size_t len, size_t size)
{
	if (len < size)
		ASAN_UNPOISON_MEMORY_REGION(buf + len, size - len);
}

#endif
