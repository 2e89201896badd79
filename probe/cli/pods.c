/* `podbug pods`: the fleet as the server sees it (GET /api/pods), as a table or as JSON.
 * Columns: pod, namespace, pid, state, executable, labels. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "http_get.h"
#include "json_fields.h"

static void print_labels(const cJSON *pod)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(pod, "labels");
    const cJSON *label;
    const char *sep = "";
    cJSON_ArrayForEach(label, labels) {
        if (cJSON_IsString(label)) {
            printf("%s%s=%s", sep, label->string, label->valuestring);
            sep = ",";
        }
    }
}

static void print_table(const cJSON *pods)
{
    printf("%-24s %-12s %8s %-8s %-28s %s\n", "POD", "NAMESPACE", "PID", "STATE", "EXECUTABLE", "LABELS");
    const cJSON *pod;
    cJSON_ArrayForEach(pod, pods) {
        const char *exe = json_string(pod, "exe", "?");
        const char *base = strrchr(exe, '/');
        printf("%-24s %-12s %8d %-8s %-28s ", json_string(pod, "pod", "?"), json_string(pod, "namespace", "?"),
               (int)json_number(pod, "pid", 0), json_string(pod, "state", "?"), base ? base + 1 : exe);
        print_labels(pod);
        putchar('\n');
    }
}

int cli_pods(const server_url *server, int argc, char **argv)
{
    static const struct option longopts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
    int json = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'j') {
            fprintf(stderr, "podbug pods: unknown option '%s' (podbug pods [--json])\n", argv[optind - 1]);
            return 2;
        }
        json = 1;
    }
    int status;
    char *body;
    char err[256];
    if (http_get(server, "/api/pods", &status, &body, err, sizeof err) != 0) {
        fprintf(stderr, "podbug pods: %s\n", err);
        return 1;
    }
    cJSON *pods = cJSON_Parse(body);
    int rc = 0;
    if (status == 401) {
        body[strcspn(body, "\n")] = '\0';
        fprintf(stderr, "podbug pods: %s (set PODBUG_TOKEN)\n", body);
        rc = 1;
    } else if (status != 200 || !cJSON_IsArray(pods)) {
        fprintf(stderr, "podbug pods: the server at %s:%d answered %d with %s\n", server->host, server->port,
                status, cJSON_IsArray(pods) ? "a list" : "something that is not a list of pods");
        rc = 1;
    } else if (json) {
        char *text = cJSON_Print(pods);
        if (text)
            puts(text);
        free(text);
    } else {
        print_table(pods);
    }
    cJSON_Delete(pods);
    free(body);
    return rc;
}
