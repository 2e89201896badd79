/* Snapshots as the IDE sees them: a probe's snapshot event is stored and shown to the session that
 * owns its breakpoint as a stopped snapshot thread (at most SESSION_MAX_SNAPSHOT_THREADS each). */
#ifndef PODBUG_SNAPSHOT_THREADS_H
#define PODBUG_SNAPSHOT_THREADS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dap_session.h"
#include "fleet.h"
#include "snapshot_store.h"

/* Sets the store's limits (0 = its default) and follows its evictions. Once, at start-up. */
void snapshot_threads_init(size_t max_snapshots, size_t max_bytes);

/* A probe's snapshot event: body (validated, taken) is stored and shown; its `dropped` count is
 * reported. `bytes` is the size of its JSON text. Dropped when no session owns the breakpoint. */
void snapshot_threads_on_snapshot(probe_peer *p, cJSON *body, size_t bytes);
/* A probe's snapshot.dropped event: counted and reported to the owning session. */
void snapshot_threads_on_dropped(probe_peer *p, const probe_snapshot_dropped *report);

/* The snapshot behind a DAP thread id if s shows it, else NULL. */
const snapshot_record *snapshot_threads_shown(const dap_session *s, uint64_t snapshot_id);
/* The DAP thread id of a snapshot s shows, 0 when it does not show it. */
int snapshot_threads_thread_id(const dap_session *s, uint64_t snapshot_id);
/* Hides a snapshot thread from s (a "thread" exited event); the store keeps the snapshot. */
void snapshot_threads_dismiss(dap_session *s, uint64_t snapshot_id);
/* Appends s's snapshot threads, oldest first, to a DAP "threads" list. */
void snapshot_threads_list(const dap_session *s, cJSON *threads);
/* The session is closing: its snapshot threads' handles die, quietly. */
void snapshot_threads_forget_session(dap_session *s);

#endif
