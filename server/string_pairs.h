/* Parses a JSON object whose values are all strings ({"app": "shop"}) into key/value pairs:
 * the shape of the attach arguments `selector` and `sourceMap`. */
#ifndef PODBUG_STRING_PAIRS_H
#define PODBUG_STRING_PAIRS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "probe_msg.h"

/* json must be an object. Every value must be a string; non-empty keys and values are required
 * when require_non_empty. Returns 0, or -1 with err naming the argument (what) and the key. */
int string_pairs_parse(const cJSON *json, const char *what, int require_non_empty, probe_label **out,
                       size_t *n, char *err, size_t err_len);
void string_pairs_free(probe_label *pairs, size_t n);

#endif
