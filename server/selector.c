/* Label selectors of DAP sessions (see selector.h): parsing attach arguments and matching
 * registered probes. Every label of the selector must be present with the same value. */
#include "selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int selector_parse(const cJSON *selector_json, const cJSON *pid_json, selector *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (pid_json) {
        if (!cJSON_IsNumber(pid_json) || pid_json->valuedouble < 1 || pid_json->valuedouble > 4194304 ||
            pid_json->valuedouble != (double)(int)pid_json->valuedouble) {
            snprintf(err, err_len, "'pid' must be a positive integer");
            return -1;
        }
        out->pid = pid_json->valueint;
    }
    if (!selector_json || cJSON_IsNull(selector_json))
        return 0;
    if (!cJSON_IsObject(selector_json)) {
        snprintf(err, err_len, "'selector' must be an object of label -> value, e.g. {\"app\": \"shop\"}");
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(selector_json);
    out->labels = calloc(n ? n : 1, sizeof *out->labels);
    if (!out->labels) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, selector_json) {
        if (!cJSON_IsString(item)) {
            snprintf(err, err_len, "selector label '%.60s' must have a string value", item->string);
            selector_free(out);
            return -1;
        }
        probe_label *l = &out->labels[out->n_labels++];
        l->key = strdup(item->string);
        l->value = strdup(item->valuestring);
        if (!l->key || !l->value) {
            snprintf(err, err_len, "out of memory");
            selector_free(out);
            return -1;
        }
    }
    return 0;
}

void selector_free(selector *s)
{
    for (size_t i = 0; i < s->n_labels; i++) {
        free(s->labels[i].key);
        free(s->labels[i].value);
    }
    free(s->labels);
    memset(s, 0, sizeof *s);
}

bool selector_matches(const selector *s, const probe_peer *p)
{
    if (!p->registered)
        return false;
    if (s->pid && s->pid != p->hello.pid)
        return false;
    for (size_t i = 0; i < s->n_labels; i++) {
        const char *v = fleet_label(p, s->labels[i].key);
        if (!v || strcmp(v, s->labels[i].value) != 0)
            return false;
    }
    return true;
}

void selector_describe(const selector *s, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_labels && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", i ? "," : "", s->labels[i].key,
                                 s->labels[i].value);
    if (s->pid && used < len)
        used += (size_t)snprintf(buf + used, len - used, "%spid=%d", used ? " " : "", s->pid);
    if (used == 0)
        snprintf(buf, len, "every process");
}
