/* Unit tests for protocol/dap_framing: splitting a DAP byte stream into messages at any chunking,
 * header validation, size limits, sticky failure, bounded memory, and frame encoding. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dap_framing.h"

static const char *const bodies[] = {
    "{\"seq\":1,\"type\":\"request\",\"command\":\"initialize\"}",
    "{}",
    "{\"seq\":3,\"type\":\"event\",\"event\":\"output\",\"body\":{\"output\":\"\\r\\n\\r\\n\"}}",
};
#define N_BODIES (sizeof bodies / sizeof bodies[0])

/* The three bodies framed back to back, as a peer would send them. */
static char *three_message_stream(size_t *len)
{
    char *stream = NULL;
    *len = 0;
    for (size_t i = 0; i < N_BODIES; i++) {
        size_t frame_len;
        char *frame = dap_frame_encode(bodies[i], strlen(bodies[i]), &frame_len);
        cr_assert_not_null(frame);
        stream = realloc(stream, *len + frame_len);
        memcpy(stream + *len, frame, frame_len);
        *len += frame_len;
        free(frame);
    }
    return stream;
}

/* Drains every complete message, checking each against the next expected body. */
static void drain(dap_framer *f, size_t *received)
{
    const char *body;
    size_t body_len;
    char err[256];
    dap_frame_status status;
    while ((status = dap_framer_next(f, &body, &body_len, err, sizeof err)) == DAP_FRAME_MESSAGE) {
        cr_assert_lt(*received, N_BODIES, "more messages than were sent");
        cr_assert_eq(body_len, strlen(bodies[*received]));
        cr_assert_arr_eq(body, bodies[*received], body_len);
        (*received)++;
    }
    cr_assert_eq(status, DAP_FRAME_NEED_MORE, "unexpected error: %s", err);
}

/* Feeds the stream in chunks of the given sizes (cycled) and checks all messages come out. */
static void feed_in_chunks(const size_t *chunk_sizes, size_t n_sizes)
{
    size_t len, received = 0;
    char *stream = three_message_stream(&len);
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    for (size_t pos = 0, i = 0; pos < len; i++) {
        size_t chunk = chunk_sizes[i % n_sizes];
        if (chunk > len - pos)
            chunk = len - pos;
        cr_assert_eq(dap_framer_feed(&f, stream + pos, chunk), 0);
        pos += chunk;
        drain(&f, &received);
    }
    cr_assert_eq(received, N_BODIES);
    dap_framer_free(&f);
    free(stream);
}

Test(dap_framing, several_messages_in_one_feed)
{
    const size_t everything = SIZE_MAX;
    feed_in_chunks(&everything, 1);
}

Test(dap_framing, stream_split_at_every_byte)
{
    const size_t one = 1;
    feed_in_chunks(&one, 1);
}

Test(dap_framing, stream_split_at_every_position_into_two_feeds)
{
    size_t len;
    char *stream = three_message_stream(&len);
    for (size_t split = 1; split < len; split++) {
        size_t sizes[] = { split, len - split };
        feed_in_chunks(sizes, 2);
    }
    free(stream);
}

Test(dap_framing, stream_split_into_random_chunks)
{
    srand(12345);
    for (int round = 0; round < 200; round++) {
        size_t sizes[16];
        for (size_t i = 0; i < 16; i++)
            sizes[i] = 1 + (size_t)rand() % 40;
        feed_in_chunks(sizes, 16);
    }
}

/* Feeds raw text and returns the status of the first dap_framer_next. */
static dap_frame_status next_after_feeding(dap_framer *f, const char *text, const char **body,
                                           size_t *body_len, char *err, size_t err_len)
{
    cr_assert_eq(dap_framer_feed(f, text, strlen(text)), 0);
    return dap_framer_next(f, body, body_len, err, err_len);
}

Test(dap_framing, header_variants_are_accepted)
{
    static const char *const streams[] = {
        "content-length: 2\r\n\r\n{}",
        "CONTENT-LENGTH:2\r\n\r\n{}",
        "Content-Length: \t 2 \r\n\r\n{}",
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
        "Content-Length: 2\r\nX-Custom: a:b:c\r\n\r\n{}",
    };
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        dap_framer f;
        dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
        const char *body;
        size_t body_len;
        char err[256] = "";
        cr_assert_eq(next_after_feeding(&f, streams[i], &body, &body_len, err, sizeof err),
                     DAP_FRAME_MESSAGE, "stream %zu rejected: %s", i, err);
        cr_assert_eq(body_len, 2);
        cr_assert_arr_eq(body, "{}", 2);
        dap_framer_free(&f);
    }
}

