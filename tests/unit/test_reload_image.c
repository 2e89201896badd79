/* Unit tests for probe/reload_image and probe/reload_elf: base64 and SHA-256 checks with their
 * messages, a library that is no ELF, a valid library loaded from its memfd (bias, span, soname,
 * its code runs), and dlopen's reason when a symbol is missing. */
#include <criterion/criterion.h>

#include "fixtures/reload/reload_fixture.h"
#include "reload_image.h"

#define ERR_LEN 512

/* Decodes text whose SHA-256 is right (or given) and returns the error. */
static int decode(const char *base64, const char *sha256, char *err)
{
    reload_image img;
    int rc = reload_image_decode(base64, sha256, &img, err, ERR_LEN);
    if (rc != 0) {
        cr_expect_null(img.bytes, "a failed decode keeps nothing");
        cr_expect_eq(img.fd, -1);
    }
    reload_image_discard(&img);
    return rc;
}

/* The request for some bytes (base64 and SHA-256), through a file. */
static probe_reload request_for_bytes(const void *bytes, size_t size)
{
    char path[] = "/tmp/podbug-reload-bytes-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, bytes, size), (ssize_t)size);
    close(fd);
    probe_reload req = reload_fixture_request(path, 1);
    unlink(path);
    return req;
}

Test(reload_image, bad_base64_is_refused)
{
    char err[ERR_LEN];
    const char *zeros = "0000000000000000000000000000000000000000000000000000000000000000";
    cr_expect_eq(decode("AAA", zeros, err), -1);
    cr_expect_str_eq(err, "library: not valid base64");
    cr_expect_eq(decode("AA*A", zeros, err), -1);
    cr_expect_str_eq(err, "library: not valid base64");
    cr_expect_eq(decode("", zeros, err), -1);
    cr_expect_str_eq(err, "library: the library is empty");
}

Test(reload_image, a_checksum_mismatch_is_refused)
{
    probe_reload req = request_for_bytes("hello world!", 12);
    char err[ERR_LEN];
    char wrong[65];
    snprintf(wrong, sizeof wrong, "%s", req.sha256);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    cr_expect_eq(decode(req.library, wrong, err), -1);
    cr_expect(strncmp(err, "checksum mismatch: the library's SHA-256 is ", 44) == 0, "%s", err);
    cr_expect(strstr(err, req.sha256) != NULL, "%s", err);
    cr_expect_eq(decode(req.library, "abc", err), -1);
    cr_expect(strncmp(err, "checksum mismatch", 17) == 0, "%s", err);
    probe_reload_free(&req);
}

Test(reload_image, bytes_that_are_no_shared_library_are_refused)
{
    probe_reload req = request_for_bytes("hello world!", 12);
    char err[ERR_LEN];
    cr_expect_eq(decode(req.library, req.sha256, err), -1);
    cr_expect_str_eq(err, "the library is not an x86-64 shared library (ELF64, ET_DYN)");
    probe_reload_free(&req);
}

/* The padding of base64 is not part of the bytes: with 0, 1 and 2 padding characters the SHA-256
 * of the decoded bytes still matches (the error comes from the ELF check after it). */
Test(reload_image, padding_is_not_decoded_as_bytes)
{
    for (size_t size = 12; size <= 14; size++) {
        probe_reload req = request_for_bytes("hello world!!!", size);
        char err[ERR_LEN];
        cr_expect_eq(decode(req.library, req.sha256, err), -1);
        cr_expect(strncmp(err, "the library is not", 18) == 0, "size %zu: %s", size, err);
        probe_reload_free(&req);
    }
}

static fixture library;
static void remove_library(void) { fixture_remove(&library); }

Test(reload_image, a_valid_library_loads_from_its_memfd, .fini = remove_library)
{
    reload_fixture_build(&library, "cc -g -O2 -Wl,-soname,libhandlers.so.1", 2, false);
    probe_reload req = reload_fixture_request(library.library, 1);
    reload_image img;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload_image_decode(req.library, req.sha256, &img, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(img.soname, "libhandlers.so.1");
    cr_assert_eq(reload_image_load(&img, "libhandlers.so", err, sizeof err), 0, "%s", err);
    cr_expect(strncmp(img.path, "/proc/self/fd/", 14) == 0, "%s", img.path);
    int (*version)(void) = (int (*)(void))dlsym(img.handle, "version");
    cr_assert_not_null(version);
    cr_expect_eq(version(), 2);
    cr_expect(img.low <= (uintptr_t)version && (uintptr_t)version < img.high);
    uint64_t value;
    cr_assert(reload_elf_find_symbol(&img.elf, "version", &value));
    cr_expect_eq(img.bias + value, (uintptr_t)version);
    cr_expect(reload_elf_find_symbol(&img.elf, "counter", &value), "a file static is in .symtab");
    cr_expect_not(reload_elf_find_symbol(&img.elf, "no_such_symbol", &value));

    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", img.fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    cr_assert_gt(n, 0);
    target[n] = '\0';
    cr_expect(strstr(target, "memfd:libhandlers.so") != NULL, "the memfd is named after the library: %s", target);
    reload_image_discard(&img);
    cr_expect_eq(img.fd, -1);
    probe_reload_free(&req);
}

Test(reload_image, a_missing_symbol_gives_dlopens_reason)
{
    char dir[] = "/tmp/podbug-reload-undefined-XXXXXX", command[512], path[300];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/libundefined.so", dir);
    snprintf(command, sizeof command,
             "echo 'int missing_everywhere(void); int f(void) { return missing_everywhere(); }' | "
             "cc -shared -fPIC -x c -o '%s' -", path);
    cr_assert_eq(system(command), 0);
    probe_reload req = reload_fixture_request(path, 1);
    unlink(path);
    rmdir(dir);
    reload_image img;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload_image_decode(req.library, req.sha256, &img, err, sizeof err), 0, "%s", err);
    cr_expect_null(img.soname);
    cr_expect_eq(reload_image_load(&img, "libundefined.so", err, sizeof err), -1);
    cr_expect_str_eq(err, "cannot load the library: undefined symbol: missing_everywhere");
    reload_image_discard(&img);
    probe_reload_free(&req);
}
