"""Guest link /m/<token>: name + access code, waiting room, rate limit, revocable and unguessable tokens."""

import requests
import sqlalchemy as sa

from app.extensions import db
from app.meetings.models import Room
from tests.conftest import HX

from .conftest import query_of


def _open_guest_access(room, **settings):
    room.guest_access = True
    for key, value in settings.items():
        setattr(room, key, value)
    db.session.commit()
    return f"/m/{room.guest_token}"


def _start(meetings):
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    page = requests.get(start.headers["Location"], timeout=5)
    return start, page


def test_guest_link_only_works_when_guest_access_is_on(meetings):
    url = f"/m/{meetings.room.guest_token}"
    assert meetings.anon.get(url).status_code == 404
    _open_guest_access(meetings.room)
    page = meetings.anon.get(url)
    assert page.status_code == 200 and "Ihr Name" in page.get_data(as_text=True)


def test_guest_with_access_code_joins_as_guest_viewer(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    url = _open_guest_access(meetings.room, access_code="honig42", waiting_room=False)
    wrong = meetings.anon.post(url, data={"name": "Gisela Gast", "access_code": "falsch"})
    assert wrong.status_code == 422 and "Zugangscode stimmt nicht" in wrong.get_data(as_text=True)
    assert meetings.anon.post(url, data={"name": "", "access_code": "honig42"}).status_code == 422
    ok = meetings.anon.post(url, data={"name": "Gisela Gast", "access_code": "honig42"})
    assert ok.status_code == 303 and ok.headers["Location"].endswith(url + "/warten")

    waiting = meetings.anon.get(url + "/warten")
    assert waiting.status_code == 200 and "noch nicht begonnen" in waiting.get_data(as_text=True)
    assert meetings.anon.get(url + "/warten", headers=HX).status_code == 204

    _start(meetings)
    poll = meetings.anon.get(url + "/warten", headers=HX)
    target = poll.headers["HX-Redirect"]
    q = query_of(target)
    assert q["role"] == "VIEWER" and q["guest"] == "true" and q["fullName"] == "Gisela Gast"
    assert not q["userID"].startswith("vr-user-")
    page = requests.get(target, timeout=5).text
    assert "(Gast)" in page and 'data-role="viewer"' in page


def test_waiting_room_holds_guests_until_a_moderator_admits_them(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    url = _open_guest_access(meetings.room, waiting_room=True)
    _start(meetings)
    create = query_of("?" + meetings.bbb.state.calls_of("create")[-1])
    assert create["guestPolicy"] == "ASK_MODERATOR"
    meetings.anon.post(url, data={"name": "Gisela Gast"})
    target = meetings.anon.get(url + "/warten").headers["Location"]
    held = requests.get(target, timeout=5).text
    assert 'data-state="waiting"' in held and "Warteraum" in held
    # members are not held (guest=false), only guests
    member = meetings.member.get(f"{meetings.base}/raum/{meetings.room.id}/beitreten").headers["Location"]
    assert 'data-state="joined"' in requests.get(member, timeout=5).text


def test_guest_consent_required_when_recording_is_allowed(meetings):
    url = _open_guest_access(meetings.room, recording_allowed=True)
    page = meetings.anon.get(url).get_data(as_text=True)
    assert "Hinweis zur Aufzeichnung" in page
    assert meetings.anon.post(url, data={"name": "Gisela Gast"}).status_code == 422
    assert meetings.anon.post(url, data={"name": "Gisela Gast", "consent": "y"}).status_code == 303


def test_guest_tokens_are_unguessable_and_revocable(meetings):
    url = _open_guest_access(meetings.room)
    token = meetings.room.guest_token
    assert len(token) >= 32
    other = Room(club_id=meetings.club.id, name="Zweiter Raum")
    db.session.add(other)
    db.session.commit()
    assert other.guest_token != token
    assert meetings.anon.get(url[:-1] + ("A" if url[-1] != "A" else "B")).status_code == 404
    assert meetings.member.post(f"{meetings.base}/raum/{meetings.room.id}/gastlink").status_code == 403
    renewed = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/gastlink")
    assert renewed.status_code == 303
    db.session.refresh(meetings.room)
    assert meetings.room.guest_token != token
    assert meetings.anon.get(url).status_code == 404
    assert meetings.anon.get(f"/m/{meetings.room.guest_token}").status_code == 200
    # turning guest access off also closes the link
    meetings.room.guest_access = False
    db.session.commit()
    assert meetings.anon.get(f"/m/{meetings.room.guest_token}").status_code == 404


def test_guest_link_of_a_suspended_club_is_closed(meetings):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    url = _open_guest_access(meetings.room)
    change_status(meetings.club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
    assert meetings.anon.get(url).status_code == 404


def test_guest_form_is_rate_limited(meetings, app):
    app.config["MEETINGS_GUEST_RATE_LIMIT"] = "3 per minute"
    url = _open_guest_access(meetings.room, access_code="honig42")
    codes = [meetings.anon.post(url, data={"name": "Bot", "access_code": f"rate{i}"}).status_code for i in range(5)]
    assert codes[:3] == [422, 422, 422] and codes[3:] == [429, 429]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Room)) >= 1
