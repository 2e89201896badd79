/* A reload's library as it travels: base64 text to bytes and back, and its SHA-256 in lowercase
 * hex (OpenSSL). The server checks what a client sends with it; the CLI links it to prepare it. */
#ifndef PODBUG_LIBRARY_CODEC_H
#define PODBUG_LIBRARY_CODEC_H

#include <stddef.h>

#define LIBRARY_SHA256_HEX_LEN 64

/* Padded base64 (RFC 4648, no whitespace) to bytes, at most max_len of them. Returns 0 with the
 * malloc'ed bytes in *out (NULL when there are none), or -1 with err: "not valid base64: '!' at
 * offset 12", "not valid base64: its length 7 is not a multiple of 4", "decodes to N bytes, more
 * than the limit of M", "out of memory". */
int library_base64_decode(const char *text, size_t len, size_t max_len, unsigned char **out, size_t *out_len,
                          char *err, size_t err_len);
/* Padded base64 of the bytes, malloc'ed; NULL when out of memory. */
char *library_base64_encode(const unsigned char *data, size_t len);
/* The SHA-256 of the bytes as 64 lowercase hex digits. */
void library_sha256_hex(const unsigned char *data, size_t len, char out[LIBRARY_SHA256_HEX_LEN + 1]);

#endif
