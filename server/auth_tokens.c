/* The --token-file table (see auth_tokens.h): one token per line with its roles and an optional
 * name, every refusal naming FILE:LINE, and a constant-time lookup. */
#include "auth_tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_FILE_MAX_BYTES (1u << 20)
#define MAX_FIELDS 3

static const char *const role_names[AUTH_ROLE_COUNT] = { "probe", "debug", "reload", "secrets" };

const char *auth_role_name(unsigned role)
{
    for (unsigned i = 0; i < AUTH_ROLE_COUNT; i++)
        if (role == 1u << i)
            return role_names[i];
    return NULL;
}

bool auth_token_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    volatile unsigned char diff = a_len != b_len;
    for (size_t i = 0; i < b_len; i++)
        diff |= (unsigned char)b[i] ^ (unsigned char)(i < a_len ? a[i] : 0);
    return diff == 0;
}

const auth_token *auth_tokens_find(const auth_tokens *t, const char *token, size_t len)
{
    const auth_token *found = NULL;
    for (size_t i = 0; i < t->n; i++)
        if (auth_token_equal(token, len, t->items[i].token, t->items[i].len))
            found = &t->items[i];
    return found;
}

size_t auth_tokens_with_role(const auth_tokens *t, unsigned role)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += (t->items[i].roles & role) != 0;
    return n;
}

void auth_tokens_free(auth_tokens *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i].token);
        free(t->items[i].name);
    }
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

/* The roles of "probe,debug": 0 with err naming the first unknown one. */
static unsigned parse_roles(const char *text, size_t len, char *bad, size_t bad_len)
{
    unsigned roles = 0;
    const char *p = text, *end = text + len;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t n = (size_t)((comma ? comma : end) - p);
        unsigned role = 0;
        for (unsigned i = 0; i < AUTH_ROLE_COUNT; i++)
            if (strlen(role_names[i]) == n && memcmp(role_names[i], p, n) == 0)
                role = 1u << i;
        if (!role) {
            snprintf(bad, bad_len, "%.*s", (int)(n > 40 ? 40 : n), p);
            return 0;
        }
        roles |= role;
        if (!comma)
            break;
        p = comma + 1;
    }
    return roles;
}

static bool token_char_ok(char c)
{
    return c > ' ' && c < 0x7f;
}

/* One non-comment line: its fields are TOKEN ROLES [NAME]. Returns 0, or -1 with err (no prefix). */
static int parse_line(const char *line, size_t len, int lineno, auth_tokens *out, char *err, size_t err_len)
{
    const char *field[MAX_FIELDS + 1];
    size_t field_len[MAX_FIELDS + 1];
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        if (n == MAX_FIELDS + 1)
            break;
        field[n] = line + start;
        field_len[n++] = i - start;
    }
    if (n < 2 || n > MAX_FIELDS) {
        snprintf(err, err_len, "expected 'TOKEN ROLE[,ROLE...] [NAME]', found %zu field%s", n, n == 1 ? "" : "s");
        return -1;
    }
    if (field_len[0] < AUTH_TOKEN_MIN_LEN || field_len[0] > AUTH_TOKEN_MAX_LEN) {
        snprintf(err, err_len, "the token has %zu characters; tokens need %d to %d", field_len[0], AUTH_TOKEN_MIN_LEN,
                 AUTH_TOKEN_MAX_LEN);
        return -1;
    }
    for (size_t i = 0; i < field_len[0]; i++) {
        if (!token_char_ok(field[0][i])) {
            snprintf(err, err_len, "the token may hold only printable ASCII characters");
            return -1;
        }
    }
    const auth_token *same = auth_tokens_find(out, field[0], field_len[0]);
    if (same) {
        snprintf(err, err_len, "duplicate token (also given to %s)", same->name);
        return -1;
    }
    char bad[48];
    unsigned roles = parse_roles(field[1], field_len[1], bad, sizeof bad);
    if (!roles) {
        snprintf(err, err_len, "unknown role '%s' (roles: probe, debug, reload, secrets)", bad);
        return -1;
    }
    auth_token *grown = realloc(out->items, (out->n + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    out->items = grown;
    auth_token *t = &out->items[out->n];
    t->token = strndup(field[0], field_len[0]);
    t->len = field_len[0];
    t->roles = roles;
    char default_name[24];
    snprintf(default_name, sizeof default_name, "line %d", lineno);
    t->name = n == 3 ? strndup(field[2], field_len[2]) : strdup(default_name);
    if (!t->token || !t->name) {
        free(t->token);
        free(t->name);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    out->n++;
    return 0;
}

int auth_tokens_parse(const char *text, const char *file, auth_tokens *out, char *err, size_t err_len)
{
    out->items = NULL;
    out->n = 0;
    int lineno = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        size_t skip = strspn(p, " \t");
        size_t content = len;
        while (content > 0 && (p[content - 1] == '\r' || p[content - 1] == ' ' || p[content - 1] == '\t'))
            content--;
        if (skip < content && p[skip] != '#') {
            char why[200];
            if (parse_line(p, content, lineno, out, why, sizeof why) != 0) {
                snprintf(err, err_len, "%s:%d: %s", file, lineno, why);
                auth_tokens_free(out);
                return -1;
            }
        }
        p = nl ? nl + 1 : p + len;
    }
    return 0;
}

/* The whole file, NUL-terminated; NULL with err when it cannot be read or is too loosely protected. */
static char *read_protected(const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "%s: not a regular file", path);
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, err_len, "%s: readable or writable by group or others (mode %04o); chmod 600 it", path,
                 (unsigned)(st.st_mode & 07777));
    } else if ((size_t)st.st_size > TOKEN_FILE_MAX_BYTES) {
        snprintf(err, err_len, "%s: larger than %u bytes", path, TOKEN_FILE_MAX_BYTES);
    } else if (!(text = malloc((size_t)st.st_size + 1))) {
        snprintf(err, err_len, "%s: out of memory", path);
    } else {
        size_t got = 0;
        ssize_t n;
        while (got < (size_t)st.st_size && (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
            got += (size_t)n;
        text[got] = '\0';
        if (strlen(text) != got) {
            snprintf(err, err_len, "%s: contains a NUL byte", path);
            free(text);
            text = NULL;
        }
    }
    close(fd);
    return text;
}

int auth_tokens_load(const char *path, auth_tokens *out, char *err, size_t err_len)
{
    out->items = NULL;
    out->n = 0;
    char *text = read_protected(path, err, err_len);
    if (!text)
        return -1;
    int rc = auth_tokens_parse(text, path, out, err, err_len);
    free(text);
    return rc;
}
