/* Type questions and the error-text helper shared by values and expressions (see
 * value_support.h): NULL stands for void everywhere here. */
#include "value_support.h"

#include <stdarg.h>
#include <stdio.h>

const dtype *type_strip(const dtype *t)
{
    const dtype *s = t ? dtype_strip(t) : NULL;
    return s && s->kind != DT_VOID ? s : NULL;
}

uint64_t type_size(const dtype *t)
{
    const dtype *s = type_strip(t);
    if (!s)
        return 0;
    if (s->kind == DT_ARRAY && s->size == 0 && s->count_known)
        return s->count * type_size(s->target);
    return s->size;
}

bool type_is_integer(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && (s->kind == DT_ENUM ||
                 (s->kind == DT_BASE && s->encoding != DT_ENC_FLOAT && s->encoding != DT_ENC_OTHER));
}

bool type_is_float(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && s->kind == DT_BASE && s->encoding == DT_ENC_FLOAT;
}

bool type_is_pointer(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && s->kind == DT_POINTER;
}

bool type_is_array(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && s->kind == DT_ARRAY;
}

bool type_is_signed(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && (s->kind == DT_BASE || s->kind == DT_ENUM) &&
           (s->encoding == DT_ENC_SIGNED || s->encoding == DT_ENC_SIGNED_CHAR);
}

bool type_is_char(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && s->kind == DT_BASE && s->size == 1 &&
           (s->encoding == DT_ENC_SIGNED_CHAR || s->encoding == DT_ENC_UNSIGNED_CHAR);
}

uint64_t bits_extend(uint64_t v, unsigned bits, bool is_signed)
{
    if (bits == 0 || bits >= 64)
        return v;
    v &= ((uint64_t)1 << bits) - 1;
    uint64_t sign = (uint64_t)1 << (bits - 1);
    return is_signed ? (v ^ sign) - sign : v;
}

int value_fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_len, fmt, args);
        va_end(args);
    }
    return -1;
}
