/* The whole of `podbug attach` (see inject.h): is a probe there already, where libc's dlopen is,
 * which path the process can open, one thread stopped, the calls, the restore, the time taken. */
#include "inject.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_info.h"
#include "remote_call.h"
#include "safe_point.h"
#include "target_libc.h"

#define PROBE_FILE_NAME "libpodbug-probe.so"
#define COPY_PREFIX "podbug-probe-"
#define DLOPEN_TIMEOUT_MS 10000
#define START_TIMEOUT_MS 5000
#define MESSAGE_TIMEOUT_MS 2000

bool inject_is_probe_path(const char *path, const void *unused)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(base);
    return strcmp(base, PROBE_FILE_NAME) == 0 ||
           (strncmp(base, COPY_PREFIX, strlen(COPY_PREFIX)) == 0 && len > 3 && strcmp(base + len - 3, ".so") == 0);
}

/* Copies the probe into the process's /tmp (through /proc/N/root) under a fresh name. */
static int copy_into_process(pid_t pid, const char *probe_path, inject_result *out, char *err, size_t err_len)
{
    char root[64], dest[PATH_MAX];
    int root_len = snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
    snprintf(dest, sizeof dest, "%s/tmp/" COPY_PREFIX "XXXXXX.so", root);
    int to = mkstemps(dest, 3);
    if (to < 0) {
        snprintf(err, err_len, "process %d cannot see %s, and copying it into its /tmp failed: %s", (int)pid,
                 probe_path, strerror(errno));
        return -1;
    }
    int from = open(probe_path, O_RDONLY | O_CLOEXEC);
    char buf[65536];
    ssize_t n = from < 0 ? -1 : 0;
    while (from >= 0 && (n = read(from, buf, sizeof buf)) > 0)
        if (write(to, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    int failed = n < 0 || fchmod(to, 0755) != 0;
    if (from >= 0)
        close(from);
    close(to);
    if (failed) {
        snprintf(err, err_len, "cannot copy %s into %s: %s", probe_path, dest, strerror(errno));
        unlink(dest);
        return -1;
    }
    snprintf(out->loaded_path, sizeof out->loaded_path, "%s", dest + root_len);
    out->copied = true;
    return 0;
}

/* The path under which the process loads our probe: ours when its mount namespace sees the same
 * file there, otherwise a copy in its /tmp. */
static int path_for_process(const process_maps *maps, const char *probe_path, inject_result *out, char *err,
                            size_t err_len)
{
    char real[PATH_MAX], theirs[PATH_MAX + 64];
    struct stat ours, seen;
    if (!realpath(probe_path, real) || stat(real, &ours) != 0) {
        snprintf(err, err_len, "no probe library at %s: %s", probe_path, strerror(errno));
        return -1;
    }
    snprintf(theirs, sizeof theirs, "/proc/%d/root%s", (int)maps->pid, real);
    if (stat(theirs, &seen) == 0 && seen.st_dev == ours.st_dev && seen.st_ino == ours.st_ino) {
        snprintf(out->loaded_path, sizeof out->loaded_path, "%s", real);
        return 0;
    }
    return copy_into_process(maps->pid, real, out, err, err_len);
}

/* Rewrites err as "<what> in process <pid>: <err>". Returns -1. */
static int call_failed(const char *what, pid_t pid, char *err, size_t err_len)
{
    char why[256];
    snprintf(why, sizeof why, "%s", err);
    snprintf(err, err_len, "%s in process %d: %s", what, (int)pid, why);
    return -1;
}

/* Runs message_fn() in the process and reads the string it returns into text. */
static void remote_message(remote_call *c, pid_t pid, uint64_t message_fn, char *text, size_t len)
{
    uint64_t address = 0;
    char ignored[128];
    snprintf(text, len, "no reason given");
    if (remote_call_run(c, message_fn, NULL, 0, MESSAGE_TIMEOUT_MS, &address, ignored, sizeof ignored) == 0 &&
        address)
        remote_read_string(pid, address, text, len);
}

/* The runtime addresses of the entry points of the probe the process has just loaded. */
static int find_probe_entries(pid_t pid, uint64_t *attach, uint64_t *attach_error, char *err, size_t err_len)
{
    process_maps maps;
    target_module probe;
    if (process_maps_read(pid, &maps, err, err_len) != 0)
        return -1;
    int rc = -1;
    if (!target_module_find(&maps, inject_is_probe_path, NULL, &probe))
        snprintf(err, err_len, "dlopen succeeded but process %d maps no probe", (int)pid);
    else if (target_module_symbol(&maps, &probe, "podbug_probe_attach", attach, err, err_len) == 0 &&
             target_module_symbol(&maps, &probe, "podbug_probe_attach_error", attach_error, err, err_len) == 0)
        rc = 0;
    process_maps_free(&maps);
    return rc;
}

/* dlopen(path) then podbug_probe_attach(settings) in the stopped thread. */
static int load_and_start(remote_call *c, const inject_request *req, const target_libc *libc, inject_result *out,
                          char *err, size_t err_len)
{
    pid_t pid = req->pid;
    const char *path = out->loaded_path;
    uint64_t args[2] = { remote_call_push_string(c, path, err, err_len), RTLD_NOW | RTLD_LOCAL }, handle;
    if (args[0] == 0 || remote_call_run(c, libc->dlopen, args, 2, DLOPEN_TIMEOUT_MS, &handle, err, err_len) != 0)
        return call_failed("dlopen", pid, err, err_len);
    char text[512];
    if (handle == 0) {
        remote_message(c, pid, libc->dlerror, text, sizeof text);
        snprintf(err, err_len, "dlopen failed in process %d: %s", (int)pid, text);
        return -1;
    }
    uint64_t attach, attach_error, started;
    if (find_probe_entries(pid, &attach, &attach_error, err, err_len) != 0)
        return -1;
    uint64_t settings = remote_call_push_string(c, req->settings, err, err_len);
    if (settings == 0 || remote_call_run(c, attach, &settings, 1, START_TIMEOUT_MS, &started, err, err_len) != 0)
        return call_failed("podbug_probe_attach", pid, err, err_len);
    if ((int32_t)started < 0) {
        remote_message(c, pid, attach_error, text, sizeof text);
        snprintf(err, err_len, "the probe did not start in process %d: %s", (int)pid, text);
        return -1;
    }
    out->settings_ignored = started == 1;
    return 0;
}

/* Stops a thread, runs the calls, restores it and lets it go; out->stopped_us says for how long. */
static int inject_into_thread(const inject_request *req, const target_libc *libc, inject_result *out, char *err,
                              size_t err_len)
{
    ptrace_thread t;
    remote_call c;
    int64_t stopped_at;
    if (safe_point_stop(req->pid, req->thread, libc, &t, &stopped_at, err, err_len) != 0)
        return -1;
    out->thread = t.tid;
    int rc = remote_call_begin(&c, &t, err, err_len) == 0 ? load_and_start(&c, req, libc, out, err, err_len) : -1;
    char end_err[256];
    if (remote_call_end(&c, end_err, sizeof end_err) != 0 && rc == 0) {
        snprintf(err, err_len, "%s", end_err);
        rc = -1;
    }
    ptrace_thread_release(&t);
    out->stopped_us = ptrace_now_us() - stopped_at;
    return rc;
}

static bool process_gone(pid_t pid)
{
    char state = proc_task_state(pid, pid);
    return state == '?' || state == 'Z' || state == 'X';
}

int inject_probe(const inject_request *req, inject_result *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    process_maps maps;
    target_module present;
    target_libc libc;
    if (process_maps_read(req->pid, &maps, err, err_len) != 0)
        return -1;
    if (target_module_find(&maps, inject_is_probe_path, NULL, &present)) {
        out->already_loaded = true;
        snprintf(out->loaded_path, sizeof out->loaded_path, "%s", present.first->path);
        process_maps_free(&maps);
        return 0;
    }
    int rc = target_libc_find(&maps, &libc, err, err_len) == 0 &&
                     path_for_process(&maps, req->probe_path, out, err, err_len) == 0
                 ? inject_into_thread(req, &libc, out, err, err_len)
                 : -1;
    process_maps_free(&maps);
    if (rc != 0 && out->copied) {
        char copy[PATH_MAX + 64];
        snprintf(copy, sizeof copy, "/proc/%d/root%s", (int)req->pid, out->loaded_path);
        unlink(copy);
    }
    if (rc != 0 && process_gone(req->pid)) {
        char why[256];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, err_len, "process %d exited during the attach (%s)", (int)req->pid, why);
    }
    return rc;
}
