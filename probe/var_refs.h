/* Variable references of one stop: the integers the IDE passes back to expand a scope or a
 * value (DAP variablesReference, probe side). Each names a scope of a frame, or a value with
 * children. Valid until the process resumes. Agent thread only. */
#ifndef PODBUG_VAR_REFS_H
#define PODBUG_VAR_REFS_H

#include <stdint.h>
#include <sys/types.h>
#include "value.h"

typedef enum {
    VAR_REF_ARGUMENTS, VAR_REF_LOCALS, VAR_REF_GLOBALS, VAR_REF_STATICS, VAR_REF_REGISTERS,
    VAR_REF_VALUE
} var_ref_kind;

typedef struct var_ref {
    var_ref_kind kind;
    pid_t tid;
    int frame;               /* index in thread_frames_get's list */
    value value;             /* VAR_REF_VALUE: the value whose children are listed */
    char name[128];          /* VAR_REF_VALUE: its display name (for "*p" children) */
    char evaluate_name[256]; /* VAR_REF_VALUE: an expression that yields it, "" if none */
} var_ref;

/* Registers a reference; returns its id (> 0), or 0 when the table is full. */
int64_t var_refs_add(const var_ref *ref);
/* NULL when id is unknown (or from before the last resume). */
const var_ref *var_refs_get(int64_t id);
void var_refs_reset(void);

#endif
