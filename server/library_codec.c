/* Base64 and SHA-256 of a reload's library (see library_codec.h): strict validation for precise
 * messages, then OpenSSL's EVP_DecodeBlock / EVP_EncodeBlock / EVP_Digest. */
#include "library_codec.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static bool is_base64_digit(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* 0 with the number of '=' at the end, or -1 with err naming the first character out of place. */
static int check_base64(const char *text, size_t len, size_t *padding, char *err, size_t err_len)
{
    if (len % 4 != 0) {
        snprintf(err, err_len, "not valid base64: its length %zu is not a multiple of 4", len);
        return -1;
    }
    *padding = len >= 1 && text[len - 1] == '=' ? (len >= 2 && text[len - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < len - *padding; i++) {
        if (!is_base64_digit(text[i])) {
            unsigned char c = (unsigned char)text[i];
            if (c >= 0x20 && c < 0x7f)
                snprintf(err, err_len, "not valid base64: '%c' at offset %zu", c, i);
            else
                snprintf(err, err_len, "not valid base64: byte 0x%02x at offset %zu", c, i);
            return -1;
        }
    }
    return 0;
}

int library_base64_decode(const char *text, size_t len, size_t max_len, unsigned char **out, size_t *out_len,
                          char *err, size_t err_len)
{
    *out = NULL;
    *out_len = 0;
    size_t padding;
    if (check_base64(text, len, &padding, err, err_len) != 0)
        return -1;
    size_t decoded = len / 4 * 3 - padding;
    if (decoded > max_len || len > INT_MAX) {
        snprintf(err, err_len, "decodes to %zu bytes, more than the limit of %zu", decoded, max_len);
        return -1;
    }
    if (len == 0)
        return 0;
    unsigned char *bytes = malloc(len / 4 * 3);
    if (!bytes) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (EVP_DecodeBlock(bytes, (const unsigned char *)text, (int)len) < 0) {
        free(bytes);
        snprintf(err, err_len, "not valid base64");
        return -1;
    }
    *out = bytes;
    *out_len = decoded;
    return 0;
}

char *library_base64_encode(const unsigned char *data, size_t len)
{
    if (len > (size_t)INT_MAX / 4 * 3)
        return NULL;
    char *text = malloc((len + 2) / 3 * 4 + 1);
    if (text)
        EVP_EncodeBlock((unsigned char *)text, data, (int)len);
    return text;
}

void library_sha256_hex(const unsigned char *data, size_t len, char out[LIBRARY_SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < md_len && i < LIBRARY_SHA256_HEX_LEN / 2; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[LIBRARY_SHA256_HEX_LEN] = '\0';
}
