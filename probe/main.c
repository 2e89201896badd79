/* The probe library's entry points: the constructor (LD_PRELOAD) starts the agent thread and returns
 * at once (or, in a program the server launched, once the server releases it); podbug_probe_attach
 * starts it with an injector's settings (`podbug attach`). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "include/podbug_probe.h"
#include "log.h"
#include "proc_info.h"
#include "stopper.h"

/* How long a launched program waits for the server's release before it starts anyway. */
#define HOLD_TIMEOUT_MS 30000

static atomic_bool started;
static char attach_error[256];

/* A forked child has no agent thread: its inherited breakpoints must never park it. */
static void after_fork_in_child(void)
{
    stopper_set_enabled(false);
}

/* Starts the agent once per process: 0, 1 when it was already started, -1 with err. */
static int start_once(const char *settings, char *err, size_t err_len)
{
    if (atomic_exchange(&started, true))
        return 1;
    pthread_atfork(NULL, NULL, after_fork_in_child);
    if (agent_start(settings, err, err_len) != 0) {
        log_set_prefix("podbug-probe");
        log_error("disabled: %s", err);
        return -1;
    }
    return 0;
}

/* True while `podbug attach` (or the server, which runs it) holds this thread with ptrace: the
 * injector calls podbug_probe_attach with its settings next. Any other tracer (gdb) is ignored. */
static bool injected_by_podbug(void)
{
    long tracer = proc_status_number("/proc/thread-self/status", "TracerPid:");
    if (tracer <= 0)
        return false;
    char name[32];
    proc_process_name((pid_t)tracer, name, sizeof name);
    return strncmp(name, "podbug", 6) == 0;
}

/* PODBUG_HOLD=1: the server launched this program and releases it once the session's breakpoints
 * are armed. Removed from the environment, so that the program's children start at once. */
static bool start_held_by_server(void)
{
    const char *hold = getenv("PODBUG_HOLD");
    bool held = hold && *hold && *hold != '0';
    unsetenv("PODBUG_HOLD");
    return held;
}

__attribute__((constructor)) static void podbug_probe_load(void)
{
    const char *off = getenv("PODBUG_DISABLE");
    if ((off && *off && *off != '0') || injected_by_podbug())
        return;
    bool held = start_held_by_server();
    if (held)
        agent_hold_begin();
    char err[256];
    if (start_once(NULL, err, sizeof err) == 0 && held)
        agent_hold_wait(HOLD_TIMEOUT_MS);
}

int podbug_probe_attach(const char *settings)
{
    int rc = start_once(settings, attach_error, sizeof attach_error);
    if (rc == 1)
        snprintf(attach_error, sizeof attach_error, "the probe is already running in this process");
    return rc;
}

const char *podbug_probe_attach_error(void)
{
    return attach_error;
}
