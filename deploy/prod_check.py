"""``make prod-check``: the production topology on loopback, with its faults.

Starts, on 127.0.0.1 with free ports and a temp directory, only from Debian packages and this
repository: PostgreSQL (initdb), Redis (redis-server), the BigBlueButton and Mattermost stand-ins (own
processes), an SMTP sink, two gunicorn instances of the app, the Huey consumer (as the README starts it)
and nginx with deploy/nginx/vereinsraum.conf.template in front. Then it proves, through nginx, what
ISSUE 13 asks (shared login, shared rate limit, shared BBB status cache, jobs exactly once, health) and
the faults (consumer killed mid chat sync and finished by the periodic sweep, PostgreSQL restarted, Redis
stopped: pages serve, a request that needs a new job gets a German 503 and writes nothing), and a backup +
restore.

Prints PASS/FAIL per check and a summary; exits non-zero on any failure; removes everything on exit.
Run with the project's venv: ``.venv/bin/python deploy/prod_check.py`` (``--keep`` leaves the temp dir).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "vereinsraum-demo"
BOARD = "vorstand@imker-pankow.example"
MEMBER = "ehrenamt@imker-pankow.example"
EXTRA_MEMBERS = [f"mitglied{i}@imker-pankow.example" for i in range(1, 9)]
BBB_TTL = 2.0
# A chat op attempt longer than this counts as crashed (its worker killed); the sweep runs every minute.
# The lease is longer than the slowed-down provisioning takes before the kill, so no sweep ever starts a
# second attempt next to a running one.
CHAT_OP_LEASE = 10
EXPORT_ASKER = EXTRA_MEMBERS[0]
QUEUE_DOWN_LOG = "Warteschlange nimmt keine Aufgabe an"
#: The commands every recipe in deploy/ runs (systemd units, compose, Dockerfile; tests/core/test_deploy_recipes.py
#: holds them to these): an app instance and the job consumer, as the README starts them.
WEB_COMMAND = ("gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app")
WORKER_COMMAND = ("huey_consumer", "app.worker.huey", "-w", "2")


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = ""):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 – keep polling
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what or predicate} (last: {last!r})")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pg_bindir() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()],
    )
    if not candidates:
        raise SystemExit("PostgreSQL fehlt: apt-get install postgresql")
    return candidates[-1].parent


# --- processes ----------------------------------------------------------------------------------------


class Topology:
    def __init__(self, keep: bool):
        self.keep = keep
        self.tmp = Path(os.environ.get("PROD_CHECK_TMP") or "/tmp") / f"vr-prod-check-{secrets.token_hex(4)}"
        self.tmp.mkdir(parents=True)
        os.chmod(self.tmp, 0o755)
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.root_user = os.geteuid() == 0
        self.pgbin = pg_bindir()
        self.pg_data = self.tmp / "pg"
        self.ports = {name: free_port() for name in ("pg", "redis", "bbb", "mm", "smtp", "app1", "app2", "nginx")}
        self.pg_running = False
        self.env: dict[str, str] = {}

    # generic child processes, each in its own process group (ended by its id only)
    def spawn(self, name: str, cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        fh = open(log, "ab")
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd or ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        fh.close()
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig=signal.SIGTERM, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def as_postgres(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self.root_user:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def cleanup(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name, timeout=10)
        if self.pg_running:
            self.as_postgres(
                [str(self.pgbin / "pg_ctl"), "-D", str(self.pg_data), "-m", "immediate", "stop"], check=False
            )
            self.pg_running = False
        if self.keep:
            say(f"Temp-Verzeichnis bleibt: {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # PostgreSQL
    def start_postgres(self, init: bool = True) -> None:
        if init:
            self.pg_data.mkdir()
            if self.root_user:
                shutil.chown(self.pg_data, "postgres")
            self.as_postgres([str(self.pgbin / "initdb"), "-A", "trust", "-U", "postgres", "-D", str(self.pg_data)])
        self.as_postgres(
            [
                str(self.pgbin / "pg_ctl"),
                "-D",
                str(self.pg_data),
                "-l",
                str(self.pg_data / "server.log"),
                "-w",
                "-o",
                f"-h 127.0.0.1 -p {self.ports['pg']} -k {self.pg_data}",
                "start",
            ]
        )
        self.pg_running = True

    def stop_postgres(self) -> None:
        self.as_postgres([str(self.pgbin / "pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "-w", "stop"])
        self.pg_running = False

    def psql(self, sql: str) -> str:
        result = self.as_postgres(
            [
                str(self.pgbin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.ports["pg"]),
                "-U",
                "postgres",
                "-d",
                "vereinsraum",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ]
        )
        return result.stdout.strip()

    # Redis
    def start_redis(self) -> None:
        (self.tmp / "redis").mkdir(exist_ok=True)
        self.spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.ports["redis"]),
                "--dir",
                str(self.tmp / "redis"),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--protected-mode",
                "yes",
                "--daemonize",
                "no",
            ],
        )
        wait_for(lambda: port_open(self.ports["redis"]), 15, what="redis")

    def redis(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.ports["redis"], socket_timeout=2)

    # stand-ins and mail
    def start_standins(self) -> None:
        users = self.tmp / "mm-users.txt"
        users.write_text("".join(f"{e.split('@')[0]} {e}\n" for e in EXTRA_MEMBERS))
        for kind, port_name in (("bbb", "bbb"), ("mattermost", "mm")):
            env_file = self.tmp / f"{kind}.env"
            cmd = [
                sys.executable,
                str(ROOT / "deploy" / "standin.py"),
                kind,
                "--port",
                str(self.ports[port_name]),
                "--env-file",
                str(env_file),
            ]
            if kind == "mattermost":
                cmd += ["--extra-users", str(users)]
            self.spawn(f"standin-{kind}", cmd, env=self.base_env())
        for kind in ("bbb", "mattermost"):
            env_file = self.tmp / f"{kind}.env"
            wait_for(env_file.exists, 30, what=f"{kind} stand-in")
            for line in env_file.read_text().splitlines():
                key, _sep, value = line.partition("=")
                self.env[key] = value

    def start_smtp(self):
        from aiosmtpd.controller import Controller

        mails: list[tuple[list[str], str]] = []
        lock = threading.Lock()

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler API
                import email
                import email.policy

                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with lock:
                    mails.append((list(envelope.rcpt_tos), str(msg["Subject"])))
                return "250 OK"

        controller = Controller(Handler(), hostname="127.0.0.1", port=self.ports["smtp"])
        controller.start()
        self.smtp = controller
        self.mails = mails
        return mails

    def mails_to(self, address: str, subject_part: str) -> int:
        return sum(1 for rcpt, subject in list(self.mails) if address in rcpt and subject_part in subject)

    # the app
    def base_env(self) -> dict:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
        return {**keep, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}

    def app_env(self) -> dict:
        return {
            **self.base_env(),
            **self.env,
            "FLASK_APP": "wsgi.py",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{self.ports['pg']}/vereinsraum",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "BASE_URL": f"http://127.0.0.1:{self.ports['nginx']}",
            "TRUSTED_PROXY_COUNT": "1",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.ports["smtp"]),
            "MAIL_DEFAULT_SENDER": "Vereinsraum <noreply@vereinsraum.example>",
            "BBB_STATUS_TTL": str(BBB_TTL),
            "DATA_EXPORT_DIR": str(self.tmp / "exports"),
            "STATIC_BUILD_DIR": str(self.tmp / "static"),
            "PG_BIN_DIR": str(self.pgbin),
            "WEB_CONCURRENCY": "2",
            "CHAT_OP_LEASE_SECONDS": str(CHAT_OP_LEASE),
            "CHAT_SWEEP_MINUTES": "1",
            # Approval would provision every demo club's channel (on by default with MATTERMOST_URL); the chat
            # fault check creates the Imkerverein's channel itself and counts every call, so the demo's do not.
            "MATTERMOST_AUTO_PROVISION": "false",
        }

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(BIN / "flask"), *args], env=self.app_env(), cwd=ROOT, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start_app(self, n: int) -> None:
        port = self.ports[f"app{n}"]
        env = {**self.app_env(), "GUNICORN_BIND": f"127.0.0.1:{port}"}
        program, *args = WEB_COMMAND
        self.spawn(f"app{n}", [str(BIN / program), *args], env=env, cwd=ROOT)

    def start_consumer(self) -> None:
        # as the README starts it
        program, *args = WORKER_COMMAND
        self.spawn("worker", [str(BIN / program), *args], env=self.app_env(), cwd=ROOT)

    def start_nginx(self) -> None:
        run_dir = self.tmp / "nginx"
        run_dir.mkdir()
        values = {
            "VR_APP1": f"127.0.0.1:{self.ports['app1']}",
            "VR_APP2": f"127.0.0.1:{self.ports['app2']}",
            "VR_LISTEN": f"127.0.0.1:{self.ports['nginx']}",
            "VR_SERVER_NAME": "127.0.0.1 localhost",
            "VR_ACCESS_LOG": str(run_dir / "access.log"),
            "VR_RUN_DIR": str(run_dir),
            "VR_SITE_CONF": str(run_dir / "site.conf"),
            "VR_LOG_FORMAT_CONF": str(ROOT / "deploy" / "nginx" / "log-format.conf"),
            "VR_USER_LINE": "user root;" if self.root_user else "",
        }
        render(ROOT / "deploy" / "nginx" / "vereinsraum.conf.template", run_dir / "site.conf", values)
        render(ROOT / "deploy" / "nginx" / "nginx-main.conf.template", run_dir / "nginx.conf", values)
        test = subprocess.run(["nginx", "-t", "-c", str(run_dir / "nginx.conf")], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t: {test.stderr}")
        self.spawn("nginx", ["nginx", "-c", str(run_dir / "nginx.conf")])
        self.access_log = run_dir / "access.log"
        wait_for(lambda: port_open(self.ports["nginx"]), 15, what="nginx")

    def log_text(self, name: str) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""


def throwaway_certificate(name: str, certificate: Path, key: Path) -> None:
    """A self-signed certificate for ``name``, valid for a day (only for ``nginx -t``)."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(private, hashes.SHA256())
    )
    certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def render(template: Path, target: Path, values: dict) -> None:
    text = template.read_text()
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    missing = re.findall(r"\$\{VR_[A-Z0-9_]+\}", text)
    if missing:
        raise RuntimeError(f"{template.name}: unset {missing}")
    target.write_text(text)


