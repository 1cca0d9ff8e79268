"""The whole foundation in a real browser: register, club, approval, invitation, workspace."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus
from app.extensions import db
from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD
from tests.helpers import link_in

pytestmark = pytest.mark.browser

PANELS = ("privacy-panel", "guide-panel", "meetings-panel", "chat-panel")


def logout(page):
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/konto/anmelden"))


def test_register_club_approve_invite_and_volunteer_sees_workspace(app, make_user, live_server, page, mailbox):
    base = live_server.url
    staff = make_user(email="team@vereinsraum.example", name="Tanja Team", staff=True)

    # 1. A person registers and confirms the address from the mail.
    page.goto(f"{base}/konto/registrieren")
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Hanna Bienert")
    page.get_by_label("E-Mail-Adresse").fill("hanna@imker.example")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()
    page.wait_for_url(re.compile(r"/konto/anmelden"))  # "check your inbox", whether the address was new or not
    page.get_by_text("Bitte sehen Sie in Ihr Postfach").wait_for()
    assert_accessible(page)
    page.goto(link_in(mailbox, "hanna@imker.example", "/konto/bestaetigen/"))
    page.get_by_text("Ihre E-Mail-Adresse ist bestätigt").wait_for()
    assert_accessible(page)
    login_in_browser(page, base, "hanna@imker.example", PASSWORD)
    page.wait_for_url(re.compile(r"/vereine$"))

    # 2. She registers her club; it waits for approval.
    page.get_by_role("link", name="Verein anmelden").click()
    page.wait_for_url(re.compile(r"/vereine/neu$"))
    assert_accessible(page)
    page.get_by_label("Name des Vereins oder der Initiative").fill("Imkerverein Weißensee")
    page.get_by_label("Rechtsform").select_option("ev")
    page.get_by_label("Bezirk").select_option("Pankow")
    page.get_by_label("Kontakt-E-Mail des Vereins").fill("info@imker.example")
    page.get_by_role("button", name="Verein anmelden").click()
    page.wait_for_url(re.compile(r"/c/imkerverein-weissensee/$"))
    page.get_by_text("Ihre Anmeldung wird geprüft").wait_for()
    assert_accessible(page)
    logout(page)

    # 3. Staff approves it in the admin area.
    club_id = db.session.scalar(sa.select(Club.id).where(Club.slug == "imkerverein-weissensee"))
    login_in_browser(page, base, staff.email, PASSWORD)
    page.goto(f"{base}/admin/vereine")
    assert_accessible(page)
    page.goto(f"{base}/admin/vereine/{club_id}")
    assert_accessible(page)
    page.locator("main").get_by_text(re.compile(r"^\s*Freischalten")).first.click()
    page.wait_for_load_state()
    confirm = page.locator("main").get_by_role("button", name=re.compile("freischalten", re.I))
    if "/status/" in page.url and confirm.count():  # a confirmation step
        assert_accessible(page)
        confirm.first.click()
    page.get_by_text("ist freigeschaltet").first.wait_for()
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.get(Club, club_id).status is ClubStatus.APPROVED
    assert "freigeschaltet" in mailbox.to("hanna@imker.example")[-1]["Subject"]
    logout(page)

    # 4. The board member invites a volunteer by e-mail (htmx form on the members page).
    login_in_browser(page, base, "hanna@imker.example", PASSWORD)
    page.goto(f"{base}/c/imkerverein-weissensee/")
    page.get_by_role("link", name="Mitglieder", exact=True).click()
    page.wait_for_url(re.compile(r"/mitglieder/$"))
    assert_accessible(page)
    page.locator("#email").fill("jonas@imker.example")
    page.get_by_role("button", name="Einladung senden").click()
    page.get_by_text("Die Einladung an jonas@imker.example ist verschickt.").wait_for()
    assert "/mitglieder/" in page.url  # swapped in place, no navigation
    assert_accessible(page)
    logout(page)

    # 5. The volunteer opens the invitation, creates an account and lands in the workspace.
    page.goto(link_in(mailbox, "jonas@imker.example", "/einladung/"))
    assert_accessible(page)
    assert page.get_by_label("E-Mail-Adresse").input_value() == "jonas@imker.example"
    page.get_by_label("Name", exact=True).fill("Jonas Wabe")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Konto anlegen und beitreten").click()
    page.wait_for_url(re.compile(r"/konto/anmelden\?next="))
    page.get_by_text("Bitte sehen Sie in Ihr Postfach").wait_for()
    assert "Ihr Konto im Vereinsraum ist angelegt" in mailbox.body(mailbox.to("jonas@imker.example")[-1])
    page.get_by_label("E-Mail-Adresse").fill("jonas@imker.example")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r"/c/imkerverein-weissensee/$"))
    page.get_by_text("Willkommen im Vereinsraum von Imkerverein Weißensee").wait_for()
    for panel in PANELS:
        page.wait_for_selector(f"#{panel}:not([aria-busy=true])")
    assert page.get_by_text("Mitglied", exact=True).count() >= 1
    assert_accessible(page)
    assert page.console_errors == []
