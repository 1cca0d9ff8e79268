"""Issue 16 acceptance, staff: from login to an approved club, counting clicks, axe on every page;
the statistics page draws every chart label whole."""

from __future__ import annotations

import pytest

from tests.browser import assert_accessible
from tests.conftest import PASSWORD
from tests.helpers import totp_code

pytestmark = pytest.mark.browser

TOPICS = {key: 50 for key in ("organisation", "verzeichnis", "information", "oeffentlichkeit", "dienstleister")}


def test_staff_from_login_to_an_approved_club(app, roles, make_user, make_club, assess, live_server, page):
    from app.privacy.content import publish, read_file

    publish(read_file(), note="Test")  # topic titles as in production ("Verarbeitungsverzeichnis und Nachweise")
    registrant = make_user(email="kasse@gartenfreunde.example", name="Karin Kasse")
    make_club(
        name="Gartenfreunde Lichtenberg", district="Charlottenburg-Wilmersdorf", status="pending", board=registrant
    )
    assess(roles.club, score=60, topics=TOPICS)
    clicks = 0

    page.goto(f"{live_server.url}/konto/anmelden")
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(roles.staff.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    clicks += 1
    page.wait_for_url("**/konto/anmelden/code**")  # staff have a second factor
    assert_accessible(page)
    page.get_by_label("Code aus der App").fill(totp_code(roles.staff))
    page.get_by_role("button", name="Anmelden", exact=True).click()
    clicks += 1
    page.wait_for_url("**/admin/vereine?status=pending")  # straight to the clubs waiting for review
    assert page.locator("#club-results tbody tr").count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Gartenfreunde Lichtenberg").click()
    clicks += 1
    registrant_line = page.locator("#registrant")
    assert (
        "Karin Kasse" in registrant_line.inner_text() and "kasse@gartenfreunde.example" in registrant_line.inner_text()
    )
    assert_accessible(page)

    page.get_by_role("link", name="Freischalten …").click()
    clicks += 1
    assert_accessible(page)
    page.get_by_role("button", name="Ja, freischalten").click()
    clicks += 1
    page.wait_for_selector(".badge-approved")
    assert_accessible(page)
    assert clicks <= 5, clicks  # login (password, code), club, approve, confirm

    page.goto(f"{live_server.url}/admin/statistik")
    assert_accessible(page)
    # every label line of every chart starts inside its SVG (nothing cut off at the left edge)
    boxes = page.eval_on_selector_all(
        ".chart-svg text.chart-label", "els => els.map(e => [e.textContent, e.getBBox().x, e.getBBox().width])"
    )
    assert any("Verarbeitungsverzeichnis" in text for text, _x, _w in boxes)
    assert any("Charlottenburg-Wilmersdorf" in text for text, _x, _w in boxes)
    cut = [(text, x) for text, x, _w in boxes if x < 0]
    assert cut == [], cut
    assert page.console_errors == []
