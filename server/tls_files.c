/* Reading the server's certificate and key with OpenSSL (see tls_files.h), so that a bad pair is
 * refused at start with the file named, instead of failing each TLS handshake later. */
#include "tls_files.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A passphrase callback that gives none: an encrypted key is refused instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static FILE *open_pem(const char *flag, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        snprintf(err, err_len, "%s %s: cannot read it: %s", flag, path, strerror(errno));
    return f;
}

static void describe(X509 *cert, char *about, size_t about_len)
{
    char cn[256] = "?";
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    struct tm expiry;
    char when[64] = "?";
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &expiry) == 1)
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &expiry);
    snprintf(about, about_len, "cert CN=%s, expires %s", cn, when);
}

int tls_files_check(const char *cert_path, const char *key_path, char *about, size_t about_len, char *err,
                    size_t err_len)
{
    FILE *f = open_pem("--tls-cert", cert_path, err, err_len);
    if (!f)
        return -1;
    X509 *cert = PEM_read_X509(f, NULL, no_passphrase, NULL);
    fclose(f);
    if (!cert) {
        snprintf(err, err_len, "--tls-cert %s holds no PEM certificate", cert_path);
        return -1;
    }
    int rc = -1;
    EVP_PKEY *key = NULL;
    f = open_pem("--tls-key", key_path, err, err_len);
    if (f) {
        key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
        fclose(f);
        if (!key)
            snprintf(err, err_len, "--tls-key %s holds no unencrypted PEM private key", key_path);
        else if (X509_check_private_key(cert, key) != 1)
            snprintf(err, err_len, "--tls-key %s does not match the certificate in --tls-cert %s", key_path, cert_path);
        else
            rc = 0;
    }
    if (rc == 0)
        describe(cert, about, about_len);
    EVP_PKEY_free(key);
    X509_free(cert);
    ERR_clear_error(); /* what failed was reported above; lws reads this queue after its own calls */
    return rc;
}
