/* The C log sink: VNGATE_LOG=debug,FILE writes vngate's own lines (one per call at info, the
 * masked request and reply at debug) into FILE. The PIN and the partner key never appear. */
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
    return finish();
}
