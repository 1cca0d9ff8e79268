import re

import pytest
from playwright.sync_api import expect

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_chapter_search_and_editor_are_accessible(synced, roles, live_server, page):
    base = live_server.url

    page.goto(f"{base}/leitfaden/datenpanne")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Datenpannen")
    page.get_by_role("link", name="Rechtsgrundlagen").first.click()
    page.wait_for_url(re.compile(r"#rechtsgrundlagen$"))
    assert_accessible(page)

    page.goto(f"{base}/suche")
    page.get_by_label("Leitfaden und Wissen durchsuchen").press_sequentially("Schredd", delay=30)
    # On a busy machine the 300 ms pause can fall between two keys: a search for "Schr" runs first and may
    # already list the chapter. The pushed URL of the last search says when its results are in.
    page.wait_for_url(re.compile(r"[?&]q=Schredd$"))  # active search keeps the URL shareable
    page.wait_for_selector("#search-results a[href='/leitfaden/sicherheit']")
    assert_accessible(page)

    page.goto(f"{base}/leitfaden/vorlagen/einwilligung-fotos")
    expect(page.get_by_role("button", name="Text kopieren")).to_be_visible()
    assert_accessible(page)

    login_in_browser(page, base, roles.staff.email, PASSWORD)
    page.goto(f"{base}/admin/inhalte/")
    page.get_by_role("link", name="Soziale Medien im Verein").click()
    body = page.get_by_label("Text (Markdown)")
    body.fill("## Neue Überschrift\n\nLive-Vorschau <script>alert(1)</script>")
    page.wait_for_selector("#preview h2#neue-ueberschrift")
    assert "<script>" in page.inner_text("#preview")  # shown as text, not run
    assert_accessible(page)
    page.get_by_role("button", name="Als Entwurf speichern").click()
    page.wait_for_selector(".flash-success")
    page.goto(f"{base}/wissen/soziale-medien")
    assert "Neue Überschrift" not in page.content()  # drafts stay private
    assert page.console_errors == []
