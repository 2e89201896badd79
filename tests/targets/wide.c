/* A target for the variables benchmark: a struct of 50 fields and a request whose user has a
 * name, reached at the marked breakpoint line each time a line arrives on stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wide {
    int f00, f01, f02, f03, f04, f05, f06, f07, f08, f09;
    int f10, f11, f12, f13, f14, f15, f16, f17, f18, f19;
    int f20, f21, f22, f23, f24, f25, f26, f27, f28, f29;
    int f30, f31, f32, f33, f34, f35, f36, f37, f38, f39;
    int f40, f41, f42, f43, f44, f45, f46, f47, f48, f49;
};

struct user {
    const char *name;
    int id;
};

struct req {
    struct user *user;
    struct wide *wide;
    int amount;
};

__attribute__((noinline)) int handle(struct req *req)
{
    int sum = req->wide->f00 + req->wide->f49 + req->amount; /* BP:handle */
    return sum + (int)strlen(req->user->name);
}

int main(void)
{
    static struct wide wide;
    int *fields = &wide.f00;
    for (int i = 0; i < 50; i++)
        fields[i] = i * 3;
    struct user user = { "alice", 7 };
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        struct req req = { &user, &wide, atoi(line) };
        printf("sum %d\n", handle(&req));
        fflush(stdout);
    }
    return 0;
}
