/* The journal through the C ABI: a `journal` object in the config, a charge recorded before it
 * is sent and never sent twice, vngate_client_settle crediting once, vngate_client_reconcile,
 * and the errors a client without a journal gives. */
#include "harness.h"

#include <sys/stat.h>

static const char *CARD =
    "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":50000,"
    "\"request_id\":\"%s\"}";

/* How many charges of `reference` the simulator received. */
static int charges(const char *reference) {
    char log[65536], needle[128];
    if (sim_post("/__sim/money_log", "{}", log, sizeof log) != 0) {
        return -1;
    }
    snprintf(needle, sizeof needle, "\"chargingws charge %s\"", reference);
    int n = 0;
    for (const char *at = strstr(log, needle); at != NULL; at = strstr(at + 1, needle)) {
        n++;
    }
    return n;
}

int main(void) {
    char dir[] = "/tmp/vngate-c-journal-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a directory");
    char key[256], members[1024];
    snprintf(key, sizeof key, "%s/key", dir);
    FILE *f = fopen(key, "w");
    CHECK(f != NULL, "the key file");
    fputs("3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c", f);
    fclose(f);
    snprintf(members, sizeof members,
             "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\","
             "\"journal\":{\"path\":\"%s/journal.db\",\"key_file\":\"%s\",\"min_age_secs\":0,\"retry_base_secs\":0}",
             dir, key);
    sim_post("/__sim/callbacks", "{\"delay_ms\":0}", NULL, 0);
    vngate_client *client = sim_client("chargingws", "", members);

    char *id = NULL, request[512];
    CHECK(vngate_new_request_id(&id) == VNGATE_RESULT_OK, "an id");
    snprintf(request, sizeof request, CARD, id);
    char *out = NULL;
    CHECK(call(client, "charge", request, &out) == VNGATE_RESULT_OK, "charge");
    CHECK(out && strstr(out, "\"status\":99") != NULL, "pending: %s", out ? out : "");
    vngate_string_free(out);
    /* Again: answered by check, never charged twice. */
    CHECK(call(client, "charge", request, &out) == VNGATE_RESULT_OK, "again");
    vngate_string_free(out);
    CHECK(charges(id) == 1, "charged %d times", charges(id));

    /* The simulator settles at once: the first settle credits, no later one does. */
    int firsts = 0;
    for (int i = 0; i < 3; i++) {
        out = NULL;
        CHECK(vngate_client_settle(client, id, &out) == VNGATE_RESULT_OK, "settle");
        if (out && strstr(out, "\"first\":true") != NULL) {
            firsts++;
            CHECK(strstr(out, "\"state\":\"succeeded\"") != NULL, "%s", out);
            /* Settled by check's answer, whose amount is the one to credit. */
            CHECK(strstr(out, "\"settled_by\":\"resolve\"") != NULL, "%s", out);
            CHECK(strstr(out, "\"amount\":null") == NULL && strstr(out, "\"amount\":") != NULL, "%s", out);
        }
        vngate_string_free(out);
    }
    CHECK(firsts == 1, "credited %d times", firsts);
    out = NULL;
    CHECK(vngate_client_reconcile(client, &out) == VNGATE_RESULT_OK, "reconcile");
    CHECK(out && strstr(out, "\"checked\":0") != NULL, "%s", out ? out : "");
    vngate_string_free(out);

    /* Errors: a reference the journal does not hold, NULLs, a client without a journal. */
    CHECK(vngate_client_settle(client, "never-sent", &out) == VNGATE_RESULT_INVALID_INPUT, "unknown reference");
    CHECK(strstr(vngate_last_error_json(), "\"field\":\"reference\"") != NULL, "%s", vngate_last_error_json());
    CHECK(vngate_client_settle(client, NULL, &out) == VNGATE_RESULT_NULL_ARGUMENT, "NULL reference");
    CHECK(vngate_client_settle(client, id, NULL) == VNGATE_RESULT_NULL_ARGUMENT, "NULL out");
    CHECK(vngate_client_reconcile(NULL, &out) == VNGATE_RESULT_NULL_ARGUMENT, "NULL client");
    vngate_client *plain = sim_client("chargingws", "", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"");
    CHECK(vngate_client_settle(plain, id, &out) == VNGATE_RESULT_INVALID_INPUT, "no journal");
    CHECK(strstr(vngate_last_error_json(), "\"field\":\"journal\"") != NULL, "%s", vngate_last_error_json());
    /* A journal without its key is refused when the client is built, naming the setting. */
    vngate_client *keyless = NULL;
    char config[1024];
    snprintf(config, sizeof config,
             "{\"base_url\":\"%s\",\"partner_id\":\"1\",\"partner_key\":\"k\",\"journal\":{\"path\":\"%s/j2.db\",\"key_env\":\"VNGATE_C_TEST_UNSET_KEY\"}}",
             sim_url(), dir);
    CHECK(vngate_client_new("chargingws", config, &keyless) == VNGATE_RESULT_INVALID_INPUT, "no key");
    CHECK(strstr(vngate_last_error_message(), "journal.key_env") != NULL, "%s", vngate_last_error_message());

    vngate_client_free(plain);
    vngate_client_free(client);
    vngate_string_free(id);
    return finish();
}
