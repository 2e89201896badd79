/* The probe's handlers for server messages and its stop reports (see server_requests.h).
 * A stop of the whole process is reported once: the first hit names the thread and the
 * breakpoints that wanted it, all parked threads follow. A hit of breakpoints that do not stop
 * all (stop_all false) parks that thread alone and is reported alone; such threads resume and
 * step alone, and a later stop of the whole process covers them too. Conditions that failed are reported once each.
 * Stacks, scopes, variables, evaluate and set_variable read the stopped threads' frames. */
#include "server_requests.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent.h"
#include "bp_conditions.h"
#include "bp_registry.h"
#include "crash_guard.h"
#include "expr.h"
#include "log.h"
#include "memory_requests.h"
#include "logpoints.h"
#include "proc_info.h"
#include "redaction.h"
#include "reload.h"
#include "snapshot_report.h"
#include "stepper.h"
#include "stopper.h"
#include "thread_frames.h"
#include "trap.h"
#include "value_format.h"
#include "var_refs.h"
#include "variable_view.h"

#define PROBE_VERSION "0.1.0"
#define STOP_ALL_TIMEOUT_MS 500
#define ERR_LEN 256
#define MAX_VARIABLES_PER_REPLY 2000  /* a page of a huge array; the IDE pages with start/count */

static const probe_config *config;
static sym_index *symbols;
static int64_t next_request_id = 1;
static int64_t hello_request_id;
static bool stop_reported;  /* the whole process is stopped and that was reported */
static bool step_alone;     /* the current step's thread was parked alone: it ends alone */
static pid_t resume_tid;    /* the thread resume_alone wakes */

static void report_stop(const char *reason, pid_t tid, const int64_t *ids, size_t n_ids, bool all);

void server_requests_init(const probe_config *cfg, sym_index *index)
{
    config = cfg;
    symbols = index;
    redaction_use(&cfg->redaction);
}

static void reply(int64_t id, cJSON *body)
{
    agent_send(probe_envelope_encode(PMSG_RESULT, id, body));
}

static void reply_error(int64_t id, const char *message)
{
    agent_send(probe_error_encode(id, message));
}

void server_requests_on_connect(void)
{
    char hostname[256] = "";
    gethostname(hostname, sizeof hostname - 1);
    probe_hello hello = {
        .pod = (char *)config->pod,
        .namespace_ = (char *)config->namespace_,
        .labels = config->labels,
        .n_labels = config->n_labels,
        .pid = (int)getpid(),
        .hostname = hostname,
        .exe = (char *)sym_main_path(symbols),
        .build_id = (char *)sym_main_build_id(symbols),
        .start_time_ms = proc_start_time_ms(),
        .probe_version = PROBE_VERSION,
        .held = agent_is_held(),
    };
    hello_request_id = next_request_id++;
    agent_send(probe_envelope_encode(PMSG_HELLO, hello_request_id, probe_hello_to_json(&hello)));
}

