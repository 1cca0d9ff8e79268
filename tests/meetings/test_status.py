"""Live status: one cached getMeetings for all clubs; BBB slow/down/FAILED/malformed degrade only the panel."""

import time

import requests

from tests.conftest import HX


def test_panel_shows_running_state_and_participants(meetings):
    panel = meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    assert panel.lstrip().startswith('<section class="panel" id="meetings-panel"')
    assert "nicht gestartet" in panel
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    requests.get(start.headers["Location"], timeout=5)
    panel = meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    assert "läuft" in panel and "1 Person im Raum" in panel and "seit" in panel


def test_status_is_cached_one_get_meetings_serves_all_clubs(meetings, make_user, make_club, client_for):
    other_board = make_user()
    other = make_club(board=other_board)
    other_client = client_for(other_board)
    for _ in range(5):
        assert meetings.member.get(meetings.base + "/", headers=HX).status_code == 200
        assert meetings.board.get(meetings.base + "/status", headers=HX).status_code in (200, 204)
        assert other_client.get(f"/c/{other.slug}/konferenzen/", headers=HX).status_code == 200
    assert len(meetings.bbb.state.calls_of("getMeetings")) == 1


def test_status_poll_answers_204_when_nothing_changed(meetings):
    panel = meetings.member.get(meetings.base + "/status", headers=HX)
    body = panel.get_data(as_text=True)
    digest = body.split('"v": "', 1)[1].split('"', 1)[0]
    assert meetings.member.get(meetings.base + f"/status?v={digest}", headers=HX).status_code == 204
    assert meetings.member.get(meetings.base + "/status?v=alt", headers=HX).status_code == 200


def test_workspace_page_never_waits_for_bbb(meetings):
    meetings.bbb.state.slow = 5
    started = time.monotonic()
    page = meetings.member.get(f"/c/{meetings.club.slug}/")
    assert page.status_code == 200 and time.monotonic() - started < 1
    assert meetings.bbb.state.calls == []


def test_slow_bbb_panel_answers_within_the_timeout_with_a_message(meetings, app):
    app.config["BBB_TIMEOUT"] = 0.5
    meetings.bbb.state.slow = 4
    started = time.monotonic()
    panel = meetings.member.get(meetings.base + "/", headers=HX)
    elapsed = time.monotonic() - started
    body = panel.get_data(as_text=True)
    assert panel.status_code == 200 and elapsed < 1.5
    assert "antwortet gerade nicht" in body and "Erneut versuchen" in body
    assert 'id="meetings-panel"' in body
    # the error is cached too: the next dashboards do not wait again
    started = time.monotonic()
    meetings.board.get(meetings.base + "/", headers=HX)
    assert time.monotonic() - started < 0.4


def test_bbb_down_failed_and_malformed_degrade_the_panel(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    for knob, value, message in (
        ("down", True, "unverständliche Antwort"),
        ("malformed", True, "unverständliche Antwort"),
        ("fail", "checksumError", "Prüfsumme"),
    ):
        meetings.bbb.state.reset_modes()
        setattr(meetings.bbb.state, knob, value)
        panel = meetings.member.get(meetings.base + "/", headers=HX)
        assert panel.status_code == 200 and message in panel.get_data(as_text=True), knob
    meetings.bbb.state.reset_modes()
    meetings.bbb.state.down = True
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    assert start.status_code == 303 and start.headers["Location"].endswith(f"/raum/{meetings.room.id}")
    room = meetings.board.get(start.headers["Location"]).get_data(as_text=True)
    assert "unverständliche Antwort" in room


def test_unreachable_bbb_panel_message(meetings, app):
    app.config.update(BBB_API_URL="http://127.0.0.1:9/bigbluebutton/api/", BBB_TIMEOUT=1)
    panel = meetings.member.get(meetings.base + "/", headers=HX)
    assert panel.status_code == 200 and "nicht erreichbar" in panel.get_data(as_text=True)


def test_unconfigured_bbb_panel_message(roles, client_for, app):
    app.config.update(BBB_API_URL=None, BBB_SECRET=None)
    panel = client_for(roles.member).get(f"/c/{roles.club.slug}/konferenzen/", headers=HX)
    assert panel.status_code == 200 and "noch nicht eingerichtet" in panel.get_data(as_text=True)


def test_getmeetings_disabled_falls_back_to_meeting_info(meetings, app):
    app.config["BBB_STATUS_TTL"] = 0
    start = meetings.board.post(f"{meetings.base}/raum/{meetings.room.id}/starten")
    requests.get(start.headers["Location"], timeout=5)
    original = meetings.bbb.app.call_getMeetings
    from app.integrations.bigbluebutton.standin import _failed

    meetings.bbb.app.call_getMeetings = lambda request, p: meetings.bbb.app._xml_response(
        _failed("unsupportedRequest", "disabled")
    )
    try:
        panel = meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    finally:
        meetings.bbb.app.call_getMeetings = original
    assert "läuft" in panel and meetings.bbb.state.calls_of("getMeetingInfo")
