/* tkstr-t.h: types shared by the testkit string helpers (see tkstr.h). */
#ifndef TK_TKSTR_T_H
#define TK_TKSTR_T_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. It always keeps one spare byte so that data[len]
 * can be set to '\0' for code that wants a C string, but the contents are
 * binary-safe: len is the truth, not strlen().
 */
struct tk_buf {
	char *data;      /* heap storage, NULL until the first append */
	size_t len;      /* bytes in use */
	size_t cap;      /* bytes allocated */
};

/* Initial value of a 64-bit FNV-1a hash (see tk_hash()). */
#define TK_HASH_INIT 0xcbf29ce484222325ULL

#endif
