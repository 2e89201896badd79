/* The agent thread (see agent.h): libwebsockets client to the server with reconnect, backoff and
 * jitter, heartbeats, a pipe through which breakpoint hits wake the loop from signal handlers, and
 * the hold of a launched program's start until the server releases it. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "fast_sites.h"
#include "log.h"
#include "msg_assembler.h"
#include "out_queue.h"
#include "probe_msg.h"
#include "safe_mem.h"
#include "server_refusal.h"
#include "server_requests.h"
#include "stopper.h"
#include "symbols.h"
#include "ws_client.h"

#define NOTIFY_PROTOCOL "podbug-notify"
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define HEARTBEAT_MS 5000
#define SERVER_SILENCE_LIMIT_MS 15000
#define MAX_QUEUED_BYTES (16u * 1024u * 1024u)

static probe_config config;
static struct lws_context *context;
static struct lws *server_wsi;        /* the live connection, NULL when disconnected */
static bool connected;                /* WebSocket established */
static out_queue outgoing;
static msg_assembler incoming;
static int notify_fds[2] = { -1, -1 };
static lws_sorted_usec_list_t reconnect_timer, heartbeat_timer;
static bool reconnect_scheduled;
static int backoff_ms = BACKOFF_FIRST_MS;
static char unreachable_reported[800]; /* the last reason logged while the server cannot be reached */
static char tls_refusal[200];          /* why this attempt's server certificate was refused; "" if it was not */
static int64_t last_server_message_ms;
#define MAX_AFTER_FLUSH 8
static void (*after_flush[MAX_AFTER_FLUSH])(void);
static size_t n_after_flush;
static atomic_bool start_held;        /* PODBUG_HOLD: the constructor waits for release_sem */
static sem_t release_sem;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void agent_send(char *text)
{
    if (!text)
        return;
    if (connected && server_wsi) {
        if (out_queue_push(&outgoing, text, strlen(text)) == 0)
            lws_callback_on_writable(server_wsi);
        else
            log_warn("dropping a message to the server: the outgoing queue is full");
    }
    free(text);
}

static void run_after_flush(void)
{
    while (n_after_flush > 0) {
        void (*fn)(void) = after_flush[0];
        memmove(after_flush, after_flush + 1, --n_after_flush * sizeof after_flush[0]);
        fn();
    }
}

void agent_after_flush(void (*fn)(void))
{
    if (!connected || !server_wsi || out_queue_empty(&outgoing) || n_after_flush == MAX_AFTER_FLUSH) {
        fn();
        return;
    }
    after_flush[n_after_flush++] = fn;
}

void agent_hold_begin(void)
{
    sem_init(&release_sem, 0, 0);
    atomic_store(&start_held, true);
}

void agent_hold_wait(int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc;
    while ((rc = sem_clockwait(&release_sem, CLOCK_MONOTONIC, &until)) != 0 && errno == EINTR)
        ;
    if (rc != 0 && atomic_exchange(&start_held, false))
        log_warn("the server did not release the program within %d s; it starts now", timeout_ms / 1000);
}

bool agent_is_held(void)
{
    return atomic_load(&start_held);
}

void agent_release(void)
{
    if (atomic_exchange(&start_held, false)) {
        log_info("released by the server: the program starts");
        sem_post(&release_sem);
    }
}

static void connect_to_server(lws_sorted_usec_list_t *sul);

static void schedule_reconnect(void)
{
    if (reconnect_scheduled)
        return;
    reconnect_scheduled = true;
    /* Exponential backoff with up to 25 % jitter, so a restarted server is not hit by every pod at once. */
    int delay = backoff_ms + (int)(random() % (backoff_ms / 4 + 1));
    backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
    lws_sul_schedule(context, 0, &reconnect_timer, connect_to_server, (lws_usec_t)delay * LWS_US_PER_MS);
}

