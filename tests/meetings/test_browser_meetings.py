"""Browser journeys: one click into the stand-in room; a volunteer waits and is moved in; axe on the pages."""

import pytest

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def server(bbb_standin, app_config, request):
    app_config["BBB_STATUS_TTL"] = 0.5
    live = request.getfixturevalue("live_server")
    return live


def test_start_and_waiting_volunteer_is_moved_in(bbb_standin, server, roles, page, _browser):
    from app.meetings.services import rooms_for

    room = rooms_for(roles.club)[0]
    base = f"{server.url}/c/{roles.club.slug}/konferenzen"

    # The volunteer opens "Beitreten" before the meeting has started: the waiting page polls.
    volunteer_context = _browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    volunteer = volunteer_context.new_page()
    volunteer_errors = []
    volunteer.on("console", lambda msg: msg.type == "error" and volunteer_errors.append(msg.text))
    try:
        login_in_browser(volunteer, server.url, roles.member.email, PASSWORD)
        volunteer.goto(f"{server.url}/c/{roles.club.slug}/")
        volunteer.wait_for_selector("#meetings-panel:not([aria-busy=true])")
        volunteer.get_by_role("link", name=f"Beitreten – {room.name}").click()
        volunteer.wait_for_selector("#meetings-waiting")
        assert "noch nicht begonnen" in volunteer.content()
        assert_accessible(volunteer)

        # The board member clicks "Starten" in the panel and lands in the stand-in room (CSP form-action allows it).
        login_in_browser(page, server.url, roles.board.email, PASSWORD)
        page.goto(base + "/")
        assert_accessible(page)
        page.get_by_role("button", name=f"Starten – {room.name}").click()
        page.wait_for_url(f"{bbb_standin.url}/bigbluebutton/demo/**")
        assert page.get_by_role("heading", name="Konferenzraum (Demo)").is_visible()
        assert page.locator("#role").get_attribute("data-role") == "moderator"
        assert_accessible(page)

        # The volunteer's waiting page notices within a few seconds and moves them in as a viewer.
        volunteer.wait_for_url(f"{bbb_standin.url}/bigbluebutton/demo/**", timeout=15_000)
        assert volunteer.locator("#role").get_attribute("data-role") == "viewer"
        assert "Moritz Mitglied" in volunteer.content()
        assert volunteer_errors == []
    finally:
        volunteer_context.close()
    assert page.console_errors == []


def test_meetings_pages_are_accessible(bbb_standin, server, roles, page):
    from app.extensions import db
    from app.meetings.services import rooms_for

    room = rooms_for(roles.club)[0]
    room.guest_access = True
    room.access_code = "honig42"
    room.recording_allowed = True
    db.session.commit()
    base = f"{server.url}/c/{roles.club.slug}/konferenzen"
    login_in_browser(page, server.url, roles.board.email, PASSWORD)
    for path in (
        f"/raum/{room.id}",
        f"/raum/{room.id}/einstellungen",
        "/termine/neu",
        "/kalender",
        f"/raum/{room.id}/aufzeichnungen",
        "/raeume/neu",
        f"/raum/{room.id}/beitreten",
    ):
        page.goto(base + path)
        assert page.locator("h2").first.is_visible()
        assert_accessible(page)
    # schedule a meeting through the form, then view it
    page.goto(base + "/termine/neu")
    page.get_by_label("Titel").fill("Vorstandssitzung")
    page.get_by_label("Beginn").fill("2031-05-06T19:30")
    page.get_by_role("button", name="Termin planen").click()
    page.wait_for_url("**/termine/*")
    assert "Vorstandssitzung" in page.content()
    assert_accessible(page)
    # the guest page (logged out in a fresh context is not needed: the form is public)
    page.goto(f"{server.url}/m/{room.guest_token}")
    assert page.get_by_label("Ihr Name").is_visible()
    assert_accessible(page)
    assert page.console_errors == []
