/* Blocking HTTP GET over a TCP socket (see http_get.h): connects (tcp_connect.h), adds TLS for
 * wss:// (tls_socket.h), sends one request, reads until the server closes, splits the status line
 * and headers from the body. */
#include "http_get.h"
#include "tcp_connect.h"
#include "tls_socket.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The connection: a plain socket, or TLS over it. */
typedef struct http_stream {
    int fd;
    tls_socket *tls;   /* NULL: plain */
} http_stream;

static ssize_t stream_write(http_stream *s, const void *buf, size_t len)
{
    return s->tls ? tls_socket_write(s->tls, buf, len) : write(s->fd, buf, len);
}

static ssize_t stream_read(http_stream *s, void *buf, size_t len)
{
    return s->tls ? tls_socket_read(s->tls, buf, len) : read(s->fd, buf, len);
}

/* Reads the whole response into a malloc'ed buffer. */
static char *read_all(http_stream *s, size_t *len, char *err, size_t err_len)
{
    size_t cap = 8192, used = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (used + 1 == cap) {
            char *grown = cap < HTTP_GET_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                snprintf(err, err_len, "the answer is larger than %u bytes", HTTP_GET_MAX_BYTES);
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        errno = 0;
        ssize_t n = stream_read(s, buf + used, cap - used - 1);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                snprintf(err, err_len, "no answer within %d s", HTTP_GET_TIMEOUT_SECONDS);
            else
                snprintf(err, err_len, "reading the answer failed: %s", errno ? strerror(errno) : "TLS error");
            free(buf);
            return NULL;
        }
        used += (size_t)n;
    }
    if (!buf) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

int http_get(const server_url *server, const char *path, int *status, char **body, char *err, size_t err_len)
{
    const char *host = server->host;
    int port = server->port;
    http_stream stream = { .fd = tcp_connect(host, port, HTTP_GET_TIMEOUT_SECONDS, "cannot reach", err, err_len) };
    if (stream.fd < 0)
        return -1;
    if (server->tls && !(stream.tls = tls_socket_open(stream.fd, host, port, getenv("PODBUG_CA"), err, err_len))) {
        close(stream.fd);
        return -1;
    }
    const char *token = getenv("PODBUG_TOKEN");
    bool bearer = token && *token;
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: application/json\r\n%s%s%sConnection: close\r\n\r\n",
                     path, host, port, bearer ? "Authorization: Bearer " : "", bearer ? token : "", bearer ? "\r\n" : "");
    bool fits = n > 0 && (size_t)n < sizeof request;
    bool sent = fits && stream_write(&stream, request, (size_t)n) == n;
    if (!fits)
        snprintf(err, err_len, "PODBUG_TOKEN is too long for a request");
    else if (!sent)
        snprintf(err, err_len, "cannot send the request to %s:%d: %s", host, port, strerror(errno));
    size_t len;
    char *response = sent ? read_all(&stream, &len, err, err_len) : NULL;
    tls_socket_close(stream.tls);
    close(stream.fd);
    char *headers_end = response ? strstr(response, "\r\n\r\n") : NULL;
    if (!response || sscanf(response, "HTTP/1.%*d %d", status) != 1 || !headers_end) {
        if (response)
            snprintf(err, err_len, "%s:%d did not answer with HTTP", host, port);
        if (!server->tls) /* a TLS port drops a plain request */
            snprintf(err + strlen(err), err_len - strlen(err), " (if the server serves TLS, use wss://)");
        free(response);
        return -1;
    }
    *body = strdup(headers_end + 4);
    free(response);
    if (!*body) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}
