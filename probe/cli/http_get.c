/* Blocking HTTP GET over a TCP socket (see http_get.h): resolves the host, sends one request,
 * reads until the server closes, splits the status line and headers from the body. */
#include "http_get.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int connect_to(const char *host, int port, char *err, size_t err_len)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *found;
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0) {
        snprintf(err, err_len, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, last_errno = 0;
    for (struct addrinfo *a = found; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval timeout = { HTTP_GET_TIMEOUT_SECONDS, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            last_errno = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0)
        snprintf(err, err_len, "cannot reach %s:%d: %s", host, port, strerror(last_errno));
    return fd;
}

/* Reads the whole response into a malloc'ed buffer. */
static char *read_all(int fd, size_t *len, char *err, size_t err_len)
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
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n == 0)
            break;
        if (n < 0) {
            snprintf(err, err_len, errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within %d s" : "read failed",
                     HTTP_GET_TIMEOUT_SECONDS);
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

int http_get(const char *host, int port, const char *path, int *status, char **body, char *err,
             size_t err_len)
{
    int fd = connect_to(host, port, err, err_len);
    if (fd < 0)
        return -1;
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
                     path, host, port);
    if (write(fd, request, (size_t)n) != n) {
        snprintf(err, err_len, "cannot send the request to %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    size_t len;
    char *response = read_all(fd, &len, err, err_len);
    close(fd);
    if (!response)
        return -1;
    char *headers_end = strstr(response, "\r\n\r\n");
    if (sscanf(response, "HTTP/1.%*d %d", status) != 1 || !headers_end) {
        snprintf(err, err_len, "%s:%d did not answer with HTTP", host, port);
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
