/* Fatal signals as DAP exception breakpoints: the filters podbug offers, each session's choice
 * (setExceptionBreakpoints) and its fan-out: a probe gets the union of its sessions' choices. */
#ifndef PODBUG_EXCEPTION_FILTERS_H
#define PODBUG_EXCEPTION_FILTERS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "dap_session.h"

/* The exceptionBreakpointFilters capability: one filter per fatal signal, id = its name. */
cJSON *exception_filters_capability(void);
/* Marks the stop and snapshot entries of a breakpointModes list as applying to exceptions too
 * (appliesTo gains "exception"): stop stops the process at the signal, snapshot captures a crash
 * snapshot before the signal's action proceeds. */
void exception_filters_add_modes(cJSON *modes);

/* Reads setExceptionBreakpoints arguments ("filters": [id], "filterOptions": [{filterId, mode}])
 * into modes (indexed like fatal_signals(); a filter without a mode stops). Returns the number
 * of filters given, or -1 with err naming the bad entry. */
int exception_filters_parse(const cJSON *args, int modes[FATAL_SIGNAL_COUNT], char *err, size_t err_len);

/* Makes modes s's choice, sends every process s sees its new union and answers ref (one verified
 * breakpoint per filter given) once they have all replied or failed. */
void exception_filters_set(dap_session *s, const dap_request_ref *ref, const int modes[FATAL_SIGNAL_COUNT],
                           int filters);
/* A probe joined: sends it the union of the sessions that see it (nothing when none chose). */
void exception_filters_probe_joined(probe_peer *p);
/* s is detaching: its choice is dropped and the processes it saw get the others' union. */
void exception_filters_session_gone(dap_session *s);

#endif
