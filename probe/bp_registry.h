/* The probe's breakpoints by server id: each resolved to its addresses through the symbol index,
 * its condition compiled there, registered with the hit filter and armed through the trap
 * module. Agent only. */
#ifndef PODBUG_BP_REGISTRY_H
#define PODBUG_BP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "probe_msg.h"
#include "symbols.h"

/* Applies a breakpoints.set: new ids are resolved and armed, an id already present with the
 * same source, line, condition, hit condition and log message is kept (with its hit count), one with a
 * different spec is re-armed. Fills out (the caller frees it with probe_bp_result_free). Returns 0, or -1 when out of memory. */
int bp_registry_set(sym_index *symbols, const probe_bp_set *set, probe_bp_result *out);
/* Whether a stop wanted by breakpoints ids stops the whole process: some of them has stop_all
 * (a breakpoint cleared meanwhile counts as not), or there are none (a fatal signal). */
bool bp_registry_stops_all(const int64_t *ids, size_t n);
/* Disarms and forgets the given ids (unknown ids are ignored). */
void bp_registry_clear(const int64_t *ids, size_t n);
/* Disarms breakpoint id but keeps it, unverified with message why, until the server sets it
 * anew with a different spec or clears it (a breakpoint that overran its CPU budget). */
void bp_registry_switch_off(int64_t id, const char *why);
/* Resolves every breakpoint again (after a hot reload or rollback: modules were loaded, function
 * copies superseded): arms it at the addresses it resolves to now, disarms it at those it no
 * longer does, keeps its hit count. Breakpoints switched off stay off. */
void bp_registry_rebind(sym_index *symbols);
/* Disarms and forgets everything (server connection lost). */
void bp_registry_clear_all(void);

#endif
