/* The "global" section: process-wide settings. */
#ifndef PX_CFG_GLOBAL_H
#define PX_CFG_GLOBAL_H

#include "cfg/cfg-t.h"

void px_global_init(struct px_global *g);
void px_global_section(char **args, int nargs, struct px_cfg_ctx *ctx);
void px_global_finalize(struct px_cfg_ctx *ctx);

struct px_logger;
int px_loggers_add(struct px_gen *gen, struct px_logger ***arr, int *n,
                   struct px_logger *lg);
struct px_logger *px_cfg_parse_logger(char **args, int nargs, struct px_cfg_ctx *ctx,
                                      char **err);

#endif
