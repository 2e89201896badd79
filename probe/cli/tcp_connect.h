/* Opening a blocking TCP connection for the CLI (to the server's HTTP API or its DAP port): name
 * resolution, every address tried in turn, send/receive/connect bounded in time. */
#ifndef PODBUG_CLI_TCP_CONNECT_H
#define PODBUG_CLI_TCP_CONNECT_H

#include <stddef.h>

/* Connects to host:port with SO_RCVTIMEO/SO_SNDTIMEO of timeout_seconds (which also bounds the
 * connect). Returns the socket (close-on-exec), or -1 with err: "cannot resolve HOST: ..." or
 * "<failing> HOST:PORT: <strerror>", e.g. failing = "cannot reach". */
int tcp_connect(const char *host, int port, int timeout_seconds, const char *failing, char *err,
                size_t err_len);

#endif
