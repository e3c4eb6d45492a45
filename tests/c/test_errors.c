/* Hostile replies through the ABI: outcome unknown with the caller's id, transport errors,
 * bad replies; all within the timeout. */
#include <time.h>

#include "harness.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
    vngate_client *c = sim_client("chargingws", "", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\",\"timeout_ms\":800");
    const char *modes[] = {"html_502", "garbage", "drop", "slow_body", "status_500", "truncated"};
    char *out = NULL;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        sim_faults(modes[i], 0);
        char card[256];
        snprintf(card, sizeof card, "{\"telco\":\"VIETTEL\",\"code\":\"312821445892980\",\"serial\":\"10004783347874\",\"amount\":10000,\"request_id\":\"err-%zu\"}", i);
        double t0 = now();
        vngate_result r = call(c, "charge", card, &out);
        double took = now() - t0;
        CHECK(r == VNGATE_RESULT_OUTCOME_UNKNOWN, "%s: charge gave %d", modes[i], (int)r);
        char want[64];
        snprintf(want, sizeof want, "\"reference\":\"err-%zu\"", i);
        CHECK(strstr(vngate_last_error_json(), want) != NULL, "%s: %s", modes[i], vngate_last_error_json());
        CHECK(strstr(vngate_last_error_json(), "\"next_step\"") != NULL, "next step");
        CHECK(took < 1.8, "%s took %.2fs", modes[i], took);
        r = call(c, "fees", "{}", &out);
        CHECK(r == VNGATE_RESULT_BAD_REPLY || r == VNGATE_RESULT_TRANSPORT, "%s: fees gave %d", modes[i], (int)r);
        sim_faults("none", 0);
    }
    vngate_client_free(c);

    /* A refused connection: nothing was sent, even for a charge. */
    vngate_client *dead = NULL;
    vngate_client_new("chargingws", "{\"base_url\":\"http://127.0.0.1:9\",\"partner_id\":\"1\",\"partner_key\":\"k\"}", &dead);
    CHECK(call(dead, "charge", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":10000,\"request_id\":\"dead-1\"}", &out) == VNGATE_RESULT_TRANSPORT, "refused");
    CHECK(strstr(vngate_last_error_message(), "not sent") != NULL, "%s", vngate_last_error_message());
    vngate_client_free(dead);
    return finish();
}
