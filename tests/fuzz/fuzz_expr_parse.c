/* libFuzzer target for probe/expr_parse: any text either parses into a tree (freed without
 * leaks) or fails with a message; a tree's positions always point into the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

/* Walks the tree checking what every node promises. */
static void check_tree(const expr_node *e, size_t text_len)
{
    if (e->position > text_len)
        abort();
    if ((e->kind == EXPR_IDENT || e->kind == EXPR_MEMBER || e->kind == EXPR_ARROW ||
         e->kind == EXPR_CALL) && (!e->name || !e->name[0]))
        abort();
    if (e->kind == EXPR_CAST && (!e->type_name || !e->lhs))
        abort();
    if (e->kind == EXPR_STRING && (!e->string || e->string[e->string_len] != '\0'))
        abort();
    if (e->kind == EXPR_INT && !e->literal_type)
        abort();
    const expr_node *children[] = {e->cond, e->lhs, e->rhs};
    for (size_t i = 0; i < 3; i++)
        if (children[i])
            check_tree(children[i], text_len);
    for (size_t i = 0; i < e->n_args; i++)
        check_tree(e->args[i], text_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256] = "";
    expr_node *e = expr_parse(text, err, sizeof err);
    if (e) {
        check_tree(e, strlen(text));
        expr_free(e);
    } else if (err[0] == '\0') {
        abort(); /* a failure always says why */
    }
    free(text);
    return 0;
}
