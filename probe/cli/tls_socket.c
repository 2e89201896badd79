/* OpenSSL client sessions over the CLI's blocking sockets (see tls_socket.h): one SSL_CTX per
 * connection, the peer verified by OpenSSL's chain and host name checks. */
#include "tls_socket.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct tls_socket {
    SSL_CTX *ctx;
    SSL *ssl;
};

static bool is_ip_address(const char *host)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* What the server's certificate or the handshake lacked, in OpenSSL's words. */
static void explain_failure(tls_socket *t, const char *host, int port, const char *ca_file, char *err,
                            size_t err_len)
{
    long verify = SSL_get_verify_result(t->ssl);
    if (verify != X509_V_OK) {
        snprintf(err, err_len, "TLS with %s:%d: certificate verify failed: %s (PODBUG_CA=%s)", host, port,
                 X509_verify_cert_error_string(verify), ca_file ? ca_file : "unset: the system's CAs");
        return;
    }
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    snprintf(err, err_len, "TLS with %s:%d: %s (is the server serving TLS?)", host, port,
             reason ? reason : "the handshake failed");
}

static int configure(tls_socket *t, int fd, const char *host, const char *ca_file)
{
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx)
        return -1;
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF); /* the server may close without close_notify */
    if ((ca_file ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) : SSL_CTX_set_default_verify_paths(t->ctx)) != 1)
        return -1;
    t->ssl = SSL_new(t->ctx);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
        return -1;
    if (is_ip_address(host))
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1 ? 0 : -1;
    return SSL_set1_host(t->ssl, host) == 1 && SSL_set_tlsext_host_name(t->ssl, host) == 1 ? 0 : -1;
}

tls_socket *tls_socket_open(int fd, const char *host, int port, const char *ca_file, char *err, size_t err_len)
{
    if (ca_file && !*ca_file)
        ca_file = NULL;
    tls_socket *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (configure(t, fd, host, ca_file) != 0) {
        unsigned long e = ERR_peek_last_error();
        snprintf(err, err_len, "cannot set up TLS%s%s: %s", ca_file ? " with PODBUG_CA=" : "", ca_file ? ca_file : "",
                 e ? ERR_reason_error_string(e) : "out of memory");
        tls_socket_close(t);
        return NULL;
    }
    if (SSL_connect(t->ssl) != 1) {
        explain_failure(t, host, port, ca_file, err, err_len);
        tls_socket_close(t);
        return NULL;
    }
    return t;
}

ssize_t tls_socket_write(tls_socket *t, const void *buf, size_t len)
{
    size_t written = 0;
    return SSL_write_ex(t->ssl, buf, len, &written) == 1 ? (ssize_t)written : -1;
}

ssize_t tls_socket_read(tls_socket *t, void *buf, size_t len)
{
    size_t got = 0;
    if (SSL_read_ex(t->ssl, buf, len, &got) == 1)
        return (ssize_t)got;
    int e = SSL_get_error(t->ssl, 0);
    return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

void tls_socket_close(tls_socket *t)
{
    if (!t)
        return;
    if (t->ssl && SSL_is_init_finished(t->ssl))
        SSL_shutdown(t->ssl);
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    free(t);
}
