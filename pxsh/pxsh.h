/* pxsh's functions, by file. Types are in pxsh-t.h. */
#ifndef PXSH_H
#define PXSH_H

#include <signal.h>
#include <stddef.h>
#include "pxsh-t.h"

#include "admin/clitab.h"

/* util.c */
char *px_sh_strdup(const char *s);
void px_sh_buf_add(struct sh_buf *b, const void *data, size_t len);
void px_sh_buf_str(struct sh_buf *b, const char *s);
void px_sh_buf_printf(struct sh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void px_sh_buf_escaped(struct sh_buf *b, const char *text);
void px_sh_buf_reset(struct sh_buf *b);
void px_sh_buf_free(struct sh_buf *b);
void px_sh_list_add(struct sh_list *l, const char *s);
void px_sh_list_addn(struct sh_list *l, const char *s, size_t len);
int px_sh_list_has(const struct sh_list *l, const char *s);
void px_sh_list_clear(struct sh_list *l);
void px_sh_list_free(struct sh_list *l);
void px_sh_split_cmds(const char *line, struct sh_list *out);
void px_sh_split_words(const char *cmd, struct sh_list *out, int *last_open);
size_t px_sh_first_line_len(const char *s, size_t len);

/* conn.c */
extern volatile sig_atomic_t px_sh_interrupted;
int px_sh_conn_open(struct sh_conn *c, struct sh_buf *err);
void px_sh_conn_close(struct sh_conn *c);
int px_sh_conn_cmd(struct sh_conn *c, const char *cmd, const char *payload, struct sh_buf *out);
int px_sh_is_error(const char *answer, size_t len);
int px_sh_conn_failed(const struct sh_conn *c, const char *answer, size_t len);

/* fmt.c */
int px_sh_csv_parse(const char *text, size_t len, struct sh_csv *csv);
void px_sh_csv_free(struct sh_csv *csv);
int px_sh_csv_col(const struct sh_csv *csv, const char *name);
const char *px_sh_csv_get(const struct sh_csv *csv, int r, int col);
const char *px_sh_status_color(const char *status);
void px_sh_human_bytes(const char *num, char *out, size_t size);
void px_sh_human_secs(const char *num, char *out, size_t size);
void px_sh_render(const char *cmd, const char *answer, size_t len, enum sh_output mode,
		  int color, struct sh_buf *dst);

/* names.c */
const struct sh_list *px_sh_names(struct sh_conn *c, enum sh_name_kind kind);
int px_sh_rule_ids(struct sh_conn *c, const char *proxy, struct sh_list *out);

/* complete.c */
extern const struct px_cli_desc px_sh_local_cmds[];
void px_sh_complete_words(struct sh_session *s, const struct sh_list *w, const char *partial,
			  int words_only, struct sh_list *out, struct sh_buf *hint);
void px_sh_complete(struct sh_session *s, const char *line, struct sh_list *out,
		    size_t *partial_len, struct sh_buf *hint);

/* line.c */
int px_sh_line_init(struct sh_session *s);
const char *px_sh_line_read(const char *prompt);
void px_sh_line_remember(const char *line);
void px_sh_line_end(void);

/* term.c */
#define PXSH_KEY_UP   0x101
#define PXSH_KEY_DOWN 0x102
extern volatile sig_atomic_t px_sh_winch;
int px_sh_term_raw(void);
void px_sh_term_restore(void);
void px_sh_term_size(int *rows, int *cols);
int px_sh_term_key(int timeout_ms);
void px_sh_page(const char *text, size_t len, int may_page);

/* watch.c, top.c */
int px_sh_watch(struct sh_session *s, double interval, const char *cmd);
int px_sh_top(struct sh_session *s);

/* rulediff.c */
int px_sh_rules_diff(const char *const *old_ids, const char *const *old_texts, int nold,
		     const char *const *new_texts, int nnew, struct rule_op **ops);

/* rules.c */
int px_sh_rules_fetch(struct sh_conn *c, const char *proxy, struct sh_list *ids,
		      struct sh_list *texts, struct sh_buf *err);
void px_sh_rules_from_text(const char *text, struct sh_list *out);
int px_sh_edit_rules(struct sh_session *s, const char *proxy, int assume_yes);

#endif
