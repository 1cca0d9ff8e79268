"""Issue 16, the board member's first hour in a real browser (axe on every page, clicks counted).

From the start page through registration and the club's registration to the first saved checklist answer
(target: at most 15 clicks, the profile included) – possible while the club still waits for approval – then,
once staff approved the club (done here in the database), to a started meeting in the BigBlueButton stand-in.
On the way: an answer is not lost when she navigates away, and unsaved input warns before leaving.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus
from app.extensions import db
from app.privacy.models import Answer
from tests.browser import assert_accessible
from tests.conftest import PASSWORD
from tests.helpers import link_in

pytestmark = pytest.mark.browser


class Clicks:
    """Counts what the person does: clicks, ticks, and opening the link from the mail."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, locator):
        locator.click()
        self.count += 1

    def open_mail_link(self, url):
        self.page.goto(url)
        self.count += 1


@pytest.fixture
def server(bbb_standin, content, request):
    return request.getfixturevalue("live_server")


@pytest.fixture
def content(app):
    from app.privacy.content import sync

    sync()


def test_board_member_first_hour(bbb_standin, server, page, mailbox):
    base = server.url
    clicks = Clicks(page)

    # the start page, then registration
    page.goto(f"{base}/")
    assert_accessible(page)
    clicks.click(page.locator("header").get_by_role("link", name="Registrieren"))
    page.wait_for_url(re.compile(r"/konto/registrieren"))
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Gisela Gartenfreund")
    page.get_by_label("E-Mail-Adresse").fill("gisela@sonnenschein.example")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    clicks.click(page.get_by_role("button", name="Konto anlegen"))
    page.get_by_text("Bitte sehen Sie in Ihr Postfach").wait_for()
    assert_accessible(page)
    clicks.open_mail_link(link_in(mailbox, "gisela@sonnenschein.example", "/konto/bestaetigen/"))
    page.get_by_text("Ihre E-Mail-Adresse ist bestätigt").wait_for()
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill("gisela@sonnenschein.example")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    clicks.click(page.locator("main").get_by_role("button", name="Anmelden"))
    page.wait_for_url(re.compile(r"/vereine$"))
    assert_accessible(page)

    # she registers the club: it waits for approval, and the page says once what happens next
    clicks.click(page.get_by_role("link", name="Verein anmelden"))
    page.wait_for_url(re.compile(r"/vereine/neu$"))
    assert_accessible(page)
    page.get_by_label("Name des Vereins oder der Initiative").fill("Kleingartenverein Sonnenschein")
    page.get_by_label("Rechtsform").select_option("ev")
    page.get_by_label("Bezirk").select_option("Pankow")
    page.get_by_label("Kontakt-E-Mail des Vereins").fill("vorstand@sonnenschein.example")
    clicks.click(page.get_by_role("button", name="Verein anmelden"))
    page.wait_for_url(re.compile(r"/c/kleingartenverein-sonnenschein/$"))
    main = page.locator("main").inner_text()
    assert main.count("wird geprüft") == 1 and "zwei Werktagen" in main
    assert page.get_by_role("link", name="Anmeldung zurückziehen").count() == 1
    assert page.get_by_role("link", name="Leitfaden Mitgliederverwaltung lesen").count() == 1
    assert_accessible(page)

    # no dead end: the profile as one tick list, then the checklist – while the club is still pending
    clicks.click(page.get_by_role("link", name="Angaben zu Ihrem Verein machen"))
    page.wait_for_url(re.compile(r"/datenschutz/profil$"))
    page.get_by_text("Was trifft auf Ihren Verein zu?").first.wait_for()
    assert_accessible(page)
    for label in ("Hat Ihr Verein eine eigene Website?", "Halten Sie Videokonferenzen", "Bewahren Sie Mitgliederdaten"):
        clicks.click(page.get_by_label(re.compile("^" + re.escape(label))))
    clicks.click(page.get_by_role("button", name="Speichern und zur Checkliste"))
    page.wait_for_url(re.compile(r"/datenschutz/selbstcheck$"))
    assert_accessible(page)

    # the first answer saves itself when chosen
    item = page.locator("#item-org-owner")
    clicks.click(item.get_by_label("Nein", exact=True))
    page.locator("#saved-org-owner", has_text="Gespeichert.").wait_for()
    assert clicks.count <= 15, clicks.count
    club = db.session.scalar(sa.select(Club).where(Club.slug == "kleingartenverein-sonnenschein"))
    assert club.status is ClubStatus.PENDING

    # a note saves when the field is left; then she visits the action plan and comes back: nothing is lost
    item.get_by_label("Notiz").fill("Fragen wir Herrn Kraus")
    page.keyboard.press("Tab")
    page.locator("#item-org-owner .item-footer", has_text="Zuletzt geändert").wait_for()
    page.get_by_role("link", name="Maßnahmenplan").click()
    page.wait_for_url(re.compile(r"/massnahmen$"))
    assert page.get_by_text("Benennen Sie eine Ansprechperson").count() == 1
    assert_accessible(page)
    page.go_back()
    page.wait_for_url(re.compile(r"/selbstcheck"))
    page.reload()
    item = page.locator("#item-org-owner")
    assert item.get_by_label("Nein", exact=True).is_checked()
    assert item.get_by_label("Notiz").input_value() == "Fragen wir Herrn Kraus"
    db.session.expire_all()
    saved = db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == "org-owner"))
    assert saved.status == "no" and saved.note == "Fragen wir Herrn Kraus"

    # typed but not yet saved: leaving the page asks first
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.locator("#item-mem-bcc").get_by_label("Notiz").press_sequentially("Noch nicht fertig")
    page.goto(f"{base}/c/kleingartenverein-sonnenschein/")
    assert dialogs == ["beforeunload"]

    # staff approve the club (here in the database); she starts the club's meeting from the workspace
    from app.clubs.services import change_status

    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    db.session.commit()
    page.reload()
    page.wait_for_selector("#meetings-panel:not([aria-busy=true])")
    assert page.locator("main").inner_text().count("wird geprüft") == 0
    assert_accessible(page)
    page.locator("#meetings-panel").get_by_role("button", name=re.compile(r"^Starten")).first.click()
    page.wait_for_url(f"{bbb_standin.url}/bigbluebutton/demo/**")
    assert page.locator("#role").get_attribute("data-role") == "moderator"
    assert page.console_errors == []
