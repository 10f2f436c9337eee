/* pxtest.h: functions shared between pxtest's files. */
#ifndef TK_PXTEST_H
#define TK_PXTEST_H

#include <stdarg.h>
#include <sys/types.h>
#include "pxtest-t.h"

/* Runs one step; returns 0, or -1 after px_fail() (or px_skip()). */
typedef int (*px_run_fn)(struct px_ctx *ctx, const struct px_step *st);

/* An entry of a command table. */
struct px_cmd {
	const char *name;
	int min_args, max_args;      /* after the command word; -1: no limit */
	int heredoc;                 /* 0: none, 1: optional, 2: required */
	int opts;                    /* takes indented option lines */
	int raw_rest;                /* takes the rest of the line verbatim */
	px_run_fn run;
};

/* Command tables, each ended by an entry with a NULL name. */
extern const struct px_cmd px_cmds_run[];
extern const struct px_cmd px_cmds_net[];
extern const struct px_cmd px_cmds_http[];
extern const struct px_cmd px_cmds_expect[];
extern const struct px_cmd px_cmds_server[];
extern const struct px_cmd px_cmds_netns[];

/* script.c */
struct px_script *px_script_load(const char *path, const struct px_env *env,
				 struct tk_buf *err);
int px_port_get(struct px_script *sc, const char *name);
int px_arg_regex(const struct px_arg *a, const char **pat, int *caseless);

/* run.c */
int px_run_scenario(const char *path, const struct px_env *env);
int px_fail(struct px_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void px_detail(struct px_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void px_detail_bytes(struct px_ctx *ctx, const char *label, const void *p, size_t n);
void px_trace(struct px_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int px_get_dur(struct px_ctx *ctx, const struct px_arg *a, int64_t *us);
int px_get_window(struct px_ctx *ctx, const struct px_arg *a, int64_t *lo, int64_t *hi);
int px_get_uint(struct px_ctx *ctx, const struct px_arg *a, uint64_t *v);
int px_opt_within(struct px_ctx *ctx, const struct px_step *st, int at,
		  int64_t dflt, int64_t *us);
int64_t px_limit(struct px_ctx *ctx, int64_t at);
const char *px_when(struct px_ctx *ctx, int64_t since, int64_t t);
void px_result_reset(struct px_result *r, enum px_res_kind kind, const char *what,
		     int lineno);
void px_poll_syslogs(struct px_ctx *ctx);
int px_proc_reap(struct px_proc *p, int block);
void px_status_str(int status, char *dst, size_t size);

/* net.c */
struct px_conn *px_conn_find(struct px_ctx *ctx, const char *name);
void px_conns_close(struct px_ctx *ctx);
int px_result_set_head(struct px_result *r, const char *p, size_t n);

/* expect.c */
int px_regex(struct px_ctx *ctx, const struct px_arg *a, const char *subject,
	     size_t len, int *matched);
int px_check_header(struct px_ctx *ctx, const char *who, const struct tk_h1_msg *m,
		    int which, const struct px_arg *args);
int px_check_bytes(struct px_ctx *ctx, const char *what, const struct px_arg *want,
		   const char *kept, size_t kept_len, uint64_t size);

/* netns.c */
#define PX_NETNS_DIR "/var/run/netns"   /* where ip(8) keeps named namespaces */
int px_netns_real(pid_t owner, const char *name, char *dst, size_t size);
const struct px_netns *px_netns_find(struct px_ctx *ctx, const char *name);
int px_netns_enter(const char *path);
int px_netns_socket(const char *path, int domain, int type, int protocol);
FILE *px_netns_fopen(const char *path, const char *file);
void px_netns_cleanup(struct px_ctx *ctx);
int px_netns_remove_owned(pid_t owner, int only_dead);
int px_which(const char *name, char *full, size_t size);

/* tls.c */
int px_tls_connect(struct px_ctx *ctx, struct px_conn *c, const struct px_step *st, int at);
ssize_t px_tls_read(struct px_conn *c, void *p, size_t n);
ssize_t px_tls_write(struct px_conn *c, const void *p, size_t n);
void px_tls_shutdown(struct px_conn *c);
void px_tls_free(struct px_conn *c);
void px_tls_sessions_free(struct px_ctx *ctx);
int px_tls_check(struct px_ctx *ctx, const char *conn, const struct px_arg *field,
		 const struct px_arg *want);

#endif
