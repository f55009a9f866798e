/*
 * fuzz_sip.c: libFuzzer target for what the SIP trunk does with any datagram before its own
 * checks: libosip2's osip_parse, then (for a message it accepts) writing it back out with
 * osip_message_to_str, as a response built from it does. Checks: no crash, no over-read
 * (ASan sees the ones in libc calls; the input is copied to a buffer of its exact size).
 */
#include <sys/time.h> /* osip.h needs struct timeval and time_t first */
#include <time.h>

#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        parser_init();
        ready = 1;
    }
    char *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    osip_event_t *evt = osip_parse(buf, size);
    if (evt != NULL) {
        if (evt->sip != NULL) {
            char *text = NULL;
            size_t len = 0;
            if (osip_message_to_str(evt->sip, &text, &len) == 0)
                osip_free(text);
        }
        osip_event_free(evt);
    }
    free(buf);
    return 0;
}