Test(dap_framing, empty_body_is_a_message)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    const char *body;
    size_t body_len = 99;
    char err[256];
    cr_assert_eq(next_after_feeding(&f, "Content-Length: 0\r\n\r\n", &body, &body_len, err,
                                    sizeof err),
                 DAP_FRAME_MESSAGE);
    cr_assert_eq(body_len, 0);
    cr_assert_eq(dap_framer_next(&f, &body, &body_len, err, sizeof err), DAP_FRAME_NEED_MORE);
    dap_framer_free(&f);
}

Test(dap_framing, partial_header_and_partial_body_need_more)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    const char *body;
    size_t body_len;
    char err[256];
    cr_assert_eq(next_after_feeding(&f, "Content-Length: 7\r\n", &body, &body_len, err, sizeof err),
                 DAP_FRAME_NEED_MORE);
    cr_assert_eq(next_after_feeding(&f, "\r\n{\"a\"", &body, &body_len, err, sizeof err),
                 DAP_FRAME_NEED_MORE);
    cr_assert_eq(next_after_feeding(&f, ":", &body, &body_len, err, sizeof err),
                 DAP_FRAME_NEED_MORE);
    cr_assert_eq(next_after_feeding(&f, "1}", &body, &body_len, err, sizeof err),
                 DAP_FRAME_MESSAGE);
    cr_assert_arr_eq(body, "{\"a\":1}", 7);
    dap_framer_free(&f);
}

struct bad_stream {
    const char *text;
    const char *error;
};

static void expect_error(dap_framer *f, const struct bad_stream *c)
{
    const char *body;
    size_t body_len;
    char err[256] = "";
    cr_assert_eq(next_after_feeding(f, c->text, &body, &body_len, err, sizeof err),
                 DAP_FRAME_ERROR, "accepted: %s", c->text);
    cr_assert_str_eq(err, c->error, "stream: %s", c->text);
}

Test(dap_framing, malformed_headers_are_rejected_with_a_reason)
{
    static const struct bad_stream cases[] = {
        { "Content-Type: application/json\r\n\r\n{}", "DAP header has no Content-Length" },
        { "\r\n\r\n", "DAP header has no Content-Length" },
        { "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", "duplicate DAP Content-Length header" },
        { "Content-Length: -2\r\n\r\n{}", "DAP Content-Length \"-2\" is not a non-negative integer" },
        { "Content-Length: 2x\r\n\r\n{}", "DAP Content-Length \"2x\" is not a non-negative integer" },
        { "Content-Length: 1 2\r\n\r\n{}", "DAP Content-Length \"1 2\" is not a non-negative integer" },
        { "Content-Length:\r\n\r\n{}", "DAP Content-Length header has no value" },
        { "Content-Length: 99999999999999999999999\r\n\r\n",
          "DAP Content-Length \"99999999999999999999999\" overflows; the limit is 33554432 bytes" },
        { "Content-Length: 40000000\r\n\r\n",
          "DAP message of 40000000 bytes exceeds the limit of 33554432" },
        { "Content-Length 2\r\n\r\n{}",
          "malformed DAP header line \"Content-Length 2\" (expected \"Name: value\")" },
        { ": 2\r\n\r\n{}", "malformed DAP header line \": 2\" (expected \"Name: value\")" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dap_framer f;
        dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
        expect_error(&f, &cases[i]);
        dap_framer_free(&f);
    }
}

Test(dap_framing, custom_body_limit_is_enforced)
{
    dap_framer f;
    dap_framer_init(&f, 10);
    struct bad_stream c = { "Content-Length: 11\r\n\r\n", "DAP message of 11 bytes exceeds the limit of 10" };
    expect_error(&f, &c);
    dap_framer_free(&f);
}

Test(dap_framing, header_without_terminator_is_limited)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    char header[DAP_MAX_HEADER_BYTES + 1];
    memset(header, 'a', DAP_MAX_HEADER_BYTES);
    header[DAP_MAX_HEADER_BYTES] = '\0';
    header[DAP_MAX_HEADER_BYTES - 1] = '\0'; /* one byte short of the limit: still waiting */
    const char *body;
    size_t body_len;
    char err[256];
    cr_assert_eq(next_after_feeding(&f, header, &body, &body_len, err, sizeof err),
                 DAP_FRAME_NEED_MORE);
    struct bad_stream c = { "a", "DAP header exceeds 4096 bytes without the blank line that ends it" };
    expect_error(&f, &c);
    dap_framer_free(&f);
}

