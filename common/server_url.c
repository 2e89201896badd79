/* ws://HOST[:PORT][/PATH] and wss://HOST[:PORT][/PATH] parsing (see server_url.h). Both default to
 * port 4700: the server serves either plain or TLS there, never both. */
#include "server_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int server_url_parse(const char *url, const char *what, server_url *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    out->tls = strncmp(url, "wss://", 6) == 0;
    if (!out->tls && strncmp(url, "ws://", 5) != 0) {
        snprintf(err, err_len, "%s must look like ws://HOST:PORT or wss://HOST:PORT, not '%s'", what, url);
        return -1;
    }
    const char *host = url + strlen(server_url_scheme(out));
    size_t host_len = strcspn(host, ":/");
    if (host_len == 0 || host_len >= sizeof out->host) {
        snprintf(err, err_len, "%s '%s' has no host", what, url);
        return -1;
    }
    memcpy(out->host, host, host_len);
    const char *rest = host + host_len;
    out->port = SERVER_URL_DEFAULT_PORT;
    if (*rest == ':') {
        char *end;
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
            snprintf(err, err_len, "%s '%s' has a bad port", what, url);
            return -1;
        }
        out->port = (int)port;
        rest = end;
    }
    snprintf(out->path, sizeof out->path, "%s", rest);
    return 0;
}

const char *server_url_scheme(const server_url *url)
{
    return url->tls ? "wss://" : "ws://";
}
