/* The C log sink: VNGATE_LOG=debug,FILE writes vngate's own lines (one per call at info, the
 * masked request and reply at debug) into FILE; vngate_client_call_logged hands a call's lines
 * back with its result. The PIN and the partner key never appear. */
#include "harness.h"

int main(void) {
    char path[] = "/tmp/vngate-log-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temp file");
    close(fd);
    char setting[128];
    snprintf(setting, sizeof setting, "debug,%s", path);
    setenv("VNGATE_LOG", setting, 1); /* read when the first client is built */

    vngate_client *client = sim_client("chargingws", "", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"");
    char *out = NULL;
    CHECK(call(client, "charge", "{\"telco\":\"VIETTEL\",\"code\":\"312821445892981\",\"serial\":\"10004783347874\","
                                 "\"amount\":10000,\"request_id\":\"log-c-1\"}", &out) == VNGATE_RESULT_OK, "charge");
    vngate_string_free(out);
    vngate_client_free(client);

    char text[16384] = {0};
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = '\0';
    CHECK(strstr(text, "vngate INFO: chargingws charge request_id=log-c-1: HTTP 200") != NULL, "an info line: %s", text);
    CHECK(strstr(text, "vngate DEBUG: chargingws charge request:") != NULL && strstr(text, "code=***81") != NULL,
          "a masked debug line: %s", text);
    CHECK(strstr(text, "312821445892981") == NULL && strstr(text, "sim-s1-partner-key") == NULL, "no PIN or key: %s", text);
    printf("# log sink: %zu bytes written\n", n);
    unlink(path);

    /* Lines handed back with the call (what PHP gives its PSR-3 logger), at each level. */
    client = sim_client("chargingws", "", "\"partner_id\":\"10001\",\"partner_key\":\"sim-s1-partner-key\"");
    const char *card = "{\"telco\":\"VIETTEL\",\"code\":\"312821445892982\",\"serial\":\"10004783347874\","
                       "\"amount\":10000,\"request_id\":\"log-c-2\"}";
    char *lines = NULL;
    out = NULL;
    CHECK(vngate_client_call_logged(client, "charge", card, "debug", &out, &lines) == VNGATE_RESULT_OK, "charge, logged");
    CHECK(lines != NULL && strstr(lines, "\"level\":\"info\"") != NULL && strstr(lines, "request_id=log-c-2") != NULL,
          "the info line handed back: %s", lines ? lines : "(null)");
    CHECK(strstr(lines, "\"level\":\"debug\"") != NULL && strstr(lines, "code=***82") != NULL, "the masked request: %s", lines);
    CHECK(strstr(lines, "312821445892982") == NULL && strstr(lines, "sim-s1-partner-key") == NULL, "no PIN or key: %s", lines);
    vngate_string_free(out);
    vngate_string_free(lines);
    lines = NULL;
    out = NULL;
    CHECK(vngate_client_call_logged(client, "check", card, "info", &out, &lines) == VNGATE_RESULT_OK, "check, info only");
    CHECK(lines != NULL && strstr(lines, "check") != NULL && strstr(lines, "\"debug\"") == NULL, "info lines only: %s", lines);
    vngate_string_free(out);
    vngate_string_free(lines);
    /* A failed call still hands its lines back. */
    lines = NULL;
    out = NULL;
    CHECK(vngate_client_call_logged(client, "charge", "{\"telco\":\"VIETTEL\"}", "verbose", &out, &lines) == VNGATE_RESULT_INVALID_INPUT,
          "an unknown level is refused");
    vngate_client_free(client);
    return finish();
}
