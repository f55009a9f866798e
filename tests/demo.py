"""demo.py: the demo of ermgw's main job (run by scripts/demo.sh). Starts a throwaway
PostgreSQL cluster and the bundled SMSC simulator, puts a product in the pool, lets an
employee claim a code, starts ermgw bound to the simulator, lets a second employee claim
theirs by SMS (RL10: the code and the promo push to forward come back), and plays a
customer's order, a repeat order, an order through the extended number and an unknown
code, printing every SMS that crosses the bind; then a friend dials the employee's phone code
(SIPp plays the carrier's switch on the SIP trunk): the demo prints the call's outcome (the
SIP answer and the prompt played) beside the SMS it caused. Stops everything it started.
With --bearer cmpp the same story runs over CMPP 3.0 (--cmpp-version 2.0: 2.0) against the
bundled ISMG simulator, ermgw configured with [cmpp] in place of [smsc]."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import ermtest  # noqa: E402


# What the printed lines call the peer and its PDUs, by bearer (set in main).
NAMES = {
    "smpp": {"peer": "SMSC", "submit": "submit_sm  ", "resp": "deliver_sm_resp status",
             "mo": "deliver_sm "},
    "cmpp": {"peer": "ISMG", "submit": "CMPP_SUBMIT", "resp": "CMPP_DELIVER_RESP Result",
             "mo": "CMPP_DELIVER"},
}
N = NAMES["smpp"]


def say(text):
    print(text, flush=True)


def show_sim_event(line):
    m = re.match(r"^MESSAGE (\S+) (\S+) (\d+) (.*)$", line)
    if m:
        parts = "" if m.group(3) == "1" else " (%s parts)" % m.group(3)
        text = ermtest.sim_unescape(m.group(4)).replace("\n", "\n" + " " * 19)
        say("    %s <- ermgw  %s %s -> %s%s: %s" % (N["peer"], N["submit"], m.group(1),
                                                   m.group(2), parts, text))
        return
    m = re.match(r"^MO_RESP \S+ 0x([0-9a-f]+)$", line)
    if m:
        status = int(m.group(1), 16)
        say("    %s <- ermgw  %s 0x%02x%s" % (
            N["peer"], N["resp"], status,
            " (stored and committed)" if status == 0 else " (temporary error)"))
        return
    m = re.match(r"^LOGIN (\S+) 0x(\S+) (\d+)$", line)
    if m:
        say("    ISMG <- ermgw  CMPP_CONNECT as %s, version 0x%s: Status %s" % m.groups())
        return
    m = re.match(r"^BIND (\S+) \S+ \S+ 0x([0-9a-f]+)$", line)
    if m:
        say("    SMSC <- ermgw  bind_transceiver as %s: status 0x%s" % (m.group(1), m.group(2)))


def run(pg, cmd):
    say("$ ermctl " + " ".join(cmd))
    r = ermtest.ermctl(pg, *cmd, check=True)
    for line in r.stdout.splitlines():
        say("  " + line)
    return r.stdout


def mo(sim, customer, dest, text, replies=1):
    """Injects TEXT and waits for its acknowledgement and the REPLIES that answer it."""
    say("    %s -> ermgw  %s %s -> %s: %s" % (N["peer"], N["mo"], customer, dest, text))
    ermtest.sms(sim, customer, text, dest=dest, expect=replies)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        return u.getsockname()[1]


def sip_config(port):
    """[sip] on a free port with the prompts the build made (espeak-ng, sox)."""
    prompts = os.path.join(ermtest.BUILD_DIR, "prompts")
    return ("[sip]\nlisten = 127.0.0.1:%d\npeers = 127.0.0.1\nrtp_ports = %d-%d\n"
            "prompts = %s\n" % (port, 40000, 40099, prompts))


def dial(gw, sim, sip_port, caller, called):
    """SIPp dials CALLED from CALLER (tests/sip/phone_call.xml) and prints the call: the SIP
    answer, the prompt ermgw played, the hang-up. The SMS it caused show as they cross."""
    say("    switch -> ermgw  INVITE sip:%s from %s" % (called, caller))
    mark, sim_mark = gw.log.mark(), sim.out.mark()
    work = tempfile.mkdtemp(prefix="ermdemo-sip-")
    try:
        r = subprocess.run(
            ["sipp", "-sf", os.path.join(ermtest.SOURCE_DIR, "tests", "sip", "phone_call.xml"),
             "-s", called, "-key", "caller", caller, "-m", "1", "-i", "127.0.0.1",
             "-p", str(free_port()), "-mp", str(free_port()), "127.0.0.1:%d" % sip_port,
             "-timeout", "60s", "-timeout_error", "-nostdin", "-trace_msg",
             "-message_file", os.path.join(work, "msg")],
            cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, timeout=90)
        with open(os.path.join(work, "msg"), errors="replace") as f:
            trace = f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    codec = re.search(r"m=audio \d+ RTP/AVP (\d+)", trace)
    _, m = gw.log.wait(r"call \d+: prompt (\S+)$", start=mark)
    say("    switch <- ermgw  200 OK (%s), prompt \"%s\" played, then BYE: call %s" % (
        "PCMA" if codec and codec.group(1) == "8" else "PCMU", m.group(1),
        "completed" if r.returncode == 0 else "FAILED (sipp %d)" % r.returncode))
    sim.wait_message(caller, start=sim_mark)  # the SMS the call caused, printed as it crosses


def main():
    global N
    ap = argparse.ArgumentParser(description="ermgw's demo")
    ap.add_argument("--bearer", choices=("smpp", "cmpp"), default="smpp")
    ap.add_argument("--cmpp-version", choices=("3.0", "2.0"), default="3.0")
    args = ap.parse_args()
    N = NAMES[args.bearer]
    cmpp = args.cmpp_version if args.bearer == "cmpp" else None
    say("== ermgw demo: a throwaway PostgreSQL cluster, the %s simulator, the real daemon%s" %
        (N["peer"], " (CMPP %s)" % cmpp if cmpp else ""))
    with ermtest.PgCluster() as pg:
        say("-- a manager sets up the pool")
        run(pg, ["migrate"])
        run(pg, ["product", "add", "--code", "10", "--name", "畅享流量包", "--quota", "100",
                 "--commission", "5.00", "--intro", "每月30GB国内流量，月费29元"])
        run(pg, ["product", "activate", "10"])
        run(pg, ["employee", "add", "--id", "E001", "--name", "张三", "--msisdn",
                 "13800000001", "--dept", "市场部"])
        run(pg, ["employee", "add", "--id", "E002", "--name", "李四", "--msisdn",
                 "13800000002", "--dept", "市场部"])
        say("-- the employee gets a code of their own")
        out = run(pg, ["claim", "--product", "10", "--employee", "E001"])
        code = re.search(r"sms code (\d+)", out).group(1)
        phone = re.search(r"phone code (\d+)", out).group(1)

        sim_class = (lambda **kw: ermtest.IsmgSim(cmpp, **kw)) if cmpp else ermtest.Sim
        with sim_class(echo=show_sim_event) as sim:
            say("-- ermgw starts and %s to the %s simulator on port %d" % (
                "logs in" if cmpp else "binds", N["peer"], sim.port))
            sip_port = free_port() if shutil.which("sipp") else 0
            extra = sip_config(sip_port) if sip_port else ""
            with ermtest.Daemon(pg, sim.port, extra_config=extra, cmpp_version=cmpp) as gw:
                sim.wait_bound()
                gw.log.wait(r"database up")
                say("-- employee 李四 texts RL10 from their registered number: a code of their"
                    " own and the promo text to forward")
                mo(sim, "13800000002", "10086", "RL10", replies=2)
                say("-- a friend texts the employee's code %s to 10086" % code)
                mo(sim, "13912345678", "10086", code)
                say("-- the same friend orders again: answered, not counted twice")
                mo(sim, "13912345678", "10086", code)
                say("-- another friend texts anything to the extended number %s" % phone)
                mo(sim, "13787654321", phone, "订购")
                say("-- someone texts a code nobody holds")
                mo(sim, "13600000000", "10086", "１０１９９")
                say("-- and someone texts something else")
                mo(sim, "13600000000", "10086", "你好")
                if sip_port:
                    say("-- a friend dials the employee's phone code %s: the order is placed"
                        " in the call, the SMS follow" % phone)
                    dial(gw, sim, sip_port, "13566667777", phone)
                    say("-- the same friend calls again: already ordered, not counted twice")
                    dial(gw, sim, sip_port, "13566667777", phone)
                else:
                    say("-- (sipp not installed: the phone step is skipped)")
                ermtest.wait_until(lambda: pg.scalar(
                    "SELECT count(*) FROM outbox WHERE state <> 'sent'") == "0",
                    "every reply sent")
            say("-- ermgw stopped (exit %d)" % gw.proc.returncode)
        say("-- what the database holds")
        for row in pg.psql("SELECT o.id, o.customer, o.code, e.name, p.name, o.channel "
                           "FROM orders o JOIN employees e ON e.id = o.employee_id "
                           "JOIN products p ON p.code = o.product_code ORDER BY o.id"):
            say("  order %s: customer %s, code %s, employee %s, product %s, channel %s" % row)
        for row in pg.psql("SELECT c.code, e.name, to_char(c.claimed_at, 'HH24:MI:SS')"
                           " FROM claims c JOIN employees e ON e.id = c.employee_id"
                           " ORDER BY c.code"):
            say("  claim %s: %s, claimed at %s" % row)
        for row in pg.psql("SELECT id, dest, kind, state, message_ids FROM outbox ORDER BY id"):
            say("  outbox %s: to %s, %s, %s, message id %s" % row)
    say("== demo done: cluster, simulator and daemon stopped")
    return 0 if gw.proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
