/* The configuration as text, line by line (see text.c). */
#ifndef PX_CFG_TEXT_H
#define PX_CFG_TEXT_H

#include <stdint.h>
#include <stdio.h>

/* A line and where it came from: file <file> line <line>, or "runtime"
 * (px_cfg_runtime) and a sequence number when written from the command
 * socket. <id> is unique in the process and follows the line through
 * edits; it is the id "show rules" gives a rule.
 */
struct px_cfg_line {
	char *text;                 /* without its newline */
	const char *file;
	int line;
	uint32_t id;
	uint16_t fidx;              /* the file it belongs to (files[fidx]) */
};

struct px_cfg_text {
	struct px_cfg_line *l;
	uint32_t n, cap;
	char **files;               /* the configuration files, in order */
	int nfiles;
	uint32_t version;           /* changes with every edit */
};

extern const char px_cfg_runtime[];

struct px_cfg_text *px_cfg_text_new(void);
struct px_cfg_text *px_cfg_text_read(char **files, int nfiles, char **err);
struct px_cfg_text *px_cfg_text_dup(const struct px_cfg_text *t);
void px_cfg_text_free(struct px_cfg_text *t);
int px_cfg_text_find(const struct px_cfg_text *t, uint32_t id);
uint32_t px_cfg_text_insert(struct px_cfg_text *t, uint32_t pos, const char *s);
int px_cfg_text_replace(struct px_cfg_text *t, uint32_t pos, const char *s);
void px_cfg_text_delete(struct px_cfg_text *t, uint32_t pos);
int px_cfg_text_write(const struct px_cfg_text *t, FILE *fp, int fidx);
void px_cfg_text_adopt_ids(struct px_cfg_text *t, const struct px_cfg_text *old);
int px_cfg_text_save(const struct px_cfg_text *t, const char *path, int fidx, char **err);

#endif
