from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Club, ClubStatus, Membership
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.dataprotection import closure, retention, services
from app.dataprotection.models import ClubDeletion
from app.extensions import db
from tests.conftest import PASSWORD

from .helpers import traces


def _close(client, slug, password=PASSWORD, understood="y"):
    return client.post(f"/c/{slug}/daten/schliessen", data={"current_password": password, "understood": understood})


def _deletion(club_id=None) -> ClubDeletion:
    query = sa.select(ClubDeletion)
    if club_id is not None:
        query = query.where(ClubDeletion.club_id == club_id)
    return db.session.scalars(query).one()


def _make_due(deletion):
    deletion.delete_after = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_board_closes_club_with_grace_period(roles, client_for):
    board = client_for(roles.board)
    page = board.get(f"/c/{roles.club.slug}/daten/")
    assert page.status_code == 200 and "30 Tagen" in page.get_data(as_text=True)
    response = _close(board, roles.club.slug)
    assert response.status_code == 303
    club = db.session.get(Club, roles.club.id)
    assert club.status is ClubStatus.CLOSED
    deletion = _deletion(club.id)
    assert timedelta(days=29, hours=23) < deletion.delete_after - deletion.requested_at <= timedelta(days=30)
    assert [s.name for s in deletion.steps] == ["meetings", "chat", "data"]
    # the workspace is closed for members; the board may still export
    member = client_for(roles.member)
    assert member.get(f"/c/{roles.club.slug}/mitglieder/austreten").status_code == 200
    assert "ist geschlossen" in member.get(f"/c/{roles.club.slug}/").get_data(as_text=True)
    assert member.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 403
    assert board.post(f"/c/{roles.club.slug}/daten/export").status_code == 200
    # within the grace period, the retention run deletes nothing
    retention.run()
    assert db.session.get(Club, roles.club.id) is not None


def test_closing_needs_password_and_confirmation(roles, client_for):
    board = client_for(roles.board)
    assert _close(board, roles.club.slug, password="falsch-falsch-falsch").status_code == 422
    assert _close(board, roles.club.slug, understood="").status_code == 422
    assert db.session.get(Club, roles.club.id).status is ClubStatus.APPROVED
    assert _close(client_for(roles.member), roles.club.slug).status_code == 403


def test_grace_period_is_configurable(app, roles, client_for):
    app.config["CLUB_DELETION_GRACE_DAYS"] = 7
    _close(client_for(roles.board), roles.club.slug)
    deletion = _deletion(roles.club.id)
    assert deletion.delete_after - deletion.requested_at <= timedelta(days=7)


def test_staff_restores_a_closed_club(roles, client_for):
    _close(client_for(roles.board), roles.club.slug)
    deletion = _deletion(roles.club.id)
    staff = client_for(roles.staff)
    listing = staff.get("/admin/datenschutz/")
    assert listing.status_code == 200 and roles.club.name in listing.get_data(as_text=True)
    assert client_for(roles.board).get("/admin/datenschutz/").status_code == 403
    response = staff.post(f"/admin/datenschutz/schliessungen/{deletion.id}/wiederherstellen")
    assert response.status_code == 303
    club = db.session.get(Club, roles.club.id)
    assert club.status is ClubStatus.APPROVED
    assert _deletion(club.id).restored_at is not None
    assert client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/").status_code != 403
    # a restored club is never deleted
    _make_due(_deletion(club.id))
    retention.run()
    assert db.session.get(Club, club.id) is not None


def test_after_the_grace_period_nothing_of_the_club_remains(roles, client_for, runner):
    club_id, name, slug = roles.club.id, roles.club.name, roles.club.slug
    _close(client_for(roles.board), slug)
    deletion = _deletion(club_id)
    _make_due(deletion)
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert "Geschlossene Vereine nach Ablauf der Frist: würde 1 löschen" in dry.output
    assert db.session.get(Club, club_id) is not None
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Club, club_id) is None
    assert traces(table_ref="club", ident=club_id, needles=(name, slug)) == []
    # people keep their accounts, only the membership is gone
    assert db.session.get(User, roles.member.id) is not None
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Membership).where(Membership.user_id == roles.member.id)
        )
        == 0
    )
    deletion = _deletion()
    assert deletion.completed_at is not None
    assert {s.status for s in deletion.steps} <= {"done", "skipped"}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "club.deleted")) is not None
    # the other club is untouched
    assert db.session.get(Club, roles.other_club.id) is not None
    # idempotent
    again = runner.invoke(args=["retention", "run"])
    assert "Geschlossene Vereine nach Ablauf der Frist: 0 gelöscht" in again.output


