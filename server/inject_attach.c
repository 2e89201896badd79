/* Attach requests that wait for an injection (see inject_attach.h): the `podbug attach` child, its
 * JSON answer read from a non-blocking pipe on each tick, waitpid WNOHANG, the probe's arrival. */
#include "inject_attach.h"

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
#include "dap_handlers/handlers.h"
#include "fleet.h"
#include "launch_env.h"
#include "log.h"
#include "net.h"

typedef enum { RUNNING_COMMAND, WAITING_FOR_PROBE } injection_phase;

typedef struct injection {
    dap_request_ref ref;
    cJSON *args;              /* the attach arguments without "inject" */
    int pid;                  /* the target */
    pid_t command;            /* `podbug attach`, 0 once reaped */
    int out_fd;               /* its stdout, -1 once closed */
    char output[2048];
    size_t output_len;
    injection_phase phase;
    int64_t deadline_ms;
    struct injection *next;
} injection;

static injection *injections;
extern char **environ;

static bool registered(int pid)
{
    for (probe_peer *p = fleet_first(); p; p = p->next)
        if (p->registered && p->hello.pid == pid)
            return true;
    return false;
}

static bool session_waits(uint64_t session_id)
{
    for (injection *i = injections; i; i = i->next)
        if (i->ref.session_id == session_id)
            return true;
    return false;
}

/* The selector's labels become the injected probe's, so that the session sees it: "pod" and
 * "namespace" as such, the others as "k=v,...". */
static void selector_to_options(const cJSON *sel, char *pod, char *ns, char *labels, size_t len)
{
    const cJSON *item;
    size_t used = 0;
    cJSON_ArrayForEach(item, sel) {
        if (!cJSON_IsString(item))
            continue;
        if (strcmp(item->string, "pod") == 0)
            snprintf(pod, len, "%s", item->valuestring);
        else if (strcmp(item->string, "namespace") == 0)
            snprintf(ns, len, "%s", item->valuestring);
        else if (used < len)
            used += (size_t)snprintf(labels + used, len - used, "%s%s=%s", used ? "," : "", item->string,
                                     item->valuestring);
    }
}

/* Starts `podbug attach --pid N --server URL --json [...]` with its stdout into a pipe. */
static int spawn_command(injection *inj, const cJSON *sel, char *err, size_t err_len)
{
    char binary[PATH_MAX], pid_text[16], pod[256] = "", ns[256] = "", labels[1024] = "";
    if (!beside_server("podbug", X_OK, binary, sizeof binary)) {
        snprintf(err, err_len, "no podbug program beside the server to inject the probe with");
        return -1;
    }
    snprintf(pid_text, sizeof pid_text, "%d", inj->pid);
    selector_to_options(sel, pod, ns, labels, sizeof labels);
    char *argv[16] = { "podbug", "attach", "--pid", pid_text, "--server", (char *)net_probe_url(), "--json" };
    int argc = 7;
    const char *names[3] = { "--pod", "--namespace", "--labels" }, *values[3] = { pod, ns, labels };
    for (int i = 0; i < 3; i++)
        if (values[i][0]) {
            argv[argc++] = (char *)names[i];
            argv[argc++] = (char *)values[i];
        }
    argv[argc] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, err_len, "cannot run podbug attach: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    launch_env env; /* the new probe's token: with --token-file, one of the server's with role probe */
    int rc = launch_env_init(&env, environ) != 0 || launch_env_set(&env, "PODBUG_TOKEN", auth_probe_token()) != 0
                 ? ENOMEM
                 : posix_spawn(&inj->command, binary, &actions, NULL, argv, env.vars);
    launch_env_free(&env);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        snprintf(err, err_len, "cannot run podbug attach: %s", strerror(rc));
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    inj->out_fd = fds[0];
    return 0;
}

/* The pid the attach names when it asks for injection; 0 when it does not (the attach goes on),
 * -1 when the arguments are wrong (answered). */
static int pid_to_inject(const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *inject = cJSON_GetObjectItemCaseSensitive(args, "inject");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(args, "pid");
    if (!inject || cJSON_IsFalse(inject))
        return 0;
    if (!cJSON_IsTrue(inject)) {
        dap_respond_error(ref, "attach: 'inject' must be true or false");
        return -1;
    }
    if (!cJSON_IsNumber(pid) || pid->valuedouble < 1 || pid->valuedouble > INT_MAX ||
        pid->valuedouble != (int)pid->valuedouble) {
        dap_respond_error(ref, "attach: 'inject' needs the 'pid' of the process to load the probe into");
        return -1;
    }
    return pid->valueint;
}

