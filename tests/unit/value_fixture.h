/* Handmade types for the value and expression tests: C structs of this test process and dtype
 * descriptions of them written by hand (as debuginfo would build them), plus a frame to use. */
#ifndef PODBUG_TEST_VALUE_FIXTURE_H
#define PODBUG_TEST_VALUE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo.h"
#include "symbols.h"
#include "value.h"

#define FIXTURE static const __attribute__((unused))

enum color { RED, GREEN, BLUE = 4 };
struct point { int x; int y; };
/* mode: bits 0-2, delta: 3-7, on: 8, mid: 9-18 of the first unsigned; big: bits 19-58 of a long */
struct flags { unsigned mode : 3; int delta : 5; unsigned on : 1; unsigned mid : 10; long big : 40; };
/* high spans bits 4-65: nine bytes */
struct __attribute__((packed)) wide_bits { unsigned char low : 4; unsigned long high : 62; };
struct req {
    int id;
    struct point where;
    union { int radius; float side; };
    int counts[4];
    char name[8];
    const char *user;
    struct req *next;
    enum color color;
    struct flags flags;
    double ratio;
    void *opaque;
    int (*handler)(int);
    unsigned char small;
    long amount;
};

FIXTURE dtype int_t = { .kind = DT_BASE, .name = "int", .size = 4, .encoding = DT_ENC_SIGNED };
FIXTURE dtype uint_t = { .kind = DT_BASE, .name = "unsigned int", .size = 4,
                         .encoding = DT_ENC_UNSIGNED };
FIXTURE dtype long_t = { .kind = DT_BASE, .name = "long", .size = 8, .encoding = DT_ENC_SIGNED };
FIXTURE dtype ulong_t = { .kind = DT_BASE, .name = "unsigned long", .size = 8,
                          .encoding = DT_ENC_UNSIGNED };
FIXTURE dtype short_t = { .kind = DT_BASE, .name = "short", .size = 2, .encoding = DT_ENC_SIGNED };
FIXTURE dtype char_t = { .kind = DT_BASE, .name = "char", .size = 1,
                         .encoding = DT_ENC_SIGNED_CHAR };
FIXTURE dtype uchar_t = { .kind = DT_BASE, .name = "unsigned char", .size = 1,
                          .encoding = DT_ENC_UNSIGNED_CHAR };
FIXTURE dtype bool_t = { .kind = DT_BASE, .name = "_Bool", .size = 1, .encoding = DT_ENC_BOOL };
FIXTURE dtype flt_t = { .kind = DT_BASE, .name = "float", .size = 4, .encoding = DT_ENC_FLOAT };
FIXTURE dtype dbl_t = { .kind = DT_BASE, .name = "double", .size = 8,
                           .encoding = DT_ENC_FLOAT };
FIXTURE dtype ldbl_t = { .kind = DT_BASE, .name = "long double", .size = 16,
                                .encoding = DT_ENC_FLOAT };
FIXTURE dtype my_int_t = { .kind = DT_TYPEDEF, .name = "my_int", .size = 4, .target = &int_t };
FIXTURE dtype const_my_int_t = { .kind = DT_CONST, .target = &my_int_t };
FIXTURE dtype const_char_t = { .kind = DT_CONST, .target = &char_t };
FIXTURE dtype char_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &const_char_t };
FIXTURE dtype int_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &int_t };
FIXTURE dtype void_ptr_t = { .kind = DT_POINTER, .size = 8, .target = NULL };
FIXTURE dtype *const handler_params[] = { &int_t };
FIXTURE dtype handler_fn_t = { .kind = DT_FUNCTION, .target = &int_t, .params = handler_params,
                               .n_params = 1 };
FIXTURE dtype handler_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &handler_fn_t };

FIXTURE denumerator color_values[] = { { "RED", 0 }, { "GREEN", 1 }, { "BLUE", 4 } };
FIXTURE dtype color_t = { .kind = DT_ENUM, .name = "color", .size = 4,
                          .encoding = DT_ENC_UNSIGNED, .enumerators = color_values,
                          .n_enumerators = 3 };

FIXTURE dmember point_members[] = {
    { .name = "x", .type = &int_t, .offset = offsetof(struct point, x) },
    { .name = "y", .type = &int_t, .offset = offsetof(struct point, y) },
};
FIXTURE dtype point_t = { .kind = DT_STRUCT, .name = "point", .size = sizeof(struct point),
                          .members = point_members, .n_members = 2 };