def test_failed_step_is_recorded_and_retried_until_done(roles, client_for, monkeypatch):
    calls = []
    club_id = roles.club.id

    def flaky(name, club):
        calls.append(name)
        if name == "meetings" and len(calls) == 1:
            raise ConnectionError("BBB nicht erreichbar")
        return "done", "erledigt"

    monkeypatch.setattr(closure, "_external_step", flaky)
    _close(client_for(roles.board), roles.club.slug)
    _make_due(_deletion(roles.club.id))
    retention.run()
    deletion = _deletion(roles.club.id)
    step = deletion.steps[0]
    assert (step.name, step.status, step.attempts) == ("meetings", "failed", 1)
    assert "BBB nicht erreichbar" in step.last_error
    assert db.session.get(Club, roles.club.id) is not None  # data waits for the external steps
    staff_page = client_for(roles.staff).get("/admin/datenschutz/").get_data(as_text=True)
    assert "fehlgeschlagen" in staff_page
    retention.run()
    db.session.expire_all()
    deletion = _deletion()
    assert deletion.completed_at is not None
    assert [s.attempts for s in deletion.steps] == [2, 1, 1]
    assert db.session.get(Club, club_id) is None


def test_external_steps_call_the_bbb_and_chat_clean_up(roles, monkeypatch):
    from app.chat import provisioning
    from app.meetings import services as meetings

    called = []
    monkeypatch.setattr(
        meetings, "delete_club_recordings", lambda club: called.append(("bbb", club.id)) or "2 Räume gelöscht"
    )
    monkeypatch.setattr(provisioning, "archive_club_channel", lambda club: called.append(("chat", club.id)))
    assert closure._external_step("meetings", roles.club) == ("done", "2 Räume gelöscht")
    assert closure._external_step("chat", roles.club) == ("done", "erledigt")
    assert called == [("bbb", roles.club.id), ("chat", roles.club.id)]


def test_closed_club_cannot_be_closed_twice(roles, client_for):
    _close(client_for(roles.board), roles.club.slug)
    with pytest.raises(services.DataProtectionError):
        closure.request_closure(db.session.get(Club, roles.club.id), by=roles.board)


def test_bbb_recordings_of_the_club_are_deleted_through_the_client(bbb_standin, roles, client_for):
    from app.meetings.models import Room
    from app.meetings.services import meta_for

    club_id = roles.club.id
    room = db.session.scalars(sa.select(Room).where(Room.club_id == club_id)).first()
    assert room is not None  # the default room of an approved club
    other_room = db.session.scalars(sa.select(Room).where(Room.club_id == roles.other_club.id)).first()
    mine = bbb_standin.state.add_recording(room.meeting_id, meta_for(room))
    foreign = bbb_standin.state.add_recording(other_room.meeting_id, meta_for(other_room))
    _close(client_for(roles.board), roles.club.slug)
    _make_due(_deletion(club_id))
    retention.run()
    deletion = _deletion()
    assert deletion.completed_at is not None
    meetings_step = deletion.steps[0]
    assert meetings_step.status == "done" and "1 Aufzeichnungen gelöscht" in meetings_step.result
    assert mine.deleted and not foreign.deleted
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Room).where(Room.club_id == club_id)) == 0


def test_provisioned_mattermost_channel_is_archived(app, roles, client_for):
    import socket
    import threading

    from werkzeug.serving import make_server

    from app.chat import services as chat
    from app.integrations.mattermost.standin import MattermostStandin

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    standin = MattermostStandin(url)
    standin.add_team("vereinsraum", "Berliner Vereine")
    server = make_server("127.0.0.1", port, standin, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    app.config.update(
        MATTERMOST_URL=url, MATTERMOST_TOKEN=standin.token, MATTERMOST_TEAM="vereinsraum", MATTERMOST_TIMEOUT=2.0
    )
    try:
        assert client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/anlegen").status_code == 303
        channel_id = chat.link_for(roles.club).channel_id
        assert channel_id and standin.channels[channel_id]["delete_at"] == 0
        club_id = roles.club.id
        _close(client_for(roles.board), roles.club.slug)
        _make_due(_deletion(club_id))
        retention.run()
        deletion = _deletion()
        assert deletion.completed_at is not None
        assert (deletion.steps[1].name, deletion.steps[1].status) == ("chat", "done")
        assert standin.channels[channel_id]["delete_at"] != 0
    finally:
        server.shutdown()
        thread.join(timeout=5)
        from app.extensions import cache

        cache.clear()  # the chat panel and bot-name caches live in the shared cache
