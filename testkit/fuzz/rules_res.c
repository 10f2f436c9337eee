/* libFuzzer target: the response rules (px_rules_response) after the
 * request rules, on a request head followed by a response head. Same
 * harness as rules_req.c (see there for the input layout and the checks).
 */
#define FUZZ_RES 1
#include "rules_req.c"
