/* Source path handling for the symbol index: lexical normalisation of line-table paths and
 * matching a user's path against them by the longest suffix of whole path components. */
#include "path_match.h"

#include <stdbool.h>
#include <string.h>

/* Offset of the last component in the first len bytes of a normalised relative path. */
static size_t last_component_start(const char *path, size_t len)
{
    while (len > 0 && path[len - 1] != '/')
        len--;
    return len;
}

void path_normalize(char *path)
{
    bool absolute = path[0] == '/';
    char *out = path + absolute; /* components are written here, never past the reader */
    size_t len = 0;
    const char *p = out;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 1 && start[0] == '.')
            continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            size_t last = last_component_start(out, len);
            bool last_is_parent = len - last == 2 && out[last] == '.' && out[last + 1] == '.';
            if (len > 0 && !last_is_parent) {
                len = last > 0 ? last - 1 : 0;
                continue;
            }
            if (absolute)
                continue; /* "/.." is "/" */
        }
        if (len > 0)
            out[len++] = '/';
        memmove(out + len, start, n);
        len += n;
    }
    if (len == 0 && !absolute)
        out[len++] = '.';
    out[len] = '\0';
}

/* Steps *end back over the last component of path[0..*end); returns its start. */
static size_t previous_component(const char *path, size_t *end)
{
    while (*end > 0 && path[*end - 1] == '/')
        (*end)--;
    size_t start = *end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t component_end = *end;
    *end = start;
    return component_end - start;
}

const char *path_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

size_t path_suffix_match(const char *candidate, const char *query)
{
    size_t c_end = strlen(candidate), q_end = strlen(query);
    size_t matched = 0;
    for (;;) {
        size_t c_len = previous_component(candidate, &c_end);
        size_t q_len = previous_component(query, &q_end);
        if (c_len == 0 || q_len == 0) {
            bool equal_absolute = matched > 0 && c_len == 0 && q_len == 0 && candidate[0] == '/' &&
                                  query[0] == '/';
            return matched + equal_absolute;
        }
        if (c_len != q_len || memcmp(candidate + c_end, query + q_end, c_len) != 0)
            return matched;
        matched++;
    }
}
