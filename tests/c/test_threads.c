/* One client shared by 16 threads, each making CALLS calls (charge then check), against the
 * simulator. Prints the figures; zero errors expected. */
#include <pthread.h>
#include <time.h>

#include "harness.h"

#define THREADS 16

static vngate_client *shared;
static int calls_per_thread = 50;

struct work {
    int index;
    int ok;
    int errors;
};

static void *worker(void *arg) {
    struct work *w = arg;
    for (int i = 0; i < calls_per_thread; i++) {
        char card[256], *out = NULL;
        snprintf(card, sizeof card,
                 "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":10000,\"request_id\":\"t%d-%d\"}",
                 w->index, i);
        const char *op = (i % 2 == 0) ? "charge" : "check";
        if (i % 2 == 1) {
            snprintf(card, sizeof card,
                     "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":10000,\"request_id\":\"t%d-%d\"}",
                     w->index, i - 1);
        }
        vngate_result r = vngate_client_call(shared, op, card, &out);
        if (r == VNGATE_RESULT_OK && strstr(out, "\"status\":") != NULL && strstr(out, "REQUEST_ID_EXISTED") == NULL) {
            w->ok++;
        } else {
            w->errors++;
        }
        vngate_string_free(out);
    }
    return NULL;
}

/* Resident set size in KiB, from /proc. */
static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

int main(int argc, char **argv) {
    if (argc > 1) calls_per_thread = atoi(argv[1]);
    shared = sim_client("chargingws", "", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"");
    long rss_before = rss_kib();
    pthread_t threads[THREADS];
    struct work work[THREADS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < THREADS; i++) {
        work[i] = (struct work){.index = i, .ok = 0, .errors = 0};
        pthread_create(&threads[i], NULL, worker, &work[i]);
    }
    int ok = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        ok += work[i].ok;
        errors += work[i].errors;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# threads: %d threads x %d calls on one client: %d ok, %d errors, %.2f s, %.0f calls/s, RSS %ld -> %ld KiB\n",
           THREADS, calls_per_thread, ok, errors, seconds, (ok + errors) / seconds, rss_before, rss_kib());
    CHECK(errors == 0, "%d errors", errors);
    CHECK(ok == THREADS * calls_per_thread, "%d ok", ok);
    vngate_client_free(shared);
    return finish();
}
