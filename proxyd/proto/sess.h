/* Client sessions: accepted connections between and around streams. */
#ifndef PX_PROTO_SESS_H
#define PX_PROTO_SESS_H

#include "core/list.h"
#include "core/net-t.h"
#include "proto/sess-t.h"

struct px_listener;
struct px_stream;
struct px_srvconn;

/* How a stream leaves its session. */
enum px_sess_end {
	PX_SESS_END_KEEP = 0,   /* wait for the next request */
	PX_SESS_END_CLOSE,      /* close gracefully (shutdown, drain, close) */
	PX_SESS_END_SILENT,     /* close at once without sending anything */
	PX_SESS_END_ABORT,      /* reset the connection */
};

extern uint32_t px_actconn;
extern uint32_t px_global_maxconn;
extern int px_stopping;

int px_sess_init(struct px_loop *loop);
struct px_loop *px_sess_loop(void);
int px_sess_full(const struct px_listener *li);
void px_sess_accept(struct px_listener *li, int fd, const union px_sockaddr *addr,
                    socklen_t len);
void px_sess_accept_pressure(struct px_listener *li);
void px_sess_set_timer(struct px_sess *sess, uint64_t expire);
int px_sess_poll(struct px_sess *sess, int want_read, int want_write);
void px_sess_stream_done(struct px_sess *sess, struct px_stream *s, enum px_sess_end how);
int px_sess_stopping(const struct px_sess *sess);
void px_sess_soft_stop(void);
void px_sess_close_all(void);
uint32_t px_sess_count(void);

/* A position in the list of sessions (see px_sess_cursor_start()). */
struct px_sess_cursor {
	struct px_list link;
	struct px_sess *next;
};

void px_sess_cursor_start(struct px_sess_cursor *cur);
struct px_sess *px_sess_cursor_next(struct px_sess_cursor *cur);
void px_sess_cursor_stop(struct px_sess_cursor *cur);
struct px_sess *px_sess_by_id(uint64_t id);
void px_sess_kill(struct px_sess *sess);

void px_sess_keep_srvconn(struct px_sess *sess, struct px_srvconn *sc);
struct px_srvconn *px_sess_take_srvconn(struct px_sess *sess);
void px_sess_drop_srvconn(struct px_sess *sess);
void px_sess_srvconn_lost(struct px_srvconn *sc);

#endif
