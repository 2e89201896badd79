/* DAP "launch": checks program, args, env, cwd and stopOnEntry plus the session options attach
 * takes, then has launch.c start the program with the probe preloaded; the request is answered
 * once its probe registered (the session then sees that process alone) or with why it did not. */
#include "handlers.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../launch.h"
#include "../session_auth.h"
#include "../string_pairs.h"

extern char **environ;

/* An optional string argument: NULL when absent; -1 when it is not a non-empty string. */
static int optional_string(const cJSON *args, const char *name, const char **out, char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, name);
    *out = NULL;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item) || !item->valuestring[0]) {
        snprintf(err, err_len, "'%s' must be a non-empty string", name);
        return -1;
    }
    *out = item->valuestring;
    return 0;
}

/* path made absolute against base (malloc'ed). */
static char *absolute(const char *path, const char *base)
{
    size_t len = strlen(base) + strlen(path) + 2;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s%s%s", path[0] == '/' ? "" : base, path[0] == '/' ? "" : "/", path);
    return out;
}

/* spec->cwd from "cwd" (must be a directory), made absolute. */
static int parse_cwd(const char *cwd, const char *server_cwd, launch_spec *spec, char *err, size_t err_len)
{
    struct stat st;
    if (!(spec->cwd = absolute(cwd, server_cwd))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (stat(spec->cwd, &st) != 0) {
        snprintf(err, err_len, "cwd %.300s: %s", spec->cwd, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "cwd %.300s is not a directory", spec->cwd);
        return -1;
    }
    return 0;
}

/* spec->program from "program" (relative to cwd, or to the server's directory without cwd); it
 * must be an executable file. The default cwd is its directory. */
static int parse_program(const cJSON *args, const char *server_cwd, launch_spec *spec, char *err, size_t err_len)
{
    const char *program, *cwd;
    if (optional_string(args, "program", &program, err, err_len) != 0 || !program) {
        snprintf(err, err_len, "'program' is required: the path of the program to start");
        return -1;
    }
    if (optional_string(args, "cwd", &cwd, err, err_len) != 0)
        return -1;
    if (cwd && parse_cwd(cwd, server_cwd, spec, err, err_len) != 0)
        return -1;
    if (!(spec->program = absolute(program, spec->cwd ? spec->cwd : server_cwd))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    struct stat st;
    if (stat(spec->program, &st) != 0) {
        snprintf(err, err_len, "program %.300s: %s", spec->program, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || access(spec->program, X_OK) != 0) {
        snprintf(err, err_len, "program %.300s is not an executable file", spec->program);
        return -1;
    }
    if (!spec->cwd) {
        char *copy = strdup(spec->program);
        spec->cwd = copy ? strdup(dirname(copy)) : NULL;
        free(copy);
    }
    if (!spec->cwd) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* spec->argv: the program, then "args" (an array of strings). */
static int parse_args(const cJSON *args, launch_spec *spec, char *err, size_t err_len)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(args, "args");
    if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list)) {
        snprintf(err, err_len, "'args' must be an array of strings");
        return -1;
    }
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (!(spec->argv = calloc((size_t)n + 2, sizeof *spec->argv)) || !(spec->argv[0] = strdup(spec->program))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *item = cJSON_GetArrayItem(list, i);
        if (!cJSON_IsString(item)) {
            snprintf(err, err_len, "'args' must be an array of strings; args[%d] is not a string", i);
            return -1;
        }
        if (!(spec->argv[i + 1] = strdup(item->valuestring))) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* spec->env: the server's environment with "env" (an object of name -> string) applied. */
static int parse_env(const cJSON *args, launch_spec *spec, char *err, size_t err_len)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(args, "env");
    probe_label *vars = NULL;
    size_t n = 0;
    if (env && !cJSON_IsNull(env) && !cJSON_IsObject(env)) {
        snprintf(err, err_len, "'env' must be an object of variable name -> string value");
        return -1;
    }
    if (cJSON_IsObject(env) && string_pairs_parse(env, "env", 0, &vars, &n, err, err_len) != 0)
        return -1;
    int rc = launch_env_init(&spec->env, environ);
    if (rc != 0)
        snprintf(err, err_len, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!vars[i].key[0] || strchr(vars[i].key, '=')) {
            snprintf(err, err_len, "'env' name '%.60s' is not a variable name", vars[i].key);
            rc = -1;
        } else if (launch_env_set(&spec->env, vars[i].key, vars[i].value) != 0) {
            snprintf(err, err_len, "out of memory");
            rc = -1;
        }
    }
    string_pairs_free(vars, n);
    return rc;
}

static int parse_spec(const cJSON *args, launch_spec *spec, char *err, size_t err_len)
{
    char server_cwd[PATH_MAX];
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(args, "stopOnEntry");
    memset(spec, 0, sizeof *spec);
    if (!getcwd(server_cwd, sizeof server_cwd))
        snprintf(server_cwd, sizeof server_cwd, "/");
    if (entry && !cJSON_IsNull(entry) && !cJSON_IsBool(entry)) {
        snprintf(err, err_len, "'stopOnEntry' must be true or false");
        return -1;
    }
    spec->stop_on_entry = cJSON_IsTrue(entry);
    if (parse_program(args, server_cwd, spec, err, err_len) != 0 || parse_args(args, spec, err, err_len) != 0 ||
        parse_env(args, spec, err, err_len) != 0) {
        launch_spec_free(spec);
        return -1;
    }
    return 0;
}

void dap_handle_launch(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    if (s->attached || launch_owned_by(s)) {
        dap_respond_error(ref, "this session is already attached");
        return;
    }
    if (!session_auth_attach(s, ref, args))
        return;
    char err[600];
    dap_session_options options;
    launch_spec spec;
    if (dap_session_options_parse(args, NULL, NULL, &options, err, sizeof err) != 0) {
        dap_respond_error(ref, "launch: %s", err);
        return;
    }
    if (parse_spec(args, &spec, err, sizeof err) != 0) {
        dap_session_options_free(&options);
        dap_respond_error(ref, "launch: %s", err);
        return;
    }
    if (launch_start(s, ref, &spec, &options, err, sizeof err) != 0)
        dap_respond_error(ref, "launch: %s", err);
}
