/* `podbug reload`: one DAP session attached with the selector; the library read, base64-encoded
 * and checksummed; podbug/reload sent once, after every rebuild (--watch), or as a rollback. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "dap_attach.h"
#include "library_codec.h"
#include "probe_msg.h"
#include "reload_file_watch.h"
#include "reload_options.h"
#include "reload_print.h"

#define SESSION_TIMEOUT_MS 15000
/* A reload may take a probe a minute, then the canary window, the others, and rollbacks. */
#define RELOAD_TIMEOUT_MS (4 * 60000)
#define WATCH_POLL_MS 250
#define WATCH_QUIET_MS 200

/* The whole file, at most RELOAD_MAX_LIBRARY bytes. NULL with err. */
static unsigned char *read_library(const char *path, size_t *len, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    const char *wrong = !S_ISREG(st.st_mode) ? "is not a file" : st.st_size == 0 ? "is empty" : NULL;
    if (!wrong && (unsigned long long)st.st_size > RELOAD_MAX_LIBRARY) {
        snprintf(err, err_len, "%s is %lld bytes; a reload carries at most %u (16 MiB)", path, (long long)st.st_size,
                 RELOAD_MAX_LIBRARY);
        wrong = "";
    } else if (wrong) {
        snprintf(err, err_len, "%s %s", path, wrong);
    }
    if (wrong) {
        close(fd);
        return NULL;
    }
    unsigned char *bytes = malloc((size_t)st.st_size);
    size_t got = 0;
    while (bytes && got < (size_t)st.st_size) {
        ssize_t n = read(fd, bytes + got, (size_t)st.st_size - got);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            break;
        got += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    if (!bytes || got != (size_t)st.st_size) {
        snprintf(err, err_len, bytes ? "cannot read %s: it changed while being read" : "out of memory reading %s",
                 path);
        free(bytes);
        return NULL;
    }
    *len = got;
    return bytes;
}

/* podbug/reload's arguments for the options (the library read now). NULL with err. */
static cJSON *reload_arguments(const reload_options *o, char *err, size_t err_len)
{
    cJSON *args = cJSON_CreateObject();
    const char *name = reload_options_name(o);
    if (name)
        cJSON_AddStringToObject(args, "name", name);
    if (o->mode == RELOAD_ROLLBACK) {
        cJSON_AddBoolToObject(args, "rollback", true);
        return args;
    }
    size_t len;
    unsigned char *bytes = read_library(o->lib, &len, err, err_len);
    char *base64 = bytes ? library_base64_encode(bytes, len) : NULL;
    if (!base64) {
        if (bytes)
            snprintf(err, err_len, "out of memory encoding %s", o->lib);
        free(bytes);
        cJSON_Delete(args);
        return NULL;
    }
    char sha256[LIBRARY_SHA256_HEX_LEN + 1];
    library_sha256_hex(bytes, len, sha256);
    free(bytes);
    cJSON_AddStringToObject(args, "library", base64);
    free(base64);
    cJSON_AddStringToObject(args, "sha256", sha256);
    if (o->canary)
        cJSON_AddBoolToObject(args, "canary", true);
    if (o->canary_seconds >= 0)
        cJSON_AddNumberToObject(args, "canarySeconds", o->canary_seconds);
    return args;
}

/* One podbug/reload, printed as it goes. Returns 0 when every process reloaded (or rolled back),
 * 1 otherwise (the reason printed on stderr), -1 with err when the connection fails. */
static int reload_once(dap_client *c, const reload_options *o, reload_printer *printer, char *err, size_t err_len)
{
    char why[400];
    cJSON *args = reload_arguments(o, why, sizeof why);
    if (!args) {
        fprintf(stderr, "podbug reload: %s\n", why);
        return 1;
    }
    int timeout_ms = RELOAD_TIMEOUT_MS + (o->canary_seconds > 0 ? (int)(o->canary_seconds * 1000) : 10000);
    cJSON *response;
    dap_client_on_event(c, reload_print_event, printer);
    int rc = dap_client_call(c, "podbug/reload", args, timeout_ms, &response, err, err_len);
    dap_client_on_event(c, NULL, NULL);
    if (rc != 0)
        return -1;
    rc = reload_print_response(printer, response);
    cJSON_Delete(response);
    return rc;
}

/* --watch: reloads after every rebuild until interrupted, printing crash reports meanwhile.
 * Returns 0 when interrupted, -1 with err when the connection or the watch fails. */
static int watch(dap_client *c, const reload_options *o, reload_printer *printer, char *err, size_t err_len)
{
    reload_file_watch w;
    if (reload_file_watch_open(&w, o->lib, err, err_len) != 0)
        return -1;
    fprintf(stderr, "podbug reload: watching %s; each rebuild is reloaded (Ctrl-C to stop)\n", o->lib);
    int rc = 0;
    while (rc == 0 && !cli_interrupted()) {
        cJSON *event;
        int got;
        while ((got = dap_client_next_event(c, 1, &event, err, err_len)) == 1) {
            reload_print_event(printer, event);
            cJSON_Delete(event);
        }
        int changed = got < 0 ? -1 : reload_file_watch_changed(&w, WATCH_POLL_MS, WATCH_QUIET_MS, err, err_len);
        if (changed < 0)
            rc = -1;
        else if (changed && !cli_interrupted())
            rc = reload_once(c, o, printer, err, err_len) < 0 ? -1 : 0;
    }
    reload_file_watch_close(&w);
    return rc;
}

int cli_reload(const server_url *server, int argc, char **argv)
{
    reload_options o;
    int parsed = reload_options_parse(argc, argv, &o);
    if (parsed != WATCH_OPTIONS_OK)
        return parsed == WATCH_OPTIONS_HELP ? 0 : 2;
    char err[600];
    dap_client *c = dap_client_connect(server->host, o.dap_port, err, sizeof err);
    if (!c) {
        fprintf(stderr, "podbug reload: %s\n", err);
        reload_options_free(&o);
        return 1;
    }
    cli_catch_interruptions();
    reload_printer printer;
    reload_printer_init(&printer, o.json);
    int rc = -1;
    if (dap_attach(c, o.selector, true, NULL, NULL, SESSION_TIMEOUT_MS, err, sizeof err) == 0 &&
        dap_client_request(c, "configurationDone", NULL, SESSION_TIMEOUT_MS, NULL, err, sizeof err) == 0)
        rc = o.mode == RELOAD_WATCH ? watch(c, &o, &printer, err, sizeof err)
                                    : reload_once(c, &o, &printer, err, sizeof err);
    if (rc < 0) {
        bool stopped = o.mode == RELOAD_WATCH && cli_interrupted(); /* Ctrl-C ends a watch: no failure */
        if (!stopped)
            fprintf(stderr, "podbug reload: %s\n", err);
        rc = stopped ? 0 : 1;
    }
    dap_client_request(c, "disconnect", NULL, SESSION_TIMEOUT_MS, NULL, err, sizeof err);
    dap_client_close(c);
    reload_printer_free(&printer);
    reload_options_free(&o);
    return rc;
}
