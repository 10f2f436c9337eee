/* Proxies: section headers, proxy keywords, inheritance from defaults and
 * the end-of-parsing checks.
 */
#ifndef PX_CFG_PROXY_H
#define PX_CFG_PROXY_H

#include "cfg/cfg-t.h"
#include "cfg/proxy-t.h"

int px_proxy_defaults_init(struct px_cfg_ctx *ctx);
void px_proxy_section(char **args, int nargs, struct px_cfg_ctx *ctx);
void px_proxy_finalize(struct px_cfg_ctx *ctx);
struct px_proxy *px_proxy_find(struct px_gen *gen, const char *name, unsigned cap);
uint32_t px_proxy_http_request_timeout(const struct px_proxy *px);

#endif
