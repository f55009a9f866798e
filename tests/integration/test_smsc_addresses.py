"""Every address of the SMSC is tried in turn (issue 14): `[smsc] host` may name several
hosts (comma-separated) and a name may resolve to several addresses; an attempt that fails
before a bind moves on to the next address, with the usual backoff, and a lost bound link
tries the same address first. The real ermgw and simulator; the name is resolved through
nss_wrapper (Debian libnss-wrapper), which gives it two addresses from a file the test
writes, the first one where nothing listens (127.0.0.9: refused at once)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

NSS_WRAPPER = "libnss_wrapper.so"


class SmscAddresses(ermtest.PoolCase):
    def start(self, host, env=None):
        sim = ermtest.Sim()
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port, smsc_host=host, env=env)
        self.addCleanup(self.stop_clean, gw)
        return sim, gw

    def bound_after_refusal(self, sim, gw, refused):
        gw.log.wait(r"connect %s:%d: connection refused; retry in" % (refused, sim.port))
        sim.wait_bound(timeout=30)
        gw.log.wait(r"bound to \S*\s?\(?127\.0\.0\.1\)?:%d " % sim.port)
        customer = "1392%07d" % sim.port
        status, texts = ermtest.sms(sim, customer, self.code)
        self.assertEqual(status, 0)
        self.assertEqual(len(texts), 1)

    def test_host_list_each_in_turn(self):
        sim, gw = self.start("127.0.0.9, 127.0.0.1")
        self.bound_after_refusal(sim, gw, r"127\.0\.0\.9")

    def test_name_with_two_addresses(self):
        hosts = tempfile.NamedTemporaryFile("w", suffix=".hosts", delete=False)
        self.addCleanup(os.unlink, hosts.name)
        hosts.write("127.0.0.9 smsc.test\n127.0.0.1 smsc.test\n")
        hosts.close()
        # nss_wrapper preloaded before the sanitizer's runtime: ASan is told not to mind.
        env = {"LD_PRELOAD": NSS_WRAPPER, "NSS_WRAPPER_HOSTS": hosts.name,
               "NSS_WRAPPER_DISABLE_DEEPBIND": "1",
               "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:verify_asan_link_order=0"}
        sim, gw = self.start("smsc.test", env=env)
        self.bound_after_refusal(sim, gw, r"smsc\.test \(127\.0\.0\.9\)")


if __name__ == "__main__":
    ermtest.main()
