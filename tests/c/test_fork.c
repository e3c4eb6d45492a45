/* A client used before fork(), then by both processes: a C daemon that forks workers,
 * gunicorn --preload, celery prefork. Parent and child each make 50 charges and 50 checks with
 * ids of their own against the keep-alive simulator, which echoes every request_id; a reply
 * that is not the caller's own (or no reply) counts as crossed. Run once with the default
 * config and once with reuse_connections_for_money, where the money calls share the pool too. */
#include <sys/wait.h>

#include "harness.h"

#define CALLS 50

/* Makes CALLS charge + check pairs tagged `who`; returns how many replies were not its own. */
static int calls(const vngate_client *client, const char *who) {
    int crossed = 0;
    for (int i = 0; i < CALLS; i++) {
        char card[256], expected[64];
        snprintf(expected, sizeof expected, "\"request_id\":\"%s-%d\"", who, i);
        snprintf(card, sizeof card,
                 "{\"telco\":\"VIETTEL\",\"code\":\"312821445892980\",\"serial\":\"10004783347874\","
                 "\"amount\":10000,\"request_id\":\"%s-%d\"}", who, i);
        const char *ops[] = {"charge", "check"};
        for (int k = 0; k < 2; k++) {
            char *out = NULL;
            vngate_result r = call(client, ops[k], card, &out);
            if (r != VNGATE_RESULT_OK || strstr(out, expected) == NULL) {
                crossed++;
                printf("# %s %s %d: result %d, %s\n", who, ops[k], i, (int)r,
                       out ? out : vngate_last_error_message());
            }
            vngate_string_free(out);
        }
    }
    return crossed;
}

static void run(const char *label, const char *members) {
    vngate_client *client = sim_client("chargingws", "", members);
    /* Use the client before the fork, so that its pool holds a kept-alive connection. */
    char *out = NULL;
    CHECK(call(client, "fees", "{}", &out) == VNGATE_RESULT_OK, "fees before fork");
    vngate_string_free(out);
    char tag[64];
    snprintf(tag, sizeof tag, "%s-child", label);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int crossed = calls(client, tag);
        fflush(stdout);
        _exit(crossed > 100 ? 100 : crossed);
    }
    snprintf(tag, sizeof tag, "%s-parent", label);
    int crossed_parent = calls(client, tag);
    int status = 0;
    waitpid(child, &status, 0);
    int crossed_child = WIFEXITED(status) ? WEXITSTATUS(status) : 1000;
    printf("# fork (%s): parent %d x 2 calls, %d crossed; child %d x 2 calls, %d crossed\n",
           label, CALLS, crossed_parent, CALLS, crossed_child);
    CHECK(crossed_parent == 0, "parent: %d replies crossed (%s)", crossed_parent, label);
    CHECK(crossed_child == 0, "child: %d replies crossed (%s)", crossed_child, label);
    vngate_client_free(client);
}

int main(void) {
    run("default", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"");
    run("pooled", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\","
                  "\"reuse_connections_for_money\":true");
    return finish();
}
