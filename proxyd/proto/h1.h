/* HTTP/1.x head parser and framing helpers. Stateless apart from the
 * caller's px_h1_msg; zero-copy: it only records offsets into the caller's
 * bytes. It does not allocate and does not know about connections.
 */
#ifndef PX_PROTO_H1_H
#define PX_PROTO_H1_H

#include <stddef.h>
#include "proto/h1-t.h"

extern const uint8_t px_h1_tchar[256];

/* <s> is a token (a header name, a method): one or more token characters. */
static inline int px_h1_is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!px_h1_tchar[(unsigned char)*s])
			return 0;
	return 1;
}

void px_h1_msg_init(struct px_h1_msg *m, int is_req, struct px_h1_hdr *hdr,
                    uint16_t maxhdr);
int px_h1_parse(struct px_h1_msg *m, const char *buf, uint32_t len);

int px_h1_parse_clen(const char *v, size_t len, uint64_t *out);
int px_h1_parse_te(const char *v, size_t len, struct px_h1_te *te);

void px_h1_chunk_init(struct px_h1_chunk *c);
int px_h1_chunk_parse(struct px_h1_chunk *c, const char *p, uint32_t len);

int px_h1_token_in_list(const char *list, size_t len, const char *tok);
int px_strncaseeq(const char *a, size_t alen, const char *b);

#endif
