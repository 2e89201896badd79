/* Fixture library for test_cfa_rule: functions whose CFA rules the test compares with libunwind's
 * CFA (built at run time at -O0 and -O2); each calls the test's probe, which unwinds from there. */
typedef int (*cfa_probe)(int);

int cfa_fixture_data = 7;

/* -O0: a frame pointer (CFA rbp+16 after the prologue); -O2: one push (rsp+16). */
int cfa_fixture_work(cfa_probe probe, int n)
{
    int a = probe(n);
    return a + n * 3;
}

/* A variable-length array beside an over-aligned local: gcc -O0 realigns the stack through a
 * dynamic realignment pointer, and the CFA at the call is a DWARF expression. */
int cfa_fixture_realigned(cfa_probe probe, int n)
{
    volatile int big[4] __attribute__((aligned(64)));
    char vla[n];
    vla[0] = 1;
    big[0] = probe(n + vla[0]);
    return big[0] + n;
}

static void release_held(int *held)
{
    cfa_fixture_data += *held;
}

/* Built with -fexceptions, the cleanup also runs when an exception unwinds through the call: gcc
 * gives the function a landing pad (an LSDA in its FDE). */
int cfa_fixture_cleanup(cfa_probe probe, int n)
{
    int held __attribute__((cleanup(release_held))) = n;
    return probe(held);
}
