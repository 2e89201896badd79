/* Object-of-strings parsing shared by selectors and source maps (see string_pairs.h).
 * On failure nothing is left allocated. */
#include "string_pairs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int string_pairs_parse(const cJSON *json, const char *what, int require_non_empty, probe_label **out,
                       size_t *n, char *err, size_t err_len)
{
    *out = NULL;
    *n = 0;
    size_t count = (size_t)cJSON_GetArraySize(json);
    probe_label *pairs = calloc(count ? count : 1, sizeof *pairs);
    if (!pairs) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    size_t used = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, json) {
        if (!cJSON_IsString(item) || (require_non_empty && (!item->string[0] || !item->valuestring[0]))) {
            snprintf(err, err_len, "'%s' entry '%.60s' must have a %sstring value", what, item->string,
                     require_non_empty ? "non-empty " : "");
            string_pairs_free(pairs, used);
            return -1;
        }
        probe_label *p = &pairs[used++];
        p->key = strdup(item->string);
        p->value = strdup(item->valuestring);
        if (!p->key || !p->value) {
            snprintf(err, err_len, "out of memory");
            string_pairs_free(pairs, used);
            return -1;
        }
    }
    *out = pairs;
    *n = used;
    return 0;
}

void string_pairs_free(probe_label *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}
