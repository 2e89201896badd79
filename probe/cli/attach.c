/* `podbug attach --pid N`: loads the probe into a running process without a restart (ptrace
 * injection, probe/ptrace/inject.h) with the server, pod, namespace and labels given here. */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "config.h"
#include "ptrace/inject.h"
#include "watch_options.h"

static const char help[] =
    "usage: podbug attach --pid N [--pod NAME] [--namespace NS] [--labels k=v,...] [--probe PATH]\n"
    "                     [--thread TID] [--json] [--server URL]\n"
    "\n"
    "Loads the probe into a running process, which then registers with the server like a process\n"
    "started with LD_PRELOAD. One thread of the process is stopped with ptrace for a few\n"
    "milliseconds while it loads the library; the other threads run on; a system call the stopped\n"
    "thread was in completes or restarts as if nothing happened. Needs permission to trace the\n"
    "process (root, CAP_SYS_PTRACE, or the same user when kernel.yama.ptrace_scope allows it).\n"
    "A process that has the probe already is left alone (exit status 0).\n"
    "\n"
    "  --pid N          the process\n"
    "  --pod NAME       its pod name (default: the host name in the process's own file system,\n"
    "                   /etc/hostname, else this machine's)\n"
    "  --namespace NS   its namespace (default: default)\n"
    "  --labels k=v,... its labels\n"
    "  --probe PATH     the probe library (default: libpodbug-probe.so beside this program); a\n"
    "                   process in another mount namespace (a container) that cannot see it gets\n"
    "                   a copy in its /tmp\n"
    "  --thread TID     run the injection in this thread (default: one blocked in a system call,\n"
    "                   the main thread first, else one running outside libc)\n"
    "  --json           print the outcome as one JSON object (errors too: {\"error\": ...})\n"
    "  --server URL     the server the probe connects to (default ws://127.0.0.1:4700; wss://\n"
    "                   with TLS, verified against PODBUG_CA, which the probe gets too), as the\n"
    "                   process reaches it\n";

static const watch_syntax attach_syntax = { .command = "attach", .help = help, .takes_json = true };

enum { OPT_PID = 1, OPT_POD, OPT_NAMESPACE, OPT_LABELS, OPT_PROBE, OPT_THREAD, OPT_JSON };

typedef struct attach_options {
    long pid, thread;
    const char *pod, *namespace_, *labels, *probe;
    bool json;
} attach_options;

static int take_option(const watch_syntax *syntax, int option, const char *arg, void *ctx)
{
    attach_options *o = ctx;
    switch (option) {
    case OPT_PID:
    case OPT_THREAD: {
        long n = watch_parse_number(arg, 1, INT_MAX);
        if (n < 0)
            return watch_usage_error(syntax, "%s wants a process id, not '%s'",
                                     option == OPT_PID ? "--pid" : "--thread", arg);
        *(option == OPT_PID ? &o->pid : &o->thread) = n;
        return WATCH_OPTIONS_OK;
    }
    case OPT_POD: o->pod = arg; return WATCH_OPTIONS_OK;
    case OPT_NAMESPACE: o->namespace_ = arg; return WATCH_OPTIONS_OK;
    case OPT_LABELS: o->labels = arg; return WATCH_OPTIONS_OK;
    case OPT_PROBE: o->probe = arg; return WATCH_OPTIONS_OK;
    case OPT_JSON: o->json = true; return WATCH_OPTIONS_OK;
    }
    return WATCH_OPTIONS_BAD;
}

/* The pod name a process gets by default: the host name its own file system gives, else ours. */
static void default_pod(pid_t pid, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root/etc/hostname", (int)pid);
    FILE *f = fopen(path, "re");
    out[0] = '\0';
    if (f) {
        if (fgets(out, (int)len, f))
            out[strcspn(out, "\r\n")] = '\0';
        fclose(f);
    }
    if (!out[0] && gethostname(out, len - 1) != 0)
        snprintf(out, len, "unknown");
}

/* libpodbug-probe.so beside this program. */
static void default_probe(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, len, "%s/libpodbug-probe.so", n > 0 ? dirname(exe) : ".");
}

/* Appends "NAME=value\n" to the settings; false when value holds a line break or it does not fit. */
static bool add_setting(char *settings, size_t len, const char *name, const char *value)
{
    if (!value || !*value)
        return true;
    if (strpbrk(value, "\r\n")) {
        fprintf(stderr, "podbug attach: %s must be one line\n", name);
        return false;
    }
    size_t used = strlen(settings);
    int n = snprintf(settings + used, len - used, "%s=%s\n", name, value);
    if (n < 0 || (size_t)n >= len - used) {
        fprintf(stderr, "podbug attach: %s is too long\n", name);
        return false;
    }
    return true;
}

/* The probe's settings; checked here with the probe's own rules so that a bad one never reaches
 * the process. Returns 0, or 2 after a usage message. */
