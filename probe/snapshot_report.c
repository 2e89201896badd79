/* Snapshot events (see snapshot_report.h): a captured copy formatted on the agent thread into
 * frames and variable trees, every memory read served from the copy alone, then sent. */
#include "snapshot_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "bp_conditions.h"
#include "crash_guard.h"
#include "log.h"
#include "probe_msg.h"
#include "proc_info.h"
#include "redaction.h"
#include "safe_mem.h"
#include "thread_frames.h"
#include "variable_view.h"

#define MAX_VARIABLES 4000    /* variables (children and registers included) per snapshot */
#define MAX_CHILD_DEPTH 8     /* levels of children below a scope's variable */
#define MAX_ELEMENTS 100      /* elements of an array included; `indexed` keeps the true count */
#define VALUE_TEXT_MAX 256    /* bytes of a value's text */
#define TRUNCATION_MARK "..."
#define NOT_CAPTURED "<not captured>"
#define ERR_LEN 256

typedef struct formatter {
    size_t variables;  /* included so far */
    bool cut;          /* MAX_VARIABLES left some out */
    bool failed;       /* out of memory */
} formatter;

/* Adds item to an object (under key) or to an array (key NULL). Returns item, or NULL (and
 * marks the formatter failed) when item is NULL or cannot be added. */
static cJSON *add(formatter *f, cJSON *parent, const char *key, cJSON *item)
{
    bool added = item && parent &&
                 (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item));
    if (!added) {
        cJSON_Delete(item);
        f->failed = true;
        return NULL;
    }
    return item;
}

static cJSON *integer(uint64_t n)
{
    return cJSON_CreateNumber((double)(n < (uint64_t)PROBE_MAX_INTEGER ? n : (uint64_t)PROBE_MAX_INTEGER));
}

/* One more variable within MAX_VARIABLES: true when it may be included. */
static bool take_variable(formatter *f)
{
    if (f->variables == MAX_VARIABLES) {
        f->cut = true;
        return false;
    }
    f->variables++;
    return true;
}

/* Cuts text longer than VALUE_TEXT_MAX to it, ending in "..." and never inside a UTF-8
 * sequence. */
static void limit_text(char *text)
{
    if (!text || strlen(text) <= VALUE_TEXT_MAX)
        return;
    size_t cut = VALUE_TEXT_MAX - strlen(TRUNCATION_MARK);
    while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
        cut--;
    strcpy(text + cut, TRUNCATION_MARK);
}

/* Finishes a shown value (has_value: v is it, else shown holds an error). A read the copy
 * refused while showing it makes it "<not captured>" with no children when the value shows
 * nothing for it: its text reports an error, or its own first bytes (read here, since a struct's
 * text reads none) are not in the copy. A string the copy holds only up to its NUL keeps its
 * text although formatting asked for more. Returns true when its children may be listed. */
static bool settle(const value_frame *vf, const value *v, bool has_value, probe_variable *shown)
{
    char err[ERR_LEN];
    if (shown->value && strcmp(shown->value, REDACTION_TEXT) == 0)
        return false; /* a secret: nothing was read, nothing to expand */
    bool readable = has_value && variable_view_check_readable(vf, v, err, sizeof err) == 0;
    bool shows_error = !shown->value || strstr(shown->value, "<error:");
    if (safe_mem_image_missed() && (!readable || shows_error)) {
        free(shown->value);
        shown->value = strdup(NOT_CAPTURED);
        shown->named = shown->indexed = 0;
        return false;
    }
    limit_text(shown->value);
    return has_value;
}

/* {"name", "value", "type", "evaluate_name", "named", "indexed"}, absent fields left out. */
static cJSON *variable_json(formatter *f, cJSON *array, const probe_variable *shown)
{
    cJSON *item = add(f, array, NULL, cJSON_CreateObject());
    if (!item)
        return NULL;
    add(f, item, "name", cJSON_CreateString(shown->name));
    add(f, item, "value", cJSON_CreateString(shown->value));
    if (shown->type)
        add(f, item, "type", cJSON_CreateString(shown->type));
    if (shown->evaluate_name)
        add(f, item, "evaluate_name", cJSON_CreateString(shown->evaluate_name));
    if (shown->named > 0)
        add(f, item, "named", cJSON_CreateNumber(shown->named));
    if (shown->indexed > 0)
        add(f, item, "indexed", cJSON_CreateNumber(shown->indexed));
    return item;
}

/* The children of v (shown as shown) into item's "children": its members or pointee, then at most
 * MAX_ELEMENTS elements, each with its own children down to MAX_CHILD_DEPTH levels. */
static void add_children(formatter *f, const value_frame *vf, const value *v,
                         const probe_variable *shown, cJSON *item, int depth)
{
    size_t elements = (size_t)shown->indexed < MAX_ELEMENTS ? (size_t)shown->indexed : MAX_ELEMENTS;
    size_t count = (size_t)shown->named + elements;
    if (!item || depth >= MAX_CHILD_DEPTH || count == 0)
        return;
    cJSON *children = add(f, item, "children", cJSON_CreateArray());
    for (size_t i = 0; children && i < count && take_variable(f); i++) {
        probe_variable child_shown = { 0 };
        value child;
        bool has_value = variable_view_child(vf, v, shown->name ? shown->name : "",
                                             shown->evaluate_name ? shown->evaluate_name : "", i,
                                             &child, &child_shown);
        bool expand = settle(vf, &child, has_value, &child_shown);
        cJSON *child_item = variable_json(f, children, &child_shown);
        if (expand)
            add_children(f, vf, &child, &child_shown, child_item, depth + 1);
        variable_view_free(&child_shown);
    }
}

