/* A login "service" holding secrets for podbug's redaction tests: a struct with an api_key next to
 * normal fields, a local password and a global db_secret (stdin mode: one user name per line). */
#include <stdio.h>
#include <string.h>

struct service_config {
    char host[16];
    int port;
    char api_key[32];
};

char db_secret[32] = "db-Zq7Wx3Vy9Kp2";
static struct service_config config = { "db.internal", 5432, "sk-live-4f9a8b7c6d5e" };

__attribute__((noinline)) int handle_login(const struct service_config *cfg, const char *user,
                                           int attempt)
{
    char password[32];
    snprintf(password, sizeof password, "hunter2-%s-%d", user, attempt);
    int checked = (int)strlen(password) + cfg->port + (db_secret[0] != 0); /* BP:login */
    printf("login %s attempt %d -> %d\n", user, attempt, checked);
    fflush(stdout);
    return checked;
}

int main(void)
{
    char line[64];
    int attempt = 0;
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        handle_login(&config, line, ++attempt);
    }
    return 0;
}
