/* Redaction rules and matching (see redaction.h): parsing PODBUG_REDACT and the server's
 * patterns, glob-substring matching of names, and finding a secret read by an expression tree. */
#include "redaction.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "expr.h"

static redaction_rules active;
static bool revealed; /* redaction_reveal: the request being handled may see secrets */

/* Whether pattern p (with '*' for any characters) matches a prefix of s, ignoring case. */
static bool matches_prefix(const char *p, const char *s)
{
    for (; *p; p++, s++) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            for (;; s++) {
                if (matches_prefix(p, s))
                    return true;
                if (!*s)
                    return false;
            }
        }
        if (!*s || tolower((unsigned char)*p) != tolower((unsigned char)*s))
            return false;
    }
    return true;
}

const char *redaction_match(const redaction_rules *rules, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < rules->n; i++)
        for (const char *start = name; *start; start++)
            if (matches_prefix(rules->patterns[i], start))
                return rules->patterns[i];
    return NULL;
}

static bool has_pattern(const redaction_rules *rules, const char *pattern)
{
    for (size_t i = 0; i < rules->n; i++)
        if (strcasecmp(rules->patterns[i], pattern) == 0)
            return true;
    return false;
}

int redaction_add(redaction_rules *rules, const char *text, char *err, size_t err_len)
{
    const char *item = text;
    while (*item) {
        size_t len = strcspn(item, ",");
        const char *end = item + len;
        const char *first = item;
        while (first < end && isspace((unsigned char)*first))
            first++;
        const char *last = end;
        while (last > first && isspace((unsigned char)last[-1]))
            last--;
        size_t n = (size_t)(last - first);
        char pattern[REDACTION_PATTERN_LEN];
        if (n >= sizeof pattern) {
            snprintf(err, err_len, "pattern '%.20s...' is longer than %d characters",
                     first, REDACTION_PATTERN_LEN - 1);
            return -1;
        }
        memcpy(pattern, first, n);
        pattern[n] = '\0';
        if (n > 0 && !has_pattern(rules, pattern)) {
            if (rules->n == REDACTION_MAX_PATTERNS) {
                snprintf(err, err_len, "more than %d patterns", REDACTION_MAX_PATTERNS);
                return -1;
            }
            memcpy(rules->patterns[rules->n++], pattern, n + 1);
        }
        item = *end ? end + 1 : end;
    }
    return 0;
}

int redaction_parse(const char *text, redaction_rules *out, char *err, size_t err_len)
{
    out->n = 0;
    if (!text || strcasecmp(text, "none") == 0)
        return redaction_add(out, text ? "" : REDACTION_DEFAULTS, err, err_len);
    bool extends = !*text || text[0] == '+';
    char why[160];
    if ((extends && redaction_add(out, REDACTION_DEFAULTS, why, sizeof why) != 0) ||
        redaction_add(out, text + (text[0] == '+'), why, sizeof why) != 0) {
        snprintf(err, err_len, "PODBUG_REDACT: %s", why);
        return -1;
    }
    return 0;
}

void redaction_use(const redaction_rules *rules)
{
    active = *rules;
}

const redaction_rules *redaction_active(void)
{
    return &active;
}

const char *redaction_pattern_of(const char *name)
{
    return revealed ? NULL : redaction_match(&active, name);
}

void redaction_reveal(bool on)
{
    revealed = on;
}

bool redaction_refuses(const char *name, char *err, size_t err_len)
{
    const char *pattern = redaction_pattern_of(name);
    if (pattern)
        snprintf(err, err_len, "redacted: '%s' matches the redaction pattern '%s'", name, pattern);
    return pattern != NULL;
}

bool redaction_expr_reads_secret(const expr_node *e, char *err, size_t err_len)
{
    if (!e)
        return false;
    bool names_data = e->kind == EXPR_IDENT || e->kind == EXPR_MEMBER || e->kind == EXPR_ARROW;
    if (names_data && redaction_refuses(e->name, err, err_len))
        return true;
    if (redaction_expr_reads_secret(e->cond, err, err_len) ||
        redaction_expr_reads_secret(e->lhs, err, err_len) ||
        redaction_expr_reads_secret(e->rhs, err, err_len))
        return true;
    for (size_t i = 0; i < e->n_args; i++)
        if (redaction_expr_reads_secret(e->args[i], err, err_len))
            return true;
    return false;
}
