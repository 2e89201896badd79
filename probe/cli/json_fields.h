/* Reading one field of a cJSON object, with a fallback when it is absent or of another type: the
 * CLI's view of the server's JSON (DAP messages, /api answers). */
#ifndef PODBUG_CLI_JSON_FIELDS_H
#define PODBUG_CLI_JSON_FIELDS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

const char *json_string(const cJSON *object, const char *key, const char *fallback);
double json_number(const cJSON *object, const char *key, double fallback);
/* True when object's key is the string `expected` (e.g. a DAP message's "event"). */
bool json_string_is(const cJSON *object, const char *key, const char *expected);

#endif
