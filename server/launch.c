/* Launched programs (see launch.h): posix_spawn with the probe preloaded and held, stdout and
 * stderr through non-blocking pipes drained on each tick of the loop's 100 ms timer (output may
 * reach the IDE up to a tick late; a tick reads at most OUTPUT_PER_TICK per stream and the pipes
 * are enlarged so that a chatty program rarely waits), waitpid WNOHANG on each tick, and the
 * release, entry breakpoint and termination requests to the program's probe. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "auth.h"
#include "beside_server.h"
#include "fleet.h"
#include "log.h"
#include "net.h"
#include "probe_link.h"

#define OUTPUT_CHUNK 16384
#define OUTPUT_PER_TICK (1024 * 1024)
#define PIPE_SIZE (1024 * 1024)

typedef struct output_stream {
    int fd;                /* read end of the pipe; -1 once closed */
    const char *category;  /* the DAP output category: "stdout" or "stderr" */
    char partial[4];       /* the start of a UTF-8 character the next read completes */
    size_t n_partial;
} output_stream;

typedef struct launched {
    uint64_t session_id;           /* 0 once no session owns the program (it runs on, unwatched) */
    dap_request_ref launch_ref;
    bool answered;                 /* the launch request is answered */
    dap_session_options options;   /* given to the session when the probe registers */
    char id[48];                   /* the launch's unique id, the value of its LAUNCH_LABEL */
    char name[128];                /* the program's base name */
    pid_t pid;                     /* 0 once reaped */
    output_stream out[2];
    bool released;                 /* release sent to the probe */
    int64_t entry_bp;              /* stopOnEntry: the id of the breakpoint on main; 0 = none */
    int64_t register_deadline_ms;
    int64_t kill_at_ms;            /* SIGKILL then; 0 = not asked to end */
    bool has_disconnect;           /* a disconnect waits for the program's end */
    dap_request_ref disconnect_ref;
    struct launched *next;
} launched;

static launched *programs;
static unsigned launch_count;

extern char **environ;

void launch_spec_free(launch_spec *spec)
{
    for (size_t i = 0; spec->argv && spec->argv[i]; i++)
        free(spec->argv[i]);
    free(spec->argv);
    free(spec->program);
    free(spec->cwd);
    launch_env_free(&spec->env);
    memset(spec, 0, sizeof *spec);
}

static launched *of_session(uint64_t session_id)
{
    for (launched *l = programs; l; l = l->next)
        if (session_id && l->session_id == session_id)
            return l;
    return NULL;
}

bool launch_owned_by(const dap_session *s)
{
    return of_session(s->id) != NULL;
}

static probe_peer *probe_of(const launched *l)
{
    for (probe_peer *p = fleet_first(); p && l->pid; p = p->next)
        if (p->registered && p->hello.pid == l->pid)
            return p;
    return NULL;
}

/* The session that still watches l (not disconnected), or NULL. */
static dap_session *watcher(const launched *l)
{
    dap_session *s = l->session_id ? dap_session_find(l->session_id) : NULL;
    return s && !s->detached ? s : NULL;
}

/* ---- starting ---- */

/* libpodbug-probe.so beside the server's own binary. */
static int probe_beside_server(char *out, size_t len, char *err, size_t err_len)
{
    if (beside_server("libpodbug-probe.so", R_OK, out, len))
        return 0;
    snprintf(err, err_len, "no probe library beside the server (%.300s)", out);
    return -1;
}

/* Only the process of this launch: the selector on its label. */
static int select_launch(dap_session_options *options, const char *id)
{
    cJSON *json = cJSON_CreateObject();
    char err[100];
    selector_free(&options->sel);
    int rc = json && cJSON_AddStringToObject(json, LAUNCH_LABEL, id)
                 ? selector_parse(json, NULL, &options->sel, err, sizeof err) : -1;
    cJSON_Delete(json);
    return rc;
}

/* Two pipes for stdout and stderr (read ends non-blocking and enlarged). */
static int open_pipes(int write_ends[2], launched *l, char *err, size_t err_len)
{
    static const char *const categories[2] = { "stdout", "stderr" };
    for (int i = 0; i < 2; i++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            snprintf(err, err_len, "cannot create a pipe: %s", strerror(errno));
            return -1;
        }
        fcntl(fds[0], F_SETPIPE_SZ, PIPE_SIZE); /* best effort: the default 64 KiB works too */
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        l->out[i] = (output_stream){ .fd = fds[0], .category = categories[i] };
        write_ends[i] = fds[1];
    }
    return 0;
}