static void handle_breakpoints_set(const probe_envelope *env)
{
    probe_bp_set set;
    probe_bp_result result = { 0 };
    char err[200];
    if (probe_bp_set_from_json(env->body, &set, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    if (bp_registry_set(symbols, &set, &result) != 0)
        reply_error(env->id, "out of memory");
    else
        reply(env->id, probe_bp_result_to_json(&result));
    probe_bp_result_free(&result);
    probe_bp_set_free(&set);
}

static void handle_breakpoints_clear(const probe_envelope *env)
{
    probe_bp_clear clear;
    char err[200];
    if (probe_bp_clear_from_json(env->body, &clear, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    bp_registry_clear(clear.ids, clear.n);
    probe_bp_clear_free(&clear);
    reply(env->id, NULL);
}

static void handle_stack_trace(const probe_envelope *env)
{
    probe_stack_request req;
    char err[200];
    if (probe_stack_request_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    const stack_frame *frames;
    int count = thread_frames_get(symbols, req.tid, &frames);
    if (count < 0) {
        snprintf(err, sizeof err, "thread %d is not stopped", req.tid);
        reply_error(env->id, err);
        return;
    }
    int start = req.start_frame < count ? req.start_frame : count;
    int end = req.levels > 0 && start + req.levels < count ? start + req.levels : count;
    probe_stack_reply out = { calloc((size_t)(end - start) + 1, sizeof(probe_frame)), 0, count };
    if (!out.frames) {
        reply_error(env->id, "out of memory");
        return;
    }
    for (int i = start; i < end; i++) {
        /* The strings belong to the symbol index: borrowed for the encoding only. */
        out.frames[out.n++] = (probe_frame){
            .pc = frames[i].pc,
            .function = (char *)frames[i].function,
            .file = (char *)frames[i].file,
            .line = frames[i].line,
            .module = (char *)frames[i].module,
        };
    }
    reply(env->id, probe_stack_reply_to_json(&out));
    free(out.frames);
}

/* ---- scopes and variables ---- */

static const struct scope_kind {
    var_ref_kind kind;
    const char *name;
    const char *presentation_hint;
} scope_kinds[] = {
    { VAR_REF_ARGUMENTS, "Arguments", "arguments" },
    { VAR_REF_LOCALS, "Locals", "locals" },
    { VAR_REF_GLOBALS, "Globals", NULL },
    { VAR_REF_STATICS, "Statics", NULL },
    { VAR_REF_REGISTERS, "Registers", "registers" },
};

/* The value_frame a reference was made in; replies the error itself when it is gone. */
static const var_ref *resolve_ref(int64_t id, int64_t request_id, value_frame *vf)
{
    char err[ERR_LEN];
    const var_ref *ref = var_refs_get(id);
    if (!ref) {
        snprintf(err, sizeof err, "unknown variables reference %" PRId64
                 " (references end when the process resumes)", id);
        reply_error(request_id, err);
        return NULL;
    }
    if (thread_frames_value_frame(symbols, ref->tid, ref->frame, vf, err, sizeof err) != 0) {
        reply_error(request_id, err);
        return NULL;
    }
    return ref;
}

/* When a shown value v has children, the reference that expands it (it keeps v's display name
 * and the expression that yields it); no children counts when the table is full. */
static void add_ref(const var_ref *origin, const value *v, const char *name,
                    const char *evaluate_name, probe_variable *out)
{
    if (out->named + out->indexed == 0)
        return;
    var_ref parent = { .kind = VAR_REF_VALUE, .tid = origin->tid, .frame = origin->frame,
                       .value = *v };
    snprintf(parent.name, sizeof parent.name, "%s", name);
    if ((size_t)snprintf(parent.evaluate_name, sizeof parent.evaluate_name, "%s",
                         evaluate_name ? evaluate_name : "") >= sizeof parent.evaluate_name)
        parent.evaluate_name[0] = '\0';
    out->ref = var_refs_add(&parent);
    if (!out->ref)
        out->named = out->indexed = 0;
}

/* Shows v with the reference that expands it. Strings are malloc'ed (freed with the reply). */
static void show_value(const value_frame *vf, const var_ref *origin, const value *v,
                       const char *name, const char *evaluate_name, probe_variable *out)
{
    variable_view_value(vf, v, out);
    add_ref(origin, v, name, evaluate_name, out);
}

static void handle_scopes(const probe_envelope *env)
{
    probe_frame_request req;
    char err[ERR_LEN];
    value_frame vf;
    if (probe_frame_request_from_json(env->body, &req, err, sizeof err) != 0 ||
        thread_frames_value_frame(symbols, req.tid, req.frame, &vf, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    probe_scope scopes[sizeof scope_kinds / sizeof scope_kinds[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof scope_kinds / sizeof scope_kinds[0]; i++) {
        const struct scope_kind *k = &scope_kinds[i];
        if (!vf.chain && k->kind != VAR_REF_REGISTERS)
            continue; /* no debug information: only the machine state is known */
        var_ref ref = { .kind = k->kind, .tid = req.tid, .frame = req.frame };
        size_t named, indexed;
        variable_view_ref_child_counts(&vf, &ref, &named, &indexed);
        int64_t id = var_refs_add(&ref);
        if (!id) {
            reply_error(env->id, "too many variable references in this stop");
            return;
        }
        scopes[n++] = (probe_scope){ (char *)k->name, (char *)k->presentation_hint, id,
                                     variable_view_count(named), 0 };
    }
    probe_scopes_reply out = { scopes, n };
    reply(env->id, probe_scopes_reply_to_json(&out));
}

static void show_ref_child(const value_frame *vf, const var_ref *ref, size_t i,
                           probe_variable *out)
{
    int regnos[FRAME_REG_COUNT];
    const dvar *vars;
    value v;
    if (ref->kind == VAR_REF_VALUE) {
        if (variable_view_child(vf, &ref->value, ref->name, ref->evaluate_name, i, &v, out))
            add_ref(ref, &v, out->name ? out->name : "", out->evaluate_name, out);
    } else if (ref->kind == VAR_REF_REGISTERS) {
        variable_view_registers(vf->regs, regnos);
        variable_view_register(vf->regs, regnos[i], out);
    } else {
        variable_view_scope(vf, ref->kind, &vars);
        if (variable_view_variable(vf, &vars[i], &v, out))
            add_ref(ref, &v, out->name ? out->name : "", vars[i].name, out);
    }
}

static void handle_variables(const probe_envelope *env)
{
    probe_variables_request req;
    char err[ERR_LEN];
    value_frame vf;
    if (probe_variables_request_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    const var_ref *ref = resolve_ref(req.ref, env->id, &vf);
    if (!ref) {
        probe_variables_request_free(&req);
        return;
    }
    size_t named, indexed;
    variable_view_ref_child_counts(&vf, ref, &named, &indexed);
    bool want_named = !req.filter || strcmp(req.filter, "named") == 0;
    bool want_indexed = !req.filter || strcmp(req.filter, "indexed") == 0;
    size_t first = want_named ? 0 : named;
    size_t total = (want_named ? named : 0) + (want_indexed ? indexed : 0);
    size_t start = (size_t)req.start < total ? (size_t)req.start : total;
    size_t page = total - start;
    if (req.count > 0 && (size_t)req.count < page)
        page = (size_t)req.count;
    if (page > MAX_VARIABLES_PER_REPLY)
        page = MAX_VARIABLES_PER_REPLY;
    probe_variables_request_free(&req);

    probe_variables_reply out = { calloc(page + 1, sizeof(probe_variable)), 0 };
    if (!out.variables) {
        reply_error(env->id, "out of memory");
        return;
    }
    while (out.n < page) {
        show_ref_child(&vf, ref, first + start + out.n, &out.variables[out.n]);
        out.n++;
    }
    reply(env->id, probe_variables_reply_to_json(&out));
    probe_variables_reply_free(&out);
}

/* ---- evaluate and set_variable ---- */

/* Parses and evaluates text in a frame. Returns the tree (the value may refer to it: free it
 * after use), or NULL with err from the parser, the redaction check (text reads a secret: it is
 * not evaluated) or the evaluator, unchanged. */
static expr_node *evaluate_text(const value_frame *vf, const char *text, value *out, char *err,
                                size_t err_len)
{
    expr_node *e = expr_parse(text, err, err_len);
    if (e && (redaction_expr_reads_secret(e, err, err_len) ||
              expr_eval(e, vf, out, err, err_len) != 0)) {
        expr_free(e);
        e = NULL;
    }
    return e;
}

static void reply_value(int64_t id, probe_variable *shown)
{
    probe_value_reply out = { shown->value, shown->type, shown->ref, shown->named, shown->indexed };
    reply(id, probe_value_reply_to_json(&out));
    variable_view_free(shown);
}

static void handle_evaluate(const probe_envelope *env)
{
    probe_evaluate_request req;
    char err[ERR_LEN];
    value_frame vf;
    value v;
    expr_node *tree = NULL;
    if (probe_evaluate_request_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    if (thread_frames_value_frame(symbols, req.tid, req.frame, &vf, err, sizeof err) != 0 ||
        !(tree = evaluate_text(&vf, req.expression, &v, err, sizeof err)) ||
        /* A result the IDE cannot see is a failed evaluation: its first bytes must read. */
        variable_view_check_readable(&vf, &v, err, sizeof err) != 0) {
        reply_error(env->id, err);
    } else {
        var_ref origin = { .tid = req.tid, .frame = req.frame };
        probe_variable shown = { 0 };
        show_value(&vf, &origin, &v, req.expression, req.expression, &shown);
        reply_value(env->id, &shown);
    }
    expr_free(tree);
    probe_evaluate_request_free(&req);
}

/* The child `name` of a reference as an assignable value. Returns 0, or -1 with err; a redacted
 * name is never set ("redacted: 'password' matches the redaction pattern 'password'"). */
static int find_child(const value_frame *vf, const var_ref *ref, const char *name, value *out,
                      char *err, size_t err_len)
{
    if (redaction_refuses(name, err, err_len))
        return -1;
    size_t named, indexed;
    variable_view_ref_child_counts(vf, ref, &named, &indexed);
    if (ref->kind == VAR_REF_REGISTERS) {
        for (int regno = 0; regno < FRAME_REG_COUNT; regno++) {
            if (strcmp(frame_reg_name(regno), name) != 0)
                continue;
            if (!frame_reg_known(vf->regs, regno))
                break;
            *out = (value){ .type = debuginfo_builtin_type(symbols, "unsigned long"),
                            .where = VALUE_REGISTER, .regno = regno };
            memcpy(out->bytes, &vf->regs->reg[regno], sizeof vf->regs->reg[regno]);
            return 0;
        }
        snprintf(err, err_len, "no register '%s' is known in this frame", name);
        return -1;
    }
    if (ref->kind != VAR_REF_VALUE) {
        const dvar *vars;
        size_t n = variable_view_scope(vf, ref->kind, &vars);
        for (size_t i = 0; i < n; i++)
            if (vars[i].name && strcmp(vars[i].name, name) == 0)
                return value_of_variable(vf, &vars[i], out, err, err_len);
        snprintf(err, err_len, "no variable named '%s' in this scope", name);
        return -1;
    }
    char child_name[sizeof ref->name];
    size_t index;
    int consumed = 0;
    if (indexed > 0 && sscanf(name, "[%zu]%n", &index, &consumed) == 1 &&
        name[consumed] == '\0' && index < indexed)
        return value_child(vf, &ref->value, ref->name, named + index, child_name,
                           sizeof child_name, out, err, err_len);
    for (size_t i = 0; i < named; i++) {
        if (value_child(vf, &ref->value, ref->name, i, child_name, sizeof child_name, out, err,
                        err_len) == 0 && strcmp(child_name, name) == 0)
            return 0;
    }
    snprintf(err, err_len, "'%s' has no child named '%s'", ref->name, name);
    return -1;
}

static void handle_set_variable(const probe_envelope *env)
{
    probe_set_variable_request req;
    char err[ERR_LEN];
    value_frame vf;
    value target, source;
    expr_node *tree = NULL;
    if (probe_set_variable_request_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    const var_ref *ref = resolve_ref(req.ref, env->id, &vf);
    if (!ref) {
        probe_set_variable_request_free(&req);
        return;
    }
    if (find_child(&vf, ref, req.name, &target, err, sizeof err) != 0 ||
        !(tree = evaluate_text(&vf, req.value, &source, err, sizeof err)) ||
        value_assign(&vf, &target, &source, err, sizeof err) != 0) {
        reply_error(env->id, err);
    } else {
        /* Show what the variable holds now, read anew; after a register write the cached
         * frames still hold the old register, so the thread's frames are taken again. */
        if (target.where == VALUE_REGISTER)
            thread_frames_reset();
        char evaluate_name[sizeof ref->evaluate_name];
        if (ref->kind == VAR_REF_VALUE)
            variable_view_child_evaluate_name(ref->evaluate_name, ref->value.type, req.name,
                                              evaluate_name, sizeof evaluate_name);
        else
            snprintf(evaluate_name, sizeof evaluate_name, "%s", req.name);
        probe_variable shown = { 0 };
        if (thread_frames_value_frame(symbols, ref->tid, ref->frame, &vf, err, sizeof err) != 0 ||
            find_child(&vf, ref, req.name, &target, err, sizeof err) != 0)
            variable_view_error(err, NULL, &shown);
        else if (ref->kind == VAR_REF_REGISTERS)
            variable_view_register(vf.regs, target.regno, &shown);
        else
            show_value(&vf, ref, &target, req.name, evaluate_name, &shown);
        reply_value(env->id, &shown);
    }
    expr_free(tree);
    probe_set_variable_request_free(&req);
}

/* Everything learned about the stopped threads is void once they run again. */
static void resume(void)
{
    stepper_cancel();
    stopper_resume_all();
    stop_reported = false;
    thread_frames_reset();
    var_refs_reset();
}

/* Frames and references of the stop are void once a thread moves. */
static void forget_stop_state(void)
{
    stop_reported = false;
    thread_frames_reset();
    var_refs_reset();
}

/* A thread parked alone runs on; the other parked threads stay. */
static void resume_alone(void)
{
    stopper_resume_thread(resume_tid);
    thread_frames_reset();
    var_refs_reset();
}

static void handle_continue(const probe_envelope *env)
{
    probe_continue req;
    char err[200];
    if (probe_continue_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    resume_tid = req.tid;
    bool alone = req.tid > 0 && !stop_reported && stopper_thread_parked(req.tid);
    /* The reply goes out first: after a fatal signal the process may die as it resumes. */
    reply(env->id, NULL);
    agent_after_flush(alone ? resume_alone : resume);
}

static void handle_exceptions_set(const probe_envelope *env)
{
    probe_exceptions_set set;
    char err[200];
    if (probe_exceptions_set_from_json(env->body, &set, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    if (crash_guard_configure(&set, err, sizeof err) != 0)
        reply_error(env->id, err);
    else
        reply(env->id, NULL);
    probe_exceptions_set_free(&set);
}

/* The messages of a failed reload carry DWARF's list of incompatibilities: room for it. */
#define RELOAD_ERR_LEN 2048

static void handle_reload(const probe_envelope *env)
{
    probe_reload req;
    probe_reload_result result = { 0 };
    char err[RELOAD_ERR_LEN];
    if (probe_reload_from_json(env->body, &req, err, sizeof err) != 0 ||
        reload_apply(symbols, &req, &result, err, sizeof err) != 0)
        reply_error(env->id, err);
    else
        reply(env->id, probe_reload_result_to_json(&result));
    probe_reload_result_free(&result);
    probe_reload_free(&req);
}

static void handle_reload_rollback(const probe_envelope *env)
{
    probe_reload_rollback req;
    probe_reload_rollback_result result = { 0 };
    char err[RELOAD_ERR_LEN];
    if (probe_reload_rollback_from_json(env->body, &req, err, sizeof err) != 0 ||
        reload_rollback(symbols, &req, &result, err, sizeof err) != 0)
        reply_error(env->id, err);
    else
        reply(env->id, probe_reload_rollback_result_to_json(&result));
    probe_reload_rollback_result_free(&result);
    probe_reload_rollback_free(&req);
}

static void handle_memory_request(const probe_envelope *env)
{
    char err[300];
    cJSON *body = memory_requests_answer(symbols, env, err, sizeof err);
    if (body)
        reply(env->id, body);
    else
        reply_error(env->id, err);
}

static void handle_step(const probe_envelope *env)
{
    probe_step req;
    char err[200];
    if (probe_step_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    step_kind kind = strcmp(req.kind, "in") == 0 ? STEP_IN : strcmp(req.kind, "out") == 0 ? STEP_OUT : STEP_OVER;
    step_granularity granularity =
        req.granularity && strcmp(req.granularity, "instruction") == 0 ? STEP_BY_INSTRUCTION : STEP_BY_LINE;
    if (!stopper_is_stopped()) {
        snprintf(err, sizeof err, "the process is running: thread %d is not stopped", req.tid);
        reply_error(env->id, err);
    } else if (stepper_start(symbols, req.tid, kind, granularity, err, sizeof err) != 0) {
        reply_error(env->id, err);
    } else {
        step_alone = !stop_reported;
        forget_stop_state();
        reply(env->id, NULL);
    }
    probe_step_free(&req);
}

static void handle_pause(const probe_envelope *env)
{
    probe_pause req;
    char err[200];
    if (probe_pause_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    reply(env->id, NULL);
    if (stop_reported)
        return; /* already stopped and reported */
    stepper_cancel();
    stop_reported = true;
    stopper_stop_all(STOP_ALL_TIMEOUT_MS);
    report_stop("pause", req.tid, NULL, 0, true);
}

/* The welcome's `redact` patterns join the probe's own (a server can add secrets, never show
 * one the probe hides); they stay for the life of the process. */
static void add_server_redaction(const cJSON *welcome)
{
    const cJSON *patterns = cJSON_GetObjectItemCaseSensitive(welcome, "redact");
    if (!cJSON_IsString(patterns))
        return;
    redaction_rules rules = *redaction_active();
    char err[ERR_LEN];
    if (redaction_add(&rules, patterns->valuestring, err, sizeof err) != 0)
        log_warn("the server's redaction patterns: %s", err);
    redaction_use(&rules);
}

static void handle_result(const probe_envelope *env)
{
    if (env->id == hello_request_id) {
        log_info("registered with the server as %s/%d", config->pod, (int)getpid());
        add_server_redaction(env->body);
        stopper_set_enabled(true);
    }
}

/* Requests about a stopped process's state that may reveal redacted values (4.8.1). */
static bool may_reveal(const char *type)
{
    return strcmp(type, PMSG_SCOPES) == 0 || strcmp(type, PMSG_VARIABLES) == 0 || strcmp(type, PMSG_EVALUATE) == 0 ||
           strcmp(type, PMSG_SET_VARIABLE) == 0;
}

static void handle_request(const probe_envelope *env);

void server_requests_handle(const probe_envelope *env)
{
    bool reveal = may_reveal(env->type) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(env->body, "reveal"));
    redaction_reveal(reveal);
    handle_request(env);
    redaction_reveal(false);
}

static void handle_request(const probe_envelope *env)
{
    const char *type = env->type;
    if (strcmp(type, PMSG_BREAKPOINTS_SET) == 0)
        handle_breakpoints_set(env);
    else if (strcmp(type, PMSG_BREAKPOINTS_CLEAR) == 0)
        handle_breakpoints_clear(env);
    else if (strcmp(type, PMSG_STACK_TRACE) == 0)
        handle_stack_trace(env);
    else if (strcmp(type, PMSG_SCOPES) == 0)
        handle_scopes(env);
    else if (strcmp(type, PMSG_VARIABLES) == 0)
        handle_variables(env);
    else if (strcmp(type, PMSG_EVALUATE) == 0)
        handle_evaluate(env);
    else if (strcmp(type, PMSG_SET_VARIABLE) == 0)
        handle_set_variable(env);
    else if (strcmp(type, PMSG_CONTINUE) == 0)
        handle_continue(env);
    else if (strcmp(type, PMSG_STEP) == 0)
        handle_step(env);
    else if (strcmp(type, PMSG_PAUSE) == 0)
        handle_pause(env);
    else if (strcmp(type, PMSG_EXCEPTIONS_SET) == 0)
        handle_exceptions_set(env);
    else if (strcmp(type, PMSG_RELOAD) == 0)
        handle_reload(env);
    else if (strcmp(type, PMSG_RELOAD_ROLLBACK) == 0)
        handle_reload_rollback(env);
    else if (strcmp(type, PMSG_RELEASE) == 0) {
        agent_release();
        reply(env->id, NULL);
    }
    else if (memory_requests_owns(type))
        handle_memory_request(env);
    else if (strcmp(type, PMSG_RESULT) == 0)
        handle_result(env);
    else if (strcmp(type, PMSG_ERROR) == 0) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(env->body, "message");
        log_warn("the server reported an error: %s", cJSON_IsString(m) ? m->valuestring : "(no message)");
    } else if (strcmp(type, PMSG_HEARTBEAT) == 0) {
        /* liveness is tracked by the agent on every message */
    } else if (env->id > 0) {
        char msg[120];
        snprintf(msg, sizeof msg, "unknown message type '%.60s'", type);
        reply_error(env->id, msg);
    }
}

/* breakpoint.error for every condition that failed for the first time, and for every breakpoint
 * its CPU budget switched off (its traps removed here). */
static void report_condition_errors(void)
{
    int64_t id;
    char message[ERR_LEN];
    uint64_t count;
    while (bp_conditions_take_error(&id, message, sizeof message, &count)) {
        probe_bp_error report = {
            .id = id,
            .message = message,
            .count = count < (uint64_t)PROBE_MAX_INTEGER ? (int64_t)count : PROBE_MAX_INTEGER,
        };
        log_info("the condition of breakpoint %" PRId64 " failed: %s", id, message);
        agent_send(probe_envelope_encode(PMSG_BREAKPOINT_ERROR, 0, probe_bp_error_to_json(&report)));
    }
    while (bp_conditions_take_switched_off(&id, message, sizeof message)) {
        log_warn("breakpoint %" PRId64 " switched off: %s", id, message);
        bp_registry_switch_off(id, message);
        probe_bp_error report = { .id = id, .message = message, .count = 1, .disabled = 1 };
        agent_send(probe_envelope_encode(PMSG_BREAKPOINT_ERROR, 0, probe_bp_error_to_json(&report)));
    }
}

#define LOG_LINE_MAX 4096

static void send_output(int64_t id, int tid, const char *text, uint64_t dropped)
{
    probe_output line = {
        .id = id,
        .tid = tid,
        .text = (char *)text,
        .dropped = dropped < (uint64_t)PROBE_MAX_INTEGER ? (int64_t)dropped : PROBE_MAX_INTEGER,
    };
    agent_send(probe_envelope_encode(PMSG_OUTPUT, 0, probe_output_to_json(&line)));
}

/* An output event per captured logpoint line within its bytes budget, with the lines dropped
 * (alone when no line carries them). */
static void report_logpoints(void)
{
    static logpoint_record record; /* large: not on the agent's stack */
    char text[LOG_LINE_MAX];
    while (logpoint_ring_take(&record)) {
        logpoint_format(symbols, &record, text, sizeof text);
        if (bp_conditions_admit_log_bytes(record.bp_id, strlen(text)))
            send_output(record.bp_id, record.tid, text, bp_conditions_take_dropped(record.bp_id));
    }
    int64_t id;
    uint64_t dropped;
    while (bp_conditions_take_any_dropped(BP_LOG, &id, &dropped))
        send_output(id, 0, "", dropped);
}

/* A snapshot.dropped event per snapshot breakpoint with drops no snapshot carried. */
static void report_snapshot_drops(void)
{
    int64_t id;
    uint64_t dropped;
    while (bp_conditions_take_any_dropped(BP_SNAPSHOT, &id, &dropped)) {
        probe_snapshot_dropped report = {
            .id = id,
            .dropped = dropped < (uint64_t)PROBE_MAX_INTEGER ? (int64_t)dropped : PROBE_MAX_INTEGER,
        };
        agent_send(probe_envelope_encode(PMSG_SNAPSHOT_DROPPED, 0, probe_snapshot_dropped_to_json(&report)));
    }
}

void server_requests_report_events(void)
{
    report_condition_errors();
    report_logpoints();
    snapshot_report_pending(symbols);
    report_snapshot_drops();
}

/* The stopped event: reason, the thread that stopped (tid 0 or unknown: the first parked one),
 * the breakpoints that wanted it, and every parked thread (all) or that thread alone. */
static void report_stop(const char *reason, pid_t tid, const int64_t *ids, size_t n_ids, bool all)
{
    pid_t tids[STOPPER_MAX_THREADS];
    size_t n_tids = all ? stopper_parked_threads(tids, STOPPER_MAX_THREADS) : 1;
    tids[0] = all ? tids[0] : tid;
    probe_thread *threads = calloc(n_tids ? n_tids : 1, sizeof *threads);
    char (*names)[32] = calloc(n_tids ? n_tids : 1, sizeof *names);
    if (!threads || !names) {
        free(threads);
        free(names);
        resume();
        return;
    }
    bool listed = false;
    for (size_t i = 0; i < n_tids; i++) {
        proc_thread_name(tids[i], names[i], sizeof names[i]);
        threads[i] = (probe_thread){ tids[i], names[i] };
        listed |= tids[i] == tid;
    }
    if (!listed && n_tids > 0)
        tid = tids[0];
    probe_stopped stopped = {
        .reason = (char *)reason,
        .tid = tid > 0 ? tid : (int)getpid(),
        .breakpoint_ids = (int64_t *)ids,
        .n_breakpoint_ids = n_ids,
        .all_threads_stopped = all,
        .threads = threads,
        .n_threads = n_tids,
    };
    char description[160]; /* a thread stopped by a fatal signal: reason "exception" */
    crash_guard_describe_stop(stopped.tid, &stopped, description, sizeof description);
    log_info("thread %d stopped (%s); %zu threads parked", (int)stopped.tid, stopped.reason, n_tids);
    agent_send(probe_envelope_encode(PMSG_STOPPED, 0, probe_stopped_to_json(&stopped)));
    free(threads);
    free(names);
}

void server_requests_on_hit(void)
{
    server_requests_report_events();
    pid_t stepped;
    if (stepper_poll(symbols, &stepped) && (step_alone || !stop_reported)) {
        stop_reported = !step_alone;
        report_stop("step", stepped, NULL, 0, !step_alone);
    }
    stop_event ev;
    while (stopper_take_event(&ev)) {
        if (stop_reported)
            continue; /* the whole process is stopped: later hits only park */
        if (!bp_registry_stops_all(ev.ids, ev.n_ids)) {
            report_stop("breakpoint", ev.tid, ev.ids, ev.n_ids, false);
            continue;
        }
        stop_reported = true;
        stopper_stop_all(STOP_ALL_TIMEOUT_MS);
        report_stop("breakpoint", ev.tid, ev.ids, ev.n_ids, true);
    }
}

void server_requests_on_disconnect(void)
{
    stopper_set_enabled(false);
    stepper_cancel();
    if (stopper_is_stopped())
        resume();
    bp_registry_clear_all();
    crash_guard_reset();
}
