import re

import pytest

from app.extensions import db
from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_staff_pages_are_accessible_and_search_works(app, roles, make_club, assess, live_server, page):
    make_club(name="Chor Neukölln", district="Neukölln", status="pending")
    assess(roles.club, score=72, topics={"mitglieder": 60, "sicherheit": 84})
    from app.core.audit import audit_record

    audit_record("member.role_changed", actor=roles.board, club=roles.club)
    db.session.commit()
    login_in_browser(page, live_server.url, roles.staff.email, PASSWORD)

    page.goto(f"{live_server.url}/admin/vereine")
    assert_accessible(page)
    page.get_by_label("Name enthält").fill("Chor")
    page.wait_for_selector("#result-count:has-text('1 Verein gefunden')")
    page.wait_for_url(re.compile(r"[?&]q=Chor(&|$)"))  # hx-push-url (Playwright learns of it after the swap)
    assert page.locator("#club-results tbody tr").count() == 1

    page.get_by_label("Name enthält").fill("Imker")
    page.wait_for_selector("#result-count:has-text('1 Verein gefunden')")
    page.get_by_role("link", name="Imkerverein Pankow").click()
    page.get_by_label("Neue interne Notiz").fill("Bitte im Januar nachfragen.")
    page.get_by_role("button", name="Notiz speichern").click()
    page.wait_for_selector("text=Die Notiz ist gespeichert.")
    assert_accessible(page)

    page.get_by_role("link", name="Sperren …").click()
    page.get_by_label("Begründung (geht per E-Mail an den Vorstand)").fill("Test der Sperre")
    assert_accessible(page)
    page.get_by_role("button", name="Ja, sperren").click()
    page.wait_for_selector("text=ist gesperrt")

    page.goto(f"{live_server.url}/admin/statistik")
    assert_accessible(page)
    page.goto(f"{live_server.url}/admin/protokoll")
    assert_accessible(page)
    assert page.console_errors == []
