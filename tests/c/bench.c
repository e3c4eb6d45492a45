/*
 * The C front of `make bench` (scripts/bench.sh): prints calls (or verifications) per second.
 *   bench call URL SECS        chargingws check over one client (pooled connection)
 *   bench money URL SECS       chargingws charge (a connection of its own per call)
 *   bench verify FILE SECS     the signed callback in FILE, verified
 *   bench threads URL SECS     16 threads sharing one client (against a slow server)
 *   bench memory URL FILE N    RSS over N pooled checks, then N verifications of FILE
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vngate.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *CARD = "{\"telco\":\"VIETTEL\",\"code\":\"312821445892980\",\"serial\":\"10004783347874\","
                          "\"amount\":10000,\"request_id\":\"bench-1\"}";

struct shared {
    struct vngate_client *client;
    double deadline;
    long calls;
    pthread_mutex_t lock;
};

static void *worker(void *arg) {
    struct shared *s = arg;
    long n = 0;
    while (now() < s->deadline) {
        char *out = NULL;
        if (vngate_client_call(s->client, "check", CARD, &out) != VNGATE_RESULT_OK) {
            fprintf(stderr, "%s\n", vngate_last_error_message());
            exit(1);
        }
        vngate_string_free(out);
        n++;
    }
    pthread_mutex_lock(&s->lock);
    s->calls += n;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* RSS in KiB (the second field of /proc/self/statm, in pages). */
static long rss_kib(void) {
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

/* One call of the memory run: a pooled check, or a verification of `body`. */
static void one(struct vngate_client *client, const char *body, size_t len) {
    char *out = NULL;
    enum vngate_result r = body != NULL ? vngate_client_parse_callback(client, body, len, &out)
                                        : vngate_client_call(client, "check", CARD, &out);
    if (r != VNGATE_RESULT_OK) {
        fprintf(stderr, "%s\n", vngate_last_error_message());
        exit(1);
    }
    vngate_string_free(out);
}

/* RSS after 10 000 warm-up calls, halfway through n and after them, printed as a/b/c. */
static void memory(struct vngate_client *client, const char *body, long n) {
    size_t len = body != NULL ? strlen(body) : 0;
    for (int i = 0; i < 10000; i++) one(client, body, len);
    long before = rss_kib(), halfway = 0;
    for (long i = 0; i < n; i++) {
        if (i == n / 2) halfway = rss_kib();
        one(client, body, len);
    }
    printf("%ld/%ld/%ld", before, halfway, rss_kib());
}

/* The bench's chargingws client of `url`; exits on failure. */
static struct vngate_client *bench_client(const char *url) {
    /* VNGATE_BENCH_CA: a CA file to trust (the bench's TLS server). */
    const char *ca = getenv("VNGATE_BENCH_CA");
    char config[1024];
    snprintf(config, sizeof config,
             "{\"base_url\":\"%s\",\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"%s%s%s}", url,
             ca != NULL ? ",\"ca_file\":\"" : "", ca != NULL ? ca : "", ca != NULL ? "\"" : "");
    struct vngate_client *client = NULL;
    if (vngate_client_new("chargingws", config, &client) != VNGATE_RESULT_OK) {
        fprintf(stderr, "%s\n", vngate_last_error_message());
        exit(1);
    }
    return client;
}

/* The signed callback in `path`, into `body` (NUL-terminated); exits on failure. */
static void read_callback(const char *path, char *body, size_t size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL || fread(body, 1, size - 1, f) == 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "memory") == 0) {
        char body[2048] = {0};
        read_callback(argv[3], body, sizeof body);
        struct vngate_client *client = bench_client(argv[2]);
        long n = atol(argv[4]);
        memory(client, NULL, n);
        printf(" ");
        memory(client, body, n);
        printf("\n");
        vngate_client_free(client);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: bench call|money|verify|threads URL|FILE SECS\n");
        return 2;
    }
    const char *mode = argv[1];
    double secs = atof(argv[3]);
    char body[2048] = {0};
    if (strcmp(mode, "verify") == 0) read_callback(argv[2], body, sizeof body);
    struct vngate_client *client = bench_client(strcmp(mode, "verify") == 0 ? "http://127.0.0.1:9" : argv[2]);
    const char *card = CARD;
    if (strcmp(mode, "threads") == 0) {
        struct shared s = {client, now() + secs, 0, PTHREAD_MUTEX_INITIALIZER};
        pthread_t threads[16];
        double started = now();
        for (int i = 0; i < 16; i++) pthread_create(&threads[i], NULL, worker, &s);
        for (int i = 0; i < 16; i++) pthread_join(threads[i], NULL);
        printf("%.0f\n", (double)s.calls / (now() - started));
        vngate_client_free(client);
        return 0;
    }
    const char *operation = strcmp(mode, "money") == 0 ? "charge" : "check";
    size_t len = strlen(body);
    long n = 0;
    double started = now(), deadline = started + secs;
    while (now() < deadline) {
        for (int i = 0; i < 16; i++) {
            char *out = NULL;
            enum vngate_result r = strcmp(mode, "verify") == 0
                                       ? vngate_client_parse_callback(client, body, len, &out)
                                       : vngate_client_call(client, operation, card, &out);
            if (r != VNGATE_RESULT_OK) {
                fprintf(stderr, "%s\n", vngate_last_error_message());
                return 1;
            }
            vngate_string_free(out);
        }
        n += 16;
    }
    printf("%.0f\n", (double)n / (now() - started));
    vngate_client_free(client);
    return 0;
}
