/* Every provider's operations through the one entry point, against the simulator. */
#include "harness.h"

static int has(const char *json, const char *needle) {
    return json != NULL && strstr(json, needle) != NULL;
}

static void chargingws(void) {
    vngate_client *c = sim_client("chargingws", "", "\"partner_id\":\"10002\",\"partner_key\":\"sim-s2-partner-key\",\"sign_scheme\":\"s2\",\"transport\":\"json\"");
    char *id = NULL, *out = NULL;
    vngate_new_request_id(&id);
    char card[512];
    snprintf(card, sizeof card, "{\"telco\":\"mobifone\",\"code\":\"664196324421\",\"serial\":\"089801001443088\",\"amount\":50000,\"request_id\":\"%s\"}", id);
    CHECK(call(c, "charge", card, &out) == VNGATE_RESULT_OK, "charge");
    CHECK(has(out, "\"status\":99") && has(out, "\"serial\":\"089801001443088\""), "%s", out);
    vngate_string_free(out);
    CHECK(call(c, "check", card, &out) == VNGATE_RESULT_OK && has(out, id), "check %s", out);
    vngate_string_free(out);
    CHECK(call(c, "charge", card, &out) == VNGATE_RESULT_OK && has(out, "REQUEST_ID_EXISTED"), "duplicate is a result: %s", out);
    vngate_string_free(out);
    CHECK(call(c, "fees", "{}", &out) == VNGATE_RESULT_OK && has(out, "\"telco\":\"VNMOBI\""), "fees");
    vngate_string_free(out);
    vngate_string_free(id);
    vngate_client_free(c);

    /* A callback, verified without the network: the card and key of a signing vector. */
    vngate_client *v = sim_client("chargingws", "", "\"partner_id\":\"1\",\"partner_key\":\"partner_key_example\"");
    const char *get = "status=1&message=Th%C3%A0nh+c%C3%B4ng&request_id=989876&declared_value=50000&card_value=50000"
                      "&value=50000&amount=25000&code=314688440422676&serial=10003395125761&telco=VIETTEL&trans_id=1"
                      "&callback_sign=3d0180dc59bc96342b39ea41006a1d40";
    CHECK(vngate_client_parse_callback(v, get, strlen(get), &out) == VNGATE_RESULT_OK, "GET callback");
    CHECK(has(out, "\"message\":\"Thành công\"") && has(out, "\"card_value\":50000"), "%s", out);
    vngate_string_free(out);
    char tampered[512];
    snprintf(tampered, sizeof tampered, "%s", get);
    memcpy(strstr(tampered, "code=3146") + 5, "4", 1);
    CHECK(vngate_client_parse_callback(v, tampered, strlen(tampered), &out) == VNGATE_RESULT_SIGNATURE_MISMATCH, "tampered");
    /* parse_callback through call(), with the stored request to match. */
    char input[1024];
    snprintf(input, sizeof input,
             "{\"data\":\"%s\",\"expected\":{\"telco\":\"VIETTEL\",\"code\":\"314688440422676\",\"serial\":\"10003395125761\",\"amount\":100000,\"request_id\":\"989876\"}}", get);
    CHECK(call(v, "parse_callback", input, &out) == VNGATE_RESULT_CALLBACK_MISMATCH, "declared value differs");
    CHECK(has(vngate_last_error_json(), "\"field\":\"declared_value\""), "%s", vngate_last_error_json());
    /* The raw bytes and the stored request side by side: no JSON escaping of the body. */
    const char *stored = "{\"telco\":\"VIETTEL\",\"code\":\"314688440422676\",\"serial\":\"10003395125761\",\"amount\":50000,\"request_id\":\"989876\"}";
    CHECK(vngate_client_parse_callback_expected(v, get, strlen(get), stored, &out) == VNGATE_RESULT_OK, "matches the stored card");
    vngate_string_free(out);
    const char *other = "{\"telco\":\"VIETTEL\",\"code\":\"314688440422699\",\"serial\":\"10003395125761\",\"amount\":50000,\"request_id\":\"989876\"}";
    CHECK(vngate_client_parse_callback_expected(v, get, strlen(get), other, &out) == VNGATE_RESULT_CALLBACK_MISMATCH, "another PIN");
    CHECK(has(vngate_last_error_json(), "\"field\":\"code\"") && !has(vngate_last_error_json(), "314688440422676"), "%s", vngate_last_error_json());
    CHECK(vngate_client_parse_callback_expected(v, get, strlen(get), "{\"telco\":1}", &out) == VNGATE_RESULT_INVALID_INPUT, "bad stored request");
    CHECK(has(vngate_last_error_json(), "\"field\":\"expected.telco\""), "%s", vngate_last_error_json());
    vngate_client_free(v);
}

