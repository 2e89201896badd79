/* Blocking DAP client (see dap_client.h): Content-Length framing from protocol/dap_framing.h,
 * poll() with a deadline for every wait, events received while awaiting a response kept in FIFO. */
#include "dap_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "dap_framing.h"
#include "tcp_connect.h"

typedef struct queued_event {
    cJSON *msg;
    struct queued_event *next;
} queued_event;

struct dap_client {
    int fd;
    int next_seq;
    dap_framer framer;
    queued_event *head;
    queued_event **tail;
    dap_event_fn on_event;   /* events during a request go here when set */
    void *on_event_ctx;
};

dap_client *dap_client_connect(const char *host, int port, char *err, size_t err_len)
{
    dap_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->fd = tcp_connect(host, port, DAP_CLIENT_CONNECT_TIMEOUT_SECONDS, "cannot connect to the server's DAP port",
                        err, err_len);
    if (c->fd < 0) {
        free(c);
        return NULL;
    }
    c->next_seq = 1;
    c->tail = &c->head;
    dap_framer_init(&c->framer, DAP_DEFAULT_MAX_BODY);
    return c;
}

void dap_client_close(dap_client *c)
{
    if (!c)
        return;
    while (c->head) {
        queued_event *q = c->head;
        c->head = q->next;
        cJSON_Delete(q->msg);
        free(q);
    }
    dap_framer_free(&c->framer);
    close(c->fd);
    free(c);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_all(dap_client *c, const char *data, size_t len, char *err, size_t err_len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, err_len, "cannot send to the server: %s",
                     n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? "it takes nothing more" : strerror(errno));
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One message from the connection by deadline: 1 with *msg, 0 when the time ran out or a signal
 * came, -1 with err when the stream is closed, broken or not DAP. */
static int receive(dap_client *c, int64_t deadline, cJSON **msg, char *err, size_t err_len)
{
    for (;;) {
        const char *body;
        size_t body_len;
        switch (dap_framer_next(&c->framer, &body, &body_len, err, err_len)) {
        case DAP_FRAME_MESSAGE:
            *msg = cJSON_ParseWithLength(body, body_len);
            if (!cJSON_IsObject(*msg)) {
                cJSON_Delete(*msg);
                snprintf(err, err_len, "the server sent a DAP message that is not a JSON object");
                return -1;
            }
            return 1;
        case DAP_FRAME_ERROR:
            return -1;
        case DAP_FRAME_NEED_MORE:
            break;
        }
        int64_t left = deadline - now_ms();
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int ready = left > 0 ? poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) : 0;
        if (ready == 0 || (ready < 0 && errno == EINTR))
            return 0;
        char chunk[65536];
        ssize_t n = ready < 0 ? -1 : read(c->fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            return 0;
        if (n <= 0) {
            snprintf(err, err_len, "%s%s", n == 0 ? "the server closed the connection" : "lost the server: ",
                     n == 0 ? "" : strerror(errno));
            return -1;
        }
        if (dap_framer_feed(&c->framer, chunk, (size_t)n) != 0) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
    }
}

static bool is_type(const cJSON *msg, const char *type)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(msg, "type");
    return cJSON_IsString(t) && strcmp(t->valuestring, type) == 0;
}

static int enqueue(dap_client *c, cJSON *event)
{
    queued_event *q = malloc(sizeof *q);
    if (!q) {
        cJSON_Delete(event);
        return -1;
    }
    q->msg = event;
    q->next = NULL;
    *c->tail = q;
    c->tail = &q->next;
    return 0;
}

/* Turns a response into the request's result: 0 with its body, or -1 with its message. */
static int take_response(cJSON *response, const char *command, cJSON **body, char *err, size_t err_len)
{
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(response, "message");
    int rc = 0;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(response, "success"))) {
        snprintf(err, err_len, "%s", cJSON_IsString(message) ? message->valuestring : "");
        if (!err[0])
            snprintf(err, err_len, "the server refused '%s' without saying why", command);
        rc = -1;
    } else if (body) {
        *body = cJSON_DetachItemFromObjectCaseSensitive(response, "body");
    }
    cJSON_Delete(response);
    return rc;
}

void dap_client_on_event(dap_client *c, dap_event_fn fn, void *ctx)
{
    c->on_event = fn;
    c->on_event_ctx = ctx;
}

int dap_client_request(dap_client *c, const char *command, cJSON *args, int timeout_ms, cJSON **body,
                       char *err, size_t err_len)
{
    if (body)
        *body = NULL;
    cJSON *response;
    if (dap_client_call(c, command, args, timeout_ms, &response, err, err_len) != 0)
        return -1;
    return take_response(response, command, body, err, err_len);
}

int dap_client_call(dap_client *c, const char *command, cJSON *args, int timeout_ms, cJSON **response, char *err,
                    size_t err_len)
{
    *response = NULL;
    int seq = c->next_seq++;
    cJSON *request = cJSON_CreateObject();
    cJSON_AddNumberToObject(request, "seq", seq);
    cJSON_AddStringToObject(request, "type", "request");
    cJSON_AddStringToObject(request, "command", command);
    if (args)
        cJSON_AddItemToObject(request, "arguments", args);
    char *json = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    size_t frame_len = 0;
    char *frame = json ? dap_frame_encode(json, strlen(json), &frame_len) : NULL;
    free(json);
    if (!frame) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    int sent = send_all(c, frame, frame_len, err, err_len);
    free(frame);
    if (sent != 0)
        return -1;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        cJSON *msg;
        int got = receive(c, deadline, &msg, err, err_len);
        if (got < 0)
            return -1;
        if (got == 0) {
            if (now_ms() < deadline)
                continue; /* a signal: the answer is still due */
            snprintf(err, err_len, "no answer to '%s' within %d s", command, timeout_ms / 1000);
            return -1;
        }
        const cJSON *request_seq = cJSON_GetObjectItemCaseSensitive(msg, "request_seq");
        if (is_type(msg, "response") && cJSON_IsNumber(request_seq) && request_seq->valueint == seq) {
            *response = msg;
            return 0;
        }
        if (!is_type(msg, "event") || c->on_event) {
            if (c->on_event && is_type(msg, "event"))
                c->on_event(c->on_event_ctx, msg);
            cJSON_Delete(msg); /* or the late answer to a request that timed out */
            continue;
        }
        if (enqueue(c, msg) != 0) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
    }
}

int dap_client_next_event(dap_client *c, int timeout_ms, cJSON **event, char *err, size_t err_len)
{
    if (c->head) {
        queued_event *q = c->head;
        c->head = q->next;
        if (!c->head)
            c->tail = &c->head;
        *event = q->msg;
        free(q);
        return 1;
    }
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int got = receive(c, deadline, event, err, err_len);
        if (got <= 0 || is_type(*event, "event"))
            return got;
        cJSON_Delete(*event); /* the late answer to a request that timed out */
    }
}
