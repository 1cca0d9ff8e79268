"""Background jobs with Huey.

One Huey instance per process: the ``@task`` and ``@periodic_task`` decorators
need it when a module is imported, but nothing about it is read from the
environment at that time. ``init_app`` (called by ``create_app``) sets its
storage from the app's settings, read like every other setting (defaults <
``instance/config.py`` < environment < test mapping):

- ``REDIS_URL`` set: Redis;
- otherwise a SQLite file, ``HUEY_SQLITE_PATH`` (default ``instance/huey.db``);
- ``HUEY_IMMEDIATE``: run tasks at once, in memory (the unit tests).

Every domain keeps its tasks in ``<domain>/tasks.py``; ``create_app`` imports
all of them (:func:`load_tasks`), so the consumer, started as
``huey_consumer app.worker.huey``, knows every task of every domain.

Tasks run inside an application context: in the web process the current one,
in the consumer the one made by ``app.worker``.

When the queue's storage does not take a job (Redis down, the SQLite file
locked), every enqueue – calling a task, ``.schedule()`` – raises one error,
:class:`JobQueueUnavailable`. In a request, ``core/errors.py`` rolls the
transaction back and answers 503 ("bitte in ein paar Minuten erneut
versuchen"). So that nothing is half written, a request enqueues *before* it
commits; the job then waits for that commit with :func:`committed` (and
finds nothing to do when the request rolled back). A domain that keeps a
durable record of its work anyway (chat: ``chat_op`` and its periodic sweep)
catches the error instead and leaves the job to the sweep.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import time

from flask import Flask, has_app_context
from huey import Huey
from huey.storage import BlackHoleStorage, RedisStorage, SqliteStorage
from redis import ConnectionPool

from ..extensions import db

log = logging.getLogger(__name__)

#: How long a job waits for the transaction that queued it to commit (seconds). A request commits
#: right after it enqueues, so this is generous; a job whose row never appears was rolled back.
COMMIT_WAIT = 10.0


class JobQueueUnavailable(Exception):
    """The job queue did not take a job (its storage – Redis, or the SQLite file – failed)."""


class NotCommittedYet(Exception):
    """Raised by :func:`committed`: the row a job is about is not visible (yet)."""


class _Guarded:
    """Mixin for a Huey storage: a failing enqueue raises :class:`JobQueueUnavailable`."""

    def enqueue(self, data, priority=None):
        try:
            return super().enqueue(data, priority)
        except Exception as exc:
            log.warning("Warteschlange nimmt keine Aufgabe an (%s: %s)", exc.__class__.__name__, exc)
            raise JobQueueUnavailable(str(exc)) from exc

    def add_to_schedule(self, data, ts):
        try:
            return super().add_to_schedule(data, ts)
        except Exception as exc:
            log.warning("Warteschlange nimmt keine Aufgabe an (%s: %s)", exc.__class__.__name__, exc)
            raise JobQueueUnavailable(str(exc)) from exc


@functools.cache
def guarded(storage_class: type) -> type:
    """``storage_class`` whose enqueue failures are :class:`JobQueueUnavailable` (still an instance of it)."""
    return type(f"Guarded{storage_class.__name__}", (_Guarded, storage_class), {})


class _NotConfigured(BlackHoleStorage):
    """Storage until ``create_app`` has run: enqueueing is an error, not a silent loss."""

    def enqueue(self, data, priority=None):
        raise RuntimeError("Huey is not configured yet: build the app with create_app() first.")

    def add_to_schedule(self, data, ts):
        self.enqueue(data)


huey = Huey("vereinsraum", storage_class=_NotConfigured)
_consumer_app: Flask | None = None
_app_factory = None  # create_app, handed over by the factory itself (the core imports no entry point)
_configured: tuple | None = None
_settings: dict = {}  # the config of the app that configured Huey (read by periodic schedules at run time)


class TimedRedisStorage(RedisStorage):
    """Huey's Redis storage with connect and read timeouts: an unreachable Redis fails fast, it does not
    hang a request (the consumer's blocking reads wait ``read_timeout`` = 1 s, well inside them)."""

    def __init__(self, name="huey", url=None, **kwargs):
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        super().__init__(name, connection_pool=pool, **kwargs)


def storage_settings(app: Flask) -> tuple[type, dict]:
    """(storage class, its arguments) from the app's settings."""
    if app.config.get("REDIS_URL"):
        return TimedRedisStorage, {"url": app.config["REDIS_URL"]}
    path = app.config.get("HUEY_SQLITE_PATH") or os.path.join(app.instance_path, "huey.db")
    return SqliteStorage, {"filename": path}


def init_app(app: Flask, app_factory=None) -> None:
    """Point Huey at the app's storage; ``app_factory`` builds the consumer's app when a job needs one."""
    global _configured, _settings, _app_factory
    if app_factory is not None:
        _app_factory = app_factory
    storage_class, kwargs = storage_settings(app)
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    key = (immediate, storage_class, tuple(sorted(kwargs.items())))
    if key != _configured:
        if storage_class is SqliteStorage and not immediate:
            os.makedirs(os.path.dirname(os.path.abspath(kwargs["filename"])), exist_ok=True)
        huey.storage_class, huey.storage_kwargs = guarded(storage_class), kwargs
        huey._immediate = immediate  # the property setter would only rebuild storage on a change
        huey.storage = huey.create_storage()  # immediate: memory; else the configured storage
        _configured = key
    app.extensions["huey"] = huey
    _settings = app.config


def load_tasks(packages) -> list[str]:
    """Import ``<package>.tasks`` of every domain package that has one; returns the module names."""
    loaded = []
    for package in packages:
        name = f"{package}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            loaded.append(name)
    return loaded


def registered_tasks() -> set[str]:
    """Names of every task (and periodic task) this process's Huey knows."""
    return set(huey._registry._registry)


def _app_context():
    global _consumer_app
    if _consumer_app is None:
        if _app_factory is None:
            raise RuntimeError("No app for background jobs: build one with create_app() first (see app/worker.py).")
        _consumer_app = _app_factory()
    return _consumer_app.app_context()


def committed(model, ident, ready=None):
    """The row ``model[ident]`` for a job, once the transaction that queued the job has committed.

    Requests enqueue before they commit (see the module docstring), so the consumer may start a job a
    moment before its row is visible. Raises :class:`NotCommittedYet` while the row is missing (or
    ``ready(row)`` is false, e.g. a version number not reached yet); the task wrapper then waits and
    runs the job again, for up to ``COMMIT_WAIT`` seconds, after which the job does nothing.
    """
    row = db.session.get(model, ident)
    if row is None or (ready is not None and not ready(row)):
        raise NotCommittedYet(f"{model.__name__} {ident}")
    return row


def _until_committed(fn, args, kwargs):
    deadline = time.monotonic() + COMMIT_WAIT
    while True:
        try:
            return fn(*args, **kwargs)
        except NotCommittedYet as exc:
            if huey.immediate:  # run inside the caller's transaction: nothing else can commit the row
                log.info("job %s: %s does not exist; nothing to do", fn.__name__, exc)
                return None
            db.session.rollback()  # a fresh snapshot
            if time.monotonic() > deadline:
                log.info("job %s: %s was never committed (the request rolled back); nothing to do", fn.__name__, exc)
                return None
            time.sleep(0.1)


def _in_app_context(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return _until_committed(fn, args, kwargs)
        with _app_context():
            return _until_committed(fn, args, kwargs)

    return run


def task(**task_kwargs):
    """Like ``huey.task`` but runs the function inside an app context."""

    def decorate(fn):
        return huey.task(**task_kwargs)(_in_app_context(fn))

    return decorate


def every_minutes(setting: str, default: int):
    """A periodic schedule from a setting, read when the consumer's scheduler asks (never at import).

    Due when the minutes since midnight are a multiple of the setting's value (1 = every minute; the
    consumer checks once a minute, and once when it starts).
    """

    def due(dt) -> bool:
        minutes = max(1, int(_settings.get(setting) or default))
        return (dt.hour * 60 + dt.minute) % minutes == 0

    due.setting = setting
    return due


def periodic_task(validate_datetime, **task_kwargs):
    """Like ``huey.periodic_task`` (e.g. with ``huey.crontab``) but runs inside an app context."""

    def decorate(fn):
        return huey.periodic_task(validate_datetime, **task_kwargs)(_in_app_context(fn))

    return decorate
