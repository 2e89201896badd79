/* Loading libpodbug-probe.so into a running process without a restart (`podbug attach`): checks,
 * one thread stopped at a safe point, dlopen and podbug_probe_attach in it, registers restored. */
#ifndef PODBUG_INJECT_H
#define PODBUG_INJECT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct inject_request {
    pid_t pid;
    pid_t thread;            /* the thread to run the calls in; 0: chosen (safe_point.h) */
    const char *probe_path;  /* our libpodbug-probe.so */
    const char *settings;    /* podbug_probe_attach's text ("PODBUG_SERVER=...\n...", config.h) */
} inject_request;

typedef struct inject_result {
    bool already_loaded;        /* a podbug probe was mapped already: nothing was done */
    char loaded_path[PATH_MAX]; /* the file the process loaded, as it sees it */
    bool copied;                /* loaded_path is a copy in the process's /tmp: its mount namespace
                                 * does not see probe_path */
    bool settings_ignored;      /* the probe started by itself (its constructor did not see podbug
                                 * tracing it: a renamed podbug) with the process's environment */
    pid_t thread;               /* the thread that was stopped */
    int64_t stopped_us;         /* for how long */
} inject_result;

/* Injects the probe into req->pid. Returns 0 (also when already loaded: no ptrace then), or -1
 * with err: no such process, no permission (and why), no libc or no dlopen in the process, no
 * thread at a safe point, dlopen's own message, the probe's refusal, the process exiting. */
int inject_probe(const inject_request *req, inject_result *out, char *err, size_t err_len);

/* Whether path (a mapped file) is a podbug probe: libpodbug-probe.so in any directory, or a copy
 * of it that inject_probe left in a container's /tmp. */
bool inject_is_probe_path(const char *path, const void *unused);

#endif
