"""Browser journeys (Playwright + axe-core): start page, workshop page, booking, staff queue, live polling."""

import re
from datetime import timedelta

import pytest

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

from .conftest import berlin

pytestmark = pytest.mark.browser


def test_public_start_page_and_workshop_registration(roles, make_workshop, live_server, page):
    workshop = make_workshop(title="Social Media im Verein", topic="social-media", starts_in=timedelta(days=5))
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).first.is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Social Media im Verein").click()
    page.wait_for_url(f"**/workshops/{workshop.id}")
    assert_accessible(page)

    login_in_browser(page, live_server.url, roles.member.email, PASSWORD)
    page.goto(f"{live_server.url}/workshops/{workshop.id}")
    page.get_by_label("Anmelden für").select_option(label="Imkerverein Pankow")
    page.get_by_role("button", name="Verbindlich anmelden").click()
    page.get_by_text("Sie sind angemeldet.").first.wait_for()
    assert_accessible(page)
    assert page.console_errors == []


def test_booking_queue_and_live_admission(bbb_standin, roles, make_schedule, clock, live_server, page, _browser):
    make_schedule()
    clock.set(berlin(2026, 3, 17, 17, 5))

    login_in_browser(page, live_server.url, roles.member.email, PASSWORD)
    page.goto(live_server.url + "/sprechstunde")
    assert_accessible(page)
    booking = page.locator("form[action='/sprechstunde/buchen']")
    booking.get_by_label("17:20 Uhr").first.check()
    booking.get_by_label("Ihre Frage in ein, zwei Sätzen").fill("Wie teilen wir Fotos datensparsam?")
    booking.get_by_role("button", name="Termin buchen").click()
    page.get_by_text("Ihr Termin ist gebucht").wait_for()
    page.get_by_role("button", name="In die Warteschlange").click()
    page.wait_for_url("**/sprechstunde/warteschlange/*")
    page.get_by_text("Sie sind als Nächstes an der Reihe.").wait_for()
    assert_accessible(page)
    assert page.console_errors == []

    staff_context = _browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    staff_page = staff_context.new_page()
    try:
        login_in_browser(staff_page, live_server.url, roles.staff.email, PASSWORD)
        staff_page.goto(live_server.url + "/admin/workshops/sprechstunde/warteschlange")
        staff_page.get_by_text("Wie teilen wir Fotos datensparsam?").wait_for()
        assert_accessible(staff_page)
        staff_page.get_by_role("button", name="Nächste Person hereinholen").click()
        staff_page.get_by_text("wird in den Raum geholt").wait_for()
    finally:
        staff_context.close()

    # The waiting page polls (htmx, every 5 s) and goes to the conference room by itself.
    page.wait_for_url(re.compile(re.escape(bbb_standin.url) + r"/.*"), timeout=15_000)
    [join] = bbb_standin.state.calls_of("join")
    assert "fullName=Moritz+Mitglied" in join and "role=VIEWER" in join
