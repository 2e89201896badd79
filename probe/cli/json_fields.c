/* Typed field access on cJSON objects (see json_fields.h); a NULL object reads as empty, so that
 * lookups chain through missing parts of a message. */
#include "json_fields.h"

#include <string.h>

const char *json_string(const cJSON *object, const char *key, const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(v) ? v->valuestring : fallback;
}

double json_number(const cJSON *object, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

bool json_string_is(const cJSON *object, const char *key, const char *expected)
{
    const char *s = json_string(object, key, NULL);
    return s && strcmp(s, expected) == 0;
}