/* A scope named name listing the frame's DWARF variables of kind; none when it has none. */
static void add_variables_scope(formatter *f, const value_frame *vf, var_ref_kind kind,
                                const char *name, const char *hint, cJSON *scopes)
{
    const dvar *vars;
    size_t n = variable_view_scope(vf, kind, &vars);
    if (n == 0)
        return;
    cJSON *scope = add(f, scopes, NULL, cJSON_CreateObject());
    add(f, scope, "name", cJSON_CreateString(name));
    add(f, scope, "presentation_hint", cJSON_CreateString(hint));
    cJSON *variables = add(f, scope, "variables", cJSON_CreateArray());
    for (size_t i = 0; variables && i < n && take_variable(f); i++) {
        probe_variable shown = { 0 };
        value v;
        bool has_value = variable_view_variable(vf, &vars[i], &v, &shown);
        bool expand = settle(vf, &v, has_value, &shown);
        cJSON *item = variable_json(f, variables, &shown);
        if (expand)
            add_children(f, vf, &v, &shown, item, 0);
        variable_view_free(&shown);
    }
}

static void add_registers_scope(formatter *f, const frame_regs *regs, cJSON *scopes)
{
    int regnos[FRAME_REG_COUNT];
    size_t n = variable_view_registers(regs, regnos);
    cJSON *scope = add(f, scopes, NULL, cJSON_CreateObject());
    add(f, scope, "name", cJSON_CreateString("Registers"));
    add(f, scope, "presentation_hint", cJSON_CreateString("registers"));
    cJSON *variables = add(f, scope, "variables", cJSON_CreateArray());
    for (size_t i = 0; variables && i < n && take_variable(f); i++) {
        probe_variable shown = { 0 };
        variable_view_register(regs, regnos[i], &shown);
        variable_json(f, variables, &shown);
        variable_view_free(&shown);
    }
}

/* One expanded frame: where it is, its Arguments and Locals, and the machine frame's Registers
 * at its innermost inlined level. */
static void add_frame(formatter *f, sym_index *symbols, const snapshot_raw *s,
                      const stack_frame *frame, cJSON *frames)
{
    char pc[24];
    value_frame vf;
    thread_frames_value_frame_at(symbols, frame, s->tid, NULL, &vf);
    cJSON *item = add(f, frames, NULL, cJSON_CreateObject());
    snprintf(pc, sizeof pc, "0x%" PRIxPTR, frame->pc);
    add(f, item, "pc", cJSON_CreateString(pc));
    if (frame->function)
        add(f, item, "function", cJSON_CreateString(frame->function));
    if (frame->file)
        add(f, item, "file", cJSON_CreateString(frame->file));
    if (frame->line > 0)
        add(f, item, "line", cJSON_CreateNumber(frame->line));
    if (frame->module)
        add(f, item, "module", cJSON_CreateString(frame->module));
    cJSON *scopes = add(f, item, "scopes", cJSON_CreateArray());
    add_variables_scope(f, &vf, VAR_REF_ARGUMENTS, "Arguments", "arguments", scopes);
    add_variables_scope(f, &vf, VAR_REF_LOCALS, "Locals", "locals", scopes);
    if (frame->scope_level == 0)
        add_registers_scope(f, frame->regs, scopes);
}

cJSON *snapshot_format(sym_index *symbols, const snapshot_raw *s, const char *thread_name,
                       uint64_t dropped)
{
    stack_frame *frames;
    int n_frames = thread_frames_expand(symbols, s->frames, s->n_frames, &frames);
    if (n_frames < 0)
        return NULL;
    formatter f = { 0 };
    cJSON *body = cJSON_CreateObject();
    add(&f, body, "id", integer((uint64_t)s->bp_id));
    add(&f, body, "tid", integer((uint64_t)s->tid));
    add(&f, body, "thread_name", cJSON_CreateString(thread_name));
    add(&f, body, "time_ms", integer(s->time_ms));
    add(&f, body, "capture_ns", integer(s->capture_ns));
    add(&f, body, "dropped", integer(dropped));
    cJSON *frames_json = add(&f, body, "frames", cJSON_CreateArray());

    /* Every read while formatting comes from the copy; a refused read marks its value. */
    safe_mem_use_image(&s->image);
    safe_mem_image_missed();
    for (int i = 0; frames_json && i < n_frames; i++)
        add_frame(&f, symbols, s, &frames[i], frames_json);
    safe_mem_use_image(NULL);
    free(frames);

    /* Variables left out for MAX_VARIABLES make the snapshot as incomplete as a capture budget. */
    add(&f, body, "truncated", cJSON_CreateBool(s->truncated || f.cut));
    if (f.failed) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

void snapshot_report_pending(sym_index *symbols)
{
    const snapshot_raw *s;
    while ((s = snapshot_take())) {
        char thread_name[64];
        proc_thread_name(s->tid, thread_name, sizeof thread_name);
        int64_t bp_id = s->bp_id;
        pid_t tid = s->tid;
        cJSON *body = snapshot_format(symbols, s, thread_name, bp_conditions_take_dropped(bp_id));
        snapshot_release(s);
        if (body && bp_id == CRASH_SNAPSHOT_ID)
            crash_guard_annotate_snapshot(symbols, tid, body);
        if (body)
            agent_send(probe_envelope_encode(PMSG_SNAPSHOT, 0, body));
        else
            log_warn("a snapshot of breakpoint %" PRId64 " was not sent: out of memory", bp_id);
        if (bp_id == CRASH_SNAPSHOT_ID) /* the crashed thread goes on once it has left */
            agent_after_flush(crash_guard_release_reported);
    }
}
