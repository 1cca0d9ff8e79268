"""Recordings per room: filtered by meta tags, members only, publish/unpublish, delete after confirmation."""

from tests.conftest import HX


def _tags(meetings, room=None):
    room = room or meetings.room
    return {"vr-club": room.club.slug, "vr-room": str(room.id), "vr-platform": "vereinsraum"}


def test_members_see_published_recordings_of_their_room_only(meetings):
    from app.meetings.services import rooms_for

    mine = meetings.bbb.state.add_recording(meetings.room.meeting_id, _tags(meetings))
    hidden = meetings.bbb.state.add_recording(meetings.room.meeting_id, _tags(meetings), published=False)
    other_room = rooms_for(meetings.roles.other_club)[0]
    foreign = meetings.bbb.state.add_recording(other_room.meeting_id, _tags(meetings, other_room))
    url = f"{meetings.base}/raum/{meetings.room.id}/aufzeichnungen/liste"
    member_view = meetings.member.get(url).get_data(as_text=True)
    assert mine.record_id in member_view and hidden.record_id not in member_view
    assert foreign.record_id not in member_view
    board_view = meetings.board.get(url, headers=HX).get_data(as_text=True)
    assert hidden.record_id in board_view and "Veröffentlichen" in board_view
    assert meetings.anon.get(url).status_code in (302, 401)
    query = meetings.bbb.state.calls_of("getRecordings")[-1]
    assert "meta_vr-club=" + meetings.club.slug in query and f"meta_vr-room={meetings.room.id}" in query


def test_board_publishes_unpublishes_and_deletes(meetings):
    rec = meetings.bbb.state.add_recording(meetings.room.meeting_id, _tags(meetings))
    base = f"{meetings.base}/raum/{meetings.room.id}/aufzeichnungen/{rec.record_id}"
    assert meetings.member.post(base + "/veroeffentlichen", data={"publish": "0"}).status_code == 403
    assert meetings.board.post(base + "/veroeffentlichen", data={"publish": "0"}).status_code == 303
    assert rec.published is False
    assert meetings.board.post(base + "/veroeffentlichen", data={"publish": "1"}).status_code == 303
    assert rec.published is True
    confirm = meetings.board.get(base + "/loeschen")
    assert confirm.status_code == 200 and "endgültig" in confirm.get_data(as_text=True) and not rec.deleted
    assert meetings.board.post(base + "/loeschen").status_code == 303
    assert rec.deleted


def test_recordings_of_another_club_cannot_be_touched(meetings):
    from app.meetings.services import rooms_for

    other_room = rooms_for(meetings.roles.other_club)[0]
    foreign = meetings.bbb.state.add_recording(other_room.meeting_id, _tags(meetings, other_room))
    base = f"{meetings.base}/raum/{meetings.room.id}/aufzeichnungen/{foreign.record_id}"
    assert meetings.board.post(base + "/veroeffentlichen", data={"publish": "0"}).status_code == 404
    assert meetings.board.post(base + "/loeschen").status_code == 404
    assert foreign.published and not foreign.deleted


def test_recordings_list_degrades_when_bbb_is_down(meetings):
    meetings.bbb.state.down = True
    url = f"{meetings.base}/raum/{meetings.room.id}/aufzeichnungen/liste"
    page = meetings.member.get(url)
    assert page.status_code == 503 and "unverständliche Antwort" in page.get_data(as_text=True)
    partial = meetings.member.get(url, headers=HX)
    html = partial.get_data(as_text=True)
    assert partial.status_code == 503 and "<html" not in html
    assert f'hx-get="{url}"' in html and "Erneut versuchen" in html  # retry in place


def test_recordings_page_never_waits_on_bbb(meetings):
    """The page itself makes no BBB call (issue 19 item 4): the list is a lazy section with a timeout."""
    before = len(meetings.bbb.state.calls_of("getRecordings"))
    page = meetings.member.get(f"{meetings.base}/raum/{meetings.room.id}/aufzeichnungen")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert len(meetings.bbb.state.calls_of("getRecordings")) == before
    list_url = f"{meetings.base}/raum/{meetings.room.id}/aufzeichnungen/liste"
    assert f'hx-get="{list_url}"' in html and 'hx-trigger="load"' in html and '"timeout": 15000' in html
    assert f'href="{list_url}"' in html  # without JavaScript: a link to the list
