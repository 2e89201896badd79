/* TLS over a connected blocking socket for the CLI's HTTP requests to a wss:// server: the
 * server's certificate and host name (or IP address) verified against PODBUG_CA or the system's CAs. */
#ifndef PODBUG_CLI_TLS_SOCKET_H
#define PODBUG_CLI_TLS_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

typedef struct tls_socket tls_socket;

/* Runs the handshake on fd (which stays the caller's to close) with host, verifying against the
 * PEM bundle ca_file (NULL or "": the system's trust store). NULL with err when it fails:
 * "TLS with 127.0.0.1:4700: certificate verify failed: self-signed certificate in certificate chain
 * (PODBUG_CA=ca.pem)", "... : wrong version number (is the server serving TLS?)". */
tls_socket *tls_socket_open(int fd, const char *host, int port, const char *ca_file, char *err, size_t err_len);
/* Like write(2) and read(2): bytes moved, 0 at the end of the stream, -1 on an error. */
ssize_t tls_socket_write(tls_socket *t, const void *buf, size_t len);
ssize_t tls_socket_read(tls_socket *t, void *buf, size_t len);
/* Sends close_notify and frees the session. */
void tls_socket_close(tls_socket *t);

#endif
