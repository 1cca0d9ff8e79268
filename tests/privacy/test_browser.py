"""A board member works through the checklist in a real browser (keyboard and mouse)."""

import re

import pytest

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_board_answers_by_keyboard_and_mouse_and_sees_score_change(app, roles, content, set_profile, live_server, page):
    set_profile(roles.club, website=False)
    base = f"{live_server.url}/c/{roles.club.slug}/datenschutz"
    login_in_browser(page, live_server.url, roles.board.email, PASSWORD)
    page.goto(f"{base}/selbstcheck")
    score = page.locator("#privacy-score")
    assert "Noch keine Bewertung" in score.inner_text()
    assert_accessible(page)

    # mouse: choose "Ja" on an item and click its save button
    item = page.locator("#item-mem-bcc")
    item.get_by_label("Ja", exact=True).click()
    item.get_by_role("button", name=re.compile("^Speichern")).click()
    page.locator("#item-mem-bcc .inline-status", has_text="Gespeichert.").wait_for()
    first = score.inner_text()
    assert "von 100 Punkten" in first
    assert page.evaluate("window.performance.getEntriesByType('navigation').length") == 1  # no reload
    marker = page.evaluate("window.__noReload = 1")
    assert marker == 1

    # keyboard: focus the radio group of another item, pick "Nein" with the arrow keys, type a note, save with Enter
    other = page.locator("#item-org-owner")
    other.get_by_label("Ja", exact=True).focus()
    page.keyboard.press("ArrowRight")  # Teilweise
    page.keyboard.press("ArrowRight")  # Nein
    assert other.get_by_label("Nein", exact=True).is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the remaining radio of the group into the note
    focused = page.evaluate("document.activeElement.id")
    if focused != "note-org-owner":
        other.locator("textarea").focus()
    page.keyboard.type("Niemand zuständig – klären wir bei der nächsten Sitzung")
    page.keyboard.press("Tab")  # to "Verantwortlich"
    page.keyboard.press("ArrowDown")  # first member in the list
    other.get_by_role("button", name=re.compile("^Speichern")).focus()
    page.keyboard.press("Enter")  # submits the form
    page.locator("#item-org-owner .inline-status", has_text="Gespeichert.").wait_for()
    second = score.inner_text()
    assert second != first
    assert page.evaluate("window.__noReload") == 1  # still the same document
    assert page.evaluate("document.activeElement.closest('#item-org-owner') !== null")  # focus stays in the item

    page.goto(f"{base}/massnahmen")
    assert page.get_by_text("Benennen Sie eine Ansprechperson").count() >= 1  # the measure, as an action
    assert_accessible(page)

    page.goto(f"{base}/bericht")
    assert page.get_by_text("Niemand zuständig").count() >= 1
    assert_accessible(page)
    assert page.console_errors == []


def test_quick_changes_autosave_in_order_without_a_conflict(app, roles, content, set_profile, live_server, page):
    """Each change is sent after the previous one came back, with the version it returned: no conflict."""
    import sqlalchemy as sa
    from playwright.sync_api import expect

    from app.extensions import db
    from app.privacy.models import Answer

    set_profile(roles.club)
    login_in_browser(page, live_server.url, roles.board.email, PASSWORD)
    page.goto(f"{live_server.url}/c/{roles.club.slug}/datenschutz/selbstcheck")
    item = page.locator("#item-mem-bcc")
    for label in ("Ja", "Nein", "Teilweise"):
        item.get_by_label(label, exact=True).click()
    item.get_by_label("Notiz").fill("Verteiler fehlt noch")
    item.get_by_label("Frist").focus()  # leaving the note saves it
    # the queued saves read the form when they are sent: the last one carries the final answer
    row = None
    for _ in range(100):
        db.session.expire_all()
        row = db.session.scalar(sa.select(Answer).where(Answer.club_id == roles.club.id, Answer.item_key == "mem-bcc"))
        if row and row.status == "partial" and row.note == "Verteiler fehlt noch":
            break
        page.wait_for_timeout(100)
    assert row.status == "partial" and row.note == "Verteiler fehlt noch"
    expect(page.locator("#version-mem-bcc")).to_have_value(str(row.version))  # the form knows the stored version
    assert page.locator("#item-mem-bcc.conflict").count() == 0 and page.locator("#item-mem-bcc .error").count() == 0
    page.reload()
    assert page.locator("#item-mem-bcc").get_by_label("Teilweise", exact=True).is_checked()
    assert "is-open" in item.get_attribute("class")  # "Teilweise" leaves a measure open
    item.get_by_label("Ja", exact=True).click()
    expect(item).not_to_have_class(re.compile(r"is-open"))  # the mark follows the autosave
    assert page.console_errors == []
