/* Path prefix mapping between the build machine and the IDE (see source_map.h).
 * A prefix matches only at a path-component boundary: "/src" maps "/src/a.c", not "/srcx/a.c". */
#include "source_map.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "string_pairs.h"

int source_map_parse(const cJSON *json, source_map *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (!json || cJSON_IsNull(json))
        return 0;
    if (!cJSON_IsObject(json)) {
        snprintf(err, err_len, "'sourceMap' must be an object of build path prefix -> IDE path prefix");
        return -1;
    }
    return string_pairs_parse(json, "sourceMap", 1, &out->entries, &out->n, err, err_len);
}

void source_map_free(source_map *m)
{
    string_pairs_free(m->entries, m->n);
    memset(m, 0, sizeof *m);
}

/* A prefix's length without trailing slashes: "/src/" -> 4, "/" -> 0 (the root matches every
 * absolute path). */
static size_t prefix_length(const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    return n;
}

static bool prefix_matches(const char *prefix, const char *path, size_t *len)
{
    size_t n = prefix_length(prefix);
    if (strncmp(prefix, path, n) != 0 || (path[n] != '\0' && path[n] != '/'))
        return false;
    *len = n;
    return true;
}

static char *map_path(const source_map *m, const char *path, bool to_build)
{
    const char *best_to = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *from = to_build ? m->entries[i].value : m->entries[i].key;
        size_t len;
        if (prefix_matches(from, path, &len) && (!best_to || len > best_len)) {
            best_len = len;
            best_to = to_build ? m->entries[i].key : m->entries[i].value;
        }
    }
    if (!best_to)
        return strdup(path);
    size_t to_len = prefix_length(best_to);
    const char *rest = path + best_len;
    if (to_len == 0 && *rest == '\0')
        rest = "/"; /* mapped onto the root itself */
    size_t total = to_len + strlen(rest) + 1;
    char *out = malloc(total);
    if (out)
        snprintf(out, total, "%.*s%s", (int)to_len, best_to, rest);
    return out;
}

char *source_map_to_build(const source_map *m, const char *ide_path)
{
    return map_path(m, ide_path, true);
}

char *source_map_to_ide(const source_map *m, const char *build_path)
{
    return map_path(m, build_path, false);
}
