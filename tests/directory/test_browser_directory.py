"""The directory in a real browser: board switches the listing on via the preview, visitors search, filter and
write; axe on every page."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_directory_journey_is_accessible(app, roles, make_club, list_club, live_server, page, mailbox):
    list_club(make_club(name="Ruderclub Mitte", district="Mitte"), ["sport", "umwelt"])
    list_club(make_club(name="Gartenfreunde Pankow", district="Pankow"), ["umwelt"])
    roles.club.contact_email = "geheim@imker-pankow.example"
    db.session.commit()

    login_in_browser(page, live_server.url, roles.board.email, PASSWORD)
    page.goto(f"{live_server.url}/c/{roles.club.slug}/")
    page.get_by_role("link", name="Eintrag Ihres Vereins verwalten").click()
    assert_accessible(page)
    page.get_by_label("Unseren Verein im öffentlichen Vereinsverzeichnis zeigen").check()
    page.get_by_label("Kurzbeschreibung für das Verzeichnis").fill("Wir imkern in Pankow.")
    page.get_by_label("Umwelt").check()
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_selector("#directory-preview")
    assert "Wir imkern in Pankow." in page.locator("#directory-preview").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Veröffentlichen").click()
    page.wait_for_selector("text=Der Verzeichniseintrag ist gespeichert und öffentlich.")

    page.goto(f"{live_server.url}/vereine/verzeichnis")
    assert_accessible(page)
    page.get_by_label("Name oder Stichwort").fill("ruder")
    page.wait_for_selector("#directory-count:has-text('1 Verein gefunden')")
    page.wait_for_url(re.compile(r"[?&]q=ruder(&|$)"))
    page.get_by_label("Name oder Stichwort").fill("")
    page.get_by_label("Thema", exact=True).select_option("umwelt")
    page.wait_for_selector("#directory-count:has-text('3 Vereine gefunden')")
    page.get_by_label("Bezirk", exact=True).select_option("Pankow")
    page.wait_for_selector("#directory-count:has-text('2 Vereine gefunden')")
    assert_accessible(page)

    page.get_by_role("link", name="Imkerverein Pankow").click()
    assert "geheim@" not in page.content()
    page.get_by_label("Ihr Name").fill("Karla Kontakt")
    page.get_by_label("Ihre E-Mail-Adresse (für die Antwort)").fill("karla@example.org")
    page.get_by_label("Ihre Nachricht").fill("Wir möchten gern ein Fest zusammen organisieren.")
    assert_accessible(page)
    page.get_by_role("button", name="Nachricht senden").click()
    page.wait_for_selector("text=Ihre Nachricht wird an Imkerverein Pankow weitergeleitet")
    assert mailbox.to("geheim@imker-pankow.example")

    assert page.console_errors == []


def test_staff_topic_page_is_accessible(roles, topics, live_server, page):
    login_in_browser(page, live_server.url, roles.staff.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/verzeichnis/themen")
    assert_accessible(page)
    page.locator("#new-slug").fill("inklusion")
    page.locator("#new-name_de").fill("Inklusion")
    page.locator("#new-name_en").fill("Inclusion")
    page.get_by_role("button", name="Thema anlegen").click()
    page.wait_for_selector("text=Das Thema ist gespeichert.")
    assert_accessible(page)
