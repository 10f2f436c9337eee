/* The HTTP/1.x exchange of a stream. */
#ifndef PX_PROTO_HTTP_H
#define PX_PROTO_HTTP_H

#include "proto/stream-t.h"

int px_http_setup(uint32_t bufsize, uint32_t maxhdr);
uint32_t px_http_after_local(struct px_stream *s, char *msg, uint32_t len, uint32_t room);
void px_http_process(struct px_stream *s);
void px_http_start(struct px_stream *s);

#endif
