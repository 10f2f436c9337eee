/* A message head as the rules see it: the start line in three parts and
 * the header fields as pointers, either into the receive buffer (as
 * parsed) or into a per-message arena (rewritten). Rules read and edit this
 * view; the head sent on is built from it.
 */
#ifndef PX_PROTO_HMSG_H
#define PX_PROTO_HMSG_H

#include <stddef.h>
#include <stdint.h>

struct px_hfield {
	const char *n;
	const char *v;
	uint32_t nl;           /* 0: the field was deleted */
	uint32_t vl;
	uint32_t h;            /* hash of the lower-cased name (PX_HM_HASHED) */
	int32_t nx;            /* next field in the same hash bucket, or -1 */
};

#define PX_HM_BUCKETS 64

/* Start line parts. */
#define PX_SL_METH   0     /* request: method */
#define PX_SL_URI    1     /* request: target */
#define PX_SL_VER    2     /* request: version */
#define PX_SL_RVER   0     /* response: version */
#define PX_SL_CODE   1     /* response: status code */
#define PX_SL_REASON 2     /* response: reason phrase */

/* Flags. */
#define PX_HM_SL_CHANGED   0x01   /* the start line was rewritten */
#define PX_HM_HDR_CHANGED  0x02   /* a header field was added, changed or deleted */
#define PX_HM_HASHED       0x04   /* every field's <h> is set */

struct px_hmsg {
	uint8_t is_req;
	uint8_t flags;         /* PX_HM_* */
	uint16_t status;       /* response: status code */
	const char *sl[3];
	uint32_t sll[3];
	const char *line;      /* start line as received, sent when unchanged */
	uint32_t line_len;
	uint32_t nhdr;         /* fields used in hdr[], deleted ones included */
	uint32_t maxhdr;
	struct px_hfield *hdr;
	int32_t first[PX_HM_BUCKETS]; /* first field of each hash bucket */
	char *arena;           /* bytes of rewritten values */
	uint32_t arena_used;
	uint32_t arena_size;
};

struct px_h1_msg;

/* Thread-local views for the request and the response being analysed. */
struct px_hmsg *px_hmsg_req(void);
struct px_hmsg *px_hmsg_res(void);
int px_hmsg_setup(uint32_t maxhdr, uint32_t arena_size);

void px_hmsg_load(struct px_hmsg *hm, const char *base, const struct px_h1_msg *m);

/* Index of the next field named <name> at or after <from>, or -1. The
 * _h form takes the name's px_hmsg_name_hash(), computed once ahead.
 */
int px_hmsg_find(const struct px_hmsg *hm, const char *name, size_t nlen, int from);
int px_hmsg_find_h(const struct px_hmsg *hm, const char *name, size_t nlen, uint32_t h,
                   int from);
uint32_t px_hmsg_name_hash(const char *n, size_t len);

char *px_hmsg_alloc(struct px_hmsg *hm, size_t len);
int px_hmsg_add(struct px_hmsg *hm, const char *n, size_t nl, const char *v, size_t vl);
/* Adds a field whose name is stable text (configuration) with its hash. */
int px_hmsg_add_const(struct px_hmsg *hm, const char *n, size_t nl, uint32_t h,
                      const char *v, size_t vl);
int px_hmsg_set_value(struct px_hmsg *hm, int idx, const char *v, size_t vl);
void px_hmsg_del(struct px_hmsg *hm, int idx);
int px_hmsg_set_sl(struct px_hmsg *hm, int part, const char *p, size_t len);
/* Replaces field <idx> whole (name and value already in the arena). */
void px_hmsg_set_field(struct px_hmsg *hm, int idx, const char *n, uint32_t nl,
                       const char *v, uint32_t vl);

/* Request target helpers: path without the query, and the query. */
void px_hmsg_path(const struct px_hmsg *hm, const char **p, uint32_t *len);
int px_hmsg_query(const struct px_hmsg *hm, const char **p, uint32_t *len);

#endif
