"""Operations: health of an instance, the worker's heartbeat, the shared cache's fallback, backups.

The whole production topology (nginx, two app instances, PostgreSQL, Redis, the consumer) is proven by
``make prod-check`` (deploy/prod_check.py); these are the fast checks of the same code in the suite.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from huey import SqliteHuey

from app.core import health
from app.core.backup import BackupError, backup, restore
from app.core.cache import ResilientRedisCache, single_flight


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- health ---------------------------------------------------------------------------------------


@pytest.fixture
def queue(tmp_path):
    return SqliteHuey("health-test", filename=str(tmp_path / "huey.db"))


def test_worker_without_heartbeat_is_unknown_and_queue_depth_is_counted(queue):
    queue.enqueue(queue.task()(lambda: None).s())
    worker, depth = health.check_worker(queue, max_age=60)
    assert worker == {"status": "unknown"} and depth == {"pending": 1, "scheduled": 0}


def test_worker_heartbeat_fresh_stale_and_stopped(queue):
    health.record_heartbeat(huey=queue)
    assert health.check_worker(queue, max_age=60)[0]["status"] == "ok"
    assert health.check_worker(queue, max_age=60, now=time.time() + 61)[0]["status"] == "stale"
    health.record_heartbeat("stopped", huey=queue)
    assert health.check_worker(queue, max_age=60)[0]["status"] == "stopped"


def test_healthz_is_503_when_redis_or_the_worker_is_down(app, client):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 503 and body["redis"] == "error" and body["database"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"
    app.config["REDIS_URL"] = None
    assert client.get("/healthz").status_code == 200  # immediate mode in the tests: no worker needed


def test_real_consumer_writes_a_heartbeat_at_start(tmp_path):
    """The consumer as the README starts it records its heartbeat (SQLite queue in a temp dir)."""
    import app as package

    root = os.path.dirname(os.path.dirname(os.path.abspath(package.__file__)))
    env = {
        **os.environ,
        "PYTHONPATH": root,
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"),
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "app.db"),
        "SECRET_KEY": "x" * 32,
    }
    env.pop("REDIS_URL", None)
    consumer = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
    proc = subprocess.Popen(
        [consumer, "app.worker.huey", "-w", "1", "-q"],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    queue = SqliteHuey("vereinsraum", filename=str(tmp_path / "huey.db"))
    try:
        deadline = time.monotonic() + 60
        worker = {"status": "unknown"}
        while time.monotonic() < deadline and worker["status"] != "ok":
            time.sleep(0.2)
            worker, _depth = health.check_worker(queue, max_age=60)
        assert worker["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- shared cache --------------------------------------------------------------------------------


def test_cache_falls_back_to_this_process_when_redis_is_down(app, caplog):
    from flask_caching.backends.rediscache import RedisCache

    cache = ResilientRedisCache(RedisCache(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5))
    with caplog.at_level(logging.WARNING, logger="app.core.cache"):
        assert cache.get("k") is None
        assert cache.set("k", {"v": 1}) and cache.get("k") == {"v": 1}
        assert cache.add("lock", 1) is True and cache.add("lock", 1) is False
    assert cache.degraded
    assert len([r for r in caplog.records if "Redis nicht erreichbar" in r.getMessage()]) == 1


def test_single_flight_computes_once_per_ttl_while_others_wait(app):
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return len(calls)

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(_in_app(app, lambda: single_flight("sf-test", slow, ttl=5, wait=3)))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == [1, 1, 1, 1]
    assert single_flight("sf-test", slow, ttl=5, wait=3) == 1 and calls == [1]


def _in_app(app, fn):
    with app.app_context():
        return fn()


# --- backup and restore (SQLite) -------------------------------------------------------------------


def _sqlite_db(path, rows):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS answer (id INTEGER PRIMARY KEY, value TEXT)")
    conn.execute("DELETE FROM answer")
    conn.executemany("INSERT INTO answer (value) VALUES (?)", [(r,) for r in rows])
    conn.commit()
    conn.close()


def _rows(path):
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT value FROM answer ORDER BY id")]
    finally:
        conn.close()


def test_sqlite_backup_wipe_restore(tmp_path):
    live = tmp_path / "live.db"
    _sqlite_db(live, ["ja", "nein"])
    reader = sqlite3.connect(live)  # an open connection (the running app) does not stop the backup
    assert backup(f"sqlite:///{live}", str(tmp_path / "b" / "backup.db")) == "sqlite"
    assert oct((tmp_path / "b" / "backup.db").stat().st_mode & 0o777) == "0o600"
    reader.close()
    _sqlite_db(live, ["überschrieben"])
    assert restore(f"sqlite:///{live}", str(tmp_path / "b" / "backup.db")) == "sqlite"
    assert _rows(live) == ["ja", "nein"]


def test_restore_refuses_a_file_that_is_no_backup(tmp_path):
    live = tmp_path / "live.db"
    _sqlite_db(live, ["ja"])
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"PGDMP not for sqlite")
    with pytest.raises(BackupError, match="keine SQLite-Sicherung"):
        restore(f"sqlite:///{live}", str(junk))
    assert _rows(live) == ["ja"]


def test_backup_and_restore_commands(tmp_path):
    from app import create_app

    live = tmp_path / "app.db"
    _sqlite_db(live, ["Antwort"])
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}", "SECRET_KEY": "k"},
        instance_path=str(tmp_path / "instance"),
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "backup.db")])
    assert result.exit_code == 0, result.output
    _sqlite_db(live, [])
    assert runner.invoke(args=["restore", str(tmp_path / "backup.db")], input="n\n").exit_code == 1
    assert _rows(live) == []
    with app.app_context():
        from app.core import pagecache

        before = pagecache.page_store().tokens([pagecache.SITE])
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "backup.db")])
    assert result.exit_code == 0, result.output
    assert _rows(live) == ["Antwort"]
    with app.app_context():  # no page stored before the restore is shown again
        assert pagecache.page_store().tokens([pagecache.SITE]) != before


def test_files_beside_the_database_are_backed_up_and_restored(tmp_path):
    """Evidence uploaded to checklist items lives in EVIDENCE_DIR, not in the database: `flask backup` writes it
    to TARGET.dateien.tar and `flask restore` puts exactly that back (files added since are gone again)."""
    from app import create_app

    live, evidence = tmp_path / "app.db", tmp_path / "nachweise"
    _sqlite_db(live, ["Antwort"])
    (evidence / "7").mkdir(parents=True)
    (evidence / "7" / "a1b2").write_bytes(b"%PDF-1.4 Nachweis")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}",
            "SECRET_KEY": "k",
            "EVIDENCE_DIR": str(evidence),
        },
        instance_path=str(tmp_path / "instance"),
    )
    runner = app.test_cli_runner()
    target = tmp_path / "sicherung" / "backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Dateien (1) geschrieben" in result.output
    archive = tmp_path / "sicherung" / "backup.db.dateien.tar"
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    (evidence / "7" / "a1b2").write_bytes(b"overwritten")
    (evidence / "9").mkdir()
    (evidence / "9" / "later").write_bytes(b"added after the backup")
    result = runner.invoke(args=["restore", "--yes", str(target)])
    assert result.exit_code == 0, result.output
    assert "Dateien (1) eingespielt" in result.output
    assert (evidence / "7" / "a1b2").read_bytes() == b"%PDF-1.4 Nachweis"
    assert not (evidence / "9" / "later").exists()


def test_restore_refuses_a_files_archive_with_foreign_paths(tmp_path):
    import tarfile

    from app.core.backup import restore_files

    evidence = tmp_path / "nachweise"
    (evidence / "1").mkdir(parents=True)
    (evidence / "1" / "keep").write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.write_bytes(b"o")
    with tarfile.open(tmp_path / "b.db.dateien.tar", "w") as archive:
        archive.add(outside, arcname="nachweise/../../escaped")
    with pytest.raises(BackupError, match="Unerwarteter Eintrag"):
        restore_files({"nachweise": str(evidence)}, str(tmp_path / "b.db"))
    assert (evidence / "1" / "keep").exists() and not (tmp_path / "escaped").exists()  # nothing touched
    assert restore_files({"nachweise": str(evidence)}, str(tmp_path / "none.db")) is None  # older backup: no archive


# --- static files (WhiteNoise) -----------------------------------------------------------------------


def _app_with_build(tmp_path, build_dir):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "k",
            "BASE_URL": "http://localhost",  # the test client's host (others get 400)
            "STATIC_BUILD_DIR": str(build_dir),
        },
        instance_path=str(tmp_path / "instance"),
    )


def _fetch(client, url, **kwargs):
    """(status, headers, body) – the response is closed (WhiteNoise streams the file)."""
    response = client.get(url, **kwargs)
    try:
        return response.status_code, response.headers, response.get_data()
    finally:
        response.close()


def test_hashed_asset_is_immutable_and_precompressed(tmp_path):
    import gzip
    import re

    from app.core.assets import build

    manifest = build(os.path.join(os.path.dirname(health.__file__), "..", "static"), str(tmp_path / "static"))
    hashed_css = manifest["files"]["css/app.css"]["hashed"]
    client = _app_with_build(tmp_path, tmp_path / "static").test_client()
    page = client.get("/konto/anmelden").get_data(as_text=True)
    assert f'href="/static/{hashed_css}"' in page
    assert re.search(r'src="/static/vendor/htmx/htmx-2\.0\.8\.min\.[0-9a-f]{12}\.js"', page)
    status, headers, body = _fetch(client, f"/static/{hashed_css}", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert gzip.decompress(body) == (tmp_path / "static" / "css" / "app.css").read_bytes()
    assert _fetch(client, f"/static/{hashed_css}", headers={"Accept-Encoding": "br"})[1]["Content-Encoding"] == "br"
    status, headers, _body = _fetch(client, "/static/css/app.css")
    assert status == 200 and "immutable" not in headers["Cache-Control"]


def test_a_stale_build_is_not_used_for_a_changed_file(tmp_path):
    import json

    from app.core.assets import build

    build(os.path.join(os.path.dirname(health.__file__), "..", "static"), str(tmp_path / "static"))
    manifest_path = tmp_path / "static" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["css/app.css"]["sha256"] = "0" * 64  # app.css changed after the build
    manifest_path.write_text(json.dumps(manifest))
    client = _app_with_build(tmp_path, tmp_path / "static").test_client()
    page = client.get("/konto/anmelden").get_data(as_text=True)
    assert 'href="/static/css/app.css"' in page and "/static/js/app." in page
    assert _fetch(client, "/static/css/app.css")[2] == (tmp_path / "static" / "css" / "app.css").read_bytes()


# --- settings that were read but could not be set; state shared between instances -------------------


def test_settings_read_by_the_code_can_be_set_from_the_environment(monkeypatch):
    from app.config import env_overrides

    for key, raw in (
        ("BBB_STATUS_TTL", "1.5"),
        ("MEETINGS_GUEST_RATE_LIMIT", "3 per minute"),
        ("INVITATION_DEFAULT_DAYS", "3"),
        ("DATA_EXPORT_DIR", "/srv/exports"),
    ):
        monkeypatch.setenv(key, raw)
    values = env_overrides()
    assert values["BBB_STATUS_TTL"] == 1.5 and values["MEETINGS_GUEST_RATE_LIMIT"] == "3 per minute"
    assert values["INVITATION_DEFAULT_DAYS"] == 3 and values["DATA_EXPORT_DIR"] == "/srv/exports"


def test_invitations_last_invitation_default_days(app, roles):
    from datetime import timedelta

    from app.clubs.models import Role
    from app.clubs.services import invite_by_email
    from app.core.db import utcnow

    app.config["INVITATION_DEFAULT_DAYS"] = 3
    invitation = invite_by_email(roles.club, "neu@verein.example", Role.MEMBER, by=roles.board)
    assert abs(invitation.expires_at - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)


def test_limits_and_cache_follow_redis_url(tmp_path):
    from app import create_app

    url = f"redis://127.0.0.1:{_closed_port()}/0"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k", "REDIS_URL": url},
        instance_path=str(tmp_path / "instance"),
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == url
    assert app.config["CACHE_TYPE"] == "app.core.cache.ResilientRedisCache"
    explicit = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "k",
            "REDIS_URL": url,
            "RATELIMIT_STORAGE_URI": "memory://",
        },
        instance_path=str(tmp_path / "instance"),
    )
    assert explicit.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_admin_statistics_are_shared_between_instances(app_config, tmp_path, monkeypatch):
    """Two app instances with one shared cache compute the statistics once (was: once per process)."""
    from app import create_app
    from app.admin import statistics

    shared = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(tmp_path / "cache"), "ADMIN_STATS_CACHE_SECONDS": 60}
    computed = []
    real = statistics.statistics
    monkeypatch.setattr(statistics, "statistics", lambda *a, **k: computed.append(1) or real(*a, **k))
    first, second = create_app({**app_config, **shared}), create_app({**app_config, **shared})
    for instance in (first, second):
        with instance.test_request_context():
            statistics.cached_statistics()
    assert computed == [1]
    for instance in (first, second):
        with instance.app_context():
            from app.extensions import db

            db.engine.dispose()
