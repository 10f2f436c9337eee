/* The HTTP/1.x exchange of a stream. */
#ifndef PX_PROTO_HTTP_H
#define PX_PROTO_HTTP_H

#include "proto/stream-t.h"

int px_http_setup(uint32_t bufsize);
void px_http_process(struct px_stream *s);
void px_http_start(struct px_stream *s);

#endif
