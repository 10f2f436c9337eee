/* The HTTP/1.x exchange of a stream. */
#ifndef PX_PROTO_HTTP_H
#define PX_PROTO_HTTP_H

#include "proto/stream-t.h"

int px_http_setup(uint32_t bufsize, uint32_t maxhdr);
uint32_t px_http_after_local(struct px_stream *s, char *msg, uint32_t len, uint32_t room);
void px_http_process(struct px_stream *s);
void px_http_start(struct px_stream *s);

/* What a dry run of a request found ("trace request"). */
struct px_proxy;
struct px_server;
struct px_gen;
struct px_trace_result {
	int local;                  /* proxyd answers itself */
	uint16_t status;            /* ... with this status */
	const char *resp;           /* ... and these bytes (head and body) */
	uint32_t resp_len;
	const struct px_proxy *be;  /* the backend, NULL when none */
	const struct px_server *srv;/* the server, NULL when none */
	const char *srv_how;        /* how the server was chosen, or why none */
	const char *req;            /* the request head as it would be sent */
	uint32_t req_len;
};

int px_http_trace(struct px_gen *gen, struct px_proxy *fe, const char *raw, size_t len,
                  void (*done)(void *arg, const struct px_trace_result *r), void *arg,
                  char **err);

#endif
