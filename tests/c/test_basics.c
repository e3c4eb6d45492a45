/* The ABI itself: version, NULLs, invalid UTF-8, bad input naming the field, nothing sent. */
#include "harness.h"

static const char *CONFIG = "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"";

int main(void) {
    /* The version: header macros, their composition, and the library agree. */
    CHECK(strcmp(vngate_version(), VNGATE_VERSION_STRING) == 0, "%s vs %s", vngate_version(), VNGATE_VERSION_STRING);
    CHECK(VNGATE_VERSION_NUMBER == VNGATE_VERSION_MAJOR * 10000 + VNGATE_VERSION_MINOR * 100 + VNGATE_VERSION_PATCH, "composed");
    char composed[32];
    snprintf(composed, sizeof composed, "%d.%d.%d", VNGATE_VERSION_MAJOR, VNGATE_VERSION_MINOR, VNGATE_VERSION_PATCH);
    CHECK(strcmp(composed, vngate_version()) == 0, "%s", composed);

    /* NULL in every pointer of every function. */
    vngate_client *client = NULL;
    CHECK(vngate_client_new(NULL, "{}", &client) == VNGATE_RESULT_NULL_ARGUMENT, "provider NULL");
    CHECK(vngate_client_new("chargingws", NULL, &client) == VNGATE_RESULT_NULL_ARGUMENT, "config NULL");
    CHECK(vngate_client_new("chargingws", "{}", NULL) == VNGATE_RESULT_NULL_ARGUMENT, "out NULL");
    CHECK(client == NULL, "no output on failure");
    CHECK(strstr(vngate_last_error_json(), "\"kind\":\"null_argument\"") != NULL, "%s", vngate_last_error_json());

    client = sim_client("chargingws", "", CONFIG);
    char *out = (char *)"untouched";
    CHECK(vngate_client_call(NULL, "fees", "{}", &out) == VNGATE_RESULT_NULL_ARGUMENT, "client NULL");
    CHECK(vngate_client_call(client, NULL, "{}", &out) == VNGATE_RESULT_NULL_ARGUMENT, "operation NULL");
    CHECK(vngate_client_call(client, "fees", NULL, &out) == VNGATE_RESULT_NULL_ARGUMENT, "request NULL");
    CHECK(vngate_client_call(client, "fees", "{}", NULL) == VNGATE_RESULT_NULL_ARGUMENT, "out NULL");
    CHECK(strcmp(out, "untouched") == 0, "outputs are written only on success");
    CHECK(vngate_client_parse_callback(NULL, "x", 1, &out) == VNGATE_RESULT_NULL_ARGUMENT, "client NULL");
    CHECK(vngate_client_parse_callback(client, NULL, 5, &out) == VNGATE_RESULT_NULL_ARGUMENT, "data NULL");
    CHECK(vngate_client_parse_callback(client, "x", 1, NULL) == VNGATE_RESULT_NULL_ARGUMENT, "out NULL");
    CHECK(vngate_new_request_id(NULL) == VNGATE_RESULT_NULL_ARGUMENT, "id NULL");
    vngate_client_free(NULL);
    vngate_string_free(NULL);

    /* Invalid UTF-8 in every string argument. */
    const char bad[] = {(char)0xff, (char)0xfe, 0};
    vngate_client *other = NULL;
    CHECK(vngate_client_new(bad, "{}", &other) == VNGATE_RESULT_INVALID_UTF8, "provider");
    CHECK(vngate_client_new("chargingws", bad, &other) == VNGATE_RESULT_INVALID_UTF8, "config");
    CHECK(vngate_client_call(client, bad, "{}", &out) == VNGATE_RESULT_INVALID_UTF8, "operation");
    CHECK(vngate_client_call(client, "charge", bad, &out) == VNGATE_RESULT_INVALID_UTF8, "request");
    CHECK(vngate_client_parse_callback(client, bad, 2, &out) == VNGATE_RESULT_BAD_REPLY, "callback bytes: %s", vngate_last_error_json());

    /* Unknown provider, operation, config key: invalid input naming the field. */
    CHECK(vngate_client_new("paypal", "{}", &other) == VNGATE_RESULT_INVALID_INPUT, "provider");
    CHECK(strstr(vngate_last_error_json(), "\"field\":\"provider\"") != NULL, "%s", vngate_last_error_json());
    CHECK(vngate_client_new("chargingws", "{\"base_url\":\"http://x\",\"partner_id\":\"1\",\"partner_key\":\"k\",\"sign_schme\":\"s2\"}", &other) == VNGATE_RESULT_INVALID_INPUT, "typo");
    CHECK(strstr(vngate_last_error_json(), "\"field\":\"sign_schme\"") != NULL, "%s", vngate_last_error_json());
    CHECK(call(client, "refund", "{}", &out) == VNGATE_RESULT_INVALID_INPUT, "operation");
    CHECK(strstr(vngate_last_error_json(), "\"field\":\"operation\"") != NULL, "%s", vngate_last_error_json());

    /* Bad input: each names its field, and nothing reaches the provider. */
    long before = sim_requests();
    const char *cases[][2] = {
        {"telco", "{\"telco\":\"NOKIA\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":50000,\"request_id\":\"r1\"}"},
        {"code", "{\"telco\":\"VIETTEL\",\"code\":\"31282A\",\"serial\":\"10004783347874\",\"amount\":50000,\"request_id\":\"r1\"}"},
        {"amount", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":-5,\"request_id\":\"r1\"}"},
        {"amount", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":\"50000\",\"request_id\":\"r1\"}"},
        {"request_id", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":50000}"},
        {"request", "not json"},
        /* Two objects, as a careless concatenation makes them: the second is not ignored. */
        {"request", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\",\"amount\":50000,\"request_id\":\"r1\"}{\"amount\":10000}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(call(client, "charge", cases[i][1], &out) == VNGATE_RESULT_INVALID_INPUT, "%s", cases[i][0]);
        char want[64];
        snprintf(want, sizeof want, "\"field\":\"%s\"", cases[i][0]);
        CHECK(strstr(vngate_last_error_json(), want) != NULL, "%s: %s", cases[i][0], vngate_last_error_json());
        CHECK(strstr(vngate_last_error_json(), "312821445892981") == NULL, "no PIN in errors");
    }
    CHECK(sim_requests() == before, "nothing was sent: %ld vs %ld", sim_requests(), before);

    char *id = NULL;
    CHECK(vngate_new_request_id(&id) == VNGATE_RESULT_OK && strlen(id) >= 21, "request id");
    vngate_string_free(id);
    CHECK(vngate_last_error_message()[0] == '\0', "a success clears the last error");
    vngate_client_free(client);
    return finish();
}
