/* Fixture library for test_debuginfo: types, variables and scopes the DWARF index must describe.
 * The test builds it at run time (-O0, -O2, DWARF 4 and 5) and finds lines by their MARK: tags. */
#include <stddef.h>

enum color { RED, GREEN = 5, BLUE };
enum delta { DOWN = -1, SAME, UP };

struct point {
    int x, y;
};

struct rect {
    struct point origin; /* a nested struct */
    struct point size;
};

union value {
    int i;
    double d;
    unsigned char bytes[8];
};

struct flags {
    unsigned int ready : 1;
    signed int level : 4;
    unsigned int code : 10; /* bits 5..14: crosses a byte boundary */
    signed int delta : 7;   /* bits 15..21 */
    unsigned char tail;
};

typedef struct node {
    int value;
    struct node *next; /* self-referential */
} node_t;

typedef int (*handler_fn)(int, char *);

struct message {
    int length;
    char data[]; /* flexible array member */
};

struct request {
    const char *name;
    char tag[16];
    struct rect area;
    union value payload;
    enum color color;
    enum delta trend;
    struct flags flags;
    struct point corners[4]; /* an array of structs */
    handler_fn handler;
    node_t *list;
    int matrix[2][3];
    struct message *message;
};

int fixture_handler(int code, char *text);

node_t fixture_nodes[2] = { { 10, &fixture_nodes[1] }, { 20, NULL } };
struct flags fixture_flags = { 1, -3, 0x2a5, -17, 0x7e };
struct request fixture_request = {
    .name = "order",
    .tag = "tagged",
    .area = { { 1, 2 }, { 30, 40 } },
    .color = GREEN,
    .trend = DOWN,
    .handler = fixture_handler,
    .list = fixture_nodes,
};
static int fixture_counter = 7; /* a file static */
volatile int fixture_sink;

/* Ground truth for the layout checks, as this compiler lays the types out. */
const size_t fixture_layout[] = {
    sizeof(struct request), offsetof(struct request, area), offsetof(struct request, payload),
    offsetof(struct request, flags), offsetof(struct request, corners),
    offsetof(struct request, matrix), sizeof(union value), sizeof(struct flags),
    offsetof(struct flags, tail),
};

int *fixture_counter_address(void)
{
    return &fixture_counter;
}

/* In .text.unlikely at -O2: the unit's code is in two sections, so it has DW_AT_ranges. */
__attribute__((cold, noinline)) int fixture_rarely(int v)
{
    return v - fixture_counter;
}

__attribute__((noinline)) int fixture_handler(int code, char *text)
{
    return code + (text ? text[0] : 0);
}

static inline __attribute__((always_inline)) int scaled(int v)
{
    static int uses; /* a static of an inlined function: only in its abstract origin */
    int doubled = v * 2;
    fixture_sink = doubled; /* MARK:inlined */
    uses += fixture_sink;
    return doubled + fixture_counter + uses;
}

__attribute__((noinline)) int fixture_work(struct request *req, int limit)
{
    static int calls; /* a function static */
    int total = 0; /* MARK:total */
    const int scale = 3, offset = -2; /* constants: DW_AT_const_value at -O2 */
    calls++;
    for (int i = 0; i < limit; i++) {
        int square = i * i;
        {
            int inner = square + req->flags.level;
            total += inner * fixture_counter * scale + offset; /* MARK:inner_block */
        }
    }
    return total + calls;
}

__attribute__((noinline)) int fixture_caller_a(int v)
{
    return scaled(v) + 1; /* MARK:call_a */
}

__attribute__((noinline)) int fixture_caller_b(int v)
{
    return scaled(v + 1) - 1; /* MARK:call_b */
}
