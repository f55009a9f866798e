"""console.py: the web console to try by hand (run by scripts/console.sh). Starts a throwaway
PostgreSQL cluster with a small campaign in it, the bundled SMSC simulator, ermgw bound to
it (it sends the employees' login codes) and ermweb; prints the console's address, a
manager's and an employee's login, and every SMS the simulator receives (the login codes
among them); stays up until Ctrl-C or SIGTERM, then stops everything it started."""
import os
import re
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import ermtest  # noqa: E402
import webtest  # noqa: E402


def say(text):
    print(text, flush=True)


def show_sms(line):
    m = re.match(r"^MESSAGE (\S+) (\S+) (\d+) (.*)$", line)
    if m:
        text = ermtest.sim_unescape(m.group(4)).replace("\n", " / ")
        say("  SMS %s -> %s: %s" % (m.group(1), m.group(2), text))


def prepare(pg):
    ermtest.ermctl(pg, "migrate", check=True)
    ermtest.ermctl(pg, "product", "add", "--code", "10", "--name", "畅享流量包", "--quota",
                   "100", "--commission", "5.00", "--intro", "每月30GB国内流量，全国通用",
                   "--fee", "29元/月", check=True)
    ermtest.ermctl(pg, "product", "activate", "10", check=True)
    ermtest.ermctl(pg, "product", "add", "--code", "20", "--name", "家庭宽带", "--quota", "50",
                   "--commission", "20.00", "--intro", "千兆宽带，首年半价", check=True)
    for eid, name, msisdn, dept in (("E001", "张三", "13800000001", "市场部"),
                                    ("E002", "李四", "13800000002", "市场部"),
                                    ("E003", "王五", "13800000003", "网络部")):
        ermtest.ermctl(pg, "employee", "add", "--id", eid, "--name", name, "--msisdn", msisdn,
                       "--dept", dept, check=True)
    ermtest.ermctl(pg, "assign", "--product", "10", "--dept", "市场部", check=True)
    code = pg.scalar("SELECT code FROM claims WHERE employee_id = 'E001'")
    for customer in ("13912340001", "13912340002"):
        pg.psql("SELECT erm_place_order(:'p1', :'p2', 'sms')", customer, code)
    webtest.add_user(pg, "boss")
    webtest.add_user(pg, "wang", dept="市场部")


def main():
    port = int(os.environ.get("ERM_CONSOLE_PORT", "8080"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with ermtest.PgCluster() as pg:
        prepare(pg)
        with ermtest.Sim(echo=show_sms) as sim:
            with ermtest.Daemon(pg, sim.port) as gw:
                sim.wait_bound()
                gw.log.wait(r"database up")
                web = webtest.Web(pg, trust_proxy=False, port=port, echo=False)
                try:
                    say("== the web console is up: http://127.0.0.1:%d/" % web.port)
                    say("   manager:             boss / %s   (every department)" %
                        webtest.PASSWORD)
                    say("   department manager:  wang / %s   (市场部)" % webtest.PASSWORD)
                    say("   employee:            13800000001 (张三); the login code arrives"
                        " below as an SMS")
                    say("   Ctrl-C stops everything.")
                    while not stop.wait(1):
                        pass
                finally:
                    rc = web.stop()
    say("== console stopped (ermweb exit %d, ermgw exit %d)" % (rc, gw.proc.returncode))
    return 0


if __name__ == "__main__":
    sys.exit(main())