static void connection_lost(const char *why)
{
    bool was_connected = connected;
    connected = false;
    server_wsi = NULL;
    out_queue_clear(&outgoing);
    run_after_flush();
    if (was_connected && server_refusal_active()) {
        server_requests_on_disconnect();
    } else if (was_connected) {
        log_warn("lost the server at %s: %s; the program runs on, retrying", config.server_url, why);
        server_requests_on_disconnect();
    } else if (strcmp(why, unreachable_reported) != 0) {
        log_warn("cannot reach the server at %s (%s); the program runs on, retrying", config.server_url, why);
        snprintf(unreachable_reported, sizeof unreachable_reported, "%s", why);
    }
    schedule_reconnect();
}

static void connect_to_server(lws_sorted_usec_list_t *sul)
{
    reconnect_scheduled = false;
    tls_refusal[0] = '\0';
    if (!ws_client_connect(context, config.host, config.port, config.path, PROBE_WS_SUBPROTOCOL, config.tls,
                           &server_wsi))
        connection_lost("connect failed");
}

static void send_heartbeat(lws_sorted_usec_list_t *sul)
{
    if (connected) {
        if (now_ms() - last_server_message_ms > SERVER_SILENCE_LIMIT_MS) {
            log_warn("the server has been silent for 15 s; reconnecting");
            lws_set_timeout(server_wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        } else {
            cJSON *body = cJSON_CreateObject();
            cJSON_AddNumberToObject(body, "time_ms", (double)now_ms());
            agent_send(probe_envelope_encode(PMSG_HEARTBEAT, 0, body));
            server_requests_report_events();
        }
    }
    lws_sul_schedule(context, 0, &heartbeat_timer, send_heartbeat, HEARTBEAT_MS * LWS_US_PER_MS);
}

static void receive(const void *in, size_t len, bool is_final)
{
    const char *msg;
    size_t msg_len;
    switch (msg_assembler_add(&incoming, in, len, is_final, &msg, &msg_len)) {
    case ASSEMBLE_PARTIAL:
        return;
    case ASSEMBLE_TOO_BIG:
    case ASSEMBLE_NO_MEMORY:
        log_warn("dropping an oversized message from the server");
        return;
    case ASSEMBLE_COMPLETE:
        break;
    }
    last_server_message_ms = now_ms();
    server_refusal_clear();
    probe_envelope env;
    char err[200];
    if (probe_envelope_decode(msg, msg_len, &env, err, sizeof err) != 0) {
        log_warn("malformed message from the server: %s", err);
        agent_send(probe_error_encode(0, err));
        return;
    }
    server_requests_handle(&env);
    probe_envelope_free(&env);
}

static int write_next(struct lws *wsi)
{
    if (out_queue_write_next(&outgoing, wsi, LWS_WRITE_TEXT) != 0)
        return -1;
    if (out_queue_empty(&outgoing))
        run_after_flush();
    return 0;
}

static int server_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        connected = true;
        if (!server_refusal_active()) /* a refused probe keeps backing off */
            backoff_ms = BACKOFF_FIRST_MS;
        unreachable_reported[0] = '\0';
        last_server_message_ms = now_ms();
        if (!server_refusal_active())
            log_info("connected to %s", config.server_url);
        server_requests_on_connect();
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        receive(in, len, lws_is_final_fragment(wsi));
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return write_next(wsi);
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (config.token[0] && ws_client_add_bearer_token(wsi, in, len, config.token) != 0) {
            log_warn("PODBUG_TOKEN is too long for the handshake");
            return -1;
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        server_refusal_note(in, len);
        break;
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        ws_client_tls_verdict(user, len, tls_refusal, sizeof tls_refusal);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (tls_refusal[0]) {
            char why[sizeof unreachable_reported];
            snprintf(why, sizeof why, "%s (PODBUG_CA=%s)", tls_refusal,
                     config.ca_file[0] ? config.ca_file : "unset: the system's CAs");
            connection_lost(why);
        } else {
            connection_lost(ws_client_error_text(in, config.tls));
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        connection_lost("connection closed");
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
        /* A server that accepts TCP but never upgrades ends here, with neither of the above. */
        if (wsi == server_wsi || (!connected && !reconnect_scheduled))
            connection_lost("the handshake did not complete");
        break;
    default:
        break;
    }
    return 0;
}

static int notify_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    if (reason == LWS_CALLBACK_RAW_RX_FILE) {
        char drain[64];
        while (read(notify_fds[0], drain, sizeof drain) > 0)
            ;
        server_requests_on_hit();
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    { PROBE_WS_SUBPROTOCOL, server_callback, 0, 65536, 0, NULL, 0 },
    { NOTIFY_PROTOCOL, notify_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_debug("lws: %.*s", (int)n, line);
}

/* lws sets SIGPIPE to ignored for the whole process; the target's own disposition is put back
 * (lws sends with MSG_NOSIGNAL, so it does not need it). */
static struct lws_context *create_context(void)
{
    struct sigaction target_sigpipe;
    sigaction(SIGPIPE, NULL, &target_sigpipe);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    if (config.tls)
        ws_client_tls_context(&info, config.ca_file);
    struct lws_context *ctx = lws_create_context(&info);
    sigaction(SIGPIPE, &target_sigpipe, NULL);
    return ctx;
}

/* Every read of the target's memory goes through process_vm_readv; container runtimes' default
 * seccomp profiles refuse it unless the container may ptrace. Say so once, at start. */
static void check_memory_access(void)
{
    int sample = 42, copy = 0;
    if (safe_mem_read((uintptr_t)&sample, &copy, sizeof copy) != 0 || copy != sample)
        log_warn("process_vm_readv is refused in this process (a seccomp profile without "
                 "SYS_PTRACE?): conditions, logpoints, snapshots and variables cannot read memory");
}

static int setup(char *err, size_t err_len)
{
    check_memory_access();
    pid_t self = (pid_t)syscall(SYS_gettid);
    if (pipe2(notify_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, err_len, "pipe: %s", strerror(errno));
        return -1;
    }
    /* stopper_init installs the trap handler too and never stops or reports this thread. */
    if (stopper_init(notify_fds[1], self, err, err_len) != 0)
        return -1;
    stopper_set_enabled(false); /* until the server has accepted our hello */
    sym_index *symbols = sym_index_create();
    if (!symbols) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    server_requests_init(&config, symbols);
    out_queue_init(&outgoing, MAX_QUEUED_BYTES);
    msg_assembler_init(&incoming, PROBE_MAX_MESSAGE);

    lws_set_log_level(config.log_level >= LOG_DEBUG ? LLL_ERR | LLL_WARN : 0, lws_log_bridge);
    context = create_context();
    if (!context) {
        snprintf(err, err_len, "cannot create the network context");
        return -1;
    }
    lws_sock_file_fd_type fd = { .filefd = notify_fds[0] };
    if (!lws_adopt_descriptor_vhost(lws_get_vhost_by_name(context, "default"), LWS_ADOPT_RAW_FILE_DESC, fd,
                                    NOTIFY_PROTOCOL, NULL)) {
        snprintf(err, err_len, "cannot watch the notification pipe");
        return -1;
    }
    return 0;
}

static void *agent_main(void *arg)
{
    char err[256];
    if (setup(err, sizeof err) != 0) {
        log_error("disabled: %s", err);
        return NULL;
    }
    srandom((unsigned)(getpid() ^ now_ms()));
    lws_sul_schedule(context, 0, &reconnect_timer, connect_to_server, 1);
    lws_sul_schedule(context, 0, &heartbeat_timer, send_heartbeat, HEARTBEAT_MS * LWS_US_PER_MS);
    for (;;)
        if (lws_service(context, 0) < 0)
            break;
    log_error("the event loop ended; the probe is inactive");
    return NULL;
}

int agent_start(const char *settings, char *err, size_t err_len)
{
    if (probe_config_load(&config, settings, err, err_len) != 0)
        return -1;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "podbug-probe[%d]", (int)getpid());
    log_set_prefix(prefix);
    log_set_level(config.log_level);
    fast_sites_allow(config.fast_breakpoints);

    /* The agent takes no asynchronous signals meant for the program (SIGINT, SIGTERM, timers...). */
    sigset_t all, old;
    sigfillset(&all);
    for (int sig = 1; sig < SIGRTMIN; sig++)
        if (sig == SIGTRAP || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGABRT)
            sigdelset(&all, sig);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&thread, &attr, agent_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, err_len, "cannot start the agent thread: %s", strerror(rc));
        return -1;
    }
    pthread_setname_np(thread, "podbug-agent");
    return 0;
}
