/* Probe protocol v1: the JSON envelope {"v":1,"type":...,"id":...,"body":{...}} exchanged
 * over WebSocket between probe and server, and typed encode/decode of every message body. */
#ifndef PODBUG_PROBE_MSG_H
#define PODBUG_PROBE_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define PROBE_PROTOCOL_VERSION 1
#define PROBE_WS_SUBPROTOCOL "podbug.probe.v1"
#define PROBE_MAX_MESSAGE (32u * 1024u * 1024u)
/* Largest library a reload carries (decoded; its base64 and envelope fit PROBE_MAX_MESSAGE). */
#define RELOAD_MAX_LIBRARY (16u * 1024u * 1024u)
/* Largest integer (ids, times) on the wire: 15 digits survive every JSON printer, cJSON's too. */
#define PROBE_MAX_INTEGER INT64_C(999999999999999)

/* Message types (the envelope's "type"). See protocol/PROBE_PROTOCOL.md. */
#define PMSG_HELLO "hello"                 /* probe -> server, request: registration */
#define PMSG_BREAKPOINTS_SET "breakpoints.set"     /* server -> probe, request */
#define PMSG_BREAKPOINTS_CLEAR "breakpoints.clear" /* server -> probe, request */
#define PMSG_STOPPED "stopped"             /* probe -> server, event (id 0) */
#define PMSG_STACK_TRACE "stack_trace"     /* server -> probe, request */
#define PMSG_CONTINUE "continue"           /* server -> probe, request */
#define PMSG_STEP "step"                   /* server -> probe, request */
#define PMSG_PAUSE "pause"                 /* server -> probe, request */
#define PMSG_SCOPES "scopes"               /* server -> probe, request */
#define PMSG_VARIABLES "variables"         /* server -> probe, request */
#define PMSG_EVALUATE "evaluate"           /* server -> probe, request */
#define PMSG_SET_VARIABLE "set_variable"   /* server -> probe, request */
#define PMSG_BREAKPOINT_ERROR "breakpoint.error" /* probe -> server, event (id 0) */
#define PMSG_OUTPUT "output"               /* probe -> server, event (id 0): a logpoint's line */
#define PMSG_SNAPSHOT "snapshot"           /* probe -> server, event (id 0): a captured snapshot */
#define PMSG_SNAPSHOT_DROPPED "snapshot.dropped" /* probe -> server, event (id 0) */
#define PMSG_EXCEPTIONS_SET "exceptions.set" /* server -> probe, request: fatal signals to catch */
#define PMSG_READ_MEMORY "read_memory"   /* server -> probe, request: bytes of the process */
#define PMSG_DISASSEMBLE "disassemble"   /* server -> probe, request: instructions around an address */
#define PMSG_MODULES "modules"           /* server -> probe, request: the loaded modules */
#define PMSG_RELOAD "reload"             /* server -> probe, request: hot reload a library */
#define PMSG_RELOAD_ROLLBACK "reload.rollback" /* server -> probe, request: back one generation */
#define PMSG_RELEASE "release"           /* server -> probe, request: a held program may start */
#define PMSG_HEARTBEAT "heartbeat"         /* either way, event */
#define PMSG_RESULT "result"               /* reply to request `id`: success */
#define PMSG_ERROR "error"                 /* reply to request `id` (or id 0): failure */

/* A decoded envelope. `root` owns everything; `type` and `body` point into it. */
typedef struct probe_envelope {
    cJSON *root;
    const char *type;
    int64_t id;       /* 0 for events */
    const cJSON *body; /* always an object (an absent body decodes as an empty object) */
} probe_envelope;

/* Parses and validates an envelope (v must be 1, type a non-empty string, id a non-negative
 * integer if present, body an object if present). Returns 0, or -1 with err filled. */
int probe_envelope_decode(const char *text, size_t len, probe_envelope *out, char *err, size_t err_len);
void probe_envelope_free(probe_envelope *env);
/* Builds the envelope text; takes ownership of body (NULL means {}). Returns malloc'ed JSON. */
char *probe_envelope_encode(const char *type, int64_t id, cJSON *body);
/* Convenience: an "error" reply to request id with {"message": message}. Malloc'ed JSON. */
char *probe_error_encode(int64_t id, const char *message);