static void opencard(void) {
    vngate_client *c = sim_client("opencard", "", "\"partner_id\":\"20001\",\"partner_key\":\"sim-oc-ksort-key\"");
    char *out = NULL;
    CHECK(call(c, "charge", "{\"telco\":\"VIETTEL\",\"code\":\"123456789012341\",\"serial\":\"10000000000091\",\"amount\":10000}", &out) == VNGATE_RESULT_OK, "charge");
    CHECK(has(out, "\"status\":99") && has(out, "\"request_id\""), "%s", out);
    vngate_string_free(out);
    CHECK(call(c, "charge", "{\"telco\":\"VIETTEL\",\"code\":\"1234\",\"serial\":\"10000000000091\",\"amount\":10000}", &out) == VNGATE_RESULT_INVALID_INPUT, "length");
    vngate_client_free(c);
    vngate_client *v = sim_client("opencard", "", "\"partner_id\":\"1\",\"partner_key\":\"ockey\"");
    const char *hook = "{\"request_id\":\"385672323\",\"trans_id\":\"10895648\",\"telco\":\"VIETTEL\",\"declared_value\":10000,"
                       "\"status\":3,\"message\":\"CARD_INVALID\",\"amount\":0,\"actual_amount\":8600,"
                       "\"notified_at\":\"2025-11-16 06:02:35\",\"sign\":\"42c114fba679c95505709bb4856ba52f\"}";
    CHECK(vngate_client_parse_callback(v, hook, strlen(hook), &out) == VNGATE_RESULT_OK && has(out, "\"status\":3"), "webhook");
    vngate_string_free(out);
    CHECK(vngate_client_parse_callback(v, hook, strlen(hook) - 3, &out) == VNGATE_RESULT_BAD_REPLY, "truncated webhook");
    CHECK(vngate_client_parse_callback_expected(v, hook, strlen(hook), "{\"request_id\":\"385672323\",\"amount\":10000}", &out) == VNGATE_RESULT_OK, "webhook matches");
    vngate_string_free(out);
    CHECK(vngate_client_parse_callback_expected(v, hook, strlen(hook), "{\"request_id\":\"3856723233\"}", &out) == VNGATE_RESULT_CALLBACK_MISMATCH, "webhook for another charge");
    vngate_client_free(v);
}

static void appotapay(void) {
    /* The private key comes from the environment (the test data PEM). */
    const char *pem_path = getenv("VNGATE_APPOTA_PEM");
    char pem[4096] = {0}, escaped[8192] = {0}, members[9000];
    FILE *f = pem_path ? fopen(pem_path, "r") : NULL;
    CHECK(f != NULL, "VNGATE_APPOTA_PEM");
    if (f == NULL) return;
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    for (size_t i = 0, j = 0; i < n; i++) {
        if (pem[i] == '\n') { escaped[j++] = '\\'; escaped[j++] = 'n'; } else { escaped[j++] = pem[i]; }
    }
    snprintf(members, sizeof members, "\"partner_code\":\"VNGATE_OAEP\",\"api_key\":\"sim-appota-api-key\",\"secret_key\":\"sim-appota-secret-key\",\"private_key_pem\":\"%s\"", escaped);
    vngate_client *c = sim_client("appotapay", "", members);
    char *out = NULL, *id = NULL, request[256];
    vngate_new_request_id(&id);
    snprintf(request, sizeof request, "{\"partner_ref_id\":\"%s\",\"product_code\":\"VT10\",\"quantity\":2}", id);
    CHECK(call(c, "buy_cards", request, &out) == VNGATE_RESULT_OK, "buy");
    CHECK(has(out, "\"status\":\"success\"") && has(out, "\"code\":\"7") && has(out, "\"code_error\":null"), "%s", out);
    vngate_string_free(out);
    snprintf(request, sizeof request, "{\"partner_ref_id\":\"%s\"}", id);
    CHECK(call(c, "transaction", request, &out) == VNGATE_RESULT_OK && has(out, "\"status\":\"success\""), "transaction");
    vngate_string_free(out);
    CHECK(call(c, "products", "{}", &out) == VNGATE_RESULT_OK && has(out, "\"code\":\"VT50\""), "products");
    vngate_string_free(out);
    CHECK(call(c, "balance", "{}", &out) == VNGATE_RESULT_OK && has(out, "\"balance\":"), "balance");
    vngate_string_free(out);
    /* 22 digits sent as a JSON number: read as its digits, never as a float. */
    CHECK(call(c, "bank_account_info", "{\"bank_code\":\"TPBANK\",\"account_no\":\"1234567890123456789012\"}", &out) == VNGATE_RESULT_OK
          && has(out, "\"account_no\":\"1234567890123456789012\""), "long account number: %s", out);
    vngate_string_free(out);
    vngate_string_free(id);
    vngate_client_free(c);
}

