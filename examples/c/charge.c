/* Card charging from C: submit a card, handle "outcome unknown" (never resend: check), then
 * check it. tests/c/run.sh compiles it with -Wall -Wextra -Werror and runs it against the
 * simulator.
 *
 *   cc charge.c $(pkg-config --cflags --libs vngate) -o charge
 *   VNGATE_BASE_URL=https://thesieure.com VNGATE_PARTNER_ID=… VNGATE_PARTNER_KEY=… ./charge
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vngate.h>

static const char *env(const char *name, const char *fallback) {
    const char *value = getenv(name);
    return value != NULL ? value : fallback;
}

int main(void) {
    /* Before 1.0 any minor version may change the ABI: the library must be the header's. */
    if (strcmp(vngate_version(), VNGATE_VERSION_STRING) != 0) {
        fprintf(stderr, "libvngate %s, but vngate.h is %s\n", vngate_version(), VNGATE_VERSION_STRING);
        return 1;
    }
    char config[512];
    snprintf(config, sizeof config, "{\"base_url\":\"%s\",\"partner_id\":\"%s\",\"partner_key\":\"%s\"}",
             env("VNGATE_BASE_URL", "https://thesieure.com"), env("VNGATE_PARTNER_ID", "1"),
             env("VNGATE_PARTNER_KEY", "KEY"));
    vngate_client *client = NULL;
    if (vngate_client_new("chargingws", config, &client) != VNGATE_RESULT_OK) {
        fprintf(stderr, "config: %s\n", vngate_last_error_message());
        return 1;
    }

    char *request_id = NULL;
    vngate_new_request_id(&request_id); /* store it with the order before sending */
    char card[256];
    snprintf(card, sizeof card,
             "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\","
             "\"amount\":50000,\"request_id\":\"%s\"}", request_id);

    char *result = NULL;
    int exit_code = 0;
    switch (vngate_client_call(client, "charge", card, &result)) {
    case VNGATE_RESULT_OK:
        printf("charged: %s\n", result);
        vngate_string_free(result);
        break;
    case VNGATE_RESULT_OUTCOME_UNKNOWN:
        /* The card may have reached the site: never resend it. */
        printf("outcome unknown: %s\n", vngate_last_error_json());
        break;
    default:
        fprintf(stderr, "not sent: %s\n", vngate_last_error_message());
        exit_code = 1;
    }

    if (exit_code == 0 && vngate_client_call(client, "check", card, &result) == VNGATE_RESULT_OK) {
        printf("checked: %s\n", result);
        vngate_string_free(result);
    }
    vngate_string_free(request_id);
    vngate_client_free(client);
    return exit_code;
}
