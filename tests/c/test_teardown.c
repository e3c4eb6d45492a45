/* The error accessors during thread teardown: a pthread key's destructor runs after the
 * thread's Rust thread-locals are gone (glibc runs C++/Rust TLS destructors first), as in a
 * legacy system that logs the last vngate error from its own per-thread cleanup. The accessors
 * must answer (an empty string), never abort the process. */
#include <pthread.h>

#include "harness.h"

static pthread_key_t key;
static int answered = 0;
static int empty = 0;

static void cleanup(void *value) {
    (void)value;
    const char *message = vngate_last_error_message();
    const char *json = vngate_last_error_json();
    answered += (message != NULL) + (json != NULL);
    empty += (message != NULL && message[0] == '\0') + (json != NULL && json[0] == '\0');
}

static void *worker(void *arg) {
    (void)arg;
    vngate_client *client = NULL;
    /* A failure, so that this thread's last-error slot exists and has a destructor. */
    vngate_client_new("nokia", "{}", &client);
    pthread_setspecific(key, (void *)1);
    return NULL;
}

int main(void) {
    CHECK(pthread_key_create(&key, cleanup) == 0, "key");
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, worker, NULL) == 0, "thread");
    pthread_join(thread, NULL);
    CHECK(answered == 2, "both accessors answered during teardown: %d", answered);
    printf("# teardown: %d accessors answered, %d with an empty string\n", answered, empty);
    return finish();
}
