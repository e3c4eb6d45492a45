/* A small test harness for the C suites: checks that count, and a client for the simulator's
 * control endpoints (plain HTTP/1.1 over a loopback socket). */
#ifndef VNGATE_TEST_HARNESS_H
#define VNGATE_TEST_HARNESS_H



#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vngate.h"

static int passed = 0;
static int failed = 0;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            passed++;                                                         \
        } else {                                                              \
            failed++;                                                         \
            printf("not ok - %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
            printf(__VA_ARGS__);                                              \
            printf(" (last error: %s)\n", vngate_last_error_message());       \
        }                                                                     \
    } while (0)

/* Prints the closing line the test runner adds up, and the exit code. */
static inline int finish(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* The simulator's URL, from VNGATE_SIM_URL (http://127.0.0.1:PORT). */
static inline const char *sim_url(void) {
    const char *url = getenv("VNGATE_SIM_URL");
    if (url == NULL) {
        fprintf(stderr, "VNGATE_SIM_URL is not set: run through tests/c/run.sh\n");
        exit(2);
    }
    return url;
}

/* POSTs `body` to the simulator's `path`; copies the reply body into `out` (may be NULL). */
static inline int sim_post(const char *path, const char *body, char *out, size_t out_len) {
    int port = atoi(strrchr(sim_url(), ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        return -1;
    }
    char request[4096];
    int n = snprintf(request, sizeof request,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, strlen(body), body);
    if (write(fd, request, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    char reply[8192];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof reply - 1 && (r = read(fd, reply + got, sizeof reply - 1 - got)) > 0) {
        got += (size_t)r;
    }
    reply[got] = '\0';
    close(fd);
    const char *start = strstr(reply, "\r\n\r\n");
    if (out != NULL && out_len > 0) {
        snprintf(out, out_len, "%s", start ? start + 4 : "");
    }
    return 0;
}

/* Provider requests the simulator has seen. */
static inline long sim_requests(void) {
    char body[256];
    if (sim_post("/__sim/stats", "", body, sizeof body) != 0) {
        return -1;
    }
    const char *n = strstr(body, "\"requests\":");
    return n ? atol(n + strlen("\"requests\":")) : -1;
}

static inline void sim_faults(const char *mode, int latency_ms) {
    char body[128], reply[512];
    snprintf(body, sizeof body, "{\"mode\":\"%s\",\"latency_ms\":%d}", mode, latency_ms);
    if (sim_post("/__sim/faults", body, reply, sizeof reply) != 0 || strstr(reply, "\"ok\"") == NULL) {
        fprintf(stderr, "the simulator refused faults %s: %s\n", body, reply);
        exit(2);
    }
}

/* Builds a client for `provider` with a config whose base_url is the simulator's; the caller
 * passes the rest of the config as JSON members. */
static inline vngate_client *sim_client(const char *provider, const char *path, const char *members) {
    char config[2048];
    snprintf(config, sizeof config, "{\"base_url\":\"%s%s\",%s}", sim_url(), path, members);
    vngate_client *client = NULL;
    vngate_result r = vngate_client_new(provider, config, &client);
    if (r != VNGATE_RESULT_OK) {
        printf("not ok - cannot build %s: %s\n", provider, vngate_last_error_message());
        exit(1);
    }
    return client;
}

/* Runs one call; returns its result and leaves the response (or NULL) in *out. */
static inline vngate_result call(const vngate_client *client, const char *op, const char *json, char **out) {
    *out = NULL;
    return vngate_client_call(client, op, json, out);
}

#endif
