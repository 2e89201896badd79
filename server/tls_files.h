/* The server's TLS certificate and key (--tls-cert, --tls-key), checked before serving with them:
 * both readable PEM, the key matching the certificate; and a one-line description for the log. */
#ifndef PODBUG_TLS_FILES_H
#define PODBUG_TLS_FILES_H

#include <stddef.h>

/* Returns 0 with about ("cert CN=localhost, expires 2027-11-23 04:10 UTC"), or -1 with err:
 * "--tls-cert server.pem: cannot read it: No such file or directory", "--tls-key k.pem holds no
 * unencrypted PEM private key", "--tls-key k.pem does not match the certificate in --tls-cert c.pem". */
int tls_files_check(const char *cert_path, const char *key_path, char *about, size_t about_len, char *err,
                    size_t err_len);

#endif
