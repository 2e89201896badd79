/* What a hot reload did in each process and how it is told: the per-process outcome, its JSON in
 * the podbug/reload response, the progress line per answer and the one-line summary. */
#ifndef PODBUG_RELOAD_REPORT_H
#define PODBUG_RELOAD_REPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include "probe_msg.h"
#include "reloads.h"

typedef enum reload_status {
    RELOAD_PENDING,        /* asked, no answer yet */
    RELOAD_RELOADED,
    RELOAD_ROLLED_BACK,    /* reloaded and rolled back again, or a rollback asked for */
    RELOAD_REFUSED,        /* the probe found the libraries incompatible */
    RELOAD_FAILED,
    RELOAD_NOT_ATTEMPTED,  /* a canary failed first */
} reload_status;

typedef struct reload_outcome {
    uint64_t probe_id;
    reload_process process;
    char *pod;
    int pid;
    bool canary;
    reload_status status;
    char *message;                 /* the reason, or what happened since; NULL for none */
    probe_reload_result result;    /* module, generation (running now), patched, counts, time_us */
    int64_t restored;              /* function entries a rollback rewrote */
} reload_outcome;

/* "reloaded", "rolled back", "refused", "failed", "not attempted" ("pending" while asked). */
const char *reload_status_name(reload_status status);

/* A pending outcome for probe p. Returns 0, or -1 when out of memory. */
int reload_outcome_init(reload_outcome *o, const probe_peer *p, bool canary);
/* Replaces the message (a copy of the formatted text). */
void reload_outcome_say(reload_outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reload_outcome_free(reload_outcome *o);

/* {"process", "pod", "pid", "status", "message", "module", "generation", "patched", "unchanged",
 * "added", "timeMs"} plus "warnings" when there are any and "restored" for rollbacks. */
cJSON *reload_outcome_json(const reload_outcome *o, bool rollback);

/* "pod-a/123: patched handle (0.4 ms)", "pod-b/124: refused: struct request changed layout ...". */
char *reload_progress_line(const reload_outcome *o);

/* The whole reload in one line, e.g. "reloaded libhandlers.so in 3 of 3 processes: patched
 * handle; 4 functions unchanged; slowest 2.1 ms", or for a failure "reload of libhandlers.so
 * failed in pod-b/124: <why>; rolled back in pod-a/123 and pod-c/125". name may be NULL for a
 * rollback of the module reloaded last. Malloc'ed. */
char *reload_summary(const char *name, bool rollback, const reload_outcome *outcomes, size_t n);

/* Whether every process reloaded (or, for a rollback, rolled back). */
bool reload_all_done(bool rollback, const reload_outcome *outcomes, size_t n);

#endif
