/* Unit tests for server/library_codec: strict base64 with precise errors and a size limit,
 * encoding, and SHA-256 in lowercase hex. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "library_codec.h"

static int decode(const char *text, size_t max_len, unsigned char **out, size_t *len, char *err, size_t err_len)
{
    return library_base64_decode(text, strlen(text), max_len, out, len, err, err_len);
}

Test(library_codec, decodes_padded_base64)
{
    const char *cases[][2] = { { "YWJj", "abc" }, { "YWI=", "ab" }, { "YQ==", "a" }, { "", "" },
                               { "/+/+", "\xff\xef\xfe" } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *bytes;
        size_t len;
        char err[200] = "";
        cr_assert_eq(decode(cases[i][0], 100, &bytes, &len, err, sizeof err), 0, "%s: %s", cases[i][0], err);
        cr_expect_eq(len, strlen(cases[i][1]), "%s", cases[i][0]);
        cr_expect(len == 0 || memcmp(bytes, cases[i][1], len) == 0, "%s", cases[i][0]);
        free(bytes);
    }
}

Test(library_codec, refuses_what_is_not_base64_saying_where)
{
    const char *cases[][2] = {
        { "abc", "not valid base64: its length 3 is not a multiple of 4" },
        { "ab!d", "not valid base64: '!' at offset 2" },
        { "ab=d", "not valid base64: '=' at offset 2" },
        { "a===", "not valid base64: '=' at offset 1" },
        { "YW\nI", "not valid base64: byte 0x0a at offset 2" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *bytes = (unsigned char *)"untouched";
        size_t len = 9;
        char err[200] = "";
        cr_expect_eq(decode(cases[i][0], 100, &bytes, &len, err, sizeof err), -1, "%s", cases[i][0]);
        cr_expect_str_eq(err, cases[i][1]);
        cr_expect_null(bytes);
    }
}

Test(library_codec, refuses_more_than_the_limit)
{
    unsigned char *bytes;
    size_t len;
    char err[200] = "";
    cr_expect_eq(decode("YWJj", 3, &bytes, &len, err, sizeof err), 0, "%s", err);
    free(bytes);
    cr_expect_eq(decode("YWJjZA==", 3, &bytes, &len, err, sizeof err), -1);
    cr_expect_str_eq(err, "decodes to 4 bytes, more than the limit of 3");
}

Test(library_codec, encodes_and_decodes_back)
{
    unsigned char data[256];
    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)(255 - i);
    for (size_t n = 0; n <= sizeof data; n += 37) {
        char *text = library_base64_encode(data, n);
        cr_assert_not_null(text);
        cr_expect_eq(strlen(text), (n + 2) / 3 * 4);
        unsigned char *back;
        size_t len;
        char err[200] = "";
        cr_assert_eq(decode(text, sizeof data, &back, &len, err, sizeof err), 0, "%s", err);
        cr_expect_eq(len, n);
        cr_expect(n == 0 || memcmp(back, data, n) == 0);
        free(back);
        free(text);
    }
}

Test(library_codec, sha256_in_lowercase_hex)
{
    char hex[LIBRARY_SHA256_HEX_LEN + 1];
    library_sha256_hex((const unsigned char *)"abc", 3, hex);
    cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    library_sha256_hex((const unsigned char *)"", 0, hex);
    cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
