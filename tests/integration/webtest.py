"""webtest: the harness of ermweb's tests (stdlib only), beside ermtest: the real ermweb
started with a config written for the test (Web), a browser-like client with its session
cookie, CSRF value and client address (Client), and console users made with ermctl.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import ermtest

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Web:
    """The real ermweb with a config written for the test; stopped with SIGTERM."""

    def __init__(self, pg, extra="", trust_proxy=True, port=None, echo=True, threads=2):
        self.dir = tempfile.mkdtemp(prefix="ermtest-web-")
        self.port = port or free_port()
        self.config = os.path.join(self.dir, "ermgw.conf")
        with open(self.config, "w") as f:
            f.write("[web]\nlisten = 127.0.0.1:%d\ntrust_proxy = %s\nthreads = %d\n"
                    "static_dir = %s\ncode_per_address = 5\n%s\n"
                    "[database]\nconninfo = host=%s port=%s dbname=%s user=postgres\n"
                    % (self.port, "yes" if trust_proxy else "no", threads, os.path.join(ermtest.SOURCE_DIR, "web", "static"), extra,
                       pg.sock, pg.port, pg.dbname))
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen([ermtest.binary("ermweb"), "--config", self.config],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
        self.log = ermtest._LineReader(self.proc.stdout,
                                       echo=(lambda line: print("ermweb: " + line, file=sys.stderr))
                                       if echo else None)
        self.log.wait(r"listening on")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=ermtest.DEFAULT_TIMEOUT)
        self.log.thread.join(timeout=5)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class Client:
    """One browser: its session cookie and CSRF value, its address."""

    def __init__(self, web, addr):
        self.web, self.addr, self.token, self.csrf = web, addr, None, None
        self.last_headers = {}

    def call(self, method, path, body=None, csrf=True, ctype="application/json", raw=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.web.port, timeout=30)
        headers = {"X-Forwarded-For": self.addr}
        if self.token:
            headers["Cookie"] = "erm_session=" + self.token
        if csrf and self.csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = ctype
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        self.last_headers = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        cookie = self.last_headers.get("set-cookie")
        if cookie and cookie.startswith("erm_session="):
            self.token = cookie.split(";")[0].split("=", 1)[1] or None
        if raw:
            return resp.status, payload
        return resp.status, json.loads(payload) if payload else None

    def login(self, login, password=PASSWORD):
        st, body = self.call("POST", "/api/v1/login", {"login": login, "password": password})
        if st == 200:
            self.csrf = body["csrf"]
        return st, body


def add_user(pg, login, role="manager", dept=None):
    args = [ermtest.binary("ermctl"), "user", "add", "--login", login, "--role", role]
    if dept:
        args += ["--dept", dept]
    r = subprocess.run(args, input=PASSWORD + "\n", env=pg.env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
