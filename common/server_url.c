/* ws://HOST[:PORT][/PATH] parsing (see server_url.h). Only plain ws:// for now: TLS (wss://)
 * comes with the security work and is refused with a clear message until then. */
#include "server_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int server_url_parse(const char *url, const char *what, server_url *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (strncmp(url, "wss://", 6) == 0) {
        snprintf(err, err_len, "%s '%s': wss:// (TLS) is not supported yet; use ws://", what, url);
        return -1;
    }
    if (strncmp(url, "ws://", 5) != 0) {
        snprintf(err, err_len, "%s must look like ws://HOST:PORT, not '%s'", what, url);
        return -1;
    }
    const char *host = url + 5;
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
