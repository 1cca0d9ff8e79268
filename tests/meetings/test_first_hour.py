"""Issue 16 item 4: a volunteer on a phone finds the meeting.

The workspace shows "Konferenz läuft – jetzt beitreten" at the top while a meeting runs (from the shared
status cache; the page itself never asks BBB), members get meetings and chat first, one button follows
the state, the default room carries the club's name, the guest link is explained where guests may come.
"""

from __future__ import annotations

import re

import requests

from tests.conftest import HX

BANNER = "Konferenz läuft – jetzt beitreten"


def _run(meetings):
    """Start the default room and put someone in it (the stand-in counts a join as a participant)."""
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    assert start.status_code == 303
    requests.get(start.headers["Location"], timeout=5)


def _workspace(client, club):
    return client.get(f"/c/{club.slug}/").get_data(as_text=True)


def test_banner_fragment_appears_while_a_meeting_runs_and_links_to_join(meetings):
    banner = meetings.member.get(f"{meetings.base}/laeuft", headers=HX)
    assert banner.status_code == 200 and BANNER not in banner.get_data(as_text=True)
    _run(meetings)
    body = meetings.member.get(f"{meetings.base}/laeuft", headers=HX).get_data(as_text=True)
    assert BANNER in body and "<html" not in body
    assert f'href="{meetings.base}/raum/{meetings.room.id}/beitreten"' in body
    # polled: unchanged → 204 (no swap, no second announcement)
    digest = re.search(r'"v": "([0-9a-f]+)"', body).group(1)
    assert meetings.member.get(f"{meetings.base}/laeuft?v={digest}", headers=HX).status_code == 204
    # without htmx the address leads to the workspace (which renders the banner from the cache)
    plain = meetings.member.get(f"{meetings.base}/laeuft")
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/c/{meetings.club.slug}/")


def test_workspace_renders_the_banner_first_from_the_cache_without_asking_bbb(meetings):
    _run(meetings)
    meetings.member.get(f"{meetings.base}/laeuft", headers=HX)  # fills the shared status cache
    calls = len(meetings.bbb.state.calls)
    html = _workspace(meetings.member, meetings.club)
    assert len(meetings.bbb.state.calls) == calls  # the page render asked BBB nothing
    assert BANNER in html
    assert html.index(BANNER) < html.index('id="meetings-panel"') < html.index('id="privacy-panel"')
    assert 'hx-trigger="load, every 10s"' in html  # and it keeps itself current while the page is open


def test_workspace_has_a_polling_banner_slot_even_when_the_cache_is_empty(meetings):
    meetings.bbb.state.slow = 5
    html = _workspace(meetings.member, meetings.club)
    assert meetings.bbb.state.calls == []
    assert 'id="meeting-banner"' in html and f'hx-get="{meetings.base}/laeuft"' in html and BANNER not in html


def test_members_get_meetings_and_chat_first_the_board_keeps_its_order(meetings):
    member = _workspace(meetings.member, meetings.club)
    order = [m for m in re.findall(r'<section class="panel" id="([a-z]+-panel)"', member)]
    assert order[:2] == ["meetings-panel", "chat-panel"] and "privacy-panel" in order[2:]
    board = _workspace(meetings.board, meetings.club)
    board_order = re.findall(r'<section class="panel" id="([a-z]+-panel)"', board)
    assert board_order[0] == "privacy-panel"


def _room_actions(html):
    return html.split('class="meeting-room"', 1)[1].split("</li>", 1)[0]


def test_one_button_follows_the_state(meetings):
    board = _room_actions(meetings.board.get(meetings.base + "/", headers=HX).get_data(as_text=True))
    assert ">Starten<" in board and "/beitreten" not in board  # nothing runs: the board starts
    member = _room_actions(meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True))
    assert "Starten" not in member and "/beitreten" in member  # may not start: waits on the join page
    _run(meetings)
    board = _room_actions(meetings.board.get(meetings.base + "/", headers=HX).get_data(as_text=True))
    assert "/beitreten" in board and ">Starten<" not in board and "/starten" not in board
    room = meetings.board.get(f"{meetings.base}/raum/{meetings.room.id}").get_data(as_text=True)
    assert "/beitreten" in room and "/starten" not in room and "Konferenz beenden" in room


def test_default_room_is_named_after_the_club_and_follows_a_rename(meetings, app):
    from app.clubs.services import update_profile

    assert meetings.room.name == "Imkerverein Pankow"
    club = meetings.club
    update_profile(
        club,
        by=meetings.roles.board,
        name="Imkerei Pankow",
        legal_form=club.legal_form,
        district=club.district,
        contact_email=club.contact_email,
    )
    from app.extensions import db

    db.session.refresh(meetings.room)
    assert meetings.room.name == "Imkerei Pankow"


def test_a_room_the_board_renamed_keeps_its_name(meetings):
    from app.clubs.services import update_profile
    from app.extensions import db

    meetings.room.name = "Vorstandszimmer"
    db.session.commit()
    club = meetings.club
    update_profile(
        club,
        by=meetings.roles.board,
        name="Imkerei Pankow",
        legal_form=club.legal_form,
        district=club.district,
        contact_email=club.contact_email,
    )
    db.session.refresh(meetings.room)
    assert meetings.room.name == "Vorstandszimmer"


def test_panel_explains_the_guest_link_only_where_guests_may_come(meetings):
    from app.extensions import db

    panel = meetings.board.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    assert "Gastlink" not in panel
    meetings.room.guest_access = True
    db.session.commit()
    board = meetings.board.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    member = meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    assert "Gäste ohne Konto sind erlaubt" in board and "Seite des Raums" in board
    assert "Gäste ohne Konto sind erlaubt" in member and "gibt der Vorstand weiter" in member
    room = meetings.board.get(f"{meetings.base}/raum/{meetings.room.id}").get_data(as_text=True)
    assert "Mit diesem Link kommen Gäste ohne Konto in die Konferenz" in room


def test_start_page_promises_guests_only_as_far_as_the_default_goes(client):
    from app.meetings.models import Room

    assert Room.__table__.c.guest_access.default.arg is False  # guests are off until the board allows them
    html = client.get("/").get_data(as_text=True)
    assert "ohne Konto für Gäste" not in html
    assert "Gastlink" in html and "einschaltet" in html