# --- HTTP as a person ---------------------------------------------------------------------------------


class Browser:
    def __init__(self, base: str):
        import requests

        self.base = base
        self.session = requests.Session()

    def get(self, path: str, **kwargs):
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.base + path, **kwargs)

    def csrf(self, path: str) -> str:
        page = self.get(path).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(r'"X-CSRFToken": "([^"]+)"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def post(self, path: str, data: dict | None = None, csrf_from: str | None = None, **kwargs):
        data = dict(data or {})
        data["csrf_token"] = self.csrf(csrf_from or path)
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return self.session.post(self.base + path, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        return self.post("/konto/anmelden", {"email": email, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 303 and "/anmelden" not in response.headers.get("Location", "")


# --- the checks -----------------------------------------------------------------------------------------


class Check:
    def __init__(self, topo: Topology):
        self.t = topo
        self.results: list[tuple[str, bool, str]] = []
        self.nginx = f"http://127.0.0.1:{topo.ports['nginx']}"

    def record(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok, detail))
        say(f"{'PASS' if ok else 'FAIL'}  {name}" + (f" – {detail}" if detail else ""))
        return ok

    def run(self, name: str, fn) -> None:
        started = time.monotonic()
        try:
            ok, detail = fn()
        except Exception as exc:  # noqa: BLE001 – a crashed check is a failed check
            ok, detail = False, f"{exc.__class__.__name__}: {exc}"
        self.record(name, ok, f"{detail} ({time.monotonic() - started:.1f} s)")

    def browser(self) -> Browser:
        return Browser(self.nginx)

    def health(self, n: int):
        import requests

        response = requests.get(f"http://127.0.0.1:{self.t.ports[f'app{n}']}/healthz", timeout=10)
        return response.status_code, response.json()

    def upstreams(self, since: int, method: str, path_prefix: str) -> list[str]:
        lines = self.t.access_log.read_text().splitlines()[since:]
        found = []
        for line in lines:
            if f'"{method} {path_prefix}' in line:
                match = re.search(r"upstream=(\S+)", line)
                found.append(match.group(1) if match else "-")
        return found

    def log_mark(self) -> int:
        return len(self.t.access_log.read_text().splitlines())

    def flush_rate_limits(self) -> None:
        client = self.t.redis()
        for pattern in ("LIMITS*", "LIMITER*"):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)

    def app_ports(self) -> set[str]:
        return {f"127.0.0.1:{self.t.ports['app1']}", f"127.0.0.1:{self.t.ports['app2']}"}

    # 1. topology and health ---------------------------------------------------------------------------
    def check_health_ok(self):
        def both_ok():
            return all(self.health(n)[0] == 200 for n in (1, 2))

        wait_for(both_ok, 60, 0.5, "both instances healthy (worker heartbeat)")
        details = []
        for n in (1, 2):
            status, body = self.health(n)
            ok = (
                status == 200
                and body["database"] == "ok"
                and body["redis"] == "ok"
                and body["worker"]["status"] == "ok"
                and isinstance(body["queue"]["pending"], int)
            )
            if not ok:
                return False, f"app{n}: {status} {body}"
            details.append(f"app{n} {status} worker={body['worker']} queue={body['queue']}")
        outside = self.browser().get("/healthz")
        # nginx lets only 127.0.0.1/::1 see /healthz: from another address (127.0.0.2, still this machine)
        # it is 403, while the login page is served to that address as usual.
        other = {path: self.from_address("127.0.0.2", path) for path in ("/healthz", "/konto/anmelden")}
        ok = outside.status_code == 200 and other == {"/healthz": 403, "/konto/anmelden": 200}
        return ok, "; ".join(details) + (
            f"; via nginx from 127.0.0.1: {outside.status_code}, from 127.0.0.2: "
            f"/healthz {other['/healthz']}, login page {other['/konto/anmelden']}"
        )

    def from_address(self, source: str, path: str) -> int:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.t.ports["nginx"], timeout=10, source_address=(source, 0))
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        finally:
            conn.close()

    def check_static(self):
        b = self.browser()
        page = b.get("/konto/anmelden").text
        match = re.search(r'href="(/static/css/app\.[0-9a-f]{8,}\.css)"', page)
        if not match:
            return False, "no hashed CSS URL in the page"
        url = match.group(1)
        response = b.get(url, headers={"Accept-Encoding": "gzip"})
        cache_control = response.headers.get("Cache-Control", "")
        ok = (
            response.status_code == 200
            and "max-age=31536000" in cache_control
            and "immutable" in cache_control
            and response.headers.get("Content-Encoding") == "gzip"
        )
        return (
            ok,
            f"{url}: {response.status_code} Cache-Control={cache_control!r} "
            f"Content-Encoding={response.headers.get('Content-Encoding')}",
        )

    def check_shared_login(self):
        import requests

        b = self.browser()
        mark = self.log_mark()
        if not logged_in(b.login(BOARD)):
            return False, "login failed"
        statuses = [b.get(f"/c/{self.slug}/").status_code for _ in range(6)]
        # nginx writes a line when the request is finished, so the log is read after the later requests
        wait_for(lambda: len(self.upstreams(mark, "GET", f"/c/{self.slug}/")) == 6, 10, what="access log")
        served = [u for u in self.upstreams(mark, "POST", "/konto/anmelden") if u in self.app_ports()]
        pages = self.upstreams(mark, "GET", f"/c/{self.slug}/")
        other = self.app_ports() - set(served[-1:])
        direct = [
            requests.get(
                f"http://127.0.0.1:{self.t.ports[f'app{n}']}/c/{self.slug}/",
                cookies=b.session.cookies,
                allow_redirects=False,
                timeout=10,
            ).status_code
            for n in (1, 2)
        ]
        ok = (
            len(served) >= 1  # the login (last POST) was served by one instance ...
            and len(other) == 1
            and other <= set(pages)  # ... and the other instance served the logged-in workspace
            and statuses == [200] * 6
            and set(pages) == self.app_ports()
            and direct == [200, 200]
        )
        return (
            ok,
            f"login served by {served}; workspace via nginx {statuses} from {sorted(set(pages))}; "
            f"same cookie directly on app1/app2: {direct}",
        )

    def check_rate_limit(self):
        """Both login limits are shared: per client address (10/min: 11th attempt → 429, each with another
        unknown address so the per-account limit does not interfere) and per account (5 failed/min: the 6th
        attempt on one account → 429), with the attempts alternating between the instances."""
        self.flush_rate_limits()
        b = self.browser()
        mark = self.log_mark()
        token = b.csrf("/konto/anmelden")  # one token for the session: the POSTs alternate between instances

        def attempt(email):
            return b.session.post(
                self.nginx + "/konto/anmelden",
                data={"email": email, "password": "falsch-falsch", "csrf_token": token},
                allow_redirects=False,
                timeout=15,
            ).status_code

        per_address = [attempt(f"niemand-{n}@example.org") for n in range(11)]
        served = self.upstreams(mark, "POST", "/konto/anmelden")
        self.flush_rate_limits()
        per_account = [attempt(BOARD) for _ in range(6)]
        self.flush_rate_limits()
        ok = (
            set(per_address[:10]) == {422}
            and per_address[10] == 429
            and set(per_account[:5]) == {422}
            and per_account[5] == 429
            and set(served) == self.app_ports()
        )
        spread = {addr: served.count(addr) for addr in sorted(set(served))}
        return ok, (
            f"per address {per_address}, per account {per_account} (422 = wrong password); "
            f"attempts per instance {spread}"
        )

    def check_bbb_cache(self):
        import requests

        boards = [self.browser() for _ in range(3)]
        for b in boards:
            assert logged_in(b.login(BOARD))
        self.flush_rate_limits()
        before = self.bbb_calls().count("getMeetings")
        mark = self.log_mark()
        stop = time.monotonic() + 3 * BBB_TTL + 0.5
        started = time.monotonic()
        count = [0]
        errors = []

        def hammer(b):
            while time.monotonic() < stop:
                r = b.get(f"/c/{self.slug}/konferenzen/", headers={"HX-Request": "true"})
                count[0] += 1
                if r.status_code != 200 or "meetings-panel" not in r.text:
                    errors.append(r.status_code)

        threads = [threading.Thread(target=hammer, args=(b,)) for b in boards]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        window = time.monotonic() - started
        calls = self.bbb_calls().count("getMeetings") - before
        served = set(self.upstreams(mark, "GET", f"/c/{self.slug}/konferenzen/"))
        allowed = math.ceil(window / BBB_TTL) + 1
        del requests
        ok = 1 <= calls <= allowed and not errors and served == self.app_ports()
        return (
            ok,
            f"{count[0]} panel requests over {window:.1f} s on {sorted(served)}, "
            f"getMeetings at the stand-in: {calls} (TTL {BBB_TTL:g} s, at most {allowed})",
        )

    def bbb_calls(self) -> list[str]:
        import requests

        return requests.get(f"http://127.0.0.1:{self.t.ports['bbb']}/_check/state", timeout=10).json()["calls"]

    def mm_state(self) -> dict:
        import requests

        return requests.get(f"http://127.0.0.1:{self.t.ports['mm']}/_check/state", timeout=10).json()

    def mm_knobs(self, **values) -> None:
        import requests

        requests.post(f"http://127.0.0.1:{self.t.ports['mm']}/_check/knobs", json=values, timeout=10)

    def check_job_once(self):
        b = self.browser()
        assert logged_in(b.login(MEMBER))
        mark = self.log_mark()
        response = b.post("/konto/meine-daten/export", csrf_from="/konto/meine-daten")
        served = self.upstreams(mark, "POST", "/konto/meine-daten/export")
        wait_for(lambda: self.t.mails_to(MEMBER, "Datenexport") >= 1, 60, 0.3, "export mail")
        time.sleep(3)  # a second run would have mailed again by now
        mails = self.t.mails_to(MEMBER, "Datenexport")
        runs = len(self.executions("prepare_user_export"))
        ready = self.t.psql("SELECT count(*) FROM data_export WHERE status = 'ready'")
        # any log format: a line written twice (root handler and huey's own) would show up here
        lines = [
            line
            for line in self.t.log_text("worker").splitlines()
            if "Executing app.dataprotection.tasks.prepare_user_export" in line
        ]
        ok = response.status_code == 200 and mails == 1 and runs == 1 and ready == "1" and len(lines) == 1
        return ok, (
            f"queued by {served}; consumer ran it {runs}×; mails {mails}; ready exports {ready}; "
            f"'Executing' lines in the consumer log: {len(lines)}"
        )

    def executions(self, task: str) -> list[str]:
        """Task ids the consumer started, from its log (huey's own log format: one line per execution)."""
        return re.findall(r"INFO:huey:Worker-\d+:Executing \S*" + task + r": (\S+)", self.t.log_text("worker"))

    # 2. faults ---------------------------------------------------------------------------------------------
    def check_chat_kill(self):
        """SIGKILL the consumer in the middle of provisioning a channel (members being added), restart it, press
        nothing: once CHAT_OP_LEASE has passed, the periodic sweep (every minute here) resumes the op, which
        skips what the killed attempt recorded and asks Mattermost about the one add in flight."""
        board = self.browser()
        assert logged_in(board.login(BOARD))
        registered = self.t.log_text("worker")
        if "app.chat.tasks.run_op" not in registered:
            return False, (
                "the consumer does not know the chat tasks (app.chat.tasks.run_op is not in its task "
                "list) – ISSUE 12 item 6"
            )
        self.mm_knobs(slow=0.25)
        response = board.post(
            f"/c/{self.slug}/chat/einstellungen/anlegen", csrf_from=f"/c/{self.slug}/chat/einstellungen"
        )
        if response.status_code not in (200, 303):
            return False, f"provisioning request answered {response.status_code}"

        def adds():
            return [
                c for c in self.mm_state()["calls"] if c.startswith("POST /api/v4/channels/") and c.endswith("/members")
            ]

        wait_for(lambda: len(adds()) >= 3, 60, 0.1, "three members added")
        self.t.stop("worker", signal.SIGKILL)
        killed_at = time.monotonic()
        killed_after = len(adds())
        self.mm_knobs(slow=0)
        pending = self.t.psql("SELECT count(*) FROM chat_op WHERE status = 'pending'")
        worker_log_before = len(self.t.log_text("worker"))
        self.t.start_consumer()
        expected = sorted([BOARD, MEMBER, *EXTRA_MEMBERS, "vereinsraum-bot"])

        def channel():
            for name, info in self.mm_state()["channels"].items():
                if name.startswith("imkerverein"):  # the one provisioned here (the stand-in has a demo "imker-pankow")
                    return info
            return None

        def complete():
            info = channel()
            return (
                info
                and sorted(info["members"]) == expected
                and self.t.psql("SELECT count(*) FROM chat_op WHERE status <> 'done'") == "0"
            )

        wait_for(complete, CHAT_OP_LEASE + 90, 0.3, "channel complete (periodic sweep after the lease)")
        finished_after = time.monotonic() - killed_at
        time.sleep(2)
        state = self.mm_state()
        creates = [c for c in state["calls"] if c == "POST /api/v4/channels"]
        info = channel()
        welcomes = [m for m in info["markers"] if m and m.startswith("welcome-")]
        ops = self.t.psql("SELECT kind || ':' || status || ':' || attempts FROM chat_op ORDER BY id")
        add_calls = len(
            [c for c in state["calls"] if c.startswith("POST /api/v4/channels/") and c.endswith("/members")]
        )
        members = len(expected) - 1  # the bot created the channel
        sweeps = self.t.log_text("worker")[worker_log_before:].count("Executing app.chat.tasks.chat.process_due")
        pressed = self.upstreams(0, "POST", f"/c/{self.slug}/chat/erneut")
        ok = (
            len(creates) == 1
            and len(welcomes) == 1
            and sorted(info["members"]) == expected
            and add_calls == members
            and pending != "0"
            and sweeps >= 1
            and not pressed
            and ops.split() == ["provision:done:2"]
        )
        return ok, (
            f"killed after {killed_after} member adds with {pending} op(s) pending; restarted, no button: "
            f"the sweep ({sweeps} run(s) since the restart) finished it {finished_after:.0f} s after the "
            f"kill (lease {CHAT_OP_LEASE} s); channels created {len(creates)}, welcome posts {len(welcomes)}, "
            f"members {len(info['members'])}/{len(expected)}, ops {ops.split()} (kind:status:attempts); "
            f"add-member calls {add_calls} for {members} members (each once: progress recorded per member, "
            f"the add in flight at the kill checked before repeating it)"
        )

    def check_postgres_restart(self):
        b = self.browser()
        assert logged_in(b.login(BOARD))
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    code = b.get(f"/c/{self.slug}/datenschutz/", timeout=10).status_code
                except Exception:  # noqa: BLE001
                    code = 0
                samples.append((time.monotonic(), code))
                time.sleep(0.05)

        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(1.5)
        down_at = time.monotonic()
        self.t.stop_postgres()
        time.sleep(0.5)
        during = [self.health(n) for n in (1, 2)]
        self.t.start_postgres(init=False)
        up_at = time.monotonic()
        time.sleep(3)
        stop.set()
        thread.join()
        before = [c for ts, c in samples if ts < down_at]
        after = [c for ts, c in samples if ts > up_at + 0.5]
        in_window = [c for ts, c in samples if down_at <= ts <= up_at + 0.5]
        health_after = [self.health(n)[0] for n in (1, 2)]
        ok = (
            before
            and set(before) == {200}
            and after
            and set(after) == {200}
            and all(s == 503 and body["database"] == "error" for s, body in during)
            and health_after == [200, 200]
        )
        failed = sum(1 for c in in_window if c != 200)
        return ok, (
            f"{len(before)} requests before: all 200; during the {up_at - down_at:.1f} s restart "
            f"{failed}/{len(in_window)} failed and /healthz said {[s for s, _b in during]}; "
            f"{len(after)} requests after: {sorted(set(after))}; health after {health_after}; "
            f"apps not restarted"
        )

    def check_worker_down_health(self):
        self.t.stop("worker", signal.SIGINT)  # graceful: the consumer says it stopped
        statuses = [self.health(n) for n in (1, 2)]
        ok = all(s == 503 and body["worker"]["status"] == "stopped" for s, body in statuses)
        return ok, f"after stopping the consumer: {[(s, body['worker']) for s, body in statuses]}"

    def check_redis_down(self):
        # the consumer is stopped (previous check): a job queued now waits in Redis
        member = self.browser()
        assert logged_in(member.login(BOARD))
        before_mails = self.t.mails_to(BOARD, "Datenexport")
        response = member.post("/konto/meine-daten/export", csrf_from="/konto/meine-daten")
        queued = self.health(1)[1]["queue"]["pending"]
        self.t.stop("redis")
        time.sleep(0.3)
        b = self.browser()
        pages = [b.get("/").status_code for _ in range(4)]
        login_ok = logged_in(b.login(BOARD))
        work = [b.get(f"/c/{self.slug}/").status_code for _ in range(4)]
        panel = [b.get(f"/c/{self.slug}/konferenzen/", headers={"HX-Request": "true"}).status_code for _ in range(4)]
        # a request that needs a new job while Redis is down: German 503 with "try again", nothing written
        asker = self.browser()
        asker_login = logged_in(asker.login(EXPORT_ASKER))
        uid = self.t.psql(f"SELECT id FROM \"user\" WHERE email = '{EXPORT_ASKER}'")

        def written():
            return (
                self.t.psql(f"SELECT count(*) FROM data_export WHERE user_id = {uid}"),
                self.t.psql(
                    f"SELECT count(*) FROM audit_entry WHERE actor_id = {uid} AND action = 'privacy.export_requested'"
                ),
            )

        written_before = written()
        refused = asker.post("/konto/meine-daten/export", csrf_from="/konto/meine-daten")
        refused_htmx = asker.post(
            "/konto/meine-daten/export", csrf_from="/konto/meine-daten", headers={"HX-Request": "true"}
        )
        written_after = written()
        anonymous = self.browser()
        after_refusal = [anonymous.get("/").status_code for _ in range(4)]  # the 503s took no instance out of nginx
        refusal_ok = (
            asker_login
            and refused.status_code == 503
            and "<html" in refused.text
            and "in ein paar Minuten erneut" in refused.text
            and "nichts gespeichert" in refused.text
            and refused_htmx.status_code == 503
            and "<html" not in refused_htmx.text
            and "in ein paar Minuten erneut" in refused_htmx.text
            and written_before == written_after == ("0", "0")
            and set(after_refusal) == {200}
        )
        wrong = self.browser()
        codes = []
        token = wrong.csrf("/konto/anmelden")
        while len(codes) < 45 and 429 not in codes:  # 2 instances × WEB_CONCURRENCY processes, 10 each
            codes.append(
                wrong.session.post(
                    self.nginx + "/konto/anmelden",
                    data={"email": MEMBER, "password": "falsch", "csrf_token": token},
                    allow_redirects=False,
                    timeout=15,
                ).status_code
            )
        health = [self.health(n) for n in (1, 2)]
        logs = self.t.log_text("app1") + self.t.log_text("app2")
        log_lines = [
            line
            for line in logs.splitlines()
            if "Redis nicht erreichbar" in line or "storage unreachable" in line.lower()
        ]
        limiter_fallback = any("storage unreachable" in line.lower() for line in log_lines)
        queue_lines = [line for line in logs.splitlines() if QUEUE_DOWN_LOG in line]  # one per refused request
        self.t.start_consumer()  # it starts while Redis is down and waits for it
        time.sleep(2)
        not_run = self.t.mails_to(BOARD, "Datenexport") == before_mails
        self.t.start_redis()
        wait_for(lambda: self.t.mails_to(BOARD, "Datenexport") == before_mails + 1, 60, 0.3, "queued export ran")
        # Redis is back: the same request as before now works (no export left "pending" blocks it)
        retried = asker.post("/konto/meine-daten/export", csrf_from="/konto/meine-daten")
        wait_for(lambda: self.t.mails_to(EXPORT_ASKER, "Datenexport") == 1, 60, 0.3, "retried export ran")
        time.sleep(2)
        once = self.t.mails_to(BOARD, "Datenexport") == before_mails + 1
        retried_once = self.t.mails_to(EXPORT_ASKER, "Datenexport") == 1 and written() == ("1", "1")
        wait_for(lambda: all(self.health(n)[0] == 200 for n in (1, 2)), 90, 0.5, "healthy again")
        ok = (
            response.status_code == 200
            and queued >= 1
            and set(pages) == {200}
            and login_ok
            and set(work) == {200}
            and set(panel) == {200}
            and 429 in codes
            and limiter_fallback
            and all(s == 503 and body["redis"] == "error" for s, body in health)
            and log_lines
            and not_run
            and once
            and refusal_ok
            and len(queue_lines) == 2
            and retried.status_code == 200
            and retried_once
        )
        return ok, (
            f"job queued ({queued} pending), Redis stopped: pages {pages}, login {'ok' if login_ok else 'FAILED'}, "
            f"workspace {work}, BBB panel {panel}; personal export requested: {refused.status_code} page + "
            f"{refused_htmx.status_code} htmx message ('… in ein paar Minuten erneut versuchen'), "
            f"written (exports, audit) {written_before} → {written_after}, pages after it {after_refusal}, "
            f"{len(queue_lines)} log line(s) for the 2 refusals; limiter fell back to memory: {limiter_fallback}, "
            f"429 at attempt {len(codes) if 429 in codes else '-'} (limits per process now), "
            f"/healthz {[(s, body['redis']) for s, body in health]}, log: {log_lines[0].split(' ', 2)[-1][:90] if log_lines else '-'!r}; "
            f"job waited while Redis was down: {not_run}; ran once after Redis returned: {once}; "
            f"same export request after Redis returned: {retried.status_code}, mailed once: {retried_once}; "
            f"health 200 again"
        )

    # 3. backup and restore -------------------------------------------------------------------------------
    def check_tls_config(self):
        """The TLS site (deploy/nginx/vereinsraum-tls.conf.template) is valid nginx: rendered with a throwaway
        self-signed certificate and checked with ``nginx -t`` (which reads the certificate and key)."""
        run_dir = self.t.tmp / "nginx-tls"
        run_dir.mkdir()
        certificate, key = run_dir / "fullchain.pem", run_dir / "privkey.pem"
        throwaway_certificate("vereinsraum.example", certificate, key)
        values = {
            "VR_APP1": f"127.0.0.1:{self.t.ports['app1']}",
            "VR_APP2": f"127.0.0.1:{self.t.ports['app2']}",
            "VR_SERVER_NAME": "vereinsraum.example",
            "VR_TLS_CERTIFICATE": str(certificate),
            "VR_TLS_CERTIFICATE_KEY": str(key),
            "VR_ACCESS_LOG": str(run_dir / "access.log"),
            "VR_RUN_DIR": str(run_dir),
            "VR_SITE_CONF": str(run_dir / "site.conf"),
            "VR_LOG_FORMAT_CONF": str(ROOT / "deploy" / "nginx" / "log-format.conf"),
            "VR_USER_LINE": "user root;" if self.t.root_user else "",
        }
        render(ROOT / "deploy" / "nginx" / "vereinsraum-tls.conf.template", run_dir / "site.conf", values)
        render(ROOT / "deploy" / "nginx" / "nginx-main.conf.template", run_dir / "nginx.conf", values)
        test = subprocess.run(["nginx", "-t", "-c", str(run_dir / "nginx.conf")], capture_output=True, text=True)
        site = (run_dir / "site.conf").read_text()
        facts = {
            "nginx -t": test.returncode == 0,
            "HTTP redirects to HTTPS": "return 301 https://" in site,
            "only TLS 1.2/1.3": "ssl_protocols TLSv1.2 TLSv1.3;" in site,
            "/healthz loopback only": "allow 127.0.0.1;" in site and "deny all;" in site,
        }
        detail = ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in facts.items())
        return all(facts.values()), detail + ("" if test.returncode == 0 else f" ({test.stderr.strip()[-300:]})")

    def check_backup_restore(self):
        tables = ("privacy_answer", "scheduled_meeting", "audit_entry", "meeting_room", "club", '"user"')

        def counts():
            return {t: self.t.psql(f"SELECT count(*) FROM {t}") for t in tables}

        before = counts()
        dump = self.t.tmp / "backup" / "vereinsraum.dump"
        backup = self.t.flask("backup", str(dump))
        self.t.psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        wiped = self.t.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        restore = self.t.flask("restore", "--yes", str(dump))
        after = counts()
        self.flush_rate_limits()
        b = self.browser()
        login = logged_in(b.login(BOARD))
        checklist = b.get(f"/c/{self.slug}/datenschutz/punkt/{self.setup['item_key']}").text
        history = b.get(f"/c/{self.slug}/datenschutz/punkt/{self.setup['item_key']}/verlauf").text
        meetings = b.get(f"/c/{self.slug}/konferenzen/termine/{self.setup['meeting_id']}").text
        own_entry = self.t.psql(
            "SELECT count(*) FROM audit_entry a JOIN club c ON c.id = a.club_id "
            f"WHERE a.action = 'ops.prod_check' AND c.slug = '{self.slug}'"
        )
        facts = {
            "row counts equal": before == after,
            "wiped": wiped == "0",
            "board login": login,
            "checklist answer shown": self.setup["note"] in checklist,
            "answer history shown": self.setup["note"] in history,
            "scheduled meeting shown": self.setup["meeting_title"] in meetings,
            "audit log kept": int(after["audit_entry"]) > 0 and after["audit_entry"] == before["audit_entry"],
            "the check's own audit entry, with its club": own_entry == "1",
            "commands": "geschrieben" in backup.stdout and "eingespielt" in restore.stdout,
        }
        ok = all(facts.values())
        return ok, (
            f"{dump.stat().st_size} bytes; wiped ({wiped} tables left), restored rows {after}; "
            + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in facts.items())
        )


