"""The job queue is down (Redis unreachable): 503 with a German "try again", nothing half written.

The web side enqueues for real here (``HUEY_IMMEDIATE`` off) into a Redis at a loopback port where
nothing listens, so every enqueue fails the way it fails in production when Redis is stopped.
Jobs are queued before the request commits; :func:`app.core.jobs.committed` makes the job wait for
that commit (or find nothing to do when the request rolled back).
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.core import jobs
from app.core.audit import AuditEntry
from app.dataprotection.models import DataExport
from app.extensions import db
from tests.conftest import HX


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.update(
        HUEY_IMMEDIATE=False,
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
        CACHE_TYPE="SimpleCache",
        DATA_EXPORT_DIR=str(tmp_path / "exports"),
    )
    return app_config


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def queue_is_back(app) -> None:
    """From here on jobs run at once (as if Redis were back and the consumer took them)."""
    app.config["HUEY_IMMEDIATE"] = True
    jobs.init_app(app)


def test_enqueue_raises_the_project_error_quickly(app):
    from app.dataprotection.tasks import prepare_user_export

    started = time.monotonic()
    with pytest.raises(jobs.JobQueueUnavailable):
        prepare_user_export(1)
    with pytest.raises(jobs.JobQueueUnavailable):
        prepare_user_export.schedule((1,), delay=60)
    assert time.monotonic() - started < 5


def test_export_request_answers_503_writes_nothing_and_works_once_the_queue_is_back(app, roles, client_for, mailbox):
    client = client_for(roles.member)
    exports, audit = count(DataExport), count(AuditEntry)
    response = client.post("/konto/meine-daten/export")
    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "<html" in text and "Es wurde nichts gespeichert" in text and "in ein paar Minuten erneut" in text
    assert response.headers["Retry-After"] == "120"
    partial = client.post("/konto/meine-daten/export", headers=HX)
    assert partial.status_code == 503 and "<html" not in partial.get_data(as_text=True)
    assert 'role="alert"' in partial.get_data(as_text=True)
    assert (count(DataExport), count(AuditEntry)) == (exports, audit)  # no export "pending" forever

    queue_is_back(app)
    again = client.post("/konto/meine-daten/export")
    assert again.status_code == 200 and "wird vorbereitet" in again.get_data(as_text=True)
    assert count(DataExport) == exports + 1
    assert [m for m in mailbox.to(roles.member.email) if "Datenexport" in m["Subject"]]


def test_meeting_with_invitations_answers_503_and_neither_saves_nor_sends(app, roles, client_for, mailbox):
    from app.meetings.models import ScheduledMeeting
    from app.meetings.services import ensure_default_room

    room = ensure_default_room(roles.club)
    db.session.commit()
    starts = (datetime.now(timezone.utc) + timedelta(days=7)).strftime("%Y-%m-%dT19:30")
    form = {
        "room_id": room.id,
        "title": "Mitgliederversammlung",
        "starts_at": starts,
        "duration_minutes": "60",
        "agenda": "",
        "notify": "y",
    }
    before = count(ScheduledMeeting)
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/konferenzen/termine/neu", data=form)
    assert response.status_code == 503 and "in ein paar Minuten erneut" in response.get_data(as_text=True)
    assert count(ScheduledMeeting) == before and mailbox.messages == []

    queue_is_back(app)
    again = client_for(roles.board).post(f"/c/{roles.club.slug}/konferenzen/termine/neu", data=form)
    assert again.status_code == 303
    meeting = db.session.scalar(sa.select(ScheduledMeeting).order_by(ScheduledMeeting.id.desc()))
    assert meeting.invitations_sent
    assert {m["X-Envelope-To"] for m in mailbox.messages} == {roles.board.email, roles.member.email}


def test_meeting_without_invitations_needs_no_queue(app, roles, client_for):
    from app.meetings.models import ScheduledMeeting
    from app.meetings.services import ensure_default_room

    room = ensure_default_room(roles.club)
    db.session.commit()
    starts = (datetime.now(timezone.utc) + timedelta(days=7)).strftime("%Y-%m-%dT19:30")
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/konferenzen/termine/neu",
        data={"room_id": room.id, "title": "Ohne Einladung", "starts_at": starts, "duration_minutes": "60"},
    )
    assert response.status_code == 303
    assert count(ScheduledMeeting) == 1


# --- a job queued before its request committed -----------------------------------------------------------


def _pending_export(user) -> DataExport:
    export = DataExport(
        user_id=user.id,
        status="pending",
        filename="warten.zip",
        expires_at=datetime.now(timezone.utc) + timedelta(hours=1),
    )
    db.session.add(export)
    db.session.flush()  # has an id, not committed: what the consumer may see for a moment
    return export


def _run_in_consumer(app, export_id) -> dict:
    """The job, as the consumer runs it: another thread, its own app context and session."""
    from app.dataprotection.tasks import prepare_user_export

    result = {}

    def work():
        with app.app_context():
            started = time.monotonic()
            prepare_user_export.call_local(export_id)
            result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=work)
    thread.start()
    result["thread"] = thread
    return result


def test_job_waits_for_the_commit_of_the_request_that_queued_it(app, roles, mailbox):
    export = _pending_export(roles.member)
    export_id = export.id
    run = _run_in_consumer(app, export_id)
    time.sleep(0.5)  # the job has started and found nothing yet
    db.session.commit()
    run["thread"].join(timeout=30)
    assert not run["thread"].is_alive()
    db.session.rollback()
    assert db.session.get(DataExport, export_id).status == "ready"
    assert [m for m in mailbox.to(roles.member.email) if "Datenexport" in m["Subject"]]


def test_job_of_a_rolled_back_request_does_nothing(app, roles, mailbox, monkeypatch):
    from app.dataprotection import exports

    monkeypatch.setattr(jobs, "COMMIT_WAIT", 0.5)
    calls = []
    monkeypatch.setattr(exports, "prepare_export", lambda export_id: calls.append(export_id))
    export = _pending_export(roles.member)
    run = _run_in_consumer(app, export.id)
    time.sleep(0.2)
    db.session.rollback()
    run["thread"].join(timeout=10)
    assert not run["thread"].is_alive() and run["seconds"] < 5
    assert calls == [] and mailbox.messages == [] and count(DataExport) == 0