/* ---- typed bodies. Strings are owned (malloc'ed), arrays are malloc'ed; *_free releases
 * them. *_to_json returns a new cJSON object. *_from_json returns 0, or -1 with err naming
 * the offending field (e.g. "breakpoints[2].line: expected an integer"). ---- */

typedef struct probe_label { char *key; char *value; } probe_label;

typedef struct probe_hello {
    char *pod;
    char *namespace_;     /* JSON "namespace" */
    probe_label *labels;  /* JSON "labels": object of string -> string */
    size_t n_labels;
    int pid;
    char *hostname;
    char *exe;            /* absolute path of the executable */
    char *build_id;       /* hex, may be "" when the executable has none */
    int64_t start_time_ms; /* process start, ms since the epoch */
    char *probe_version;
    int held;             /* the program's start waits for a release (PODBUG_HOLD); JSON "held" */
} probe_hello;

/* A breakpoint's budgets (PROBE_PROTOCOL.md 4.2); 0 = the default below (max_depth: -1). */
typedef struct probe_bp_budget {
    int max_frames;       /* snapshot: machine frames, 1..64 */
    int max_depth;        /* snapshot: pointer hops, 0..4; -1 = default (JSON absent) */
    int max_bytes;        /* snapshot: bytes copied, 4096..1048576 */
    int per_second;       /* logpoint lines / snapshots per second, 1..100000 */
    int bytes_per_second; /* logpoint text / snapshot bytes per second, 1024..1073741824 */
    int cpu_percent;      /* condition CPU, percent of one core, 1..100 */
    int condition_steps;  /* bytecode instructions per evaluation, 16..65536 */
} probe_bp_budget;

#define PROBE_DEFAULT_MAX_FRAMES 20
#define PROBE_DEFAULT_MAX_DEPTH 2
#define PROBE_DEFAULT_MAX_BYTES 65536
#define PROBE_DEFAULT_LOG_PER_SECOND 100
#define PROBE_DEFAULT_LOG_BYTES_PER_SECOND 65536
#define PROBE_DEFAULT_SNAPSHOTS_PER_SECOND 5
#define PROBE_DEFAULT_SNAPSHOT_BYTES_PER_SECOND 1048576
#define PROBE_DEFAULT_CPU_PERCENT 10
#define PROBE_DEFAULT_CONDITION_STEPS 4096
/* The accepted range of every budget field (a value outside is refused, naming the field). */
#define PROBE_MAX_FRAMES_MIN 1
#define PROBE_MAX_FRAMES_MAX 64
#define PROBE_MAX_DEPTH_MIN 0
#define PROBE_MAX_DEPTH_MAX 4
#define PROBE_MAX_BYTES_MIN 4096
#define PROBE_MAX_BYTES_MAX 1048576
#define PROBE_PER_SECOND_MIN 1
#define PROBE_PER_SECOND_MAX 100000
#define PROBE_BYTES_PER_SECOND_MIN 1024
#define PROBE_BYTES_PER_SECOND_MAX 1073741824
#define PROBE_CPU_PERCENT_MIN 1
#define PROBE_CPU_PERCENT_MAX 100
#define PROBE_CONDITION_STEPS_MIN 16
#define PROBE_CONDITION_STEPS_MAX 65536

typedef struct probe_bp_spec {
    int64_t id;           /* server-assigned, unique per server run */
    char *source;         /* build-side path of the source file as the server maps it; NULL
                           * for a function breakpoint */
    int line;             /* 1-based; 0 for a function breakpoint */
    char *mode;           /* "stop" (default) or "snapshot" */
    char *condition;      /* C expression that must be true for a hit to count; NULL = none */
    char *hit_condition;  /* "N", "== N", ">= N", "> N" or "% N" (JSON "hit_condition"); NULL = none */
    char *log_message;    /* a logpoint: text with {expression}s, logged instead of stopping
                           * (JSON "log_message"); NULL = a breakpoint that stops */
    probe_bp_budget budget; /* JSON "budget" (absent = all defaults) */
    char *function;       /* a function breakpoint: the function's name (JSON "function"); then
                           * source and line are ignored. NULL = a line breakpoint */
    int stop_all;         /* a stop stops every thread of the process (JSON "stop_all", absent =
                           * true); false: only the hitting thread stops */
    int fast;             /* JSON "fast", absent = true: a jump to a trampoline where that is safe;
                           * false: always the trap */
} probe_bp_spec;

