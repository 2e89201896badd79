/* Crash rollback across the fleet: a crash snapshot whose body names a reload (PROBE_PROTOCOL.md
 * 4.22) rolls that reload back in every other process running it, then tells the sessions: an
 * "important" output event with the crash's frames and the custom event podbug/reloadCrashed. */
#ifndef PODBUG_RELOAD_CRASH_H
#define PODBUG_RELOAD_CRASH_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include "fleet.h"

typedef struct reload_crash reload_crash;

/* Every crash snapshot from p comes here (body as validated); one without "reload" is ignored.
 * A reload still in progress takes the crash over (reload_run_take_crash); otherwise the rollbacks
 * are sent from here. */
void reload_crash_on_snapshot(probe_peer *p, const cJSON *body);

/* For the reload in progress that took the crash over: what the crash says, who was rolled back
 * (or could not be, and why), and the end: the sessions are told and c is freed. */
const char *reload_crash_description(const reload_crash *c);
void reload_crash_rolled_back(reload_crash *c, const char *process);
void reload_crash_not_rolled_back(reload_crash *c, const char *process, const char *why);
void reload_crash_finish(reload_crash *c);

#endif
