/* The last invalid request and response of each proxy ("show errors"). */
#ifndef PX_ADMIN_ERRCAP_H
#define PX_ADMIN_ERRCAP_H

#include <stdint.h>

struct px_stream;

/* Keeps <len> bytes of an invalid head of <s> (a request for its
 * frontend, a response for its backend); <err_pos> is the offset of the
 * offending byte, or -1 when the head as a whole was wrong.
 */
void px_errcap_add(const struct px_stream *s, int is_req, const char *data, uint32_t len,
                   int32_t err_pos, const char *msg);

#endif
