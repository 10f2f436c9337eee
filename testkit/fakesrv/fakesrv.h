/* fakesrv.h: functions shared between the fake server's files. */
#ifndef TK_FAKESRV_H
#define TK_FAKESRV_H

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

/* conn.c */
int fs_loop(int lfd);
extern volatile int fs_stop;

#endif
