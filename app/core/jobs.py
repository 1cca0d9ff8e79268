"""Background jobs with Huey.

SQLite storage in ``instance/huey.db`` by default, Redis when ``REDIS_URL`` is
set. Huey needs its instance at import time (for the ``@task`` decorators), so
the storage is chosen from the environment here; tests switch it to immediate
mode through ``HUEY_IMMEDIATE``. Start a consumer with
``huey_consumer app.worker.huey`` (``make run`` does; that module builds
the app so every domain's tasks are registered).

Tasks run inside an application context: in the web process the current one,
in the consumer one made by ``create_app()``.
"""

from __future__ import annotations

import functools
import os

from flask import Flask, has_app_context
from huey import RedisHuey, SqliteHuey


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("vereinsraum", url=redis_url)
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get("HUEY_SQLITE") or os.path.join(here, "instance", "huey.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("vereinsraum", filename=path)


huey = _make_huey()
_consumer_app: Flask | None = None


def init_app(app: Flask) -> None:
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True
    app.extensions["huey"] = huey


def _app_context():
    global _consumer_app
    if _consumer_app is None:
        from .. import create_app

        _consumer_app = create_app()
    return _consumer_app.app_context()


def task(**task_kwargs):
    """Like ``huey.task`` but runs the function inside an app context."""

    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            if has_app_context():
                return fn(*args, **kwargs)
            with _app_context():
                return fn(*args, **kwargs)

        return huey.task(**task_kwargs)(run)

    return decorate