typedef struct probe_bp_set { probe_bp_spec *breakpoints; size_t n; } probe_bp_set;
typedef struct probe_bp_clear { int64_t *ids; size_t n; } probe_bp_clear;

typedef struct probe_location {
    uint64_t address;     /* runtime address, JSON hex string "0x401136" */
    char *function;       /* may be NULL (JSON key absent) */
    char *file;           /* full path from the line table, may be NULL */
    int line;
    char *path;           /* how it is armed: "fast" (a jump to a trampoline) or "trap" (int3);
                           * NULL when not reported */
    char *path_reason;    /* "trap" only: why not fast (JSON "path_reason"); may be NULL */
} probe_location;

typedef struct probe_bp_state {
    int64_t id;
    int verified;
    char *message;        /* why it is not verified; may be NULL */
    probe_location *locations;
    size_t n_locations;
} probe_bp_state;

typedef struct probe_bp_result { probe_bp_state *breakpoints; size_t n; } probe_bp_result;

typedef struct probe_thread { int tid; char *name; } probe_thread;

/* A fatal signal that stopped the process (stopped.exception): signal name, si_code, si_addr. */
typedef struct probe_exception { char *signal; int code; uint64_t address; } probe_exception;

typedef struct probe_stopped {
    char *reason;         /* "breakpoint", "pause", "exception", ... */
    char *description;    /* "SIGSEGV: invalid read at 0x0"; may be NULL */
    probe_exception exception; /* reason "exception": what happened (absent: signal NULL) */
    int tid;              /* the thread that stopped */
    int64_t *breakpoint_ids; /* breakpoints hit at that address (JSON "breakpoint_ids") */
    size_t n_breakpoint_ids;
    int all_threads_stopped;
    probe_thread *threads; /* every thread of the process, when all are stopped */
    size_t n_threads;
} probe_stopped;

/* A breakpoint's condition failed at run time (reported once per breakpoint per process). */
typedef struct probe_bp_error {
    int64_t id;           /* the breakpoint */
    char *message;        /* the first error: "cannot dereference a null pointer" */
    int64_t count;        /* how many evaluations failed so far */
    int disabled;         /* the breakpoint is switched off in this process (CPU budget) */
} probe_bp_error;

/* A logpoint's line: its template with the values of one hit, or only a count of dropped lines. */
typedef struct probe_output {
    int64_t id;           /* the logpoint's breakpoint */
    int tid;              /* the thread that hit it; 0 when the event only reports drops */
    char *text;           /* "order 3 by \"bob\"" ("" when the event only reports drops) */
    int64_t dropped;      /* lines of this logpoint dropped (rate limit) since its last event */
} probe_output;

typedef struct probe_stack_request { int tid; int start_frame; int levels; /* 0 = all */ } probe_stack_request;

typedef struct probe_frame {
    uint64_t pc;
    char *function;       /* may be NULL when unknown */
    char *file;           /* may be NULL when no line info */
    int line;             /* 0 when unknown */
    char *module;         /* path of the module containing pc; may be NULL */
} probe_frame;

typedef struct probe_stack_reply { probe_frame *frames; size_t n; int total_frames; } probe_stack_reply;
typedef struct probe_continue { int tid; /* 0 = the whole process */ } probe_continue;
/* step: kind "over", "in" or "out"; granularity "line" (NULL), "statement" or "instruction". */
typedef struct probe_step { int tid; char *kind; char *granularity; } probe_step;
/* pause: stop every thread; tid names the thread the stop reports (0 = the first). */
typedef struct probe_pause { int tid; } probe_pause;
typedef struct probe_heartbeat { int64_t time_ms; } probe_heartbeat;