static int build_settings(const server_url *server, const attach_options *o, const char *pod, char *settings,
                          size_t len)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s:%d%s", server_url_scheme(server), server->host, server->port,
             server->path[0] ? server->path : "/probe");
    settings[0] = '\0';
    if (!add_setting(settings, len, "PODBUG_SERVER", url) || !add_setting(settings, len, "PODBUG_POD", pod) ||
        !add_setting(settings, len, "PODBUG_NAMESPACE", o->namespace_) ||
        !add_setting(settings, len, "PODBUG_LABELS", o->labels) ||
        !add_setting(settings, len, "PODBUG_TOKEN", getenv("PODBUG_TOKEN")) ||
        !add_setting(settings, len, "PODBUG_CA", getenv("PODBUG_CA")) ||
        !add_setting(settings, len, "PODBUG_LOG", getenv("PODBUG_LOG")))
        return 2;
    probe_config check;
    char err[300];
    int rc = probe_config_load(&check, settings, err, sizeof err);
    probe_config_free(&check);
    if (rc != 0) {
        fprintf(stderr, "podbug attach: %s\n", err);
        return 2;
    }
    return 0;
}

static void print_outcome(const attach_options *o, const char *pod, const inject_result *r, const char *error)
{
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "pid", (double)o->pid);
        if (error) {
            cJSON_AddStringToObject(j, "error", error);
        } else {
            cJSON_AddStringToObject(j, "pod", pod);
            cJSON_AddStringToObject(j, "namespace", o->namespace_ ? o->namespace_ : "default");
            cJSON_AddBoolToObject(j, "already_loaded", r->already_loaded);
            cJSON_AddStringToObject(j, "probe", r->loaded_path);
            if (!r->already_loaded) {
                cJSON_AddBoolToObject(j, "copied", r->copied);
                cJSON_AddBoolToObject(j, "settings_ignored", r->settings_ignored);
                cJSON_AddNumberToObject(j, "thread", r->thread);
                cJSON_AddNumberToObject(j, "stopped_ms", (double)r->stopped_us / 1000.0);
            }
        }
        char *text = cJSON_PrintUnformatted(j);
        if (text)
            puts(text);
        free(text);
        cJSON_Delete(j);
    }
    if (error)
        fprintf(stderr, "podbug attach: %s\n", error);
    else if (o->json)
        return;
    else if (r->already_loaded)
        printf("the probe is already loaded in %ld (%s)\n", o->pid, r->loaded_path);
    else {
        if (r->copied)
            printf("copied the probe to %s inside the process's file system (it cannot see ours)\n",
                   r->loaded_path);
        printf("attached: probe loaded into %ld (pod %s); thread %d was stopped for %.1f ms\n", o->pid, pod,
               (int)r->thread, (double)r->stopped_us / 1000.0);
        if (r->settings_ignored)
            printf("note: the probe started by itself with the process's environment (PODBUG_*), not with "
                   "these options: it only leaves the start to a program named podbug\n");
    }
}

int cli_attach(const server_url *server, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pid", required_argument, NULL, OPT_PID },         { "pod", required_argument, NULL, OPT_POD },
        { "namespace", required_argument, NULL, OPT_NAMESPACE }, { "labels", required_argument, NULL, OPT_LABELS },
        { "probe", required_argument, NULL, OPT_PROBE },     { "thread", required_argument, NULL, OPT_THREAD },
        { "json", no_argument, NULL, OPT_JSON },             { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    attach_options o = { 0 };
    int rc = watch_getopt(&attach_syntax, argc, argv, longopts, take_option, &o);
    if (rc == WATCH_OPTIONS_HELP)
        return 0;
    if (rc != WATCH_OPTIONS_OK)
        return 2;
    if (optind < argc)
        return watch_usage_error(&attach_syntax, "unexpected '%s'", argv[optind]);
    if (o.pid == 0)
        return watch_usage_error(&attach_syntax, "which process? (--pid N)");
    char pod[256], probe[PATH_MAX], settings[4096];
    if (o.pod)
        snprintf(pod, sizeof pod, "%s", o.pod);
    else
        default_pod((pid_t)o.pid, pod, sizeof pod);
    if (o.probe)
        snprintf(probe, sizeof probe, "%s", o.probe);
    else
        default_probe(probe, sizeof probe);
    if (build_settings(server, &o, pod, settings, sizeof settings) != 0)
        return 2;
    inject_request req = { .pid = (pid_t)o.pid, .thread = (pid_t)o.thread, .probe_path = probe,
                           .settings = settings };
    inject_result result;
    char err[512];
    if (inject_probe(&req, &result, err, sizeof err) != 0) {
        print_outcome(&o, pod, &result, err);
        return 1;
    }
    print_outcome(&o, pod, &result, NULL);
    return 0;
}
