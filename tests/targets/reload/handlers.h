/* The interface of libhandlers.so, the library the hot-reload tests swap in running processes:
 * the request handler, its counters, and what each version's handle() returns. */
#ifndef PODBUG_TEST_HANDLERS_H
#define PODBUG_TEST_HANDLERS_H

struct request {
    int id;
    int amount;
};

/* What handle() returns in each version: distinct for every amount >= 0, so a caller can tell
 * which code answered. handlers_crash.c and handlers_hook.c answer as v2. */
#define HANDLERS_V1_RESULT(amount) ((amount) * 2)
#define HANDLERS_V2_RESULT(amount) ((amount) * 3 + 1)
#define HANDLERS_V3_RESULT(amount) ((amount) * 5 + 3)

int handle(const struct request *r);

/* Every call of handle() counts once in each: a global, a file static and a function static. */
long handlers_total(void);
long handlers_here(void);
long handlers_calls(void);

#endif
