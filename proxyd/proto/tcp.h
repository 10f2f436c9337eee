/* Raw forwarding: TCP mode and HTTP tunnels (upgrade, CONNECT). */
#ifndef PX_PROTO_TCP_H
#define PX_PROTO_TCP_H

#include "proto/stream-t.h"

void px_tcp_start(struct px_stream *s);
void px_tcp_process(struct px_stream *s);

/* Closes the kernel pipes of a stream that spliced (option splice-*). */
void px_tcp_splice_free(struct px_stream *s);

#endif
