import pytest

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_chapter_search_and_editor_are_accessible(synced, roles, live_server, page):
    base = live_server.url

    page.goto(f"{base}/leitfaden/datenpanne")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Datenpannen")
    page.get_by_role("link", name="Rechtsgrundlagen").first.click()
    assert page.url.endswith("#rechtsgrundlagen")
    assert_accessible(page)

    page.goto(f"{base}/suche")
    page.get_by_label("Leitfaden und Wissen durchsuchen").press_sequentially("Schredd", delay=30)
    page.wait_for_selector("#search-results a[href='/leitfaden/sicherheit']")
    assert "q=Schredd" in page.url  # active search keeps the URL shareable
    assert_accessible(page)

    page.goto(f"{base}/leitfaden/vorlagen/einwilligung-fotos")
    assert page.get_by_role("button", name="Text kopieren").is_visible()
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
