/* libFuzzer target for server/auth_tokens: any token file text either parses into a table whose
 * every entry is well formed and found by its own token, or fails with a FILE:LINE message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    auth_tokens t;
    char err[512] = "";
    if (auth_tokens_parse(text, "fuzz.tokens", &t, err, sizeof err) != 0) {
        if (strncmp(err, "fuzz.tokens:", 12) != 0 || t.n != 0)
            abort();
    } else {
        for (size_t i = 0; i < t.n; i++) {
            const auth_token *e = &t.items[i];
            if (e->len < AUTH_TOKEN_MIN_LEN || e->len > AUTH_TOKEN_MAX_LEN || strlen(e->token) != e->len ||
                e->roles == 0 || !e->name || auth_tokens_find(&t, e->token, e->len) != e)
                abort();
        }
        auth_tokens_free(&t);
    }
    free(text);
    return 0;
}
