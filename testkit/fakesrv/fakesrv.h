/* fakesrv.h: functions shared between the fake server's files. */
#ifndef TK_FAKESRV_H
#define TK_FAKESRV_H

#include <sys/types.h>
#include "fakesrv-t.h"

extern struct fs_cfg fs_cfg;
extern uint64_t fs_nreq;     /* requests seen by the whole server */
extern uint64_t fs_nconn;    /* connections accepted */

/* resp.c */
int fs_resp_prepare(const char **err);
int fs_resp_start(struct fs_conn *c);
int fs_resp_fill(struct fs_conn *c);
void fs_resp_bad_request(struct fs_conn *c);

/* record.c */
int fs_record_open(const char *path);
void fs_record_conn(const struct fs_conn *c, int open);
void fs_record_req(const struct fs_conn *c, int incomplete);
void fs_print_head(const struct fs_conn *c, const char *p, size_t n);
void fs_print_body(const struct fs_conn *c, const char *p, size_t n);
void fs_print_event(const struct fs_conn *c, const char *what);
void fs_record_tls(const struct fs_conn *c, const char *facts);
void fs_record_tls_fail(const struct fs_conn *c, const char *reason);

/* tls.c */
int fs_tls_setup(const char **err);
int fs_tls_start(struct fs_conn *c);
int fs_tls_handshake(struct fs_conn *c);
ssize_t fs_tls_read(struct fs_conn *c, void *p, size_t n);
ssize_t fs_tls_write(struct fs_conn *c, const void *p, size_t n);
int fs_tls_pending(const struct fs_conn *c);
void fs_tls_close_notify(struct fs_conn *c);
void fs_tls_free(struct fs_conn *c);

/* conn.c */
int fs_loop(int lfd);
extern volatile int fs_stop;

#endif