Test(dap_framing, failure_is_sticky)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    struct bad_stream c = { "Content-Length: x\r\n\r\n", "DAP Content-Length \"x\" is not a non-negative integer" };
    expect_error(&f, &c);
    c.text = "Content-Length: 2\r\n\r\n{}"; /* a valid message afterwards changes nothing */
    expect_error(&f, &c);
    expect_error(&f, &c);
    dap_framer_free(&f);
}

Test(dap_framing, messages_after_an_error_free_prefix_keep_flowing)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    const char *body;
    size_t body_len;
    char err[256];
    cr_assert_eq(next_after_feeding(&f, "Content-Length: 1\r\n\r\n1Content-Length: x\r\n\r\n",
                                    &body, &body_len, err, sizeof err),
                 DAP_FRAME_MESSAGE);
    cr_assert_arr_eq(body, "1", 1);
    cr_assert_eq(dap_framer_next(&f, &body, &body_len, err, sizeof err), DAP_FRAME_ERROR);
    dap_framer_free(&f);
}

Test(dap_framing, memory_does_not_grow_with_stream_length)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    size_t frame_len;
    char *frame = dap_frame_encode(bodies[0], strlen(bodies[0]), &frame_len);
    /* An endless repetition of one frame, fed a frame and a half at a time, so that the buffer
     * always holds a partial message when compaction happens. */
    char *repeated = malloc(3 * frame_len);
    for (int i = 0; i < 3; i++)
        memcpy(repeated + i * frame_len, frame, frame_len);
    size_t chunk = frame_len + frame_len / 2, pos = 0, messages = 0, cap_at_start = 0;
    for (int i = 0; i < 20000; i++) {
        cr_assert_eq(dap_framer_feed(&f, repeated + pos % frame_len, chunk), 0);
        pos += chunk;
        const char *body;
        size_t body_len;
        char err[256];
        while (dap_framer_next(&f, &body, &body_len, err, sizeof err) == DAP_FRAME_MESSAGE) {
            cr_assert_arr_eq(body, bodies[0], body_len);
            messages++;
        }
        if (i == 0)
            cap_at_start = f.cap;
    }
    cr_assert_eq(messages, pos / frame_len);
    cr_assert_leq(f.cap, cap_at_start, "buffer grew from %zu to %zu", cap_at_start, f.cap);
    dap_framer_free(&f);
    free(repeated);
    free(frame);
}

Test(dap_framing, encode_produces_an_exact_frame)
{
    size_t len;
    char *frame = dap_frame_encode("{\"a\":1}", 7, &len);
    const char expected[] = "Content-Length: 7\r\n\r\n{\"a\":1}";
    cr_assert_eq(len, sizeof expected - 1);
    cr_assert_arr_eq(frame, expected, len);
    free(frame);
}

Test(dap_framing, next_before_any_feed_needs_more)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    const char *body;
    size_t body_len;
    char err[256];
    cr_expect_eq(dap_framer_next(&f, &body, &body_len, err, sizeof err), DAP_FRAME_NEED_MORE);
    dap_framer_free(&f);
}

Test(dap_framing, zero_max_body_means_the_default)
{
    dap_framer f;
    dap_framer_init(&f, 0);
    cr_assert_eq(f.max_body, DAP_DEFAULT_MAX_BODY);
    dap_framer_free(&f);
}

Test(dap_framing, free_resets_the_framer)
{
    dap_framer f;
    dap_framer_init(&f, DAP_DEFAULT_MAX_BODY);
    cr_assert_eq(dap_framer_feed(&f, "Content-", 8), 0);
    dap_framer_free(&f);
    cr_assert_null(f.buf);
    cr_assert_eq(f.len, 0);
    dap_framer_free(&f); /* twice is harmless */
}
