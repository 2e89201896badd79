/* Typed probe protocol bodies: one field table per message, and one engine that encodes,
 * decodes (with path-aware errors such as "breakpoints[2].line: expected an integer") and frees. */
#include "probe_msg.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long enough for the path of a variable nested SNAPSHOT_MAX_VARIABLE_DEPTH levels deep. */
#define PATH_MAX_LEN 1024
/* Object nesting of the messages with fixed tables: far more than any of them has. */
#define MESSAGE_MAX_NESTING 16

typedef enum {
    F_STRING,  /* char *: JSON string */
    F_INT,     /* int: JSON integer */
    F_INT64,   /* int64_t: JSON integer up to PROBE_MAX_INTEGER */
    F_BOOL,    /* int: JSON true / false */
    F_ADDRESS, /* uint64_t: JSON string "0x" + 1..16 hex digits */
    F_LABELS,  /* probe_label * + size_t count: JSON object of string -> string */
    F_ARRAY,   /* element pointer + size_t count: JSON array of `element` */
    F_OBJECT,  /* a struct described by `object`: JSON object; with no name, its fields sit
                * inline in the enclosing JSON object */
} field_kind;

enum { OPTIONAL = 0, REQUIRED = 1 };

struct message;

/* One member of a C struct and its JSON form. Array elements are described by a field at
 * offset 0 of the element. An absent optional field decodes as zero / NULL / `fallback` /
 * `absent`; an absent optional object as an object whose fields are all absent. */
typedef struct field {
    const char *name;
    field_kind kind;
    size_t offset;
    int required;
    size_t count_offset;          /* F_LABELS, F_ARRAY: where the element count lives */
    int64_t min;                  /* F_INT, F_INT64: smallest accepted value */
    int64_t max;                  /* F_INT: largest accepted value, 0 = INT_MAX; with a max, an
                                   * out-of-range value is refused as "must be MIN..MAX" */
    int absent;                   /* F_INT, F_BOOL: value when absent (0 unless given); a value equal to
                                   * it that the range refuses is left out when encoding */
    bool omit_empty;              /* F_ARRAY (optional): left out when encoding no elements */
    const char *fallback;         /* F_STRING: value when absent */
    const char *const *allowed;   /* F_STRING: NULL-terminated list of accepted values */
    const struct field *element;  /* F_ARRAY */
    const struct message *object; /* F_OBJECT */
} field;

typedef struct message {
    size_t size;
    const field *fields;
    size_t n_fields;
} message;

/* ---- decoding ---- */

static int fail_at(char *err, size_t err_len, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(char *err, size_t err_len, const char *path, const char *fmt, ...)
{
    int n = snprintf(err, err_len, "%s: ", path[0] ? path : "body");
    if (n >= 0 && (size_t)n < err_len) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err + n, err_len - (size_t)n, fmt, args);
        va_end(args);
    }
    return -1;
}

static void *member(void *base, size_t offset) { return (char *)base + offset; }

/* Array members have many pointer types (probe_frame *, int64_t *, ...): move them as bytes. */
static void *load_pointer(const void *base, size_t offset)
{
    void *p;
    memcpy(&p, (const char *)base + offset, sizeof p);
    return p;
}

static void store_pointer(void *base, size_t offset, void *p)
{
    memcpy((char *)base + offset, &p, sizeof p);
}

static size_t element_size(const field *f)
{
    switch (f->kind) {
    case F_STRING: return sizeof(char *);
    case F_INT:
    case F_BOOL: return sizeof(int);
    case F_INT64: return sizeof(int64_t);
    case F_ADDRESS: return sizeof(uint64_t);
    case F_OBJECT: return f->object->size;
    case F_LABELS:
    case F_ARRAY: break; /* never array elements */
    }
    abort();
}

/* `nesting` is how many more levels of objects may nest inside the value being decoded. */
static int decode_message(const message *m, const cJSON *json, void *base, const char *path,
                          int nesting, char *err, size_t err_len);
static int decode_field(const field *f, const cJSON *item, void *base, const char *path,
                        int nesting, char *err, size_t err_len);

static int64_t max_of(const field *f)
{
    if (f->kind == F_INT)
        return f->max ? f->max : INT_MAX;
    return PROBE_MAX_INTEGER;
}

static int decode_integer(const field *f, const cJSON *item, void *dst, const char *path,
                          char *err, size_t err_len)
{
    int64_t max = max_of(f);
    double d = item->valuedouble;
    if (!cJSON_IsNumber(item))
        return fail_at(err, err_len, path, "expected an integer");
    if (f->max && !(d >= (double)f->min && d <= (double)max))
        return fail_at(err, err_len, path, "must be %" PRId64 "..%" PRId64, f->min, max);
    if (!(d >= (double)f->min))
        return fail_at(err, err_len, path, "expected an integer >= %" PRId64, f->min);
    if (d > (double)max)
        return fail_at(err, err_len, path, "expected an integer <= %" PRId64, max);
    if (d != (double)(int64_t)d)
        return fail_at(err, err_len, path, "expected an integer");
    if (f->kind == F_INT)
        *(int *)dst = (int)d;
    else
        *(int64_t *)dst = (int64_t)d;
    return 0;
}

static int parse_hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int decode_address(const cJSON *item, uint64_t *dst, const char *path, char *err,
                          size_t err_len)
{
    const char *s = cJSON_IsString(item) ? item->valuestring : "";
    size_t len = strlen(s);
    size_t digits = len > 2 ? len - 2 : 0;
    uint64_t value = 0;
    bool ok = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digits >= 1 && digits <= 16;
    for (size_t i = 0; ok && i < digits; i++) {
        int digit = parse_hex_digit(s[2 + i]);
        ok = digit >= 0;
        value = value << 4 | (uint64_t)(ok ? digit : 0);
    }
    if (!ok)
        return fail_at(err, err_len, path, "expected a hex address string like \"0x401136\"");
    *dst = value;
    return 0;
}

static char *dup_or_fail(const char *s, const char *path, char *err, size_t err_len)
{
    char *copy = strdup(s);
    if (!copy)
        fail_at(err, err_len, path, "out of memory");
    return copy;
}