/* posix_spawn in the program's own process group (the server's terminal signals are not its),
 * with default signal dispositions (the server ignores SIGPIPE) and no blocked signal. */
static int spawn_program(launched *l, launch_spec *spec, char *err, size_t err_len)
{
    int write_ends[2] = { -1, -1 };
    if (open_pipes(write_ends, l, err, err_len) != 0) {
        for (int i = 0; i < 2; i++)
            if (write_ends[i] >= 0)
                close(write_ends[i]);
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_ends[0], 1);
    posix_spawn_file_actions_adddup2(&actions, write_ends[1], 2);
    posix_spawn_file_actions_addchdir_np(&actions, spec->cwd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    int rc = posix_spawn(&l->pid, spec->program, &actions, &attr, spec->argv, spec->env.vars);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    close(write_ends[0]);
    close(write_ends[1]);
    if (rc != 0) {
        l->pid = 0;
        snprintf(err, err_len, "cannot start %.300s: %s", spec->program, strerror(rc));
        return -1;
    }
    return 0;
}

static void free_launched(launched *l)
{
    for (int i = 0; i < 2; i++)
        if (l->out[i].fd >= 0)
            close(l->out[i].fd);
    if (!l->answered)
        dap_session_options_free(&l->options);
    free(l);
}

int launch_start(dap_session *s, const dap_request_ref *ref, launch_spec *spec, dap_session_options *options,
                 char *err, size_t err_len)
{
    launched *l = calloc(1, sizeof *l);
    char probe[PATH_MAX];
    int rc = -1;
    if (!l) {
        snprintf(err, err_len, "out of memory");
        dap_session_options_free(options);
        launch_spec_free(spec);
        return -1;
    }
    l->out[0].fd = l->out[1].fd = -1;
    l->options = *options;
    snprintf(l->id, sizeof l->id, "%d-%u", (int)getpid(), ++launch_count);
    char *program_copy = strdup(spec->program);
    snprintf(l->name, sizeof l->name, "%s", program_copy ? basename(program_copy) : "program");
    free(program_copy);
    if (probe_beside_server(probe, sizeof probe, err, err_len) != 0)
        goto out;
    if (select_launch(&l->options, l->id) != 0 ||
        launch_env_add_probe(&spec->env, probe, net_probe_url(), l->name, l->id) != 0 ||
        launch_env_set(&spec->env, "PODBUG_TOKEN", auth_probe_token()) != 0) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    if (spawn_program(l, spec, err, err_len) != 0)
        goto out;
    l->session_id = s->id;
    l->launch_ref = *ref;
    l->entry_bp = spec->stop_on_entry ? PROBE_MAX_INTEGER - launch_count : 0;
    l->register_deadline_ms = net_now_ms() + LAUNCH_REGISTER_TIMEOUT_MS;
    l->next = programs;
    programs = l;
    log_info("DAP session %llu: launched %s (pid %d, %s=%s) in %s", (unsigned long long)s->id, spec->program,
             (int)l->pid, LAUNCH_LABEL, l->id, spec->cwd);
    rc = 0;
out:
    if (rc != 0)
        free_launched(l);
    launch_spec_free(spec);
    return rc;
}

/* ---- output ---- */

/* How much of s[0..len) is whole UTF-8 characters: an incomplete last one waits for the next read. */
static size_t whole_characters(const char *s, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)s[len - back];
        if ((c & 0xC0) == 0x80)
            continue;
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? len - back : len;
    }
    return len;
}

static void send_output(dap_session *s, const char *category, const char *text)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "category", category);
    cJSON_AddStringToObject(body, "output", text);
    dap_send_event(s, "output", body);
}

/* Reads what the program wrote (at most OUTPUT_PER_TICK unless to_end) and sends it to the
 * session that watches it; closes the pipe at its end. */
