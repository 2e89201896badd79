/* What value.c and expr_eval.c share: questions about types (size, scalar class, signedness)
 * where NULL means void, and the error-text helper both use. Agent thread only. */
#ifndef PODBUG_VALUE_SUPPORT_H
#define PODBUG_VALUE_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "debuginfo.h"

/* dtype_strip, with NULL for void (whether spelled NULL or a DT_VOID type). */
const dtype *type_strip(const dtype *t);
/* Bytes of an object of type t (arrays: count * element size); 0 for void and incomplete types. */
uint64_t type_size(const dtype *t);
/* Integer, char, bool or enum. */
bool type_is_integer(const dtype *t);
bool type_is_float(const dtype *t);
bool type_is_pointer(const dtype *t);
bool type_is_array(const dtype *t);
/* A signed integer type (signed char and signed enums included). */
bool type_is_signed(const dtype *t);
/* char, signed char or unsigned char. */
bool type_is_char(const dtype *t);

/* The low `bits` bits of v (1..64) as a 64-bit integer: sign-extended when is_signed, else
 * zero-extended. */
uint64_t bits_extend(uint64_t v, unsigned bits, bool is_signed);

/* Formats err and returns -1, so that failures read `return value_fail(err, len, ...)`. */
int value_fail(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
