/* How values look in the IDE: the one-line text of a value (like lldb-dap and gdb), its type's
 * name, and its children for lazy expansion (members, elements, the pointee). */
#ifndef PODBUG_VALUE_FORMAT_H
#define PODBUG_VALUE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include "value.h"

#define VALUE_STRING_LIMIT 256   /* chars shown of a char array or char * */

/* Text of v: integers in decimal ("42", "-7"), chars as "97 'a'", bools "true"/"false", floats
 * ("3.5"), enums by name ("RED", or "7" when no enumerator matches, or "RED | BLUE" is not done),
 * pointers in hex ("0x7ffd5e8c"), char pointers and char arrays as quoted, escaped strings with
 * the address for pointers ("0x4006f4 \"alice\""), truncated with "..." past the limit, a null
 * char pointer "0x0", function pointers as the symbol ("0x401136 <compute_fee>"), structs and
 * unions "{...}", arrays "[10]" (or "{1, 2, 3}" when short scalars), "<optimized out>" and
 * "<error: cannot read memory at 0x10>". Returns out. */
const char *value_format(const value_frame *f, const value *v, char *out, size_t len);

/* How many children v has when expanded: named (struct/union members, 1 for a pointer to a
 * non-void type) and indexed (array elements). Both 0 for scalars and unavailable values. */
void value_child_counts(const value_frame *f, const value *v, size_t *named, size_t *indexed);

/* Child i: for structs the member (name = member name, or "<anonymous union>"), for arrays the
 * element (name = "[i]"), for pointers the pointee (name = "*<parent name>"). Returns 0, or -1
 * with err. */
int value_child(const value_frame *f, const value *v, const char *parent_name, size_t i,
                char *name, size_t name_len, value *child, char *err, size_t err_len);

#endif
