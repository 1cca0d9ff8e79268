#!/usr/bin/env python3
"""Vereinsraum benchmark at city scale (a script, not a test).

    .venv/bin/python bench/run.py --clubs 10000

What it does, all on loopback (127.0.0.1) with bounded request counts and time:

1. creates a throw-away SQLite file in a temp directory (or uses --database-url),
   migrates it, loads the shipped content and runs ``flask seed-bench --clubs N``;
2. counts SQL statements per page in-process (test client + SQLAlchemy event);
3. starts the app under gunicorn and, side by side, a minimal Flask endpoint
   (bench/baseline.py) under the same gunicorn settings;
4. logs in as the seeded staff and board accounts and measures requests per
   second and p50/p95/p99 latency for: baseline, workspace page, the full workspace
   view (the page plus every panel it loads lazily), checklist save, admin club list
   (first page, filtered, search) and the statistics dashboard;
5. measures the full page weight (HTML of the page and its panels, CSS and JS, gzip);
6. prints Markdown tables (ratio to the baseline first, then absolute times; paste
   them into the README), checks the targets of issue 15 and stops the servers.

    .venv/bin/python bench/run.py --clubs 10000 --postgres postgresql://postgres@127.0.0.1:5432/
    .venv/bin/python bench/run.py --clubs 100000 --postgres postgresql://…/

``--postgres`` creates a throw-away database on that server (dropped afterwards).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-passwort-123"


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(cmd: list[str], env: dict) -> str:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    print(
        f"  {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}: {time.perf_counter() - started:.1f} s"
    )
    return result.stdout


# --- HTTP on loopback -----------------------------------------------------------------------


class Conn:
    """A keep-alive connection to 127.0.0.1 with a cookie jar of one cookie."""

    def __init__(self, port: int, cookie: str = ""):
        self.port, self.cookie = port, cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("vr_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace"), dict(response.getheaders())


def wait_ready(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _body, _h = Conn(port).request("GET", path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def login(port: int, email: str, totp_secret: str | None = None) -> Conn:
    """Log in as a person does; staff answer the second step with a code from their TOTP secret."""
    conn = Conn(port)
    _status, html, _h = conn.request("GET", "/konto/anmelden")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    status, _body, headers = conn.request(
        "POST", "/konto/anmelden", urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    )
    if status in (302, 303) and "/anmelden/code" in headers.get("Location", ""):
        if totp_secret is None:
            raise SystemExit(f"login of {email} asks for a second factor, but the bench has no secret")
        import pyotp

        _status, html, _h = conn.request("GET", "/konto/anmelden/code")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        code = pyotp.TOTP(totp_secret).now()
        status, _body, headers = conn.request(
            "POST", "/konto/anmelden/code", urlencode({"csrf_token": token, "code": code})
        )
    if status not in (302, 303):
        errors = re.findall(r'class="[^"]*(?:error|invalid)[^"]*"[^>]*>\s*([^<]+)', _body)
        raise SystemExit(f"login of {email} failed ({status}): {errors[:3]}")
    return conn


def csrf_header(conn: Conn, path: str) -> str:
    _status, html, _h = conn.request("GET", path)
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def _as_list(requests):
    return requests if isinstance(requests, list) else [requests]


def measure(port, cookie, make_request, n: int, concurrency: int, max_seconds: float, warmup: int = 5) -> dict:
    """make_request(thread_no, i) -> (method, path, body, headers), or a list of them (one "view": its latency
    is the sum of its requests, one after the other on the same connection); n over `concurrency` threads."""
    conns = [Conn(port, cookie) for _ in range(concurrency)]
    for t in range(concurrency):
        for w in range(max(1, warmup // concurrency)):
            for method, path, body, headers in _as_list(make_request(t, -1 - w)):
                conns[t].request(method, path, body, headers)
    latencies, errors, statuses = [], [0], {}
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def worker(t):
        while time.monotonic() < deadline:
            i = next(counter)
            if i >= n:
                return
            requests = _as_list(make_request(t, i))
            start = time.perf_counter()
            status = 0
            for method, path, body, headers in requests:
                status = max(status, conns[t].request(method, path, body, headers)[0])
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return summary(latencies, wall, errors[0], statuses)


def summary(latencies: list[float], wall: float, errors: int, statuses: dict) -> dict:
    """Percentiles (ms) and rate of a list of latencies (seconds)."""
    latencies = sorted(latencies)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))] * 1000

    return {
        "n": len(latencies),
        "rps": len(latencies) / wall if wall else 0,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "errors": errors,
        "statuses": statuses,
        "latencies": latencies,
        "wall": wall,
    }


def pooled(slices: list[dict]) -> dict:
    """One baseline from slices measured across the run: all their latencies together."""
    statuses: dict = {}
    for part in slices:
        for status, count in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    return summary(
        [latency for part in slices for latency in part["latencies"]],
        sum(part["wall"] for part in slices),
        sum(part["errors"] for part in slices),
        statuses,
    )


# --- in-process: bench data facts and SQL statements per page ----------------------------------


def enrol_second_factor(user) -> str:
    """Two-factor login for ``user`` (on with a fresh TOTP secret, as enrolment would, unless already on);
    returns the secret."""
    import pyotp

    from app.auth.models import TotpSecret
    from app.auth.twofactor import decrypt_secret, encrypt_secret
    from app.core.db import utcnow
    from app.extensions import db

    if user.totp is not None and user.totp.confirmed_at is not None:
        return decrypt_secret(user.totp.encrypted_secret)
    secret = pyotp.random_base32()
    db.session.add(TotpSecret(user=user, encrypted_secret=encrypt_secret(secret), confirmed_at=utcnow()))
    db.session.commit()
    return secret


def in_process(env: dict, pages: list[tuple[str, str, str, dict]]) -> tuple[dict, dict]:
    """Return (facts, {page name: statements}) using the app in this process."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db

    # The test client speaks as "localhost"; BASE_URL's host is trusted anyway.
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TRUSTED_HOSTS_EXTRA": ("localhost",)})
    facts, counts = {}, {}
    with app.app_context():
        from app.auth.models import User
        from app.clubs.models import Club

        club = db.session.scalar(sa.select(Club).where(Club.slug.like("bench-%")).order_by(Club.id))
        facts["club_slug"] = club.slug
        facts["board_email"] = db.session.scalar(sa.select(User.email).where(User.id == club.created_by_id))
        facts["staff_email"] = db.session.scalar(
            sa.select(User.email).where(User.is_staff.is_(True), User.email.like("bench-staff-%")).order_by(User.id)
        )
        facts["club_id"] = club.id
        facts["answers"] = {}
        try:
            from app.admin.queries import current_version_id
            from app.privacy.models import Answer, ChecklistItem

            keys = list(
                db.session.scalars(
                    sa.select(ChecklistItem.key)
                    .where(ChecklistItem.version_id == current_version_id())
                    .order_by(ChecklistItem.position)
                )
            )
            answers = {
                a.item_key: (a.version, a.status)
                for a in db.session.scalars(sa.select(Answer).where(Answer.club_id == club.id))
            }
            facts["answers"] = {k: answers.get(k, (0, None)) for k in keys}
        except ImportError:
            pass
        users = {
            "staff": db.session.scalar(sa.select(User).where(User.email == facts["staff_email"])),
            "board": db.session.scalar(sa.select(User).where(User.email == facts["board_email"])),
        }
        facts["staff_totp"] = enrol_second_factor(users["staff"])  # staff pages need two-factor login
        user_ids = {k: u.get_id() for k, u in users.items()}  # the session holds the session token
        engine = db.engine

    def statements(who, method, path, data, headers):
        # Requests run outside any app context, so each has its own session (cold, like production).
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_ids[who]
            session["_fresh"] = True
        seen = []

        def before(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        paths = path if isinstance(path, list) else [(path, headers)]
        for one, one_headers in paths:
            client.get(one, headers=one_headers)  # warm caches (content, templates); GET never changes data
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            if method == "GET":
                statuses = [client.get(one, headers=one_headers).status_code for one, one_headers in paths]
                status_code = max(statuses)
            else:
                status_code = client.open(path, method=method, data=data, headers=headers).status_code
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
        timings = []
        if method == "GET":  # service time of the page itself, no HTTP, one request at a time
            for _ in range(15):
                started = time.perf_counter()
                for one, one_headers in paths:
                    client.get(one, headers=one_headers)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
        median = f"{timings[len(timings) // 2]:.0f}" if timings else "–"
        fastest = f"{timings[0]:.0f}" if timings else "–"
        return len(seen), status_code, median, fastest

    for name, who, path, extra in pages:
        method = extra.get("method", "GET")
        data = extra.get("data")
        if callable(data):
            data = data()
        counts[name] = statements(who, method, path, data, extra.get("headers", {}))
    return facts, counts


# --- PostgreSQL, page weight, targets --------------------------------------------------------------


def postgres_database(server_url: str, name: str, create: bool) -> str:
    """Create (or drop) database ``name`` on the server; returns its URL."""
    import sqlalchemy as sa

    base = sa.engine.make_url(server_url.replace("postgres://", "postgresql://", 1))
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # FORCE: the in-process part of the bench may still hold a connection
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def page_weight(conn: Conn, requests: list[tuple[str, dict]]) -> dict:
    """Bytes (raw and gzip -6) of the HTML of the page and its lazy panels, and of the CSS and JS it links."""
    html_parts, assets = [], []
    for path, headers in requests:
        _status, html, _h = conn.request("GET", path, None, headers)
        html_parts.append(html.encode())
        for match in re.finditer(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"', html):
            if match.group(1) not in assets:
                assets.append(match.group(1))
    asset_bodies = []
    for path in assets:
        conn.conn.request("GET", path)
        response = conn.conn.getresponse()
        asset_bodies.append(response.read())
    parts = {"html": html_parts, "css+js": asset_bodies}
    return {
        kind: (sum(len(b) for b in bodies), sum(len(gzip.compress(b, compresslevel=6)) for b in bodies))
        for kind, bodies in parts.items()
    } | {"assets": assets}


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return (
        f"{platform.node()}: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clubs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="concurrent clients (default = workers, so latency is service time, not queueing)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2-core machine: 2)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time limit per scenario")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="every scenario is measured in this many slices, in turns with the others and the baseline",
    )
    parser.add_argument("--database-url", default=None, help="use this database instead of a temp SQLite file")
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="SERVER_URL",
        help="PostgreSQL server (postgresql://user@host:port/): run on a throw-away database created there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="vereinsraum-bench-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    temp_database = None
    if args.postgres:
        temp_database = f"vereinsraum_bench_{secrets.token_hex(4)}"
        database_url = postgres_database(args.postgres, temp_database, create=True)
    port, base_port = free_port(), free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        FLASK_APP="wsgi.py",
        SECRET_KEY="bench-secret-key-0123456789",
        BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=str(ROOT),
    )
    for key in ("MAIL_SERVER", "BBB_API_URL", "MATTERMOST_URL", "REDIS_URL"):
        env.pop(key, None)  # stand-ins only: nothing leaves loopback
    servers: list[subprocess.Popen] = []
    try:
        print(f"Seeding {args.clubs} clubs into {database_url}")
        run([tool("flask"), "db", "upgrade", "heads"], env)
        run([tool("flask"), "content-sync"], env)
        seed_started = time.perf_counter()
        run([tool("flask"), "seed-bench", "--clubs", str(args.clubs), "--password", PASSWORD], env)
        seed_seconds = time.perf_counter() - seed_started

        search = "/admin/vereine?" + urlencode({"q": "Chor"})
        filtered = "/admin/vereine?" + urlencode(
            {"status": "approved", "bezirk": "Mitte", "score": "high", "sortierung": "-score"}
        )
        facts, _ = in_process(env, [])
        slug, items = facts["club_slug"], list(facts["answers"].items())
        save_path = f"/c/{slug}/datenschutz/punkt/{items[0][0]}" if items else None
        lazy_panels = [
            (f"/c/{slug}/konferenzen/", {"HX-Request": "true"}),
            (f"/c/{slug}/chat/", {"HX-Request": "true"}),
        ]
        full_view = [(f"/c/{slug}/", {})] + lazy_panels
        pages = [
            ("Workspace page", "board", f"/c/{slug}/", {}),
            ("Full workspace view (page + lazy panels)", "board", full_view, {}),
            ("Admin club list", "staff", "/admin/vereine", {}),
            ("Admin list, filtered", "staff", filtered, {}),
            ("Admin search (htmx)", "staff", search, {"headers": {"HX-Request": "true"}}),
            ("Admin club detail", "staff", f"/admin/vereine/{facts['club_id']}", {}),
            ("Statistics dashboard (recomputed)", "staff", "/admin/statistik?neu=1", {}),
            ("Audit log", "staff", "/admin/protokoll", {}),
        ]
        if save_path:
            key, (version, status) = items[-1]
            pages.append(
                (
                    "Checklist save",
                    "board",
                    f"/c/{slug}/datenschutz/punkt/{key}",
                    {
                        "method": "POST",
                        "headers": {
                            "HX-Request": "true",
                            "HX-Current-URL": f"http://localhost/c/{slug}/datenschutz/selbstcheck",
                        },
                        "data": {
                            "status": "partial" if status == "yes" else "yes",
                            "note": "",
                            "responsible_id": "",
                            "due_date": "",
                            "version": str(version),
                            "autosave": "1",
                        },
                    },
                )
            )
        _facts, query_counts = in_process(env, pages)

        common = [
            tool("gunicorn"),
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--access-logfile",
            "-",
            "--error-logfile",
            str(tmp / "gunicorn-errors.log"),
            "--log-level",
            "warning",
        ]
        servers.append(
            subprocess.Popen(
                common + ["--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )
        )
        servers.append(
            subprocess.Popen(
                common + ["--bind", f"127.0.0.1:{base_port}", "--chdir", str(ROOT / "bench"), "baseline:app"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        wait_ready(port, "/konto/anmelden")  # /healthz is 503 without a job worker (heartbeat)
        wait_ready(base_port, "/")
        staff = login(port, facts["staff_email"], facts["staff_totp"])
        board = login(port, facts["board_email"])
        board_token = csrf_header(board, f"/c/{slug}/")

        get = lambda path, headers=None: lambda t, i: ("GET", path, None, headers or {})  # noqa: E731
        scenarios = [
            ("Baseline: minimal Flask endpoint", base_port, "", get("/")),
            ("Workspace page", port, board.cookie, get(f"/c/{slug}/")),
            (
                "Full workspace view (page + lazy panels)",
                port,
                board.cookie,
                lambda t, i: [("GET", path, None, headers) for path, headers in full_view],
            ),
            ("Admin club list (first page)", port, staff.cookie, get("/admin/vereine")),
            ("Admin club list, filtered", port, staff.cookie, get(filtered)),
            ("Admin search as you type (htmx)", port, staff.cookie, get(search, {"HX-Request": "true"})),
            ("Statistics dashboard (cached aggregates, 60 s)", port, staff.cookie, get("/admin/statistik")),
            ("Statistics dashboard (recomputed every request)", port, staff.cookie, get("/admin/statistik?neu=1")),
        ]
        # A click on an answer in the checklist, as the browser sends it: htmx posts the item's whole form with
        # autosave=1 from the checklist page (the answer updates the score block there, out of band).
        click_headers = {
            "HX-Request": "true",
            "HX-Current-URL": f"http://127.0.0.1:{port}/c/{slug}/datenschutz/selbstcheck",
            "X-CSRFToken": board_token,
        }

        def click_body(status, version):
            return urlencode(
                {
                    "status": status,
                    "note": "",
                    "responsible_id": "",
                    "due_date": "",
                    "version": version,
                    "autosave": "1",
                }
            )

        if items:
            # one checklist item per client thread, alternating answers, tracking the optimistic-lock version
            state = {t: list(items[t % len(items)]) for t in range(args.concurrency)}

            def save(t, i):
                key, (version, status) = state[t][0], state[t][1]
                new = "partial" if status == "yes" else "yes"
                state[t][1] = (version + 1, new)
                return ("POST", f"/c/{slug}/datenschutz/punkt/{key}", click_body(new, version), click_headers)

            scenarios.insert(2, ("Checklist save (htmx POST)", port, board.cookie, save))
        # Every scenario is measured in --rounds slices, in turns: round 1 measures each scenario once, then round
        # 2, … A bare baseline slice comes before every scenario slice and after the last; each row pools its
        # slices. The machine's pace drifts, and a slow spell of a few seconds (another tenant of the host) used to
        # fall on one row entirely: the same code's checklist save measured 5.6 and 7.0 ms one minute apart. Now
        # such a spell touches one slice of a row, and the baseline slices around it. The ratio of every round
        # (row slice against the baseline slice before it) is printed too, so the spread is in plain view.
        base_name, base_port, base_cookie, base_make = scenarios[0]
        rounds = max(1, args.rounds)
        slice_requests = max(50, args.requests // (2 * rounds))
        baseline_slices: list[dict] = []
        parts: dict[str, list[dict]] = {name: [] for name, *_ in scenarios[1:]}
        round_ratios: dict[str, list[float]] = {name: [] for name in parts}

        def baseline_slice() -> dict:
            part = measure(base_port, base_cookie, base_make, slice_requests, args.concurrency, args.max_seconds)
            baseline_slices.append(part)
            return part

        for round_no in range(rounds):
            share = args.requests // rounds + (1 if round_no < args.requests % rounds else 0)
            for name, target_port, cookie, make in scenarios[1:]:
                before = baseline_slice()
                part = measure(target_port, cookie, make, share, args.concurrency, args.max_seconds / rounds)
                parts[name].append(part)
                round_ratios[name].append(part["p50"] / before["p50"])
        baseline_slice()
        results = []
        for name, slices in parts.items():
            result = pooled(slices)
            results.append((name, result))
            spread = sorted(round_ratios[name])
            print(
                f"  {name}: {result['rps']:.0f} req/s, p95 {result['p95']:.1f} ms, statuses {result['statuses']}; "
                f"× bare p50 by round {spread[0]:.1f}–{spread[-1]:.1f}"
            )
        base = pooled(baseline_slices)
        results.insert(0, (base_name, base))
        slice_p50 = sorted(part["p50"] for part in baseline_slices)
        print(
            f"  {base_name}: {base['rps']:.0f} req/s, p95 {base['p95']:.1f} ms, statuses {base['statuses']}; "
            f"{len(baseline_slices)} slices of {slice_requests}, p50 {slice_p50[0]:.2f}–{slice_p50[-1]:.2f} ms"
        )

        weight = page_weight(board, full_view)
        started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        print()
        print(f"{started_at} – {kind} – {machine()}")
        print(
            f"Data: {args.clubs} clubs, {args.clubs * 10} users, self-check answers for half the clubs "
            f"(seeded in {seed_seconds:.0f} s). gunicorn {args.workers} sync workers, {args.concurrency} "
            f"concurrent keep-alive clients, loopback. {args.requests} requests per row in {rounds} rounds (each "
            f"round measures every row once, in turn). Baseline: {len(baseline_slices)} slices of "
            f"{slice_requests} requests, one before every row's slice and one after the last, pooled (p50 of the "
            f"slices {slice_p50[0]:.2f}–{slice_p50[-1]:.2f} ms)."
        )
        print()
        print(
            "| Scenario | × bare p50 | × bare p50 by round | × bare p95 | p50 ms | p95 ms | p99 ms | req/s | errors |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in results:
            by_round = sorted(round_ratios.get(name, [1.0]))
            print(
                f"| {name} | {r['p50'] / base['p50']:.1f} | {by_round[0]:.1f}–{by_round[-1]:.1f} "
                f"| {r['p95'] / base['p95']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
                f"| {r['rps']:.0f} | {r['errors']} |"
            )
        print()
        print("| Page | SQL statements | status | in-process median ms | fastest ms |")
        print("|---|---:|---:|---:|---:|")
        for name, (count, status, median, fastest) in query_counts.items():
            print(f"| {name} | {count} | {status} | {median} | {fastest} |")
        print()
        html_raw, html_gz = weight["html"]
        asset_raw, asset_gz = weight["css+js"]
        print(
            f"Page weight of the full workspace view (gzip -6): HTML {html_gz / 1024:.1f} KB "
            f"({html_raw / 1024:.1f} KB raw), CSS and JS {asset_gz / 1024:.1f} KB ({asset_raw / 1024:.1f} KB raw), "
            f"total {(html_gz + asset_gz) / 1024:.1f} KB"
        )
        print()
        print_targets(args, kind, dict(results), base, query_counts, (html_gz + asset_gz) / 1024)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"kept {tmp}" + (f" and database {temp_database}" if temp_database else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if temp_database:
                postgres_database(args.postgres, temp_database, create=False)


def print_targets(args, kind, results, base, query_counts, weight_kb) -> None:
    """The targets of issue 15, each with its measured value (ratios against the baseline of the same run)."""

    def ratio(name, key="p50"):
        return results[name][key] / base[key] if name in results else float("nan")

    save_statements = query_counts.get("Checklist save", (None,))[0]
    admin_limit = 100 if args.clubs >= 100_000 else 30
    admin_rows = ("Admin club list (first page)", "Admin club list, filtered", "Admin search as you type (htmx)")
    admin_p95 = max(results[name]["p95"] for name in admin_rows)
    checks = [
        ("Workspace page p50 ≤ 3× bare", f"{ratio('Workspace page'):.1f}×", ratio("Workspace page") <= 3),
        (
            "Full workspace view p50 ≤ 12× bare",
            f"{ratio('Full workspace view (page + lazy panels)'):.1f}×",
            ratio("Full workspace view (page + lazy panels)") <= 12,
        ),
        (
            "Checklist save ≤ 8 SQL statements",
            str(save_statements),
            save_statements is not None and save_statements <= 8,
        ),
        (
            "Checklist save p50 ≤ 6× bare",
            f"{ratio('Checklist save (htmx POST)'):.1f}×",
            ratio("Checklist save (htmx POST)") <= 6,
        ),
        (f"Admin club list and search p95 ≤ {admin_limit} ms", f"{admin_p95:.1f} ms", admin_p95 <= admin_limit),
    ]
    stats_p95 = results["Statistics dashboard (recomputed every request)"]["p95"]
    if args.clubs <= 10_000:  # (the issue sets this target at 10,000 clubs; above, the 60 s cache carries it)
        checks.append(("Statistics dashboard recomputed p95 ≤ 60 ms", f"{stats_p95:.1f} ms", stats_p95 <= 60))
    else:
        checks.append(
            ("Statistics dashboard recomputed p95 (target at 10,000 clubs only)", f"{stats_p95:.1f} ms", None)
        )
    checks += [
        ("Page weight (gzip) ≤ 60 KB", f"{weight_kb:.1f} KB", weight_kb <= 60),
    ]
    print(f"Targets (issue 15; {kind}, {args.clubs} clubs):")
    print()
    print("| Target | measured | met |")
    print("|---|---:|:---:|")
    for target, value, met in checks:
        print(f"| {target} | {value} | {'–' if met is None else 'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
