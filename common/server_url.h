/* Parsing a podbug server URL ("ws://HOST[:PORT][/PATH]", or wss:// for TLS) into scheme, host, port
 * and path: shared by the probe (PODBUG_SERVER) and the CLI (--server). */
#ifndef PODBUG_SERVER_URL_H
#define PODBUG_SERVER_URL_H

#include <stdbool.h>
#include <stddef.h>

#define SERVER_URL_DEFAULT_PORT 4700

typedef struct server_url {
    char host[256];
    int port;          /* SERVER_URL_DEFAULT_PORT when the URL names none */
    char path[256];    /* "" when the URL names none */
    bool tls;          /* wss://: TLS, the server's certificate verified (PODBUG_CA or the system's CAs) */
} server_url;

/* what names the setting in messages ("PODBUG_SERVER", "--server"). Returns 0, or -1 with err:
 * "--server must look like ws://HOST:PORT or wss://HOST:PORT, not 'http://x'", "... has no host",
 * "... has a bad port". */
int server_url_parse(const char *url, const char *what, server_url *out, char *err, size_t err_len);
/* "wss://" when url->tls, else "ws://": for rebuilding a URL from the parts. */
const char *server_url_scheme(const server_url *url);

#endif
