"""Huey's storage comes from the app's settings, read like every other setting (issue 12, item 6)."""

from __future__ import annotations

import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from app import create_app
from app.core import jobs

BASE = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    for key in ("REDIS_URL", "HUEY_SQLITE_PATH", "HUEY_IMMEDIATE"):
        monkeypatch.delenv(key, raising=False)
    folder = tmp_path / "instance"
    folder.mkdir()
    yield folder
    create_app(dict(BASE, HUEY_IMMEDIATE=True), instance_path=str(folder))  # back to what the other tests use


def test_redis_url_in_instance_config_is_used(instance):
    (instance / "config.py").write_text('REDIS_URL = "redis://127.0.0.1:6399/3"\n')
    create_app(dict(BASE), instance_path=str(instance))
    storage = jobs.huey.storage
    assert isinstance(storage, RedisStorage)
    kwargs = storage.conn.connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"]) == (6399, 3)


def test_sqlite_path_from_the_environment_beats_instance_config(instance, tmp_path, monkeypatch):
    (instance / "config.py").write_text(f'HUEY_SQLITE_PATH = "{tmp_path / "aus-config.db"}"\n')
    monkeypatch.setenv("HUEY_SQLITE_PATH", str(tmp_path / "queue" / "aus-env.db"))
    create_app(dict(BASE), instance_path=str(instance))
    storage = jobs.huey.storage
    assert isinstance(storage, SqliteStorage)
    assert storage.filename == str(tmp_path / "queue" / "aus-env.db")
    assert (tmp_path / "queue" / "aus-env.db").exists()


def test_default_is_huey_db_in_the_instance_folder(instance):
    create_app(dict(BASE), instance_path=str(instance))
    assert isinstance(jobs.huey.storage, SqliteStorage)
    assert jobs.huey.storage.filename == str(instance / "huey.db")
    assert not jobs.huey.immediate


def test_immediate_mode_is_per_app_not_sticky(instance):
    create_app(dict(BASE, HUEY_IMMEDIATE=True), instance_path=str(instance))
    assert jobs.huey.immediate and isinstance(jobs.huey.storage, MemoryStorage)
    create_app(dict(BASE), instance_path=str(instance))
    assert not jobs.huey.immediate and isinstance(jobs.huey.storage, SqliteStorage)


def test_the_chat_sweep_period_is_a_setting_read_when_the_scheduler_asks(instance):
    from datetime import datetime

    from app.chat.tasks import process_due_periodic

    due = process_due_periodic.task_class().validate_datetime
    create_app(dict(BASE, CHAT_SWEEP_MINUTES=1), instance_path=str(instance))
    assert all(due(datetime(2026, 3, 1, 10, minute)) for minute in range(60))
    create_app(dict(BASE), instance_path=str(instance))  # default: every 5 minutes
    assert [m for m in range(60) if due(datetime(2026, 3, 1, 10, m))] == list(range(0, 60, 5))
    create_app(dict(BASE, CHAT_SWEEP_MINUTES=90), instance_path=str(instance))  # counted from midnight
    assert [h * 60 + m for h in range(24) for m in range(60) if due(datetime(2026, 3, 1, h, m))][:3] == [0, 90, 180]