SETUP = r"""
import json, sys
from datetime import timedelta
import sqlalchemy as sa
from app import create_app
from app.extensions import db

app = create_app()
with app.app_context():
    from app.auth.models import User
    from app.auth.services import create_user
    from app.clubs.models import Membership, Role
    from app.core.audit import audit_record
    from app.core.db import utcnow
    from app.meetings import calendar as cal
    from app.meetings.services import ensure_default_room
    from app.privacy.services import current_items, refresh_assessment, save_answer

    board = db.session.scalar(sa.select(User).where(User.email == sys.argv[1]))
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == board.id))
    club = membership.club
    for email in sys.argv[2].split(","):
        user = create_user(email, email.split("@")[0].capitalize(), "vereinsraum-demo", confirmed=True)
        db.session.add(Membership(club_id=club.id, user_id=user.id, role=Role.MEMBER))
    db.session.commit()
    note = "Prüflauf: Verzeichnis liegt im Vorstandsordner"
    from app.privacy.models import Answer

    answered = set(db.session.scalars(sa.select(Answer.item_key).where(Answer.club_id == club.id)))
    item = next(i for i in current_items() if i.key not in answered)  # the demo has answered about half
    save_answer(club, item, board, {"status": "yes", "note": note, "responsible_id": None, "due_date": None}, 0, {})
    refresh_assessment(club)
    db.session.commit()
    room = ensure_default_room(club)
    meeting = cal.schedule(club, room=room, title="Mitgliederversammlung (Prüflauf)",
                           starts_at=utcnow() + timedelta(days=7), duration_minutes=60, agenda="1. Bericht",
                           by=board, notify=False)
    audit_record("ops.prod_check", actor=board, club=club)
    db.session.commit()
    print(json.dumps({"slug": club.slug, "note": note, "item_key": item.key, "meeting_title": meeting.title, "meeting_id": meeting.id}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="Production topology on loopback")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (logs) after the run")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start the topology with demo data and keep it running until Ctrl-C (no checks)",
    )
    args = parser.parse_args()
    for tool in ("nginx", "redis-server"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            say(f"FAIL  {tool} fehlt (apt-get install nginx redis-server)")
            return 1
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    started = time.monotonic()
    topo = Topology(args.keep)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored
    signal.signal(signal.SIGHUP, on_signal)
    check = Check(topo)
    try:
        topo.secret_key = secrets.token_hex(32)
        say(f"Temp-Verzeichnis: {topo.tmp}")
        topo.start_postgres()
        topo.as_postgres(
            [
                str(topo.pgbin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(topo.ports["pg"]),
                "-U",
                "postgres",
                "vereinsraum",
            ]
        )
        topo.start_redis()
        topo.start_standins()
        topo.start_smtp()
        topo.flask("assets")
        topo.flask("db", "upgrade", "heads")
        topo.flask("content-sync")
        topo.flask("seed-demo", "--without-chat")  # the chat check provisions the channel itself
        setup = subprocess.run(
            [sys.executable, "-c", SETUP, BOARD, ",".join(EXTRA_MEMBERS)],
            env=topo.app_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if setup.returncode != 0:
            raise RuntimeError(f"setting up the check's data failed:\n{setup.stderr[-3000:]}")
        check.setup = json.loads(setup.stdout.strip().splitlines()[-1])
        check.slug = check.setup["slug"]
        topo.start_app(1)
        topo.start_app(2)
        topo.start_consumer()
        for n in (1, 2):
            wait_for(lambda n=n: port_open(topo.ports[f"app{n}"]), 60, what=f"app{n}")
        topo.start_nginx()
        check.record(
            "topology up",
            True,
            f"PostgreSQL {topo.pgbin.parent.name}, Redis, nginx, 2 × gunicorn, "
            f"consumer, stand-ins ({time.monotonic() - started:.1f} s)",
        )
        if args.serve:
            say(
                f"\nVereinsraum hinter nginx: {check.nginx}/  (Demo-Zugänge: README, Passwort {PASSWORD})\n"
                f"Instanzen: http://127.0.0.1:{topo.ports['app1']}/healthz, "
                f"http://127.0.0.1:{topo.ports['app2']}/healthz; Protokolle: {topo.tmp}\nBeenden mit Ctrl-C."
            )
            try:
                while all(p.poll() is None for p in topo.procs.values()):
                    time.sleep(1)
                say("Ein Prozess hat sich beendet – alles wird gestoppt.")
            except (KeyboardInterrupt, SystemExit):
                say("Wird beendet …")
            return 0

        check.run("health: /healthz on each instance (database, Redis, worker heartbeat, queue)", check.check_health_ok)
        check.run("static: hashed asset, immutable, gzip", check.check_static)
        check.run("shared login across both instances", check.check_shared_login)
        check.run(
            "shared login rate limits: 11th attempt per address, 6th per account across both instances is 429",
            check.check_rate_limit,
        )
        check.run("shared BBB live-status cache: at most one getMeetings per TTL", check.check_bbb_cache)
        check.run("job queued on one instance runs in the consumer exactly once", check.check_job_once)
        check.run(
            "fault: consumer killed (SIGKILL) mid chat sync, restarted: the sweep finishes it, every operation once",
            check.check_chat_kill,
        )
        check.run(
            "fault: PostgreSQL restarted while requests run (pooled connections checked)", check.check_postgres_restart
        )
        check.run("health: 503 when the worker is down", check.check_worker_down_health)
        check.run(
            "fault: Redis stopped (pages, limiter, caches, queued jobs; a new job is refused with 503, nothing "
            "written, and works once Redis is back)",
            check.check_redis_down,
        )
        check.run("TLS site config: nginx -t with a throwaway certificate", check.check_tls_config)
        check.run("backup, wipe, restore; board member finds answers, meetings, audit log", check.check_backup_restore)
    except BaseException as exc:  # noqa: BLE001 – report, clean up, fail
        check.record("prod-check aborted", False, f"{exc.__class__.__name__}: {exc}")
        for name in ("app1", "app2", "worker", "nginx"):
            tail = topo.log_text(name).splitlines()[-15:]
            if tail:
                say(f"--- {name} (last lines) ---\n" + "\n".join(tail))
    finally:
        if getattr(topo, "smtp", None):
            topo.smtp.stop()
        failed = [name for name, ok, _d in check.results if not ok]
        if failed and not topo.keep:
            for name in ("app1", "worker"):
                tail = topo.log_text(name).splitlines()[-20:]
                if tail:
                    say(f"--- {name} log (last lines) ---\n" + "\n".join(tail))
        topo.cleanup()
    passed = sum(1 for _n, ok, _d in check.results if ok)
    say(f"\nprod-check: {passed} passed, {len(failed)} failed in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