static int decode_string(const field *f, const cJSON *item, char **dst, const char *path,
                         char *err, size_t err_len)
{
    if (!cJSON_IsString(item))
        return fail_at(err, err_len, path, "expected a string");
    if (f->allowed) {
        const char *const *a = f->allowed;
        while (*a && strcmp(*a, item->valuestring) != 0)
            a++;
        if (!*a) {
            char choices[128] = "";
            for (a = f->allowed; *a; a++)
                snprintf(choices + strlen(choices), sizeof choices - strlen(choices),
                         "%s\"%s\"", a == f->allowed ? "" : ", ", *a);
            return fail_at(err, err_len, path, "expected one of %s", choices);
        }
    }
    *dst = dup_or_fail(item->valuestring, path, err, err_len);
    return *dst ? 0 : -1;
}

static size_t count_of(const field *f, const void *base)
{
    return *(const size_t *)((const char *)base + f->count_offset);
}

/* Allocates a zeroed array of `n` elements of `size` bytes into *out (NULL when n is 0) and
 * publishes it with its count before any element is decoded, so that freeing a half-decoded
 * array is always safe. */
static int alloc_array(void *base, const field *f, size_t n, size_t size, void **out,
                       const char *path, char *err, size_t err_len)
{
    *out = NULL;
    if (n == 0)
        return 0;
    if (!(*out = calloc(n, size)))
        return fail_at(err, err_len, path, "out of memory");
    store_pointer(base, f->offset, *out);
    *(size_t *)member(base, f->count_offset) = n;
    return 0;
}

static int decode_labels(const field *f, const cJSON *item, void *base, const char *path,
                         char *err, size_t err_len)
{
    if (!cJSON_IsObject(item))
        return fail_at(err, err_len, path, "expected an object of strings");
    void *memory;
    if (alloc_array(base, f, (size_t)cJSON_GetArraySize(item), sizeof(probe_label), &memory,
                    path, err, err_len) != 0)
        return -1;
    probe_label *labels = memory;
    size_t i = 0;
    for (const cJSON *entry = item->child; entry; entry = entry->next, i++) {
        char entry_path[PATH_MAX_LEN];
        snprintf(entry_path, sizeof entry_path, "%s.%s", path, entry->string);
        if (!cJSON_IsString(entry))
            return fail_at(err, err_len, entry_path, "expected a string");
        if (!(labels[i].key = dup_or_fail(entry->string, entry_path, err, err_len)) ||
            !(labels[i].value = dup_or_fail(entry->valuestring, entry_path, err, err_len)))
            return -1;
    }
    return 0;
}

static int decode_array(const field *f, const cJSON *item, void *base, const char *path,
                        int nesting, char *err, size_t err_len)
{
    if (!cJSON_IsArray(item))
        return fail_at(err, err_len, path, "expected an array");
    size_t size = element_size(f->element);
    void *memory;
    if (alloc_array(base, f, (size_t)cJSON_GetArraySize(item), size, &memory, path, err,
                    err_len) != 0)
        return -1;
    char *elements = memory;
    size_t i = 0;
    for (const cJSON *entry = item->child; entry; entry = entry->next, i++) {
        char entry_path[PATH_MAX_LEN];
        snprintf(entry_path, sizeof entry_path, "%s[%zu]", path, i);
        if (decode_field(f->element, entry, elements + i * size, entry_path, nesting, err,
                         err_len) != 0)
            return -1;
    }
    return 0;
}

static int decode_field(const field *f, const cJSON *item, void *base, const char *path,
                        int nesting, char *err, size_t err_len)
{
    void *dst = member(base, f->offset);
    switch (f->kind) {
    case F_STRING: return decode_string(f, item, dst, path, err, err_len);
    case F_INT:
    case F_INT64: return decode_integer(f, item, dst, path, err, err_len);
    case F_BOOL:
        if (!cJSON_IsBool(item))
            return fail_at(err, err_len, path, "expected true or false");
        *(int *)dst = cJSON_IsTrue(item);
        return 0;
    case F_ADDRESS: return decode_address(item, dst, path, err, err_len);
    case F_LABELS: return decode_labels(f, item, base, path, err, err_len);
    case F_ARRAY: return decode_array(f, item, base, path, nesting, err, err_len);
    case F_OBJECT: return decode_message(f->object, item, dst, path, nesting, err, err_len);
    }
    abort();
}

/* Gives an absent optional field its default value. */
static int decode_absent(const field *f, void *base, const char *path, char *err, size_t err_len)
{
    void *dst = member(base, f->offset);
    if (f->kind == F_STRING && f->fallback) {
        char **text = dst;
        return (*text = dup_or_fail(f->fallback, path, err, err_len)) ? 0 : -1;
    }
    if (f->kind == F_INT || f->kind == F_BOOL)
        *(int *)dst = f->absent;
    if (f->kind == F_OBJECT)
        for (size_t i = 0; i < f->object->n_fields; i++)
            if (decode_absent(&f->object->fields[i], dst, path, err, err_len) != 0)
                return -1;
    return 0;
}