static void esms(void) {
    vngate_client *c = sim_client("esms", "", "\"email\":\"shop@vngate.test\",\"password\":\"sim-esms-password\",\"secret_key\":\"sim-esms-secret-key\"");
    char *out = NULL, *id = NULL, request[512];
    CHECK(call(c, "login", "{}", &out) == VNGATE_RESULT_OK && has(out, "\"access_token\""), "login");
    vngate_string_free(out);
    vngate_new_request_id(&id);
    snprintf(request, sizeof request, "{\"amount\":20000,\"channel\":\"zalopay\",\"phone\":\"0912345671\",\"order_id\":\"%s\",\"description\":\"Hoàn tiền\"}", id);
    CHECK(call(c, "disburse", request, &out) == VNGATE_RESULT_OK && has(out, "\"code\":0") && has(out, "\"status\":0"), "disburse %s", out);
    vngate_string_free(out);
    snprintf(request, sizeof request, "{\"order_id\":\"%s\"}", id);
    CHECK(call(c, "query", request, &out) == VNGATE_RESULT_OK && has(out, id), "query");
    vngate_string_free(out);
    CHECK(call(c, "verify_recipient", "{\"channel\":\"momo\",\"phone\":\"0912345673\"}", &out) == VNGATE_RESULT_OK && has(out, "1007"), "verify");
    vngate_string_free(out);
    const char *cb = "{\"orderId\":\"x\",\"status\":3,\"amount\":1}";
    CHECK(vngate_client_parse_callback(c, cb, strlen(cb), &out) == VNGATE_RESULT_OK && has(out, "\"confirmed\":false"), "unconfirmed");
    vngate_string_free(out);
    vngate_string_free(id);
    vngate_client_free(c);
}

static void topup(void) {
    vngate_client *c = sim_client("topup", "/apipayment", "\"username\":\"simshop1\",\"private_key\":\"sim-topup-key-1\",\"digest\":\"sha1\"");
    char *out = NULL;
    CHECK(call(c, "topup", "{\"phone\":\"0912345671\",\"amount\":10000,\"client_trans_id\":\"c-top-1\"}", &out) == VNGATE_RESULT_OK, "topup");
    CHECK(has(out, "\"status\":\"success\"") && has(out, "\"client_trans_id\":\"c-top-1\""), "%s", out);
    vngate_string_free(out);
    CHECK(call(c, "recheck", "{\"client_trans_id\":\"c-top-1\"}", &out) == VNGATE_RESULT_OK && has(out, "\"code\":1"), "recheck");
    vngate_string_free(out);
    CHECK(call(c, "balance", "{}", &out) == VNGATE_RESULT_OK && has(out, "\"balance\":1500000"), "balance");
    vngate_string_free(out);
    CHECK(vngate_client_parse_callback(c, "x", 1, &out) == VNGATE_RESULT_INVALID_INPUT, "topup has no callbacks");
    vngate_client_free(c);
}

int main(void) {
    chargingws();
    opencard();
    appotapay();
    esms();
    topup();
    return finish();
}
