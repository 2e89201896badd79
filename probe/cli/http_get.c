/* Blocking HTTP GET over a TCP socket (see http_get.h): connects (tcp_connect.h), sends one request,
 * reads until the server closes, splits the status line and headers from the body. */
#include "http_get.h"
#include "tcp_connect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    int fd = tcp_connect(host, port, HTTP_GET_TIMEOUT_SECONDS, "cannot reach", err, err_len);
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
