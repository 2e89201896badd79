/* Reads and validates the probe's settings into probe_config: from the environment, or from the
 * settings text an injector passes. A bad value is reported once by the caller; the target then
 * runs without the probe. */
#include "config.h"
#include "server_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the settings come from: the environment (text NULL), or a private copy of settings text
 * whose lines "NAME=value" were cut into strings. */
typedef struct setting_source {
    char *text;
    size_t len;
} setting_source;

static int source_open(setting_source *src, const char *settings, char *err, size_t err_len)
{
    *src = (setting_source){ 0 };
    if (!settings)
        return 0;
    src->len = strlen(settings);
    src->text = malloc(src->len + 1);
    if (!src->text) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i <= src->len; i++)
        src->text[i] = settings[i] == '\n' ? '\0' : settings[i];
    return 0;
}

static const char *source_get(const setting_source *src, const char *name)
{
    if (!src->text)
        return getenv(name);
    size_t name_len = strlen(name);
    for (const char *line = src->text; line < src->text + src->len; line += strlen(line) + 1)
        if (strncmp(line, name, name_len) == 0 && line[name_len] == '=')
            return line + name_len + 1;
    return NULL;
}

static const char *setting_or(const setting_source *src, const char *name, const char *fallback)
{
    const char *v = source_get(src, name);
    return v && *v ? v : fallback;
}

static int parse_server_url(probe_config *cfg, char *err, size_t err_len)
{
    server_url url;
    if (server_url_parse(cfg->server_url, "PODBUG_SERVER", &url, err, err_len) != 0)
        return -1;
    snprintf(cfg->host, sizeof cfg->host, "%s", url.host);
    cfg->port = url.port;
    cfg->tls = url.tls;
    snprintf(cfg->path, sizeof cfg->path, "%s", url.path[0] ? url.path : "/probe");
    return 0;
}

static int parse_labels(probe_config *cfg, const char *text, char *err, size_t err_len)
{
    size_t max = 1;
    for (const char *c = text; *c; c++)
        max += *c == ',';
    cfg->labels = calloc(max, sizeof *cfg->labels);
    if (!cfg->labels) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    const char *item = text;
    while (*item) {
        size_t len = strcspn(item, ",");
        const char *eq = memchr(item, '=', len);
        if (len > 0) {
            if (!eq || eq == item) {
                snprintf(err, err_len, "PODBUG_LABELS must be k=v,k=v; '%.*s' is not", (int)len, item);
                return -1;
            }
            probe_label *l = &cfg->labels[cfg->n_labels++];
            l->key = strndup(item, (size_t)(eq - item));
            l->value = strndup(eq + 1, len - (size_t)(eq - item) - 1);
            if (!l->key || !l->value) {
                snprintf(err, err_len, "out of memory");
                return -1;
            }
        }
        item += len + (item[len] == ',');
    }
    return 0;
}

static int load(probe_config *cfg, const setting_source *src, char *err, size_t err_len)
{
    char hostname[256] = "unknown";
    gethostname(hostname, sizeof hostname - 1);
    snprintf(cfg->server_url, sizeof cfg->server_url, "%s",
             setting_or(src, "PODBUG_SERVER", "ws://127.0.0.1:4700/probe"));
    snprintf(cfg->pod, sizeof cfg->pod, "%s", setting_or(src, "PODBUG_POD", hostname));
    snprintf(cfg->namespace_, sizeof cfg->namespace_, "%s", setting_or(src, "PODBUG_NAMESPACE", "default"));
    snprintf(cfg->token, sizeof cfg->token, "%s", setting_or(src, "PODBUG_TOKEN", ""));
    snprintf(cfg->ca_file, sizeof cfg->ca_file, "%s", setting_or(src, "PODBUG_CA", ""));
    cfg->log_level = LOG_WARN;
    const char *level = source_get(src, "PODBUG_LOG");
    if (level && *level && log_parse_level(level, &cfg->log_level) != 0) {
        snprintf(err, err_len, "PODBUG_LOG must be error, warn, info or debug, not '%s'", level);
        return -1;
    }
    if (redaction_parse(source_get(src, "PODBUG_REDACT"), &cfg->redaction, err, err_len) != 0)
        return -1;
    const char *breakpoints = setting_or(src, "PODBUG_BREAKPOINTS", "fast");
    cfg->fast_breakpoints = strcmp(breakpoints, "trap") != 0;
    if (cfg->fast_breakpoints && strcmp(breakpoints, "fast") != 0) {
        snprintf(err, err_len, "PODBUG_BREAKPOINTS must be fast or trap, not '%s'", breakpoints);
        return -1;
    }
    if (parse_server_url(cfg, err, err_len) != 0)
        return -1;
    if (cfg->ca_file[0] && access(cfg->ca_file, R_OK) != 0) {
        snprintf(err, err_len, "PODBUG_CA '%s' cannot be read: %s", cfg->ca_file, strerror(errno));
        return -1;
    }
    return parse_labels(cfg, setting_or(src, "PODBUG_LABELS", ""), err, err_len);
}

int probe_config_load(probe_config *cfg, const char *settings, char *err, size_t err_len)
{
    memset(cfg, 0, sizeof *cfg);
    setting_source src;
    if (source_open(&src, settings, err, err_len) != 0)
        return -1;
    int rc = load(cfg, &src, err, err_len);
    free(src.text);
    return rc;
}

void probe_config_free(probe_config *cfg)
{
    for (size_t i = 0; i < cfg->n_labels; i++) {
        free(cfg->labels[i].key);
        free(cfg->labels[i].value);
    }
    free(cfg->labels);
    cfg->labels = NULL;
    cfg->n_labels = 0;
}