static int decode_message(const message *m, const cJSON *json, void *base, const char *path,
                          int nesting, char *err, size_t err_len)
{
    if (!cJSON_IsObject(json))
        return fail_at(err, err_len, path, "expected an object");
    if (nesting-- <= 0)
        return fail_at(err, err_len, path, "nested too deeply");
    for (size_t i = 0; i < m->n_fields; i++) {
        const field *f = &m->fields[i];
        if (!f->name) { /* inline: same JSON object, same level */
            if (decode_message(f->object, json, member(base, f->offset), path, nesting + 1, err,
                               err_len) != 0)
                return -1;
            continue;
        }
        char field_path[PATH_MAX_LEN];
        snprintf(field_path, sizeof field_path, "%s%s%s", path, path[0] ? "." : "", f->name);
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, f->name);
        if (item && !(cJSON_IsNull(item) && !f->required)) {
            if (decode_field(f, item, base, field_path, nesting, err, err_len) != 0)
                return -1;
        } else if (f->required) {
            return fail_at(err, err_len, field_path, "missing required field");
        } else if (decode_absent(f, base, field_path, err, err_len) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- freeing ---- */

static void free_message(const message *m, void *base);

static void free_field(const field *f, void *base)
{
    void *dst = member(base, f->offset);
    switch (f->kind) {
    case F_STRING: free(*(char **)dst); break;
    case F_LABELS: {
        probe_label *labels = *(probe_label **)dst;
        for (size_t i = 0; i < count_of(f, base); i++) {
            free(labels[i].key);
            free(labels[i].value);
        }
        free(labels);
        break;
    }
    case F_ARRAY: {
        char *elements = load_pointer(base, f->offset);
        for (size_t i = 0; i < count_of(f, base); i++)
            free_field(f->element, elements + i * element_size(f->element));
        free(elements);
        break;
    }
    case F_OBJECT: free_message(f->object, dst); break;
    case F_INT:
    case F_INT64:
    case F_BOOL:
    case F_ADDRESS: break;
    }
}

static void free_message(const message *m, void *base)
{
    for (size_t i = 0; i < m->n_fields; i++)
        free_field(&m->fields[i], base);
    memset(base, 0, m->size);
}

static int decode_root(const message *m, const cJSON *json, void *out, int nesting, char *err,
                       size_t err_len)
{
    memset(out, 0, m->size);
    if (decode_message(m, json, out, "", nesting, err, err_len) == 0)
        return 0;
    free_message(m, out);
    return -1;
}

/* ---- encoding ---- */

static cJSON *encode_message(const message *m, const void *base);

static cJSON *encode_value(const field *f, const void *base)
{
    const void *src = (const char *)base + f->offset;
    switch (f->kind) {
    case F_STRING: {
        const char *s = *(char *const *)src;
        return cJSON_CreateString(s ? s : "");
    }
    case F_INT: return cJSON_CreateNumber(*(const int *)src);
    case F_INT64: return cJSON_CreateNumber((double)*(const int64_t *)src);
    case F_BOOL: return cJSON_CreateBool(*(const int *)src);
    case F_ADDRESS: {
        char hex[19];
        snprintf(hex, sizeof hex, "0x%" PRIx64, *(const uint64_t *)src);
        return cJSON_CreateString(hex);
    }
    case F_LABELS: {
        const probe_label *labels = *(probe_label *const *)src;
        cJSON *object = cJSON_CreateObject();
        for (size_t i = 0; object && i < count_of(f, base); i++) {
            if (!cJSON_AddStringToObject(object, labels[i].key ? labels[i].key : "",
                                         labels[i].value ? labels[i].value : "")) {
                cJSON_Delete(object);
                object = NULL;
            }
        }
        return object;
    }
    case F_ARRAY: {
        const char *elements = load_pointer(base, f->offset);
        cJSON *array = cJSON_CreateArray();
        for (size_t i = 0; array && i < count_of(f, base); i++) {
            cJSON *item = encode_value(f->element, elements + i * element_size(f->element));
            if (!item || !cJSON_AddItemToArray(array, item)) {
                cJSON_Delete(item);
                cJSON_Delete(array);
                array = NULL;
            }
        }
        return array;
    }
    case F_OBJECT: return encode_message(f->object, src);
    }
    abort();
}

/* An object whose leading field is a required string left NULL (stopped.exception's signal) holds
 * nothing: the whole object is "not given". */
static bool object_not_given(const field *f, const void *src)
{
    const field *first = &f->object->fields[0];
    return f->name && first->kind == F_STRING && first->required &&
           !*(char *const *)((const char *)src + first->offset);
}

/* An optional field that holds "not given" is left out: a NULL string, an integer equal to an
 * absent value its range refuses, a boolean equal to an absent value of true, an object with
 * nothing in it, an empty array marked omit_empty. */
static bool left_out(const field *f, const void *base, const cJSON *item)
{
    const void *src = (const char *)base + f->offset;
    if (f->required)
        return false;
    switch (f->kind) {
    case F_STRING: return !*(char *const *)src;
    case F_INT: {
        int v = *(const int *)src;
        return v == f->absent && (v < f->min || v > max_of(f));
    }
    case F_OBJECT: return item ? !item->child : object_not_given(f, src);
    case F_BOOL: return f->absent && *(const int *)src == f->absent; /* a default of true */
    case F_ARRAY: return f->omit_empty && count_of(f, base) == 0;
    default: return false;
    }
}

/* A NULL required string is sent as "". */
static cJSON *encode_message(const message *m, const void *base)
{
    cJSON *json = cJSON_CreateObject();
    for (size_t i = 0; json && i < m->n_fields; i++) {
        const field *f = &m->fields[i];
        if (left_out(f, base, NULL))
            continue;
        cJSON *item = encode_value(f, base);
        if (item && f->kind == F_OBJECT && (!f->name || left_out(f, base, item))) {
            while (!f->name && item->child) { /* inline: its fields join this object */
                cJSON *inner = cJSON_DetachItemViaPointer(item, item->child);
                if (!cJSON_AddItemToObject(json, inner->string, inner))
                    cJSON_Delete(inner);
            }
            cJSON_Delete(item);
            continue;
        }
        if (!item || !cJSON_AddItemToObject(json, f->name, item)) {
            cJSON_Delete(item);
            cJSON_Delete(json);
            json = NULL;
        }
    }
    return json;
}

/* ---- the messages ---- */

#define FIELD(T, member_, json_name, kind_, presence) \
    .name = json_name, .kind = kind_, .offset = offsetof(T, member_), .required = presence
#define COUNTED_BY(T, count) .count_offset = offsetof(T, count)
#define MESSAGE(T, table) { sizeof(T), table, sizeof table / sizeof table[0] }

static const field int64_element = { .kind = F_INT64 };

static const field hello_fields[] = {
    { FIELD(probe_hello, pod, "pod", F_STRING, REQUIRED) },
    { FIELD(probe_hello, namespace_, "namespace", F_STRING, REQUIRED) },
    { FIELD(probe_hello, labels, "labels", F_LABELS, OPTIONAL), COUNTED_BY(probe_hello, n_labels) },
    { FIELD(probe_hello, pid, "pid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_hello, hostname, "hostname", F_STRING, OPTIONAL) },
    { FIELD(probe_hello, exe, "exe", F_STRING, REQUIRED) },
    { FIELD(probe_hello, build_id, "build_id", F_STRING, REQUIRED) },
    { FIELD(probe_hello, start_time_ms, "start_time_ms", F_INT64, OPTIONAL) },
    { FIELD(probe_hello, probe_version, "probe_version", F_STRING, REQUIRED) },
    { FIELD(probe_hello, held, "held", F_BOOL, OPTIONAL) },
};
static const message hello_message = MESSAGE(probe_hello, hello_fields);

#define RANGE(name) .min = PROBE_##name##_MIN, .max = PROBE_##name##_MAX
static const field bp_budget_fields[] = {
    { FIELD(probe_bp_budget, max_frames, "max_frames", F_INT, OPTIONAL), RANGE(MAX_FRAMES) },
    { FIELD(probe_bp_budget, max_depth, "max_depth", F_INT, OPTIONAL), RANGE(MAX_DEPTH),
      .absent = -1 },
    { FIELD(probe_bp_budget, max_bytes, "max_bytes", F_INT, OPTIONAL), RANGE(MAX_BYTES) },
    { FIELD(probe_bp_budget, per_second, "per_second", F_INT, OPTIONAL), RANGE(PER_SECOND) },
    { FIELD(probe_bp_budget, bytes_per_second, "bytes_per_second", F_INT, OPTIONAL),
      RANGE(BYTES_PER_SECOND) },
    { FIELD(probe_bp_budget, cpu_percent, "cpu_percent", F_INT, OPTIONAL), RANGE(CPU_PERCENT) },
    { FIELD(probe_bp_budget, condition_steps, "condition_steps", F_INT, OPTIONAL),
      RANGE(CONDITION_STEPS) },
};
static const message bp_budget_message = MESSAGE(probe_bp_budget, bp_budget_fields);

static const char *const bp_modes[] = { "stop", "snapshot", NULL };
static const field bp_spec_fields[] = {
    { FIELD(probe_bp_spec, id, "id", F_INT64, REQUIRED) },
    { FIELD(probe_bp_spec, source, "source", F_STRING, OPTIONAL) },
    { FIELD(probe_bp_spec, line, "line", F_INT, OPTIONAL), .min = 1 },
    { FIELD(probe_bp_spec, function, "function", F_STRING, OPTIONAL) },
    { FIELD(probe_bp_spec, mode, "mode", F_STRING, OPTIONAL), .fallback = "stop",
      .allowed = bp_modes },
    { FIELD(probe_bp_spec, condition, "condition", F_STRING, OPTIONAL) },
    { FIELD(probe_bp_spec, hit_condition, "hit_condition", F_STRING, OPTIONAL) },
    { FIELD(probe_bp_spec, log_message, "log_message", F_STRING, OPTIONAL) },
    { FIELD(probe_bp_spec, budget, "budget", F_OBJECT, OPTIONAL), .object = &bp_budget_message },
    { FIELD(probe_bp_spec, stop_all, "stop_all", F_BOOL, OPTIONAL), .absent = 1 },
    { FIELD(probe_bp_spec, fast, "fast", F_BOOL, OPTIONAL), .absent = 1 },
};
static const message bp_spec_message = MESSAGE(probe_bp_spec, bp_spec_fields);
static const field bp_spec_element = { .kind = F_OBJECT, .object = &bp_spec_message };

static const field bp_set_fields[] = {
    { FIELD(probe_bp_set, breakpoints, "breakpoints", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_bp_set, n), .element = &bp_spec_element },
};
static const message bp_set_message = MESSAGE(probe_bp_set, bp_set_fields);

static const field bp_clear_fields[] = {
    { FIELD(probe_bp_clear, ids, "ids", F_ARRAY, REQUIRED), COUNTED_BY(probe_bp_clear, n),
      .element = &int64_element },
};
static const message bp_clear_message = MESSAGE(probe_bp_clear, bp_clear_fields);

static const field location_fields[] = {
    { FIELD(probe_location, address, "address", F_ADDRESS, REQUIRED) },
    { FIELD(probe_location, function, "function", F_STRING, OPTIONAL) },
    { FIELD(probe_location, file, "file", F_STRING, OPTIONAL) },
    { FIELD(probe_location, line, "line", F_INT, OPTIONAL) },
    { FIELD(probe_location, path, "path", F_STRING, OPTIONAL) },
    { FIELD(probe_location, path_reason, "path_reason", F_STRING, OPTIONAL) },
};
static const message location_message = MESSAGE(probe_location, location_fields);
static const field location_element = { .kind = F_OBJECT, .object = &location_message };

static const field bp_state_fields[] = {
    { FIELD(probe_bp_state, id, "id", F_INT64, REQUIRED) },
    { FIELD(probe_bp_state, verified, "verified", F_BOOL, REQUIRED) },
    { FIELD(probe_bp_state, message, "message", F_STRING, OPTIONAL) },
    { FIELD(probe_bp_state, locations, "locations", F_ARRAY, OPTIONAL),
      COUNTED_BY(probe_bp_state, n_locations), .element = &location_element },
};
static const message bp_state_message = MESSAGE(probe_bp_state, bp_state_fields);
static const field bp_state_element = { .kind = F_OBJECT, .object = &bp_state_message };

static const field bp_result_fields[] = {
    { FIELD(probe_bp_result, breakpoints, "breakpoints", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_bp_result, n), .element = &bp_state_element },
};
static const message bp_result_message = MESSAGE(probe_bp_result, bp_result_fields);

static const field thread_fields[] = {
    { FIELD(probe_thread, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_thread, name, "name", F_STRING, REQUIRED) },
};
static const message thread_message = MESSAGE(probe_thread, thread_fields);
static const field thread_element = { .kind = F_OBJECT, .object = &thread_message };

static const char *const fatal_signal_names[] = { "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", NULL };

static const field exception_fields[] = {
    { FIELD(probe_exception, signal, "signal", F_STRING, REQUIRED), .allowed = fatal_signal_names },
    { FIELD(probe_exception, code, "code", F_INT, REQUIRED), .min = INT_MIN },
    { FIELD(probe_exception, address, "address", F_ADDRESS, REQUIRED) },
};
static const message exception_message = MESSAGE(probe_exception, exception_fields);

static const field stopped_fields[] = {
    { FIELD(probe_stopped, reason, "reason", F_STRING, REQUIRED) },
    { FIELD(probe_stopped, description, "description", F_STRING, OPTIONAL) },
    { FIELD(probe_stopped, exception, "exception", F_OBJECT, OPTIONAL), .object = &exception_message },
    { FIELD(probe_stopped, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_stopped, breakpoint_ids, "breakpoint_ids", F_ARRAY, OPTIONAL),
      COUNTED_BY(probe_stopped, n_breakpoint_ids), .element = &int64_element },
    { FIELD(probe_stopped, all_threads_stopped, "all_threads_stopped", F_BOOL, OPTIONAL) },
    { FIELD(probe_stopped, threads, "threads", F_ARRAY, OPTIONAL),
      COUNTED_BY(probe_stopped, n_threads), .element = &thread_element },
};
static const message stopped_message = MESSAGE(probe_stopped, stopped_fields);

static const field bp_error_fields[] = {
    { FIELD(probe_bp_error, id, "id", F_INT64, REQUIRED) },
    { FIELD(probe_bp_error, message, "message", F_STRING, REQUIRED) },
    { FIELD(probe_bp_error, count, "count", F_INT64, REQUIRED), .min = 1 },
    { FIELD(probe_bp_error, disabled, "disabled", F_BOOL, OPTIONAL) },
};
static const message bp_error_message = MESSAGE(probe_bp_error, bp_error_fields);

static const field output_fields[] = {
    { FIELD(probe_output, id, "id", F_INT64, REQUIRED) },
    { FIELD(probe_output, tid, "tid", F_INT, REQUIRED) },
    { FIELD(probe_output, text, "text", F_STRING, REQUIRED) },
    { FIELD(probe_output, dropped, "dropped", F_INT64, REQUIRED) },
};
static const message output_message = MESSAGE(probe_output, output_fields);

static const field stack_request_fields[] = {
    { FIELD(probe_stack_request, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_stack_request, start_frame, "start_frame", F_INT, OPTIONAL) },
    { FIELD(probe_stack_request, levels, "levels", F_INT, OPTIONAL) },
};
static const message stack_request_message = MESSAGE(probe_stack_request, stack_request_fields);

static const field frame_fields[] = {
    { FIELD(probe_frame, pc, "pc", F_ADDRESS, REQUIRED) },
    { FIELD(probe_frame, function, "function", F_STRING, OPTIONAL) },
    { FIELD(probe_frame, file, "file", F_STRING, OPTIONAL) },
    { FIELD(probe_frame, line, "line", F_INT, OPTIONAL) },
    { FIELD(probe_frame, module, "module", F_STRING, OPTIONAL) },
};
static const message frame_message = MESSAGE(probe_frame, frame_fields);
static const field frame_element = { .kind = F_OBJECT, .object = &frame_message };

static const field stack_reply_fields[] = {
    { FIELD(probe_stack_reply, frames, "frames", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_stack_reply, n), .element = &frame_element },
    { FIELD(probe_stack_reply, total_frames, "total_frames", F_INT, REQUIRED) },
};
static const message stack_reply_message = MESSAGE(probe_stack_reply, stack_reply_fields);

static const field continue_fields[] = {
    { FIELD(probe_continue, tid, "tid", F_INT, OPTIONAL) },
};
static const message continue_message = MESSAGE(probe_continue, continue_fields);

static const char *const step_kinds[] = { "over", "in", "out", NULL };
static const char *const step_granularities[] = { "line", "statement", "instruction", NULL };
static const field step_fields[] = {
    { FIELD(probe_step, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_step, kind, "kind", F_STRING, REQUIRED), .allowed = step_kinds },
    { FIELD(probe_step, granularity, "granularity", F_STRING, OPTIONAL),
      .allowed = step_granularities },
};
static const message step_message = MESSAGE(probe_step, step_fields);

static const field pause_fields[] = {
    { FIELD(probe_pause, tid, "tid", F_INT, OPTIONAL) },
};
static const message pause_message = MESSAGE(probe_pause, pause_fields);

static const field heartbeat_fields[] = {
    { FIELD(probe_heartbeat, time_ms, "time_ms", F_INT64, REQUIRED) },
};
static const message heartbeat_message = MESSAGE(probe_heartbeat, heartbeat_fields);

static const field frame_request_fields[] = {
    { FIELD(probe_frame_request, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_frame_request, frame, "frame", F_INT, REQUIRED) },
};
static const message frame_request_message = MESSAGE(probe_frame_request, frame_request_fields);

static const field scope_fields[] = {
    { FIELD(probe_scope, name, "name", F_STRING, REQUIRED) },
    { FIELD(probe_scope, presentation_hint, "presentation_hint", F_STRING, OPTIONAL) },
    { FIELD(probe_scope, ref, "ref", F_INT64, REQUIRED), .min = 1 },
    { FIELD(probe_scope, named, "named", F_INT, OPTIONAL) },
    { FIELD(probe_scope, expensive, "expensive", F_BOOL, OPTIONAL) },
};
static const message scope_message = MESSAGE(probe_scope, scope_fields);
static const field scope_element = { .kind = F_OBJECT, .object = &scope_message };

static const field scopes_reply_fields[] = {
    { FIELD(probe_scopes_reply, scopes, "scopes", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_scopes_reply, n), .element = &scope_element },
};
static const message scopes_reply_message = MESSAGE(probe_scopes_reply, scopes_reply_fields);

static const char *const variable_filters[] = { "indexed", "named", NULL };
static const field variables_request_fields[] = {
    { FIELD(probe_variables_request, ref, "ref", F_INT64, REQUIRED), .min = 1 },
    { FIELD(probe_variables_request, start, "start", F_INT, OPTIONAL) },
    { FIELD(probe_variables_request, count, "count", F_INT, OPTIONAL) },
    { FIELD(probe_variables_request, filter, "filter", F_STRING, OPTIONAL),
      .allowed = variable_filters },
};
static const message variables_request_message =
    MESSAGE(probe_variables_request, variables_request_fields);

static const field variable_fields[] = {
    { FIELD(probe_variable, name, "name", F_STRING, REQUIRED) },
    { FIELD(probe_variable, value, "value", F_STRING, REQUIRED) },
    { FIELD(probe_variable, type, "type", F_STRING, OPTIONAL) },
    { FIELD(probe_variable, ref, "ref", F_INT64, OPTIONAL) },
    { FIELD(probe_variable, named, "named", F_INT, OPTIONAL) },
    { FIELD(probe_variable, indexed, "indexed", F_INT, OPTIONAL) },
    { FIELD(probe_variable, evaluate_name, "evaluate_name", F_STRING, OPTIONAL) },
};
static const message variable_message = MESSAGE(probe_variable, variable_fields);
static const field variable_element = { .kind = F_OBJECT, .object = &variable_message };

static const field variables_reply_fields[] = {
    { FIELD(probe_variables_reply, variables, "variables", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_variables_reply, n), .element = &variable_element },
};
static const message variables_reply_message = MESSAGE(probe_variables_reply, variables_reply_fields);

static const field evaluate_request_fields[] = {
    { FIELD(probe_evaluate_request, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_evaluate_request, frame, "frame", F_INT, OPTIONAL) },
    { FIELD(probe_evaluate_request, expression, "expression", F_STRING, REQUIRED) },
    { FIELD(probe_evaluate_request, context, "context", F_STRING, OPTIONAL), .fallback = "repl" },
};
static const message evaluate_request_message =
    MESSAGE(probe_evaluate_request, evaluate_request_fields);

static const field set_variable_request_fields[] = {
    { FIELD(probe_set_variable_request, ref, "ref", F_INT64, REQUIRED), .min = 1 },
    { FIELD(probe_set_variable_request, name, "name", F_STRING, REQUIRED) },
    { FIELD(probe_set_variable_request, value, "value", F_STRING, REQUIRED) },
};
static const message set_variable_request_message =
    MESSAGE(probe_set_variable_request, set_variable_request_fields);

static const field value_reply_fields[] = {
    { FIELD(probe_value_reply, value, "value", F_STRING, REQUIRED) },
    { FIELD(probe_value_reply, type, "type", F_STRING, OPTIONAL) },
    { FIELD(probe_value_reply, ref, "ref", F_INT64, OPTIONAL) },
    { FIELD(probe_value_reply, named, "named", F_INT, OPTIONAL) },
    { FIELD(probe_value_reply, indexed, "indexed", F_INT, OPTIONAL) },
};
static const message value_reply_message = MESSAGE(probe_value_reply, value_reply_fields);

static const field snapshot_dropped_fields[] = {
    { FIELD(probe_snapshot_dropped, id, "id", F_INT64, REQUIRED) },
    { FIELD(probe_snapshot_dropped, dropped, "dropped", F_INT64, REQUIRED), .min = 1 },
};
static const message snapshot_dropped_message =
    MESSAGE(probe_snapshot_dropped, snapshot_dropped_fields);

static const field read_memory_request_fields[] = {
    { FIELD(probe_read_memory_request, address, "address", F_ADDRESS, REQUIRED) },
    { FIELD(probe_read_memory_request, count, "count", F_INT, REQUIRED), .min = 0, .max = PROBE_READ_MEMORY_MAX },
};
static const message read_memory_request_message = MESSAGE(probe_read_memory_request, read_memory_request_fields);

static const field read_memory_reply_fields[] = {
    { FIELD(probe_read_memory_reply, address, "address", F_ADDRESS, REQUIRED) },
    { FIELD(probe_read_memory_reply, data, "data", F_STRING, REQUIRED) },
    { FIELD(probe_read_memory_reply, unreadable_bytes, "unreadable_bytes", F_INT, OPTIONAL) },
};
static const message read_memory_reply_message = MESSAGE(probe_read_memory_reply, read_memory_reply_fields);

static const field disassemble_request_fields[] = {
    { FIELD(probe_disassemble_request, address, "address", F_ADDRESS, REQUIRED) },
    { FIELD(probe_disassemble_request, instruction_offset, "instruction_offset", F_INT, OPTIONAL),
      .min = -PROBE_DISASSEMBLE_MAX, .max = PROBE_DISASSEMBLE_MAX },
    { FIELD(probe_disassemble_request, instruction_count, "instruction_count", F_INT, REQUIRED), .min = 1,
      .max = PROBE_DISASSEMBLE_MAX },
    { FIELD(probe_disassemble_request, resolve_symbols, "resolve_symbols", F_BOOL, OPTIONAL) },
};
static const message disassemble_request_message = MESSAGE(probe_disassemble_request, disassemble_request_fields);

static const field instruction_fields[] = {
    { FIELD(probe_instruction, address, "address", F_ADDRESS, REQUIRED) },
    { FIELD(probe_instruction, bytes, "bytes", F_STRING, REQUIRED) },
    { FIELD(probe_instruction, text, "text", F_STRING, REQUIRED) },
    { FIELD(probe_instruction, symbol, "symbol", F_STRING, OPTIONAL) },
    { FIELD(probe_instruction, file, "file", F_STRING, OPTIONAL) },
    { FIELD(probe_instruction, line, "line", F_INT, OPTIONAL) },
};
static const message instruction_message = MESSAGE(probe_instruction, instruction_fields);
static const field instruction_element = { .kind = F_OBJECT, .object = &instruction_message };
static const field disassemble_reply_fields[] = {
    { FIELD(probe_disassemble_reply, instructions, "instructions", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_disassemble_reply, n), .element = &instruction_element },
};
static const message disassemble_reply_message = MESSAGE(probe_disassemble_reply, disassemble_reply_fields);

static const field module_fields[] = {
    { FIELD(probe_module, path, "path", F_STRING, REQUIRED) },
    { FIELD(probe_module, low, "low", F_ADDRESS, REQUIRED) },
    { FIELD(probe_module, high, "high", F_ADDRESS, REQUIRED) },
    { FIELD(probe_module, build_id, "build_id", F_STRING, REQUIRED) },
    { FIELD(probe_module, symbols, "symbols", F_STRING, REQUIRED) },
};
static const message module_message = MESSAGE(probe_module, module_fields);
static const field module_element = { .kind = F_OBJECT, .object = &module_message };
static const field modules_reply_fields[] = {
    { FIELD(probe_modules_reply, modules, "modules", F_ARRAY, REQUIRED), COUNTED_BY(probe_modules_reply, n),
      .element = &module_element },
};
static const message modules_reply_message = MESSAGE(probe_modules_reply, modules_reply_fields);

/* The snapshot event (4.15) is validated, not kept: the server stores its JSON as it came. These
 * structs exist only to run its shape through the tables. */
typedef struct snapshot_variable {
    char *name;
    char *value;
    char *type;
    char *evaluate_name;
    int named;
    int indexed;
    struct snapshot_variable *children;
    size_t n_children;
} snapshot_variable;
typedef struct snapshot_scope {
    char *name;
    char *presentation_hint;
    snapshot_variable *variables;
    size_t n_variables;
} snapshot_scope;
typedef struct snapshot_frame {
    probe_frame frame;
    snapshot_scope *scopes;
    size_t n_scopes;
} snapshot_frame;
typedef struct snapshot_body {
    int64_t id;
    int tid;
    char *thread_name;
    int64_t time_ms;
    int64_t capture_ns;
    int truncated;
    int64_t dropped;
    snapshot_frame *frames;
    size_t n_frames;
} snapshot_body;

static const message snapshot_variable_message;
static const field snapshot_variable_element = { .kind = F_OBJECT,
                                                 .object = &snapshot_variable_message };
static const field snapshot_variable_fields[] = {
    { FIELD(snapshot_variable, name, "name", F_STRING, REQUIRED) },
    { FIELD(snapshot_variable, value, "value", F_STRING, REQUIRED) },
    { FIELD(snapshot_variable, type, "type", F_STRING, OPTIONAL) },
    { FIELD(snapshot_variable, evaluate_name, "evaluate_name", F_STRING, OPTIONAL) },
    { FIELD(snapshot_variable, named, "named", F_INT, OPTIONAL) },
    { FIELD(snapshot_variable, indexed, "indexed", F_INT, OPTIONAL) },
    { FIELD(snapshot_variable, children, "children", F_ARRAY, OPTIONAL),
      COUNTED_BY(snapshot_variable, n_children), .element = &snapshot_variable_element },
};
static const message snapshot_variable_message =
    MESSAGE(snapshot_variable, snapshot_variable_fields);

static const field snapshot_scope_fields[] = {
    { FIELD(snapshot_scope, name, "name", F_STRING, REQUIRED) },
    { FIELD(snapshot_scope, presentation_hint, "presentation_hint", F_STRING, OPTIONAL) },
    { FIELD(snapshot_scope, variables, "variables", F_ARRAY, REQUIRED),
      COUNTED_BY(snapshot_scope, n_variables), .element = &snapshot_variable_element },
};
static const message snapshot_scope_message = MESSAGE(snapshot_scope, snapshot_scope_fields);
static const field snapshot_scope_element = { .kind = F_OBJECT, .object = &snapshot_scope_message };

/* A frame is a stack_trace frame (same fields, same table) with its scopes. */
static const field snapshot_frame_fields[] = {
    { FIELD(snapshot_frame, frame, NULL, F_OBJECT, REQUIRED), .object = &frame_message },
    { FIELD(snapshot_frame, scopes, "scopes", F_ARRAY, REQUIRED),
      COUNTED_BY(snapshot_frame, n_scopes), .element = &snapshot_scope_element },
};
static const message snapshot_frame_message = MESSAGE(snapshot_frame, snapshot_frame_fields);
static const field snapshot_frame_element = { .kind = F_OBJECT, .object = &snapshot_frame_message };

static const field snapshot_fields[] = {
    { FIELD(snapshot_body, id, "id", F_INT64, REQUIRED) },
    { FIELD(snapshot_body, tid, "tid", F_INT, REQUIRED), .min = 1 },
    { FIELD(snapshot_body, thread_name, "thread_name", F_STRING, REQUIRED) },
    { FIELD(snapshot_body, time_ms, "time_ms", F_INT64, REQUIRED) },
    { FIELD(snapshot_body, capture_ns, "capture_ns", F_INT64, REQUIRED) },
    { FIELD(snapshot_body, truncated, "truncated", F_BOOL, REQUIRED) },
    { FIELD(snapshot_body, dropped, "dropped", F_INT64, REQUIRED) },
    { FIELD(snapshot_body, frames, "frames", F_ARRAY, REQUIRED),
      COUNTED_BY(snapshot_body, n_frames), .element = &snapshot_frame_element },
};
static const message snapshot_message = MESSAGE(snapshot_body, snapshot_fields);
/* The body, its frames and their scopes are three levels of objects above the variables. */
#define SNAPSHOT_NESTING (3 + PROBE_SNAPSHOT_MAX_VARIABLE_DEPTH)
static const char *const exception_modes[] = { "stop", "snapshot", NULL };
static const field exception_filter_fields[] = {
    { FIELD(probe_exception_filter, signal, "signal", F_STRING, REQUIRED), .allowed = fatal_signal_names },
    { FIELD(probe_exception_filter, mode, "mode", F_STRING, OPTIONAL), .fallback = "stop",
      .allowed = exception_modes },
};
static const message exception_filter_message = MESSAGE(probe_exception_filter, exception_filter_fields);
static const field exception_filter_element = { .kind = F_OBJECT, .object = &exception_filter_message };

static const field exceptions_set_fields[] = {
    { FIELD(probe_exceptions_set, signals, "signals", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_exceptions_set, n), .element = &exception_filter_element },
};
static const message exceptions_set_message = MESSAGE(probe_exceptions_set, exceptions_set_fields);

static const field string_element = { .kind = F_STRING };

static const field reload_fields[] = {
    { FIELD(probe_reload, name, "name", F_STRING, REQUIRED) },
    { FIELD(probe_reload, library, "library", F_STRING, REQUIRED) },
    { FIELD(probe_reload, sha256, "sha256", F_STRING, REQUIRED) },
    { FIELD(probe_reload, reload_id, "reload_id", F_INT64, REQUIRED), .min = 1 },
};
static const message reload_message = MESSAGE(probe_reload, reload_fields);

static const field reload_result_fields[] = {
    { FIELD(probe_reload_result, module, "module", F_STRING, REQUIRED) },
    { FIELD(probe_reload_result, generation, "generation", F_INT, REQUIRED), .min = 1 },
    { FIELD(probe_reload_result, patched, "patched", F_ARRAY, REQUIRED),
      COUNTED_BY(probe_reload_result, n_listed), .element = &string_element },
    { FIELD(probe_reload_result, n_patched, "n_patched", F_INT64, REQUIRED) },
    { FIELD(probe_reload_result, unchanged, "unchanged", F_INT64, REQUIRED) },
    { FIELD(probe_reload_result, added, "added", F_INT64, REQUIRED) },
    { FIELD(probe_reload_result, time_us, "time_us", F_INT64, REQUIRED) },
    { FIELD(probe_reload_result, warnings, "warnings", F_ARRAY, OPTIONAL),
      COUNTED_BY(probe_reload_result, n_warnings), .element = &string_element, .omit_empty = true },
};
static const message reload_result_message = MESSAGE(probe_reload_result, reload_result_fields);

static const field reload_rollback_fields[] = {
    { FIELD(probe_reload_rollback, name, "name", F_STRING, OPTIONAL) },
    { FIELD(probe_reload_rollback, reload_id, "reload_id", F_INT64, OPTIONAL) },
};
static const message reload_rollback_message = MESSAGE(probe_reload_rollback, reload_rollback_fields);

static const field reload_rollback_result_fields[] = {
    { FIELD(probe_reload_rollback_result, module, "module", F_STRING, REQUIRED) },
    { FIELD(probe_reload_rollback_result, generation, "generation", F_INT, REQUIRED) },
    { FIELD(probe_reload_rollback_result, restored, "restored", F_INT64, REQUIRED) },
    { FIELD(probe_reload_rollback_result, time_us, "time_us", F_INT64, REQUIRED) },
};
static const message reload_rollback_result_message =
    MESSAGE(probe_reload_rollback_result, reload_rollback_result_fields);

#define PROBE_DEFINE_CODEC(T, desc)                                                        \
    cJSON *T##_to_json(const T *m) { return encode_message(&desc, m); }                    \
    int T##_from_json(const cJSON *json, T *out, char *err, size_t err_len)                \
    {                                                                                      \
        return decode_root(&desc, json, out, MESSAGE_MAX_NESTING, err, err_len);           \
    }                                                                                      \
    void T##_free(T *m) { free_message(&desc, m); }

PROBE_DEFINE_CODEC(probe_hello, hello_message)
cJSON *probe_bp_set_to_json(const probe_bp_set *m) { return encode_message(&bp_set_message, m); }
void probe_bp_set_free(probe_bp_set *m) { free_message(&bp_set_message, m); }

/* A line breakpoint needs source and line; a function breakpoint (with "function") neither. */
int probe_bp_set_from_json(const cJSON *json, probe_bp_set *out, char *err, size_t err_len)
{
    if (decode_root(&bp_set_message, json, out, MESSAGE_MAX_NESTING, err, err_len) != 0)
        return -1;
    for (size_t i = 0; i < out->n; i++) {
        const probe_bp_spec *spec = &out->breakpoints[i];
        const char *missing = spec->function ? NULL : !spec->source ? "source" : !spec->line ? "line" : NULL;
        if (missing) {
            snprintf(err, err_len, "breakpoints[%zu].%s: missing required field", i, missing);
            probe_bp_set_free(out);
            return -1;
        }
    }
    return 0;
}
PROBE_DEFINE_CODEC(probe_bp_clear, bp_clear_message)
PROBE_DEFINE_CODEC(probe_bp_result, bp_result_message)
PROBE_DEFINE_CODEC(probe_stopped, stopped_message)
PROBE_DEFINE_CODEC(probe_bp_error, bp_error_message)
PROBE_DEFINE_CODEC(probe_output, output_message)
PROBE_DEFINE_CODEC(probe_stack_request, stack_request_message)
PROBE_DEFINE_CODEC(probe_stack_reply, stack_reply_message)
PROBE_DEFINE_CODEC(probe_continue, continue_message)
PROBE_DEFINE_CODEC(probe_step, step_message)
PROBE_DEFINE_CODEC(probe_pause, pause_message)
PROBE_DEFINE_CODEC(probe_heartbeat, heartbeat_message)
PROBE_DEFINE_CODEC(probe_frame_request, frame_request_message)
PROBE_DEFINE_CODEC(probe_scopes_reply, scopes_reply_message)
PROBE_DEFINE_CODEC(probe_variables_request, variables_request_message)
PROBE_DEFINE_CODEC(probe_variables_reply, variables_reply_message)
PROBE_DEFINE_CODEC(probe_evaluate_request, evaluate_request_message)
PROBE_DEFINE_CODEC(probe_set_variable_request, set_variable_request_message)
PROBE_DEFINE_CODEC(probe_value_reply, value_reply_message)

PROBE_DEFINE_CODEC(probe_snapshot_dropped, snapshot_dropped_message)
PROBE_DEFINE_CODEC(probe_read_memory_request, read_memory_request_message)
PROBE_DEFINE_CODEC(probe_read_memory_reply, read_memory_reply_message)
PROBE_DEFINE_CODEC(probe_disassemble_request, disassemble_request_message)
PROBE_DEFINE_CODEC(probe_disassemble_reply, disassemble_reply_message)
PROBE_DEFINE_CODEC(probe_modules_reply, modules_reply_message)
PROBE_DEFINE_CODEC(probe_exceptions_set, exceptions_set_message)
PROBE_DEFINE_CODEC(probe_reload, reload_message)
PROBE_DEFINE_CODEC(probe_reload_result, reload_result_message)
PROBE_DEFINE_CODEC(probe_reload_rollback, reload_rollback_message)
PROBE_DEFINE_CODEC(probe_reload_rollback_result, reload_rollback_result_message)

void probe_bp_state_free(probe_bp_state *m) { free_message(&bp_state_message, m); }

int probe_snapshot_validate(const cJSON *body, char *err, size_t err_len)
{
    snapshot_body decoded;
    if (decode_root(&snapshot_message, body, &decoded, SNAPSHOT_NESTING, err, err_len) != 0)
        return -1;
    free_message(&snapshot_message, &decoded);
    return 0;
}
