/* An order service for podbug's condition tests (stdin mode: one order per line,
 * "<amount> <user> <item0> <item1> <item2>"; user "-" is an anonymous order). Conditions are
 * evaluated at the line marked "BP:" in handle_order; every order prints one result line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct customer {
    char name[16];
    int tier;
};

struct coupon {
    int percent;
};

struct order {
    int id;
    int amount;
    const char *user;
    int items[3];
    struct customer *customer;  /* NULL for anonymous orders */
    struct coupon *coupon;      /* never given in these tests: NULL */
};

static struct customer customers[] = { { "alice", 1 }, { "bob", 2 }, { "carol", 3 } };

static struct customer *find_customer(const char *name)
{
    for (size_t i = 0; i < sizeof customers / sizeof customers[0]; i++)
        if (strcmp(customers[i].name, name) == 0)
            return &customers[i];
    return NULL;
}

__attribute__((noipa)) int discount(const struct order *o, int subtotal)
{
    int percent = o->coupon ? o->coupon->percent : 0;
    return subtotal * percent / 100;
}

__attribute__((noinline, noclone)) int handle_order(const struct order *o)
{
    int subtotal = o->amount + o->items[0] + o->items[1] + o->items[2];
    int total = subtotal - discount(o, subtotal); /* BP:handle_order */
    printf("order id=%d user=%s total=%d\n", o->id, o->user, total);
    fflush(stdout);
    return total;
}

int main(void)
{
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    char line[128], user[32];
    for (int id = 1; fgets(line, sizeof line, stdin); id++) {
        struct order o = { .id = id };
        if (sscanf(line, "%d %31s %d %d %d", &o.amount, user, &o.items[0], &o.items[1], &o.items[2]) != 5) {
            printf("order id=%d rejected\n", id);
            fflush(stdout);
            continue;
        }
        o.user = user;
        o.customer = find_customer(user);
        handle_order(&o);
    }
    return 0;
}
