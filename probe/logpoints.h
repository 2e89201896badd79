/* Logpoints: a logMessage template with {expression} segments compiled for one breakpoint address,
 * the values the signal handler captures into a lock-free ring, and their formatting by the agent. */
#ifndef PODBUG_LOGPOINTS_H
#define PODBUG_LOGPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cond.h"
#include "frame_regs.h"
#include "symbols.h"

#define LOGPOINT_MAX_SEGMENTS 8     /* {expression}s in one message */
#define LOGPOINT_STRING_MAX 128     /* bytes captured of a string */
#define LOGPOINT_RING_SIZE 256      /* records waiting for the agent (a power of two) */

/* "order {o->id}: {{ok}}" is literals {"order ", ": {ok}"} around exprs {"o->id"}. */
typedef struct logpoint_template {
    char *text;
    char **literals;            /* n_exprs + 1 */
    char **exprs;               /* n_exprs */
    size_t n_exprs;
} logpoint_template;

/* Splits text ("{{" and "}}" are literal braces). Returns 0, or -1 with err ("logMessage: '{' at
 * column 7 is not closed", "logMessage: '}' at column 3 must be written '}}'", "logMessage: empty
 * {} at column 5", "logMessage: more than 8 {expressions}"). */
int logpoint_template_parse(const char *text, logpoint_template *out, char *err, size_t err_len);
void logpoint_template_free(logpoint_template *t);

/* A logpoint at one address: its template (interned for the life of the process, so a record in
 * the ring may outlive its breakpoint) and each segment's value program. */
typedef struct logpoint_site {
    const logpoint_template *template;
    cond_program *programs[LOGPOINT_MAX_SEGMENTS];
    bool is_string[LOGPOINT_MAX_SEGMENTS];  /* a char pointer: its string is captured */
    bool is_redacted[LOGPOINT_MAX_SEGMENTS]; /* reads a redacted name: never evaluated */
    size_t n_programs;
    bool needs_cfa;
} logpoint_site;

/* Agent: parses text and compiles its expressions at pc. NULL with err ("{o->amout}: no member
 * 'amout' in 'const struct order'") when any does not. An expression that reads a redacted name
 * (redaction.h) compiles but is never evaluated: it prints "<redacted>". */
logpoint_site *logpoint_site_compile(sym_index *symbols, uintptr_t pc, const char *text, char *err,
                                     size_t err_len);
void logpoint_site_free(logpoint_site *site);

/* One captured value: raw bits, and for a char pointer the bytes of its string. */
typedef struct logpoint_value {
    uint64_t bits;
    const dtype *type;
    const char *error;          /* static text when the evaluation failed, else NULL */
    uint64_t error_address;
    bool redacted;              /* not evaluated: it reads a secret */
    bool has_string;
    bool string_cut;            /* more bytes followed the captured ones */
    uint16_t string_len;
    char string[LOGPOINT_STRING_MAX];
} logpoint_value;

typedef struct logpoint_record {
    int64_t bp_id;
    int tid;
    const logpoint_template *template;
    size_t n_values;
    logpoint_value values[LOGPOINT_MAX_SEGMENTS];
} logpoint_record;

/* Handler: evaluates every segment of site on regs, queues the record and wakes the agent.
 * Returns false when the ring is full (the record is dropped). */
bool logpoint_capture(const logpoint_site *site, int64_t bp_id, const frame_regs *regs);

/* Handler-safe: queues a copy of r; false when the ring is full. */
bool logpoint_ring_push(const logpoint_record *r);
/* Agent (one consumer): takes the oldest record. */
bool logpoint_ring_take(logpoint_record *out);

/* Agent: the text of a record: literals and values (integers in decimal, chars, bools, enums by
 * name, floats, pointers in hex, strings quoted from the captured bytes, "<error: ...>",
 * "<redacted>"). */
const char *logpoint_format(sym_index *symbols, const logpoint_record *r, char *out, size_t len);

#endif
