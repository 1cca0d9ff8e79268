"""Rooms, one-click start, member join with waiting page, end, role mapping, isolation."""

import requests
import sqlalchemy as sa

from app.core.signals import meeting_started
from app.extensions import db
from app.meetings.models import MeetingRun, Room
from tests.conftest import HX

from .conftest import query_of


def test_approved_club_gets_a_default_room_on_approval(make_user, make_club):
    club = make_club(status="pending")
    assert db.session.scalar(sa.select(Room).where(Room.club_id == club.id)) is None
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    rooms = list(db.session.scalars(sa.select(Room).where(Room.club_id == club.id)))
    assert len(rooms) == 1 and rooms[0].is_default and rooms[0].recording_allowed is False


def test_default_room_is_created_lazily_and_link_is_fixed(meetings):
    db.session.execute(sa.delete(Room))
    db.session.commit()
    page = meetings.member.get(meetings.base + "/", headers=HX)
    assert page.status_code == 200
    room = db.session.scalar(sa.select(Room).where(Room.club_id == meetings.club.id))
    assert room.is_default
    assert f"/konferenzen/raum/{room.id}" in page.get_data(as_text=True)
    assert room.meeting_id == f"vr-club-{meetings.club.id}-room-{room.id}"


def test_board_starts_with_one_click_as_moderator(meetings):
    sent = []

    def receiver(club, **kwargs):
        sent.append((club.id, kwargs))

    meeting_started.connect(receiver)
    try:
        response = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    finally:
        meeting_started.disconnect(receiver)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(meetings.bbb.api_url + "join?")
    q = query_of(location)
    assert q["role"] == "MODERATOR" and q["fullName"] == "Vera Vorstand"
    assert q["userID"] == f"vr-user-{meetings.roles.board.id}" and q["createTime"]
    create = query_of("?" + meetings.bbb.state.calls_of("create")[-1])
    assert create["meta_vr-club"] == meetings.club.slug and create["meta_vr-room"] == str(meetings.room.id)
    assert create["meta_vr-platform"] == "vereinsraum"
    assert create["logoutURL"].endswith(f"/c/{meetings.club.slug}/") and create["record"] == "false"
    runs = list(db.session.scalars(sa.select(MeetingRun)))
    assert len(runs) == 1 and runs[0].club_id == meetings.club.id and runs[0].ended_at is None
    assert sent and sent[0][0] == meetings.club.id and sent[0][1]["room_name"] == meetings.room.name
    assert sent[0][1]["started_by"].id == meetings.roles.board.id and "join" not in sent[0][1]["workspace_url"]

    # The join URL lands in the stand-in's room; a second click reuses the meeting (idempotent).
    assert "Konferenzraum (Demo)" in requests.get(location, timeout=5).text
    again = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    assert query_of(again.headers["Location"])["createTime"] == q["createTime"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRun)) == 1


def test_start_via_htmx_uses_hx_redirect(meetings):
    response = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith(meetings.bbb.api_url)


def test_member_may_not_start_unless_room_allows_it(meetings):
    url = f"{meetings.base}/raum/{meetings.room.id}/starten"
    assert meetings.member.post(url).status_code == 403
    meetings.room.who_may_start = "members"
    db.session.commit()
    response = meetings.member.post(url)
    assert response.status_code == 303 and query_of(response.headers["Location"])["role"] == "MODERATOR"