static void drain(launched *l, output_stream *o, bool to_end)
{
    char buf[OUTPUT_CHUNK + sizeof o->partial + 1];
    size_t budget = OUTPUT_PER_TICK;
    while (o->fd >= 0 && (to_end || budget > 0)) {
        memcpy(buf, o->partial, o->n_partial);
        ssize_t n = read(o->fd, buf + o->n_partial, OUTPUT_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        size_t len = o->n_partial + (n > 0 ? (size_t)n : 0);
        size_t whole = n > 0 ? whole_characters(buf, len) : len; /* at the end, what is left too */
        o->n_partial = len - whole;
        memcpy(o->partial, buf + whole, o->n_partial);
        buf[whole] = '\0';
        dap_session *s = watcher(l);
        if (s && whole > 0)
            send_output(s, o->category, buf);
        if (n <= 0) {
            close(o->fd);
            o->fd = -1;
            return;
        }
        budget -= (size_t)n < budget ? (size_t)n : budget;
    }
}

/* ---- the program's probe ---- */

/* The reply to a request whose failure is only worth a warning; ctx names what was asked. */
static void warn_on_error(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    if (error)
        log_warn("%s: %s", (const char *)ctx, error);
}

static void on_entry_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    dap_session *s = dap_session_find((uint64_t)(uintptr_t)ctx);
    probe_bp_result res = { 0 };
    char err[200] = "";
    if (!error && probe_bp_result_from_json(result, &res, err, sizeof err) != 0)
        error = err;
    else if (!error && (res.n != 1 || !res.breakpoints[0].verified))
        error = res.n == 1 && res.breakpoints[0].message ? res.breakpoints[0].message : "main was not found";
    if (error && s) {
        char text[400];
        snprintf(text, sizeof text, "podbug: stopOnEntry: no stop at main: %s\n", error);
        dap_send_console(s, text);
    }
    probe_bp_result_free(&res);
}

/* stopOnEntry: a breakpoint on main of the launch's own (no session owns it), sent before the
 * release on the same connection. */
static void arm_entry(launched *l, probe_peer *p, const dap_session *s)
{
    probe_bp_spec spec = { .id = l->entry_bp, .function = "main", .mode = "stop", .stop_all = s->stop_all };
    probe_bp_set set = { &spec, 1 };
    probe_link_request(p, PMSG_BREAKPOINTS_SET, probe_bp_set_to_json(&set), on_entry_reply,
                       (void *)(uintptr_t)s->id);
}

/* Lets a held program start. The probe handles its connection's messages in order: every
 * breakpoint sent to it before this is armed when the program starts. */
static void release(launched *l)
{
    probe_peer *p = probe_of(l);
    if (l->released || !p)
        return;
    l->released = true;
    if (!p->hello.held)
        return;
    dap_session *s = watcher(l);
    if (s && l->entry_bp)
        arm_entry(l, p, s);
    probe_link_request(p, PMSG_RELEASE, cJSON_CreateObject(), warn_on_error, "releasing a launched program");
}

bool launch_take_entry_stop(const dap_session *s, probe_peer *p)
{
    launched *l = of_session(s->id);
    if (!l || !l->entry_bp || p->hello.pid != l->pid)
        return false;
    for (size_t i = 0; i < p->stop.n_breakpoint_ids; i++) {
        if (p->stop.breakpoint_ids[i] != l->entry_bp)
            continue;
        probe_bp_clear clear = { &l->entry_bp, 1 };
        probe_link_request(p, PMSG_BREAKPOINTS_CLEAR, probe_bp_clear_to_json(&clear), warn_on_error,
                           "removing the stopOnEntry breakpoint");
        l->entry_bp = 0;
        return true;
    }
    return false;
}

/* The probe registered: the session sees that process from now on and configures it. */
static void attach_session(launched *l, dap_session *s)
{
    l->answered = true;
    dap_session_attach_with(s, &l->options);
    dap_respond(&l->launch_ref, true, NULL, NULL);
    char text[300];
    snprintf(text, sizeof text, "podbug: launched %s (pid %d)\n", l->name, (int)l->pid);
    dap_send_console(s, text);
    dap_send_event(s, "initialized", NULL);
    if (s->configuration_done)
        release(l);
}

void launch_configuration_done(dap_session *s)
{
    launched *l = of_session(s->id);
    if (l && l->answered)
        release(l);
}

/* ---- ending ---- */

/* SIGTERM now, SIGKILL after the grace period. */
static void end_program(launched *l)
{
    if (!l->pid || l->kill_at_ms)
        return;
    kill(l->pid, SIGTERM);
    l->kill_at_ms = net_now_ms() + LAUNCH_KILL_GRACE_MS;
}

bool launch_disconnect(dap_session *s, const dap_request_ref *ref, bool terminate)
{
    launched *l = of_session(s->id);
    if (!l)
        return false;
    if (!l->answered) {
        l->answered = true;
        dap_session_options_free(&l->options);
        dap_respond_error(&l->launch_ref, "launch: cancelled by disconnect");
    }
    if (!terminate) {
        l->entry_bp = 0;
        release(l);
        l->session_id = 0;
        log_info("DAP session %llu disconnected; %s (pid %d) runs on", (unsigned long long)s->id, l->name,
                 (int)l->pid);
        dap_session_detach(s, ref);
        return true;
    }
    dap_session_detach(s, NULL);
    if (!l->pid) {
        dap_respond(ref, true, NULL, NULL);
        return true;
    }
    l->has_disconnect = true;
    l->disconnect_ref = *ref;
    end_program(l);
    return true;
}

