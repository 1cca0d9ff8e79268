"""The board's journey through the toolkit in a real browser, with axe on every page (issue 18, quality bar)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.core.i18n import local_tz
from app.privacy import services as privacy
from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["EVIDENCE_DIR"] = str(tmp_path / "evidence")  # the uploaded evidence below
    return app_config


def test_record_notice_request_and_breach_in_one_sitting(app, roles, live_server, page):
    from app.privacy.content import sync

    sync()
    privacy.save_profile(
        roles.club, {flag: flag in ("newsletter", "photos") for flag in privacy.PROFILE_FLAGS}, by=roles.board
    )
    base = f"{live_server.url}/c/{roles.club.slug}/werkzeuge"
    login_in_browser(page, live_server.url, roles.board.email, PASSWORD)

    page.goto(f"{live_server.url}/c/{roles.club.slug}/")
    page.get_by_role("link", name="Datenschutz-Werkzeuge").click()
    assert_accessible(page)

    # the record: prefilled from the profile, saved as version 1
    page.get_by_role("link", name="Verzeichnis von Verarbeitungstätigkeiten").click()
    page.get_by_role("link", name="Verzeichnis anlegen").click()
    assert page.get_by_label("Bezeichnung der Tätigkeit").first.input_value() == "Mitgliederverwaltung"
    assert_accessible(page)
    page.get_by_role("button", name="Neue Fassung speichern").click()
    page.get_by_text("Fassung 1 des Verzeichnisses ist gespeichert").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Ansehen und drucken").click()
    page.get_by_role("heading", name="1. Mitgliederverwaltung").wait_for()
    assert_accessible(page)

    # the checklist item for the record: the saved version is its evidence; the board adds a file (issue 18 item 5)
    page.goto(f"{live_server.url}/c/{roles.club.slug}/datenschutz/punkt/vvt-exists")
    page.get_by_role("link", name="Nachweis: Verzeichnis von Verarbeitungstätigkeiten, Fassung 1").wait_for()
    page.get_by_label("Datei als Nachweis").set_input_files(
        files=[{"name": "beschluss.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    page.get_by_role("button", name="Datei hochladen").click()
    page.get_by_text("Die Datei ist als Nachweis gespeichert.").wait_for()
    page.get_by_role("link", name="beschluss.pdf").wait_for()
    assert_accessible(page)

    # the privacy notice for the membership form, generated from the record
    page.goto(f"{base}/hinweise/")
    page.locator("#notice-mitgliedsantrag").locator("..").get_by_role(
        "link", name="Aus dem Verzeichnis erstellen"
    ).click()
    assert "Berliner Beauftragte" in page.get_by_label("Text des Hinweises").input_value()
    assert_accessible(page)
    page.get_by_role("button", name="Hinweis speichern").click()
    page.get_by_text("Fassung 1 des Hinweises ist gespeichert").wait_for()
    assert_accessible(page)

    # a data-subject request and its deadline
    page.goto(f"{base}/anfragen/")
    page.get_by_label("Art der Anfrage").select_option("access")
    page.get_by_label("Eingegangen am").fill(datetime.now(local_tz()).date().isoformat())
    page.get_by_role("button", name="Anfrage eintragen").click()
    page.locator("#deadline").wait_for()
    assert "noch" in page.locator("#deadline").inner_text()
    assert_accessible(page)

    # a breach and its 72-hour clock
    page.goto(f"{base}/pannen/")
    assert_accessible(page)
    discovered = datetime.now(local_tz()) - timedelta(hours=2)
    page.get_by_label("Wann hat der Verein davon erfahren?").fill(discovered.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Was ist passiert?").fill("Rundmail mit offenem Verteiler")
    page.get_by_label("Welche Daten sind betroffen?").fill("E-Mail-Adressen")
    page.get_by_label("Wie viele Personen sind ungefähr betroffen?").fill("60")
    page.locator("#risk-0").check()  # ja
    page.locator("#high_risk-2").check()  # nein
    page.get_by_role("button", name="Datenpanne eintragen").click()
    page.locator("#clock").wait_for()
    assert (
        "Noch 69 Stunden" in page.locator("#clock").inner_text()
        or "Noch 70 Stunden" in page.locator("#clock").inner_text()
    )
    assert_accessible(page)