def test_suspended_club_cannot_start(meetings):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    change_status(meetings.club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
    response = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    assert response.status_code == 403 and "gesperrt" in response.get_data(as_text=True)
    assert meetings.bbb.state.calls_of("create") == []


def test_member_waits_until_the_meeting_runs_then_joins_as_viewer(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    join = f"{meetings.base}/raum/{meetings.room.id}/beitreten"
    waiting = meetings.member.get(join)
    assert waiting.status_code == 200
    body = waiting.get_data(as_text=True)
    assert "noch nicht begonnen" in body and 'hx-trigger="every 3s"' in body
    assert meetings.member.get(join, headers=HX).status_code == 204  # poll: keep waiting

    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    requests.get(start.headers["Location"], timeout=5)  # the board member enters: meeting runs

    poll = meetings.member.get(join, headers=HX)
    assert poll.status_code == 204 and "HX-Redirect" in poll.headers
    q = query_of(poll.headers["HX-Redirect"])
    assert q["role"] == "VIEWER" and q["userID"] == f"vr-user-{meetings.roles.member.id}"
    assert q["createTime"] == query_of(start.headers["Location"])["createTime"] and q["guest"] == "false"
    page = requests.get(poll.headers["HX-Redirect"], timeout=5).text
    assert 'data-role="viewer"' in page
    plain = meetings.member.get(join)
    assert plain.status_code == 303 and query_of(plain.headers["Location"])["role"] == "VIEWER"


def test_board_join_is_moderator(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    requests.get(start.headers["Location"], timeout=5)
    response = meetings.board.get(f"{meetings.base}/raum/{meetings.room.id}/beitreten")
    assert query_of(response.headers["Location"])["role"] == "MODERATOR"


def test_recording_consent_before_entering(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    meetings.room.recording_allowed = True
    db.session.commit()
    start_url = f"{meetings.base}/raum/{meetings.room.id}/starten"
    notice = meetings.board.post(start_url)
    assert notice.status_code == 200 and "aufgezeichnet" in notice.get_data(as_text=True)
    assert meetings.bbb.state.calls_of("create") == []
    refused = meetings.board.post(start_url, data={"consent": ""})
    assert refused.status_code == 422
    started = meetings.board.post(start_url, data={"consent": "y"})
    assert started.status_code == 303
    assert query_of("?" + meetings.bbb.state.calls_of("create")[-1])["record"] == "true"
    requests.get(started.headers["Location"], timeout=5)

    join = f"{meetings.base}/raum/{meetings.room.id}/beitreten"
    notice = meetings.member.get(join)
    assert notice.status_code == 200 and "Hinweis zur Aufzeichnung" in notice.get_data(as_text=True)
    agreed = meetings.member.post(f"{meetings.base}/raum/{meetings.room.id}/einverstanden", data={"consent": "y"})
    assert agreed.status_code == 303
    assert query_of(meetings.member.get(join).headers["Location"])["role"] == "VIEWER"


def test_board_ends_a_meeting_members_cannot(meetings):
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    requests.get(start.headers["Location"], timeout=5)
    end = f"{meetings.base}/raum/{meetings.room.id}/beenden"
    assert meetings.member.post(end).status_code == 403
    assert meetings.board.post(end).status_code == 303
    assert meetings.room.meeting_id not in meetings.bbb.state.meetings
    assert db.session.scalar(sa.select(MeetingRun)).ended_at is not None


def test_isolation_no_one_enters_another_clubs_room(meetings, make_club):
    from app.meetings.services import rooms_for

    other_room = rooms_for(meetings.roles.other_club)[0]
    for path in ("", "/starten", "/beitreten"):
        url = f"{meetings.base}/raum/{other_room.id}{path}"
        response = meetings.board.post(url) if path == "/starten" else meetings.board.get(url)
        assert response.status_code == 404, url
    other = f"/c/{meetings.roles.other_club.slug}/konferenzen/raum/{other_room.id}/starten"
    assert meetings.board.post(other).status_code == 404
    assert meetings.bbb.state.calls_of("create") == []


def test_board_manages_rooms(meetings):
    created = meetings.board.post(f"{meetings.base}/raeume/neu", data={"name": "Vorstandssitzung"})
    assert created.status_code == 303
    room = db.session.scalar(sa.select(Room).where(Room.name == "Vorstandssitzung"))
    assert room.club_id == meetings.club.id and not room.is_default
    assert meetings.board.post(f"{meetings.base}/raeume/neu", data={"name": ""}).status_code == 422
    assert meetings.member.post(f"{meetings.base}/raeume/neu", data={"name": "X"}).status_code == 403

    settings = f"{meetings.base}/raum/{room.id}/einstellungen"
    assert meetings.board.get(settings).status_code == 200
    saved = meetings.board.post(
        settings,
        data={
            "name": "Mitgliederversammlung",
            "who_may_start": "members",
            "guest_access": "y",
            "access_code": "bienen",
            "waiting_room": "y",
        },
    )
    assert saved.status_code == 303
    db.session.refresh(room)
    assert (
        room.name,
        room.who_may_start,
        room.guest_access,
        room.access_code,
        room.waiting_room,
        room.recording_allowed,
        room.mute_on_join,
    ) == ("Mitgliederversammlung", "members", True, "bienen", True, False, False)
    bad = meetings.board.post(settings, data={"name": "X", "who_may_start": "alle", "access_code": "ab"})
    assert bad.status_code == 422

    # deleting needs a confirmation page and deletes the room's recordings
    rec = meetings.bbb.state.add_recording(room.meeting_id, {"vr-club": meetings.club.slug, "vr-room": str(room.id)})
    confirm = meetings.board.get(f"{meetings.base}/raum/{room.id}/loeschen")
    assert confirm.status_code == 200 and "1 Aufzeichnung" in confirm.get_data(as_text=True)
    assert not rec.deleted
    done = meetings.board.post(f"{meetings.base}/raum/{room.id}/loeschen")
    assert done.status_code == 303 and rec.deleted
    assert db.session.get(Room, room.id) is None
    default = f"{meetings.base}/raum/{meetings.room.id}/loeschen"
    assert meetings.board.post(default).status_code == 409


def test_room_page_renders_for_members(meetings):
    page = meetings.member.get(f"{meetings.base}/raum/{meetings.room.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Beitreten" in body and ">Starten<" not in body and "Gastlink" not in body
    board = meetings.board.get(f"{meetings.base}/raum/{meetings.room.id}").get_data(as_text=True)
    assert ">Starten<" in board and "Raum-Einstellungen" in board


def test_staff_room_start_url_for_the_workshops_domain(bbb_standin, app, make_user):
    from app.meetings.services import guest_join_url, start_url

    staff = make_user(name="Tanja Team", staff=True)
    room = Room(club_id=None, name="Workshop Datenschutz")
    db.session.add(room)
    db.session.commit()
    app.config["BBB_STATUS_TTL"] = 0
    sent = []

    def receiver(club, **kwargs):
        sent.append(club)

    meeting_started.connect(receiver)
    try:
        url = start_url(room, staff, moderator=True)
    finally:
        meeting_started.disconnect(receiver)
    q = query_of(url)
    assert q["role"] == "MODERATOR" and q["meetingID"] == f"vr-staff-room-{room.id}"
    create = query_of("?" + bbb_standin.state.calls_of("create")[-1])
    assert create["meta_vr-club"] == "staff" and create["logoutURL"].startswith("http://localhost")
    run = db.session.scalar(sa.select(MeetingRun))
    assert run.club_id is None and run.room_id == room.id
    assert sent == []  # no club: no meeting_started
    assert guest_join_url(room, "Gast") is None  # nobody inside yet
    requests.get(url, timeout=5)
    guest = query_of(guest_join_url(room, "Gisela Gast"))
    assert guest["guest"] == "true" and guest["role"] == "VIEWER"


def test_failing_signal_listener_does_not_block_the_start(meetings):
    def broken(club, **kwargs):
        raise RuntimeError("chat down")

    meeting_started.connect(broken)
    try:
        response = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    finally:
        meeting_started.disconnect(broken)
    assert response.status_code == 303 and response.headers["Location"].startswith(meetings.bbb.api_url)
