/* Responses proxyd produces itself: the default pages and "errorfile". */
#ifndef PX_PROTO_ERRORS_H
#define PX_PROTO_ERRORS_H

#include "cfg/proxy-t.h"

int px_err_index(int status);
const struct px_errmsg *px_errmsg_get(const struct px_proxy *px, int status);
const char *px_err_reason(int status);
const char *px_http_reason(int status);

#endif
