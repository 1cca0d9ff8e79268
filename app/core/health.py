"""Health of one app instance: database, Redis, the worker's heartbeat and the queue (``/healthz``).

The Huey consumer writes a heartbeat into Huey's own storage (Redis in production, so every app
instance reads the same one): when it starts, after every task, every minute (a periodic task in
``core/tasks.py``, so a heartbeat also proves that the scheduler and the workers run tasks), and a
"stopped" mark when it shuts down cleanly.
``/healthz`` answers 503 when the database or Redis does not answer, or when the worker's last
heartbeat is older than ``WORKER_HEARTBEAT_MAX_AGE`` seconds (or it said it stopped).
"""

from __future__ import annotations

import logging
import os
import socket
import time

import redis
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from . import jobs

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "vereinsraum:worker-heartbeat"
_redis_clients: dict = {}


def _huey():
    try:
        return current_app.extensions.get("huey") or jobs.huey
    except RuntimeError:  # no app context (inside the consumer's hooks)
        return jobs.huey


def record_heartbeat(state: str = "running", huey=None) -> None:
    huey = huey or jobs.huey
    huey.put(HEARTBEAT_KEY, {"at": time.time(), "state": state, "pid": os.getpid(), "host": socket.gethostname()})


@jobs.huey.on_startup(name="core.heartbeat_on_startup")
def _heartbeat_on_startup():
    record_heartbeat()


@jobs.huey.on_shutdown(name="core.heartbeat_on_shutdown")
def _heartbeat_on_shutdown():
    record_heartbeat("stopped")


@jobs.huey.post_execute(name="core.heartbeat_after_task")
def _heartbeat_after_task(task, task_value, exc):
    record_heartbeat()


def check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("healthz: Datenbank antwortet nicht (%s)", exc.__class__.__name__)
        return "error"


def check_redis(url: str | None) -> str:
    if not url:
        return "not configured"
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        return "ok"
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("healthz: Redis antwortet nicht (%s)", exc.__class__.__name__)
        return "error"


def check_worker(huey, max_age: float, now: float | None = None) -> tuple[dict, dict]:
    """(worker, queue) facts; the worker status is ok, stale, stopped, unknown, immediate or error."""
    if huey.immediate:
        return {"status": "immediate"}, {"pending": 0, "scheduled": 0}
    try:
        beat = huey.get(HEARTBEAT_KEY, peek=True)
        queue = {"pending": huey.pending_count(), "scheduled": huey.scheduled_count()}
    except Exception as exc:  # noqa: BLE001 – the queue's storage is down (Redis): say so, never fail
        log.warning("healthz: Warteschlange nicht lesbar (%s)", exc.__class__.__name__)
        return {"status": "error"}, {"pending": None, "scheduled": None}
    if not beat:
        return {"status": "unknown"}, queue
    age = max(0.0, (now or time.time()) - float(beat["at"]))
    if beat.get("state") == "stopped":
        status = "stopped"
    else:
        status = "ok" if age <= max_age else "stale"
    return {"status": status, "last_heartbeat_seconds": round(age, 1)}, queue


def report() -> tuple[dict, int]:
    """The /healthz document and its HTTP status (200 or 503)."""
    config = current_app.config
    database = check_database()
    redis_status = check_redis(config.get("REDIS_URL"))
    worker, queue = check_worker(_huey(), float(config.get("WORKER_HEARTBEAT_MAX_AGE") or 180))
    healthy = database == "ok" and redis_status in ("ok", "not configured") and worker["status"] in ("ok", "immediate")
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "redis": redis_status,
        "worker": worker,
        "queue": queue,
    }
    return body, 200 if healthy else 503
