/* libFuzzer target: px_h1_parse() on arbitrary bytes as a response head,
 * whole, byte by byte and in random pieces (see h1_head.h).
 */
#define IS_REQ 0
#include "h1_head.h"
