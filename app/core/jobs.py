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
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os

from flask import Flask, has_app_context
from huey import Huey
from huey.storage import BlackHoleStorage, RedisStorage, SqliteStorage


class _NotConfigured(BlackHoleStorage):
    """Storage until ``create_app`` has run: enqueueing is an error, not a silent loss."""

    def enqueue(self, data, priority=None):
        raise RuntimeError("Huey is not configured yet: build the app with create_app() first.")

    def add_to_schedule(self, data, ts):
        self.enqueue(data)


huey = Huey("vereinsraum", storage_class=_NotConfigured)
_consumer_app: Flask | None = None
_configured: tuple | None = None


def storage_settings(app: Flask) -> tuple[type, dict]:
    """(storage class, its arguments) from the app's settings."""
    if app.config.get("REDIS_URL"):
        return RedisStorage, {"url": app.config["REDIS_URL"]}
    path = app.config.get("HUEY_SQLITE_PATH") or os.path.join(app.instance_path, "huey.db")
    return SqliteStorage, {"filename": path}


def init_app(app: Flask) -> None:
    global _configured
    storage_class, kwargs = storage_settings(app)
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    key = (immediate, storage_class, tuple(sorted(kwargs.items())))
    if key != _configured:
        if storage_class is SqliteStorage and not immediate:
            os.makedirs(os.path.dirname(os.path.abspath(kwargs["filename"])), exist_ok=True)
        huey.storage_class, huey.storage_kwargs = storage_class, kwargs
        huey._immediate = immediate  # the property setter would only rebuild storage on a change
        huey.storage = huey.create_storage()  # immediate: memory; else the configured storage
        _configured = key
    app.extensions["huey"] = huey


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
        from .. import create_app

        _consumer_app = create_app()
    return _consumer_app.app_context()


def _in_app_context(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app_context():
            return fn(*args, **kwargs)

    return run


def task(**task_kwargs):
    """Like ``huey.task`` but runs the function inside an app context."""

    def decorate(fn):
        return huey.task(**task_kwargs)(_in_app_context(fn))

    return decorate


def periodic_task(validate_datetime, **task_kwargs):
    """Like ``huey.periodic_task`` (e.g. with ``huey.crontab``) but runs inside an app context."""

    def decorate(fn):
        return huey.periodic_task(validate_datetime, **task_kwargs)(_in_app_context(fn))

    return decorate
