/* The probe library's entry point: its constructor starts the agent thread and returns at once,
 * so a process started with LD_PRELOAD=libpodbug-probe.so begins its own work without delay. */
#include <stdlib.h>
#include <pthread.h>
#include "agent.h"
#include "stopper.h"

/* A forked child has no agent thread: its inherited breakpoints must never park it. */
static void after_fork_in_child(void)
{
    stopper_set_enabled(false);
}

__attribute__((constructor)) static void podbug_probe_load(void)
{
    const char *off = getenv("PODBUG_DISABLE");
    if (off && *off && *off != '0')
        return;
    pthread_atfork(NULL, NULL, after_fork_in_child);
    agent_start();
}
