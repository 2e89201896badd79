/* The environment of a launched program (see launch_env.h): a growable NULL-terminated array of
 * "NAME=value" strings, ready for posix_spawn. */
#include "launch_env.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more entries and the terminating NULL. */
static int reserve(launch_env *e, size_t more)
{
    if (e->n + more + 1 <= e->cap)
        return 0;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < e->n + more + 1)
        cap *= 2;
    char **vars = realloc(e->vars, cap * sizeof *vars);
    if (!vars)
        return -1;
    e->vars = vars;
    e->cap = cap;
    return 0;
}

static int append(launch_env *e, char *var)
{
    if (reserve(e, 1) != 0)
        return -1;
    e->vars[e->n++] = var;
    e->vars[e->n] = NULL;
    return 0;
}

int launch_env_init(launch_env *e, char *const *base)
{
    memset(e, 0, sizeof *e);
    if (reserve(e, 0) != 0)
        return -1;
    e->vars[0] = NULL;
    for (size_t i = 0; base && base[i]; i++) {
        char *copy = strdup(base[i]);
        if (!copy || append(e, copy) != 0) {
            free(copy);
            launch_env_free(e);
            return -1;
        }
    }
    return 0;
}

void launch_env_free(launch_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->vars[i]);
    free(e->vars);
    memset(e, 0, sizeof *e);
}

/* The index of name's entry, or e->n. */
static size_t find(const launch_env *e, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->vars[i], name, len) == 0 && e->vars[i][len] == '=')
            return i;
    return e->n;
}

const char *launch_env_get(const launch_env *e, const char *name)
{
    size_t i = find(e, name);
    return i < e->n ? e->vars[i] + strlen(name) + 1 : NULL;
}

int launch_env_set(launch_env *e, const char *name, const char *value)
{
    if (!*name || strchr(name, '='))
        return -1;
    size_t i = find(e, name);
    if (!value) {
        if (i < e->n) {
            free(e->vars[i]);
            memmove(e->vars + i, e->vars + i + 1, (e->n - i) * sizeof *e->vars); /* the NULL too */
            e->n--;
        }
        return 0;
    }
    size_t len = strlen(name) + strlen(value) + 2;
    char *var = malloc(len);
    if (!var)
        return -1;
    snprintf(var, len, "%s=%s", name, value);
    if (i < e->n) {
        free(e->vars[i]);
        e->vars[i] = var;
        return 0;
    }
    if (append(e, var) != 0) {
        free(var);
        return -1;
    }
    return 0;
}

/* Sets name to first, then sep and rest when rest is not empty. */
static int set_joined(launch_env *e, const char *name, const char *first, const char *sep, const char *rest)
{
    bool has_rest = rest && *rest;
    size_t len = strlen(first) + (has_rest ? strlen(sep) + strlen(rest) : 0) + 1;
    char *value = malloc(len);
    if (!value)
        return -1;
    snprintf(value, len, "%s%s%s", first, has_rest ? sep : "", has_rest ? rest : "");
    int rc = launch_env_set(e, name, value);
    free(value);
    return rc;
}

int launch_env_add_probe(launch_env *e, const char *probe, const char *server_url, const char *pod,
                         const char *launch_id)
{
    char label[128];
    snprintf(label, sizeof label, "%s=%s", LAUNCH_LABEL, launch_id);
    /* The probe first: the values read below are e's own (set_joined copies before replacing). */
    if (set_joined(e, "LD_PRELOAD", probe, ":", launch_env_get(e, "LD_PRELOAD")) != 0)
        return -1;
    const char *labels = launch_env_get(e, "PODBUG_LABELS");
    if (set_joined(e, "PODBUG_LABELS", labels && *labels ? labels : label, ",", labels && *labels ? label : NULL) != 0)
        return -1;
    if (!launch_env_get(e, "PODBUG_POD") && launch_env_set(e, "PODBUG_POD", pod) != 0)
        return -1;
    if (launch_env_set(e, "PODBUG_SERVER", server_url) != 0 || launch_env_set(e, "PODBUG_HOLD", "1") != 0 ||
        launch_env_set(e, "PODBUG_DISABLE", NULL) != 0)
        return -1;
    return 0;
}
