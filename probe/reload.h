/* Hot reload inside the probe: the generations of every reloaded module, swapping a running
 * module's functions for a rebuilt library's (reload) and back (rollback). Agent thread, except
 * where a function says it is handler-safe. */
#ifndef PODBUG_RELOAD_H
#define PODBUG_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "probe_msg.h"
#include "symbols.h"

/* Generations loaded in one process, over all modules (each holds its library's memory for good). */
#define RELOAD_MAX_GENERATIONS 256
/* How long a reload or rollback waits for threads to leave the entries it rewrites. */
#define RELOAD_PATCH_TIMEOUT_MS 2000

/* PROBE_PROTOCOL.md 4.21: replaces the functions of the running module named like req->name (or
 * the new library's DT_SONAME) by those of req->library that differ, after checking the bytes,
 * comparing both libraries' DWARF and binding the new library to the running state; breakpoints
 * are re-resolved. Fills out (free with probe_reload_result_free). Returns 0, or -1 with err (the
 * whole message for the error reply: "refused: ..." when incompatible). Nothing is changed in the
 * process on failure (a refused library's constructors and destructors have run). */
int reload_apply(sym_index *symbols, const probe_reload *req, probe_reload_result *out, char *err,
                 size_t err_len);

/* PROBE_PROTOCOL.md 4.22: the previous generation of the module named req->name (NULL: the module
 * reloaded last) runs again, every entry with exactly the bytes it had then; breakpoints are
 * re-resolved. req->reload_id, when not 0, must be the running generation's. Fills out (free with
 * probe_reload_rollback_result_free). Returns 0, or -1 with err. */
int reload_rollback(sym_index *symbols, const probe_reload_rollback *req, probe_reload_rollback_result *out,
                    char *err, size_t err_len);

/* True when addr lies in a function copy that no longer runs: its entry jumps to a newer (or, after
 * a rollback, older) copy. Breakpoints are not armed there. */
bool reload_superseded(uintptr_t addr);

/* Handler-safe: whether pc lies in the code of a reloaded generation (>= 1) of some module; then
 * fills the reload that made it, the module's original path and the generation's number. */
bool reload_pc_in_new_code(uintptr_t pc, int64_t *reload_id, const char **module, int *generation);

#endif
