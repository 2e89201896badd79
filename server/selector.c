/* Label selectors of DAP sessions (see selector.h): parsing attach arguments and matching
 * registered probes. Every label of the selector must be present with the same value. */
#include "selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "string_pairs.h"

int selector_parse(const cJSON *selector_json, const cJSON *pid_json, selector *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (pid_json && !cJSON_IsNull(pid_json)) {
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
    return string_pairs_parse(selector_json, "selector", 0, &out->labels, &out->n_labels, err, err_len);
}

void selector_free(selector *s)
{
    string_pairs_free(s->labels, s->n_labels);
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
