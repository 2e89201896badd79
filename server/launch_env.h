/* The environment of a program the server launches: a copy of the server's own, changed by the
 * launch's "env", and the probe's settings on top (LD_PRELOAD first, PODBUG_SERVER, hold, labels). */
#ifndef PODBUG_LAUNCH_ENV_H
#define PODBUG_LAUNCH_ENV_H

#include <stddef.h>

/* The label every process of a launch carries (PODBUG_LABELS), with the launch's unique id. */
#define LAUNCH_LABEL "podbug.launch"

typedef struct launch_env {
    char **vars;   /* "NAME=value", NULL-terminated */
    size_t n;
    size_t cap;
} launch_env;

/* A copy of base (NULL-terminated "NAME=value" strings). Returns 0, or -1 when out of memory. */
int launch_env_init(launch_env *e, char *const *base);
void launch_env_free(launch_env *e);
/* The value of name, or NULL. */
const char *launch_env_get(const launch_env *e, const char *name);
/* Sets name (non-empty, no '=') to value, replacing it; value NULL removes it. Returns 0, or -1
 * when out of memory or name is not a variable name. */
int launch_env_set(launch_env *e, const char *name, const char *value);
/* The probe's settings: LD_PRELOAD = probe, then what e had there; PODBUG_SERVER = server_url;
 * PODBUG_HOLD=1; PODBUG_POD = pod unless e names one; PODBUG_LABELS += LAUNCH_LABEL=launch_id;
 * PODBUG_DISABLE removed. Returns 0, or -1 when out of memory. */
int launch_env_add_probe(launch_env *e, const char *probe, const char *server_url, const char *pod,
                         const char *launch_id);

#endif
