/* The probe's handlers for server messages and its stop reports (see server_requests.h).
 * Stops are reported once per stop: the first hit names the thread, all parked threads follow. */
#include "server_requests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent.h"
#include "bp_registry.h"
#include "log.h"
#include "proc_info.h"
#include "stopper.h"
#include "trap.h"

#define PROBE_VERSION "0.1.0"
#define STOP_ALL_TIMEOUT_MS 500
#define MAX_HIT_IDS 64

static const probe_config *config;
static sym_index *symbols;
static int64_t next_request_id = 1;
static int64_t hello_request_id;
static bool stop_reported;

void server_requests_init(const probe_config *cfg, sym_index *index)
{
    config = cfg;
    symbols = index;
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
    static frame_regs frames[STOPPER_MAX_FRAMES];
    int count = stopper_thread_frames(req.tid, frames, STOPPER_MAX_FRAMES);
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
        sym_info info;
        probe_frame *f = &out.frames[out.n++];
        f->pc = frames[i].reg[DWREG_RIP];
        if (sym_lookup(symbols, f->pc, i > 0, &info)) {
            /* The strings belong to the symbol index: borrowed for the encoding only. */
            f->function = (char *)info.function;
            f->file = (char *)info.file;
            f->line = info.line;
            f->module = (char *)info.module;
        }
    }
    reply(env->id, probe_stack_reply_to_json(&out));
    free(out.frames);
}

static void resume(void)
{
    stopper_resume_all();
    stop_reported = false;
}

static void handle_continue(const probe_envelope *env)
{
    probe_continue req;
    char err[200];
    if (probe_continue_from_json(env->body, &req, err, sizeof err) != 0) {
        reply_error(env->id, err);
        return;
    }
    resume();
    reply(env->id, NULL);
}

static void handle_result(const probe_envelope *env)
{
    if (env->id == hello_request_id) {
        log_info("registered with the server as %s/%d", config->pod, (int)getpid());
        stopper_set_enabled(true);
    }
}

void server_requests_handle(const probe_envelope *env)
{
    const char *type = env->type;
    if (strcmp(type, PMSG_BREAKPOINTS_SET) == 0)
        handle_breakpoints_set(env);
    else if (strcmp(type, PMSG_BREAKPOINTS_CLEAR) == 0)
        handle_breakpoints_clear(env);
    else if (strcmp(type, PMSG_STACK_TRACE) == 0)
        handle_stack_trace(env);
    else if (strcmp(type, PMSG_CONTINUE) == 0)
        handle_continue(env);
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

void server_requests_on_hit(void)
{
    stop_event ev, later;
    if (!stopper_take_event(&ev))
        return;
    while (stopper_take_event(&later))
        ; /* other threads that hit during the same stop only park */
    if (stop_reported)
        return;
    stop_reported = true;
    stopper_stop_all(STOP_ALL_TIMEOUT_MS);

    int64_t ids[MAX_HIT_IDS];
    pid_t tids[STOPPER_MAX_THREADS];
    size_t n_tids = stopper_parked_threads(tids, STOPPER_MAX_THREADS);
    probe_thread *threads = calloc(n_tids ? n_tids : 1, sizeof *threads);
    char (*names)[32] = calloc(n_tids ? n_tids : 1, sizeof *names);
    if (!threads || !names) {
        free(threads);
        free(names);
        resume();
        return;
    }
    for (size_t i = 0; i < n_tids; i++) {
        proc_thread_name(tids[i], names[i], sizeof names[i]);
        threads[i] = (probe_thread){ tids[i], names[i] };
    }
    probe_stopped stopped = {
        .reason = "breakpoint",
        .tid = ev.tid,
        .breakpoint_ids = ids,
        .n_breakpoint_ids = bp_registry_ids_at(ev.address, ids, MAX_HIT_IDS),
        .all_threads_stopped = 1,
        .threads = threads,
        .n_threads = n_tids,
    };
    log_info("thread %d stopped at 0x%lx; %zu threads parked", (int)ev.tid, (unsigned long)ev.address, n_tids);
    agent_send(probe_envelope_encode(PMSG_STOPPED, 0, probe_stopped_to_json(&stopped)));
    free(threads);
    free(names);
}

void server_requests_on_disconnect(void)
{
    stopper_set_enabled(false);
    if (stopper_is_stopped())
        resume();
    bp_registry_clear_all();
}
