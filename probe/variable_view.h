/* How variables are presented to the IDE: the DWARF variables of a frame's scopes, its known
 * registers, and each value as a probe_variable (text, type, child counts, name, evaluate name). */
#ifndef PODBUG_VARIABLE_VIEW_H
#define PODBUG_VARIABLE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include "frame_regs.h"
#include "probe_msg.h"
#include "value.h"
#include "var_refs.h"

/* A count for the wire: n, or INT_MAX when larger. */
int variable_view_count(size_t n);

/* The DWARF variables a scope lists (Arguments, Locals, Globals, Statics) in the frame's scope
 * level; 0 for the other kinds and for frames without debug information. */
size_t variable_view_scope(const value_frame *vf, var_ref_kind kind, const dvar **vars);
/* The register numbers known in a frame, in DWARF order (regnos holds FRAME_REG_COUNT).
 * Returns how many. */
size_t variable_view_registers(const frame_regs *regs, int *regnos);
/* What a reference lists: its named children (variables, registers, members, the pointee) and
 * its indexed children (elements), numbered named first. */
void variable_view_ref_child_counts(const value_frame *vf, const var_ref *ref, size_t *named,
                                    size_t *indexed);

/* The expression yielding child child_name of a value of parent_type that parent_evaluate_name
 * yields: "p.x", "a[3]", "*p", "(*p).x"; an anonymous struct or union member is reached through
 * its parent. "" when unknown or too long. */
void variable_view_child_evaluate_name(const char *parent_evaluate_name, const dtype *parent_type,
                                       const char *child_name, char *out, size_t len);

/* The strings below are malloc'ed into out (variable_view_free releases them); out->ref is left
 * alone. */

/* Fills what every shown value has: its text, its type and its children counts. */
void variable_view_value(const value_frame *vf, const value *v, probe_variable *out);
/* A value that could not be obtained: "<error: message>" and the type when known (may be NULL). */
void variable_view_error(const char *message, const dtype *type, probe_variable *out);
/* A variable: its name and evaluate name, then its value (true, with the value in *v) or the
 * error that prevented it (false). A variable or child whose name is redacted (redaction.h)
 * shows "<redacted>" and its type, with no children, and its *v is left unavailable. */
bool variable_view_variable(const value_frame *vf, const dvar *var, value *v, probe_variable *out);
/* Child i of parent (named parent_name, yielded by parent_evaluate_name, "" when none): its name
 * ("x", "[3]", "*p"), evaluate name and value (true, the child in *child) or error (false). */
bool variable_view_child(const value_frame *vf, const value *parent, const char *parent_name,
                         const char *parent_evaluate_name, size_t i, value *child,
                         probe_variable *out);
/* A register of a frame: "rax", "0x" and 16 hex digits, "uint64_t". */
void variable_view_register(const frame_regs *regs, int regno, probe_variable *out);
void variable_view_free(probe_variable *shown);

/* Reads the first bytes of a value that has any (not for empty types and functions). Returns 0,
 * or -1 with err ("cannot read memory at 0x10", "'x' is optimized out here"). */
int variable_view_check_readable(const value_frame *vf, const value *v, char *err, size_t err_len);

#endif
