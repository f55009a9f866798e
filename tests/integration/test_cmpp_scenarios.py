"""The claim (RL), opt-out (TD), help and commission query (CX, QX) scenarios over CMPP: the
tests of test_selfclaim.py's SelfClaim and test_commission.py's Commission run unchanged,
with the same expected replies, against the ISMG simulator in CMPP 3.0 and 2.0 (long promo
pushes go as CMPP_SUBMITs with TP_udhi and are joined by the simulator to the exact text; a
redelivered DELIVER is answered Result 0 and counted once)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402
import test_commission  # noqa: E402
import test_selfclaim  # noqa: E402


class Cmpp30SelfClaim(test_selfclaim.SelfClaim):
    CMPP = "3.0"
    LONG_UCS2_FLAGS = "0x01 0x08"  # TP_udhi 1, Msg_Fmt 8


class Cmpp20SelfClaim(test_selfclaim.SelfClaim):
    CMPP = "2.0"
    LONG_UCS2_FLAGS = "0x01 0x08"


class Cmpp30Commission(test_commission.Commission):
    CMPP = "3.0"


class Cmpp20Commission(test_commission.Commission):
    CMPP = "2.0"


if __name__ == "__main__":
    ermtest.main()
