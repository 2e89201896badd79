/* A small "shop" service whose request handler holds a rich set of C types, for podbug's variables
 * tests (stdin mode: one request per line). Lines marked "BP:<name>" are where tests stop. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum color { RED, GREEN = 5, BLUE };

typedef unsigned int quantity_t;

struct flags {
    unsigned int urgent : 1;
    signed int level : 4;
    unsigned int kind : 3;
};

struct point { int x; int y; };
struct box { struct point min; struct point max; };

union number { int i; float f; unsigned char bytes[4]; };

struct item { char name[16]; int price; quantity_t qty; };

struct node { int value; struct node *next; };

typedef int (*fee_fn)(int amount);

struct req {
    int id;
    int sequence;
    int amount;
    const char *user;
    char name[16];
    enum color color;
    bool paid;
    double ratio;
    struct flags flags;
    struct box area;
    union number num;
    struct item items[3];
    fee_fn fee;
    struct node *list;
    struct node *missing;
};

int global_counter = 42;
int squares[100];
const char *admin_name = "admin";
volatile char status_code = 'k';
static struct point origin = { 3, 0 }; /* y is set at start-up, so -O2 keeps it in memory */

__attribute__((noinline, noclone)) int standard_fee(int amount)
{
    return amount / 100 + 1;
}

__attribute__((noinline, noclone)) int list_length(const struct node *n)
{
    int len = 0;
    for (; n; n = n->next)
        len++;
    return len;
}

/* Reads the request from memory after the breakpoint, so that setVariable changes the result. */
__attribute__((noipa)) int checkout_total(const struct req *r)
{
    return r->amount + r->items[2].price * (int)r->items[2].qty + origin.x;
}

__attribute__((noipa)) int loyalty_percent(const struct req *r)
{
    return r->color == GREEN ? 10 : 5;
}

/* Inlined at every level: at the breakpoint the stack shows it as a frame of its own. */
static inline __attribute__((always_inline)) int loyalty_discount(const struct req *r, int amount)
{
    int percent = loyalty_percent(r); /* BP:loyalty_discount */
    return amount * percent / 100;
}

__attribute__((noinline, noclone)) int process(struct req *r, struct node *list, int amount)
{
    static int calls;
    r->sequence = ++calls; /* stored before the opaque call below, so before the breakpoint */
    int fee = r->fee(amount);
    int depth = list_length(list);
    int total = checkout_total(r); /* BP:process */
    int discount = loyalty_discount(r, amount); /* CALL:loyalty_discount */
    return total + fee - discount + depth + list->value;
}

__attribute__((noinline, noclone)) int handle_line(const char *line, int id)
{
    struct node third = { 30, NULL };
    struct node second = { 20, &third };
    struct node first = { 10, &second };
    quantity_t units = 4;
    struct req req = {
        .id = id, .amount = atoi(line), .user = "alice", .name = "order-7", .color = GREEN,
        .paid = true, .ratio = 0.25, .flags = { 1, -3, 5 }, .area = { { 1, 2 }, { 10, 20 } },
        .num = { .i = 0x40600000 },
        .items = { { "apple", 120, 3 }, { "pear", 80, 0 }, { "plum", 250, 2 } },
        .fee = standard_fee, .list = &first, .missing = NULL,
    };
    int result = process(&req, &first, req.amount); /* CALL:process */
    printf("result id=%d sequence=%d user=%s amount=%d total=%d units=%u\n", id, req.sequence, req.user,
           req.amount, result, units);
    fflush(stdout);
    return result;
}

int main(void)
{
    for (int i = 0; i < 100; i++)
        squares[i] = i * i;
    origin.y = squares[2];
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    for (int id = 1; fgets(line, sizeof line, stdin); id++)
        handle_line(line, id);
    return 0;
}
