/* Streams: one request/response exchange (HTTP) or one TCP session. */
#ifndef PX_PROTO_STREAM_H
#define PX_PROTO_STREAM_H

#include "proto/stream-t.h"

struct px_srvconn;

int px_stream_setup(uint32_t maxhdr, uint32_t logurilen);
struct px_stream *px_stream_new(struct px_sess *sess);
void px_stream_free(struct px_stream *s);
void px_stream_leave_backend(struct px_stream *s);
void px_stream_process(struct px_stream *s);
void px_stream_wake(struct px_stream *s);
void px_stream_term(struct px_stream *s, char cause, char phase);
void px_stream_log(struct px_stream *s);

int px_stream_srv_step(struct px_stream *s);
void px_stream_srv_retry_fresh(struct px_stream *s);

/* Drops the request bytes already sent from the client buffer. */
void px_stream_req_consume_sent(struct px_stream *s);

/* Follows a deferred Fast Open connection (PX_CF_TFO) until it is made.
 * Returns 1 once made (the request bytes kept for a resend are let go),
 * 0 while not yet, -1 when it failed or <timeout> (the connect deadline)
 * passed first: the attempt counts as a failed connect (retried, or a
 * 503 is set) and the request goes again from its first byte.
 */
int px_stream_tfo_step(struct px_stream *s, int timeout);
void px_stream_srv_detach(struct px_stream *s, int keep);
void px_stream_local(struct px_stream *s, int status, char cause, char phase);
void px_stream_local_dyn(struct px_stream *s, int status, char cause, char phase,
                         const char *data, uint32_t len, int keep);
void px_captures_free(struct px_stream *s);
uint32_t px_stream_queue_grab(struct px_server *srv);
uint32_t px_stream_requeue_srv(struct px_server *srv);

/* Rounds of transfer a stream makes in one turn of the event loop before
 * it lets the others run: about 512 KiB each way with 16 KiB buffers. A
 * stream whose both sockets stay ready (a large body on loopback) would
 * otherwise keep the loop, and its clock, to itself until the transfer
 * ends.
 */
#define PX_STREAM_ROUNDS 32

extern uint32_t px_stream_maxhdr;   /* header lines per message */
extern uint32_t px_stream_logurilen;

#endif
