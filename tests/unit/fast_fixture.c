/* Fixture library for test_fast_sites: functions with fast breakpoints on their lines (a short
 * function, a loop body, a RIP-relative load with doubles live in xmm registers, a frame whose
 * registers the hit must see). Built at -O0 and -O2; lines are found by their MARK: tags. */
static volatile int fast_scale = 3;
volatile long fast_fixture_sink;

__attribute__((noipa)) int fast_fixture_short(int x)
{
    return x * fast_scale + 1; /* MARK:short */
}

__attribute__((noipa)) long fast_fixture_loop(int n)
{
    long total = 0;
    for (int i = 0; i < n; i++) {
        total += (long)i * fast_scale; /* MARK:loop */
        total ^= i >> 3;
    }
    return total;
}

__attribute__((noipa)) double fast_fixture_float(double a, double b, int k)
{
    double c = a * b, d = a + b, e = a - b, f = b / (a + 1.0);
    int s = fast_scale + k; /* MARK:float */
    return (c + d * s) * (e - f) + s * f;
}

__attribute__((noipa)) long fast_fixture_frame(long x, long y)
{
    long z = x * 7 + y;
    fast_fixture_sink = z; /* MARK:frame */
    return z - x;
}
