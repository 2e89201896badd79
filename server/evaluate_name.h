/* Comparing the evaluate names of captured variables with what a user types: "o->amount",
 * "(*o).amount" and "o -> amount" name the same thing. */
#ifndef PODBUG_EVALUATE_NAME_H
#define PODBUG_EVALUATE_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* The canonical text of a simple expression: identifiers ($ allowed), unary '*', '.', '->',
 * '[' integer ']' and parentheses, with white space ignored. `p->m` becomes "(*p).m", every
 * dereference is parenthesized ("(*p)") and other parentheses go. Returns false when the
 * expression is anything else, or its canonical text does not fit in len. */
bool evaluate_name_canonical(const char *expression, char *out, size_t len);
/* Whether two expressions name the same thing: equal canonical texts, or, when either is not a
 * simple expression, equal texts but for white space. */
bool evaluate_names_match(const char *a, const char *b);

#endif
