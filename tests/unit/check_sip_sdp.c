/*
 * check_sip_sdp.c: unit tests of gateway/sip_sdp.c: the codec taken in the offer's order,
 * media- and session-level addresses, 488 when neither PCMA nor PCMU is offered, and the
 * answer's lines (one audio stream, a=sendrecv, other streams refused with port 0).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/rtp_stream.h"
#include "gateway/sip_sdp.h"

static int read_offer(const char *sdp, struct sip_sdp_offer *o)
{
    return sip_sdp_read_offer(sdp, strlen(sdp), o);
}

START_TEST(test_offer_order)
{
    struct sip_sdp_offer o;
    const char *pcmu_first = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                             "t=0 0\r\nm=audio 4000 RTP/AVP 18 0 8\r\n";
    ck_assert_int_eq(read_offer(pcmu_first, &o), 0);
    ck_assert_int_eq(o.pt, RTP_PT_PCMU);
    ck_assert_str_eq(o.addr, "10.0.0.1");
    ck_assert_uint_eq(o.port, 4000);
    ck_assert_int_eq(o.family, 4);
    const char *v6 =
        "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\n"
        "m=video 5000 RTP/AVP 96\r\nm=audio 4002 RTP/AVP 8\r\nc=IN IP6 2001:db8::7\r\n";
    ck_assert_int_eq(read_offer(v6, &o), 0);
    ck_assert_int_eq(o.pt, RTP_PT_PCMA);
    ck_assert_str_eq(o.addr, "2001:db8::7");
    ck_assert_int_eq(o.family, 6);
    ck_assert_uint_eq(o.media, 2);
    ck_assert_uint_eq(o.audio_at, 1);
    char ans[512];
    ck_assert_int_gt(sip_sdp_write_answer(ans, sizeof ans, &o, "::1", 6, 20000, 42), 0);
    ck_assert_ptr_nonnull(strstr(ans, "c=IN IP6 ::1\r\n"));
    ck_assert_ptr_nonnull(strstr(ans, "m=video 0 RTP/AVP 0\r\nm=audio 20000 RTP/AVP 8\r\n"));
    ck_assert_ptr_nonnull(strstr(ans, "a=rtpmap:8 PCMA/8000\r\n"));
    ck_assert_ptr_nonnull(strstr(ans, "a=sendrecv\r\n"));
    ck_assert_int_eq(sip_sdp_write_answer(ans, 40, &o, "::1", 6, 20000, 42), -ENOSPC);
}
END_TEST

START_TEST(test_offer_refused)
{
    struct sip_sdp_offer o;
    const char *g729 = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                       "t=0 0\r\nm=audio 4000 RTP/AVP 18\r\n";
    ck_assert_int_eq(read_offer(g729, &o), -ENOTSUP);
    const char *port0 = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                        "t=0 0\r\nm=audio 0 RTP/AVP 8\r\n";
    ck_assert_int_eq(read_offer(port0, &o), -ENOTSUP);
    const char *noaddr =
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";
    ck_assert_int_eq(read_offer(noaddr, &o), -EPROTO);
    ck_assert_int_eq(read_offer("hello", &o), -EPROTO);
    /* shapes libosipparser2 over-reads on never reach it */
    const char *no_formats = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                             "t=0 0\r\nm=audio 4000 RTP/AVP\r\n";
    ck_assert_int_eq(read_offer(no_formats, &o), -EPROTO);
    const char *spaces = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                         "t=0 0\r\nm=audio  4000 RTP/AVP 8\r\n";
    ck_assert_int_eq(read_offer(spaces, &o), -EPROTO);
    ck_assert_int_eq(sip_sdp_read_offer("v=0\0m=audio 1 RTP/AVP 8", 24, &o), -EPROTO);
    ck_assert_int_eq(read_offer("", &o), -EPROTO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sip_sdp");
    TCase *tc = tcase_create("offer_answer");
    tcase_add_test(tc, test_offer_order);
    tcase_add_test(tc, test_offer_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