#define PROBE_DECLARE_CODEC(T) \
    cJSON *T##_to_json(const T *m); \
    int T##_from_json(const cJSON *json, T *out, char *err, size_t err_len); \
    void T##_free(T *m);

/* scopes: the scopes of frame `frame` (index in the stack_trace list) of stopped thread tid. */
typedef struct probe_frame_request { int tid; int frame; } probe_frame_request;

typedef struct probe_scope {
    char *name;               /* "Locals", "Arguments", "Globals", "Statics", "Registers" */
    char *presentation_hint;  /* "arguments", "locals", "registers", or NULL */
    int64_t ref;              /* probe-side variables reference (> 0) */
    int named;                /* number of variables, when known cheaply; else 0 */
    int expensive;
} probe_scope;
typedef struct probe_scopes_reply { probe_scope *scopes; size_t n; } probe_scopes_reply;

/* variables: children of reference `ref`, [start, start+count) (count 0 = all); filter is
 * "indexed", "named" or NULL (both). */
typedef struct probe_variables_request { int64_t ref; int start; int count; char *filter; } probe_variables_request;

typedef struct probe_variable {
    char *name;
    char *value;
    char *type;               /* may be NULL */
    int64_t ref;              /* > 0 when it has children */
    int named;                /* children counts, for DAP paging */
    int indexed;
    char *evaluate_name;      /* may be NULL */
} probe_variable;
typedef struct probe_variables_reply { probe_variable *variables; size_t n; } probe_variables_reply;

/* evaluate: expression in frame `frame` of thread tid; context "repl", "watch", "hover". */
typedef struct probe_evaluate_request { int tid; int frame; char *expression; char *context; } probe_evaluate_request;
/* set_variable: the child `name` of reference `ref` gets the value of expression `value`. */
typedef struct probe_set_variable_request { int64_t ref; char *name; char *value; } probe_set_variable_request;
/* The reply of evaluate and set_variable: the resulting value. */
typedef struct probe_value_reply { char *value; char *type; int64_t ref; int named; int indexed; } probe_value_reply;

/* Frees what one breakpoint state owns (its strings and locations), not the struct itself. */
void probe_bp_state_free(probe_bp_state *st);

PROBE_DECLARE_CODEC(probe_hello)
PROBE_DECLARE_CODEC(probe_bp_set)
PROBE_DECLARE_CODEC(probe_bp_clear)
PROBE_DECLARE_CODEC(probe_bp_result)
PROBE_DECLARE_CODEC(probe_stopped)
PROBE_DECLARE_CODEC(probe_bp_error)
PROBE_DECLARE_CODEC(probe_output)
PROBE_DECLARE_CODEC(probe_stack_request)
PROBE_DECLARE_CODEC(probe_stack_reply)
PROBE_DECLARE_CODEC(probe_continue)
PROBE_DECLARE_CODEC(probe_step)
PROBE_DECLARE_CODEC(probe_pause)
PROBE_DECLARE_CODEC(probe_heartbeat)
PROBE_DECLARE_CODEC(probe_frame_request)
PROBE_DECLARE_CODEC(probe_scopes_reply)
PROBE_DECLARE_CODEC(probe_variables_request)
PROBE_DECLARE_CODEC(probe_variables_reply)
PROBE_DECLARE_CODEC(probe_evaluate_request)
PROBE_DECLARE_CODEC(probe_set_variable_request)
PROBE_DECLARE_CODEC(probe_value_reply)

/* read_memory: count bytes from address (any time: the process need not be stopped). */
#define PROBE_READ_MEMORY_MAX 65536
typedef struct probe_read_memory_request { uint64_t address; int count; } probe_read_memory_request;
/* data: the bytes readable from address on, base64; unreadable_bytes: how many of count after them
 * could not be read. */
typedef struct probe_read_memory_reply { uint64_t address; char *data; int unreadable_bytes; } probe_read_memory_reply;
/* disassemble: instruction_count instructions, the first instruction_offset instructions away
 * from the one at address (negative: before it). */