FIXTURE dmember flags_members[] = {
    { .name = "mode", .type = &uint_t, .offset = 0, .bit_size = 3, .bit_offset = 0 },
    { .name = "delta", .type = &int_t, .offset = 0, .bit_size = 5, .bit_offset = 3 },
    { .name = "on", .type = &uint_t, .offset = 0, .bit_size = 1, .bit_offset = 8 },
    { .name = "mid", .type = &uint_t, .offset = 0, .bit_size = 10, .bit_offset = 9 },
    { .name = "big", .type = &long_t, .offset = 0, .bit_size = 40, .bit_offset = 19 },
};
FIXTURE dtype flags_t = { .kind = DT_STRUCT, .name = "flags", .size = sizeof(struct flags),
                          .members = flags_members, .n_members = 5 };

FIXTURE dmember wide_bits_members[] = {
    { .name = "low", .type = &uchar_t, .offset = 0, .bit_size = 4, .bit_offset = 0 },
    { .name = "high", .type = &ulong_t, .offset = 0, .bit_size = 62, .bit_offset = 4 },
};
FIXTURE dtype wide_bits_t = { .kind = DT_STRUCT, .name = "wide_bits",
                              .size = sizeof(struct wide_bits), .members = wide_bits_members,
                              .n_members = 2 };

FIXTURE dmember shape_members[] = {
    { .name = "radius", .type = &int_t, .offset = 0 },
    { .name = "side", .type = &flt_t, .offset = 0 },
};
FIXTURE dtype shape_t = { .kind = DT_UNION, .size = 4, .members = shape_members, .n_members = 2 };
FIXTURE dtype int4_t = { .kind = DT_ARRAY, .size = 16, .target = &int_t, .count = 4,
                         .count_known = true };
FIXTURE dtype char8_t = { .kind = DT_ARRAY, .size = 8, .target = &char_t, .count = 8,
                          .count_known = true };
FIXTURE dtype point3_t = { .kind = DT_ARRAY, .size = 3 * sizeof(struct point), .target = &point_t,
                           .count = 3, .count_known = true };

static const dtype req_t;
FIXTURE dtype req_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &req_t };
FIXTURE dmember req_members[] = {
    { .name = "id", .type = &int_t, .offset = offsetof(struct req, id) },
    { .name = "where", .type = &point_t, .offset = offsetof(struct req, where) },
    { .name = NULL, .type = &shape_t, .offset = offsetof(struct req, radius) },
    { .name = "counts", .type = &int4_t, .offset = offsetof(struct req, counts) },
    { .name = "name", .type = &char8_t, .offset = offsetof(struct req, name) },
    { .name = "user", .type = &char_ptr_t, .offset = offsetof(struct req, user) },
    { .name = "next", .type = &req_ptr_t, .offset = offsetof(struct req, next) },
    { .name = "color", .type = &color_t, .offset = offsetof(struct req, color) },
    { .name = "flags", .type = &flags_t, .offset = offsetof(struct req, flags) },
    { .name = "ratio", .type = &dbl_t, .offset = offsetof(struct req, ratio) },
    { .name = "opaque", .type = &void_ptr_t, .offset = offsetof(struct req, opaque) },
    { .name = "handler", .type = &handler_ptr_t, .offset = offsetof(struct req, handler) },
    { .name = "small", .type = &uchar_t, .offset = offsetof(struct req, small) },
    { .name = "amount", .type = &long_t, .offset = offsetof(struct req, amount) },
};
static const dtype req_t = { .kind = DT_STRUCT, .name = "req", .size = sizeof(struct req),
                             .members = req_members, .n_members = 14 };
FIXTURE dtype req_typedef_t = { .kind = DT_TYPEDEF, .name = "req_t", .size = sizeof(struct req),
                                .target = &req_t };

/* A location expression "DW_OP_addr <address of object>" in buf (9 bytes). */
static inline __attribute__((unused)) const uint8_t *addr_expr(uint8_t buf[9], const void *object)
{
    uint64_t address = (uintptr_t)object;
    buf[0] = DW_OP_addr;
    memcpy(buf + 1, &address, sizeof address);
    return buf;
}

/* A value in this process's memory. */
static inline __attribute__((unused)) value in_memory(const dtype *type, const void *object)
{
    return (value){ .type = type, .where = VALUE_MEMORY, .address = (uintptr_t)object };
}

#endif