int launch_terminate(dap_session *s, char *err, size_t err_len)
{
    launched *l = of_session(s->id);
    if (!l) {
        snprintf(err, err_len, "this session launched no program (disconnect leaves attached processes running)");
        return -1;
    }
    probe_peer *p = probe_of(l);
    if (p && p->stopped)
        dap_session_resume_process(p); /* parked threads would keep SIGTERM pending */
    if (l->pid)
        kill(l->pid, SIGTERM);
    return 0;
}

void launch_session_closed(dap_session *s)
{
    launched *l = of_session(s->id);
    if (!l)
        return;
    l->session_id = 0;
    if (!l->answered) {
        l->answered = true;
        dap_session_options_free(&l->options);
    }
    end_program(l);
}

/* The program ended with status: the launch fails when its probe had not registered; otherwise
 * the session gets "exited" and "terminated"; a disconnect waiting for it is answered. */
static void program_ended(launched *l, int status)
{
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = sig ? 128 + sig : WEXITSTATUS(status);
    char how[80];
    if (sig)
        snprintf(how, sizeof how, "killed by SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    else
        snprintf(how, sizeof how, "exited with code %d", code);
    log_info("launched %s (pid %d) %s", l->name, (int)l->pid, how);
    l->pid = 0;
    dap_session *s = watcher(l);
    if (!l->answered) {
        l->answered = true;
        dap_session_options_free(&l->options);
        dap_respond_error(&l->launch_ref, "launch: %s %s before its probe registered", l->name, how);
    } else if (s) {
        char text[300];
        snprintf(text, sizeof text, "podbug: %s %s\n", l->name, how);
        dap_send_console(s, text);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddNumberToObject(body, "exitCode", code);
        dap_send_event(s, "exited", body);
        dap_send_event(s, "terminated", NULL);
    }
    if (l->has_disconnect)
        dap_respond(&l->disconnect_ref, true, NULL, NULL);
}

/* A program whose probe does not register in time: it is killed and the launch fails. */
static void registration_timed_out(launched *l)
{
    l->answered = true;
    dap_session_options_free(&l->options);
    dap_respond_error(&l->launch_ref, "launch: %s started (pid %d) but its probe did not register within %d s "
                      "(can it reach %s? a statically linked program cannot preload the probe)",
                      l->name, (int)l->pid, LAUNCH_REGISTER_TIMEOUT_MS / 1000, net_probe_url());
    l->session_id = 0;
    kill(l->pid, SIGKILL);
}

/* Moves one program on; false once it is gone (reaped, pipes closed). */
static bool advance(launched *l, int64_t now_ms)
{
    for (int i = 0; i < 2; i++)
        drain(l, &l->out[i], false);
    int status;
    if (l->pid && waitpid(l->pid, &status, WNOHANG) == l->pid) {
        for (int i = 0; i < 2; i++)
            drain(l, &l->out[i], true);
        program_ended(l, status);
    }
    if (!l->pid) {
        for (int i = 0; i < 2; i++)
            if (l->out[i].fd >= 0) {
                close(l->out[i].fd); /* a child of the program still holds it */
                l->out[i].fd = -1;
            }
        return false;
    }
    dap_session *s = l->answered ? NULL : dap_session_find(l->session_id);
    if (s && probe_of(l))
        attach_session(l, s);
    else if (!l->answered && now_ms >= l->register_deadline_ms)
        registration_timed_out(l);
    if (l->kill_at_ms && now_ms >= l->kill_at_ms) {
        log_info("launched %s (pid %d) did not end on SIGTERM within %d s: SIGKILL", l->name, (int)l->pid,
                 LAUNCH_KILL_GRACE_MS / 1000);
        kill(l->pid, SIGKILL);
        l->kill_at_ms = INT64_MAX;
    }
    return true;
}

void launch_tick(int64_t now_ms)
{
    for (launched **at = &programs; *at;) {
        launched *l = *at;
        if (advance(l, now_ms)) {
            at = &l->next;
            continue;
        }
        *at = l->next;
        free_launched(l);
    }
}

void launch_shutdown(void)
{
    while (programs) {
        launched *l = programs;
        programs = l->next;
        if (l->pid && (l->session_id || l->kill_at_ms)) {
            kill(l->pid, SIGKILL);
            waitpid(l->pid, NULL, 0);
        }
        free_launched(l);
    }
}
