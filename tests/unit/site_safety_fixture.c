/* Fixture library for test_site_safety: a straight-line function, an AVX one, a switch (a jump
 * table) and one whose unlikely path gcc -O2 splits off as split.cold. Built at -O0 and -O2. */
int counter, total;

int safe_line(int x)
{
    int y = x * 3 + counter;
    counter = y;
    total += y * 5;
    total ^= x;
    return y - 1;
}

typedef int v8si __attribute__((vector_size(32)));

__attribute__((target("avx2"))) void add_vectors(v8si *a, const v8si *b)
{
    *a += *b;
}

__attribute__((noinline, cold)) void report_negative(int x)
{
    counter -= x;
}

int split(const int *values, int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++) {
        int v = values[i];
        if (__builtin_expect(v < 0, 0)) {
            report_negative(v);
            v = -v * 5;
        } else {
            v = v * 3 + 1;
        }
        sum += v ^ counter;
    }
    return sum;
}

int dispatch(int op, int x)
{
    switch (op) {
    case 0: return x + 1;
    case 1: return x * 7;
    case 2: return x - 9;
    case 3: return x ^ 0x55;
    case 4: return x << 3;
    case 5: return x / 3;
    case 6: return x % 11;
    default: return -x;
    }
}
