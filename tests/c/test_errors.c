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

    /* A card shop that names the codes it sells otherwise: outcome unknown, and neither the
     * error's message nor its JSON shows a code (the same order, downloaded again, has them). */
    sim_faults("renamed_codes", 0);
    vngate_result bought = call(c, "buy_cards", "{\"service_code\":\"VIETTEL\",\"value\":10000,\"qty\":2,\"request_id\":\"c-renamed-1\"}", &out);
    char shown[4096];
    snprintf(shown, sizeof shown, "%s\n%s", vngate_last_error_message(), vngate_last_error_json());
    sim_faults("none", 0);
    CHECK(bought == VNGATE_RESULT_OUTCOME_UNKNOWN, "buy_cards under renamed codes gave %d", (int)bought);
    CHECK(strstr(shown, "card_code") != NULL, "the excerpt shows the shape: %s", shown);
    CHECK(call(c, "redownload", "{\"request_id\":\"c-renamed-1\"}", &out) == VNGATE_RESULT_OK, "redownload");
    int codes = 0;
    for (const char *at = out; at && (at = strstr(at, "\"code\":\"")) != NULL; at += 8) {
        char code[32] = {0};
        sscanf(at + 8, "%31[^\"]", code);
        codes++;
        CHECK(strlen(code) >= 8 && strstr(shown, code) == NULL, "bought code %s shows in: %s", code, shown);
    }
    CHECK(codes == 2, "2 codes downloaded again: %s", out ? out : "");
    vngate_string_free(out);
    vngate_client_free(c);

    /* A refused connection: nothing was sent, even for a charge. */
    vngate_client *dead = NULL;
    vngate_client_new("chargingws", "{\"base_url\":\"http://127.0.0.1:9\",\"partner_id\":\"1\",\"partner_key\":\"k\"}", &dead);
    CHECK(call(dead, "charge", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":10000,\"request_id\":\"dead-1\"}", &out) == VNGATE_RESULT_TRANSPORT, "refused");
    CHECK(strstr(vngate_last_error_message(), "not sent") != NULL, "%s", vngate_last_error_message());
    vngate_client_free(dead);
    return finish();
}
