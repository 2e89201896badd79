/* Fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) as exception breakpoints: the handler
 * that catches the selected ones first, stops the process or takes a crash snapshot, then chains. */
#ifndef PODBUG_CRASH_GUARD_H
#define PODBUG_CRASH_GUARD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "fatal_signals.h"
#include "probe_msg.h"
#include "symbols.h"

/* The snapshot "id" of a crash snapshot: no breakpoint has it (breakpoint ids start at 1). */
#define CRASH_SNAPSHOT_ID 0

/* Agent: catch exactly the signals of set, each in its mode (the others are left to the program's
 * own disposition). A signal is claimed through signal_interpose the first time it is selected
 * and stays claimed; unselected, our handler only chains. Returns 0, or -1 with err. */
int crash_guard_configure(const probe_exceptions_set *set, char *err, size_t err_len);

/* Agent, once a hot reload has loaded new code: every fatal signal is claimed, and a crash whose pc
 * is in reloaded code (reload_pc_in_new_code) is caught in snapshot mode whatever the filters
 * say, its snapshot annotated with the reload. Idempotent. Returns 0, or -1 with err. */
int crash_guard_watch_reloads(char *err, size_t err_len);

/* Agent: no signal is caught any more (the probe lost its server); crashes in reloaded code still
 * are. */
void crash_guard_reset(void);

/* Agent, while stopped: when thread tid is parked in a fatal signal, fills stopped's reason
 * ("exception"), description (written to description[len]) and exception details and returns
 * true; otherwise leaves stopped alone. */
bool crash_guard_describe_stop(pid_t tid, probe_stopped *stopped, char *description, size_t len);

/* Agent: completes the formatted crash snapshot of thread tid (PROBE_PROTOCOL.md 4.15): "reason"
 * "crash", "description", "exception" {signal, code, address}, "reload" {reload_id, module,
 * generation} when it crashed in reloaded code, and "threads" (every other thread's frames). The crashing thread waits until crash_guard_release_reported. */
void crash_guard_annotate_snapshot(sym_index *symbols, pid_t tid, cJSON *body);
/* Agent, once the annotated snapshots have left (agent_after_flush): lets their threads go on to
 * the signal's action. */
void crash_guard_release_reported(void);

#endif