bool inject_attach_take(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    if (session_waits(s->id)) {
        dap_respond_error(ref, "attach: an attach of this session is already loading the probe");
        return true;
    }
    int pid = pid_to_inject(ref, args);
    if (pid <= 0 || registered(pid))
        return pid < 0;
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/%d", pid);
    if (access(proc, F_OK) != 0) {
        dap_respond_error(ref, "attach: no process %d on the server's host to load the probe into", pid);
        return true;
    }
    injection *inj = calloc(1, sizeof *inj);
    char err[400];
    if (!inj || !(inj->args = cJSON_Duplicate(args, true))) {
        free(inj);
        dap_respond_error(ref, "attach: out of memory");
        return true;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(inj->args, "inject");
    inj->ref = *ref;
    inj->pid = pid;
    inj->out_fd = -1;
    inj->phase = RUNNING_COMMAND;
    inj->deadline_ms = net_now_ms() + INJECT_COMMAND_TIMEOUT_MS;
    if (spawn_command(inj, cJSON_GetObjectItemCaseSensitive(args, "selector"), err, sizeof err) != 0) {
        cJSON_Delete(inj->args);
        free(inj);
        dap_respond_error(ref, "attach: %s", err);
        return true;
    }
    log_info("DAP session %llu: loading the probe into process %d (podbug attach, pid %d)",
             (unsigned long long)s->id, pid, (int)inj->command);
    inj->next = injections;
    injections = inj;
    return true;
}

/* Reads what the command wrote so far (keeping the first bytes that fit); closes at its end. */
static void drain_output(injection *inj)
{
    char chunk[512];
    ssize_t n;
    while (inj->out_fd >= 0 && (n = read(inj->out_fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n < 0)
            break;
        size_t keep = sizeof inj->output - 1 - inj->output_len;
        if (keep > (size_t)n)
            keep = (size_t)n;
        memcpy(inj->output + inj->output_len, chunk, keep);
        inj->output_len += keep;
        inj->output[inj->output_len] = '\0';
    }
    if (inj->out_fd >= 0)
        close(inj->out_fd);
    inj->out_fd = -1;
}

/* The command ended with status: either the probe is loaded (wait for it) or the reason it is not
 * (written into err). Returns true when the probe is loaded. */
static bool command_outcome(injection *inj, int status, char *err, size_t err_len)
{
    cJSON *answer = cJSON_Parse(inj->output);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(answer, "error");
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && answer && !error;
    if (!ok && cJSON_IsString(error))
        snprintf(err, err_len, "%s", error->valuestring);
    else if (!ok)
        snprintf(err, err_len, "podbug attach ended with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    dap_session *s = dap_session_find(inj->ref.session_id);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(answer, "stopped_ms");
    if (ok && s && cJSON_IsNumber(ms)) {
        char text[300];
        snprintf(text, sizeof text, "podbug: loaded the probe into %d; thread %d was stopped for %.1f ms\n",
                 inj->pid, (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(answer, "thread")),
                 ms->valuedouble);
        dap_send_console(s, text);
    }
    cJSON_Delete(answer);
    return ok;
}

typedef enum { KEEP_WAITING, ANSWERED, PROBE_REGISTERED } injection_step;

/* Moves one injection on. */
static injection_step advance(injection *inj, int64_t now_ms)
{
    char err[600];
    if (inj->phase == RUNNING_COMMAND) {
        drain_output(inj);
        int status;
        if (waitpid(inj->command, &status, WNOHANG) != inj->command) {
            if (now_ms < inj->deadline_ms)
                return KEEP_WAITING;
            kill(inj->command, SIGKILL);
            waitpid(inj->command, NULL, 0);
            dap_respond_error(&inj->ref, "attach: podbug attach did not finish within %d s",
                              INJECT_COMMAND_TIMEOUT_MS / 1000);
            return ANSWERED;
        }
        drain_output(inj);
        inj->command = 0;
        if (!command_outcome(inj, status, err, sizeof err)) {
            log_info("loading the probe into process %d failed: %s", inj->pid, err);
            dap_respond_error(&inj->ref, "attach: %s", err);
            return ANSWERED;
        }
        inj->phase = WAITING_FOR_PROBE;
        inj->deadline_ms = now_ms + INJECT_REGISTER_TIMEOUT_MS;
    }
    if (!dap_session_find(inj->ref.session_id))
        return ANSWERED; /* nobody to answer any more */
    if (registered(inj->pid))
        return PROBE_REGISTERED;
    if (now_ms < inj->deadline_ms)
        return KEEP_WAITING;
    dap_respond_error(&inj->ref, "attach: the probe was loaded into process %d but did not register within %d s "
                      "(can the process reach %s?)", inj->pid, INJECT_REGISTER_TIMEOUT_MS / 1000, net_probe_url());
    return ANSWERED;
}

void inject_attach_tick(int64_t now_ms)
{
    for (injection **at = &injections; *at;) {
        injection *inj = *at;
        injection_step step = advance(inj, now_ms);
        if (step == KEEP_WAITING) {
            at = &inj->next;
            continue;
        }
        *at = inj->next;
        dap_session *s = dap_session_find(inj->ref.session_id);
        if (step == PROBE_REGISTERED && s)
            dap_handle_attach(s, &inj->ref, inj->args);
        if (inj->out_fd >= 0)
            close(inj->out_fd);
        cJSON_Delete(inj->args);
        free(inj);
    }
}
