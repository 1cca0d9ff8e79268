"""Public pages in English through per-language versions; a note where none exists (Leichte Sprache)."""

from __future__ import annotations

import pytest

from app.pages import services
from app.pages.models import Page
from tests.helpers import text

ENGLISH = {
    "/": "Digital tools for your club",
    "/angebote": "Our services",
    "/barrierefreiheit": "Accessibility statement",
    "/datenschutz": "Privacy policy",
}
GERMAN = {
    "/": "Digitale Werkzeuge für Ihren Verein",
    "/angebote": "Unsere Angebote",
    "/barrierefreiheit": "Erklärung zur Barrierefreiheit",
    "/datenschutz": "Datenschutzerklärung",
}
NOTE = "This page is only available in German."


def _english(client):
    client.post("/sprache", data={"lang": "en", "next": "/"})
    return client


@pytest.mark.parametrize("synced", [False, True])
def test_the_english_ui_shows_the_english_pages(app, client, synced):
    if synced:
        services.sync_defaults()
    english = _english(client)
    for url, title in ENGLISH.items():
        body = text(english.get(url))
        assert title in body, url
        assert GERMAN[url] not in body and NOTE not in body, url
    knowledge = text(english.get("/wissen/"))
    assert "Knowledge for clubs" in knowledge and "Wissen für Vereine" not in knowledge


def test_german_stays_german(client):
    for url, title in GERMAN.items():
        body = text(client.get(url))
        assert title in body and ENGLISH[url] not in body, url


def test_easy_language_stays_german_with_a_note_in_english(app, client):
    assert NOTE not in text(app.test_client().get("/leichte-sprache"))
    body = text(_english(client).get("/leichte-sprache"))
    assert NOTE in body and '<div class="page-body" lang="de">' in body


def test_a_staff_edit_of_the_german_text_leaves_the_english_version(app, roles, client_for):
    services.sync_defaults()
    staff = _english(client_for(roles.staff))
    form = text(staff.get("/admin/seiten/barrierefreiheit"))
    assert "Wir möchten, dass alle Menschen" in form and "We want everyone" not in form  # staff edit the German text
    response = staff.post(
        "/admin/seiten/barrierefreiheit", data={"title": "Barrierefreiheit (neu)", "body": "Neuer Text."}
    )
    assert response.status_code in (302, 303)
    row = services.db.session.query(Page).filter_by(slug="barrierefreiheit").one()
    assert row.title == "Barrierefreiheit (neu)" and row.title_en == "Accessibility statement"


@pytest.mark.browser
def test_english_pages_are_accessible(app, live_server, page):
    from tests.browser import assert_accessible

    page.goto(f"{live_server.url}/angebote")
    page.locator("#lang-select").select_option("en")
    page.get_by_role("button", name="Wechseln").click()
    page.wait_for_selector("text=Our services")
    for path in ("/", "/angebote", "/barrierefreiheit", "/datenschutz", "/leichte-sprache"):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
