"""Issue 16 acceptance, volunteer on a phone (390×844): joins a running meeting from the workspace with the
join button above the fold, in at most 2 taps; axe on every page. Tables keep their column labels when
they stack on a phone."""

from __future__ import annotations

import pytest
import requests

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(bbb_standin, app_config, request):
    app_config["BBB_STATUS_TTL"] = 0.5
    return request.getfixturevalue("live_server")


@pytest.fixture
def phone(_browser):
    context = _browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    yield pg
    context.close()


def test_volunteer_on_a_phone_joins_a_running_meeting_in_one_tap(bbb_standin, server, roles, phone):
    from app.meetings.services import rooms_for, start_url

    room = rooms_for(roles.club)[0]
    assert room.name == roles.club.name  # the default room carries the club's name
    # the board has started the meeting and is in it
    requests.get(start_url(room, roles.board, moderator=True), timeout=5)

    login_in_browser(phone, server.url, roles.member.email, PASSWORD)
    assert_accessible(phone)
    phone.goto(f"{server.url}/c/{roles.club.slug}/")
    taps = 0
    join = phone.get_by_role("link", name="Konferenz läuft – jetzt beitreten")
    join.wait_for()  # the banner arrives with the page or its first htmx load, from the status cache
    assert_accessible(phone)
    assert phone.evaluate("window.scrollY") == 0
    box = join.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box  # above the fold
    assert box["height"] >= 44  # a comfortable tap target
    # members see meetings and chat before the board's tools, and no "Am dringendsten" list
    order = phone.eval_on_selector_all(".panels > section", "els => els.map(e => e.id)")
    assert order[:2] == ["meetings-panel", "chat-panel"], order
    phone.wait_for_selector("#privacy-panel:not([aria-busy=true])")
    assert "Am dringendsten" not in phone.content()

    join.tap()
    taps += 1
    phone.wait_for_url(f"{bbb_standin.url}/bigbluebutton/demo/**")
    assert phone.locator("#role").get_attribute("data-role") == "viewer"
    assert "Moritz Mitglied" in phone.content()
    assert_accessible(phone)
    assert taps <= 2
    assert phone.console_errors == []


def test_members_table_keeps_its_column_labels_on_a_phone(server, roles, phone):
    login_in_browser(phone, server.url, roles.board.email, PASSWORD)
    phone.goto(f"{server.url}/c/{roles.club.slug}/mitglieder/")
    assert_accessible(phone)
    # stacked rows: no table header on screen, each cell shows its label before the value
    assert not phone.locator(".table thead").first.is_visible()
    labels = phone.eval_on_selector_all(
        "#members-panel .table tbody tr:first-child td",
        "tds => tds.map(td => getComputedStyle(td, '::before').content)",
    )
    assert labels == ['"Name"', '"E-Mail"', '"Rolle"', '"Aktionen"'], labels
    # the board's workspace on the phone: the "Erste Schritte" box and inviting, reachable at once
    phone.goto(f"{server.url}/c/{roles.club.slug}/")
    phone.wait_for_selector("#meetings-panel:not([aria-busy=true])")
    assert phone.get_by_role("heading", name="Erste Schritte").is_visible()
    assert phone.get_by_role("link", name="Personen einladen").is_visible()
    assert_accessible(phone)
    phone.get_by_role("button", name="Ausblenden – Erste Schritte").tap()
    phone.wait_for_selector("text=Die ersten Schritte sind ausgeblendet.")
    assert phone.get_by_role("heading", name="Erste Schritte").count() == 0
    assert phone.console_errors == []