#define PROBE_DISASSEMBLE_MAX 4096
typedef struct probe_disassemble_request {
    uint64_t address;
    int instruction_offset;   /* -4096..4096 */
    int instruction_count;    /* 1..4096 */
    int resolve_symbols;
} probe_disassemble_request;
typedef struct probe_instruction {
    uint64_t address;
    char *bytes;              /* hex, "55" "4889e5": the original bytes, never a breakpoint's int3 */
    char *text;               /* Intel syntax; "(bad)" when the bytes decode to nothing */
    char *symbol;             /* "handle_order+4"; NULL when unknown or not asked */
    char *file;               /* set when a line-table row starts at this address */
    int line;
} probe_instruction;
typedef struct probe_disassemble_reply { probe_instruction *instructions; size_t n; } probe_disassemble_reply;
/* modules: every loaded module of the process. */
typedef struct probe_module {
    char *path;
    uint64_t low, high;       /* runtime span of its loaded segments, [low, high) */
    char *build_id;           /* hex, "" when unknown */
    char *symbols;            /* "debug information", "symbols only", "none", "not loaded yet" */
} probe_module;
typedef struct probe_modules_reply { probe_module *modules; size_t n; } probe_modules_reply;
PROBE_DECLARE_CODEC(probe_read_memory_request)
PROBE_DECLARE_CODEC(probe_read_memory_reply)
PROBE_DECLARE_CODEC(probe_disassemble_request)
PROBE_DECLARE_CODEC(probe_disassemble_reply)
PROBE_DECLARE_CODEC(probe_modules_reply)

#define PROBE_SNAPSHOT_MAX_VARIABLE_DEPTH 64
/* snapshot (4.15): checks a body's shape (required fields and types, variables recursively, at
 * most 64 levels deep). Returns 0, or -1 with err naming the offending field
 * ("frames[2].scopes[0].variables[4].children[1].value: expected a string"). */
int probe_snapshot_validate(const cJSON *body, char *err, size_t err_len);
/* snapshot.dropped (4.16) */
typedef struct probe_snapshot_dropped { int64_t id; int64_t dropped; } probe_snapshot_dropped;
PROBE_DECLARE_CODEC(probe_snapshot_dropped)
/* exceptions.set: the fatal signals to catch and how; a signal not listed is not caught. */
typedef struct probe_exception_filter { char *signal; char *mode; /* "stop" | "snapshot" */ } probe_exception_filter;
typedef struct probe_exceptions_set { probe_exception_filter *signals; size_t n; } probe_exceptions_set;
PROBE_DECLARE_CODEC(probe_exceptions_set)
/* reload (4.21). library is the base64 text as sent (the probe decodes and checks it). */
typedef struct probe_reload {
    char *name;           /* file name of the library, "libhandlers.so" */
    char *library;        /* base64 */
    char *sha256;         /* 64 lowercase hex digits */
    int64_t reload_id;    /* >= 1 */
} probe_reload;
typedef struct probe_reload_result {
    char *module;         /* path of the running module reloaded */
    int generation;       /* >= 1 */
    char **patched;       /* function names, at most PROBE_RELOAD_MAX_LISTED */
    size_t n_listed;
    int64_t n_patched;
    int64_t unchanged;
    int64_t added;
    int64_t time_us;
    char **warnings;      /* JSON absent when none */
    size_t n_warnings;
} probe_reload_result;
#define PROBE_RELOAD_MAX_LISTED 256
/* reload.rollback (4.22): name NULL = the module reloaded last; reload_id 0 = any. */
typedef struct probe_reload_rollback { char *name; int64_t reload_id; } probe_reload_rollback;
typedef struct probe_reload_rollback_result {
    char *module;
    int generation;       /* now running; 0 = the original code */
    int64_t restored;
    int64_t time_us;
} probe_reload_rollback_result;
PROBE_DECLARE_CODEC(probe_reload)
PROBE_DECLARE_CODEC(probe_reload_result)
PROBE_DECLARE_CODEC(probe_reload_rollback)
PROBE_DECLARE_CODEC(probe_reload_rollback_result)
/* Frees one element of probe_bp_result.breakpoints (for code that keeps states apart). */
void probe_bp_state_free(probe_bp_state *m);

#endif
