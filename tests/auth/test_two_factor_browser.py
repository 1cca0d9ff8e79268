"""Two-factor login in a real browser (issue 21): enrolment from the QR page, recovery codes, a passkey
added and used with Chromium's virtual authenticator (CDP WebAuthn domain), a recovery code; axe on every page."""

from __future__ import annotations

import re

import pyotp
import pytest

from app.auth.models import Passkey, User
from app.extensions import db
from tests.browser import assert_accessible
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _logout(page):
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/konto/anmelden$"))


def _password_step(page, base, email):
    page.goto(f"{base}/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_url(re.compile(r"/konto/anmelden/code$"))


def test_enrol_add_a_passkey_and_log_in_with_it_or_a_recovery_code(app, make_user, live_server, page):
    # WebAuthn needs a domain as relying party (an IP address is refused), and localhost is a secure context
    base = live_server.url.replace("127.0.0.1", "localhost")
    live_server.app.config["BASE_URL"] = base
    user = make_user(email="hanna@imker.example", name="Hanna Bienert")

    authenticator = page.context.new_cdp_session(page)
    authenticator.send("WebAuthn.enable")
    authenticator.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    # 1. Log in with the password (no second factor yet) and open the two-factor page from "Mein Konto".
    page.goto(f"{base}/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_url(re.compile(r"/vereine$"))
    page.goto(f"{base}/konto/")
    assert_accessible(page)
    page.locator("main").get_by_role("link", name="Zwei-Faktor-Anmeldung einrichten").click()
    page.wait_for_url(re.compile(r"/konto/zwei-faktor$"))
    assert_accessible(page)

    # 2. Start: the QR code (inline SVG) and the secret as text; the app's code confirms.
    page.get_by_role("button", name="Zwei-Faktor-Anmeldung einrichten").click()
    page.locator("svg.qr-code").wait_for()
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Bestätigen und einschalten").click()
    page.get_by_role("heading", name="Ihre Wiederherstellungscodes").wait_for()
    assert_accessible(page)
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Ich habe die Codes gesichert").click()
    page.wait_for_url(re.compile(r"/konto/zwei-faktor$"))
    page.get_by_text("Die Zwei-Faktor-Anmeldung ist eingeschaltet.").wait_for()

    # 3. Add a passkey (our own static JavaScript, the virtual authenticator answers).
    page.get_by_label("Name des Passkeys").fill("Laptop")
    page.get_by_role("button", name="Passkey hinzufügen").click()
    page.get_by_text("Der Passkey „Laptop“ ist eingerichtet.").wait_for()
    assert_accessible(page)
    assert db.session.query(Passkey).filter_by(user_id=user.id).count() == 1
    _logout(page)

    # 4. Password, then the passkey instead of the code.
    _password_step(page, base, user.email)
    assert_accessible(page)
    page.get_by_role("button", name="Mit Passkey anmelden").click()
    page.wait_for_url(re.compile(r"/vereine$"))
    db.session.expire_all()
    assert db.session.query(Passkey).filter_by(user_id=user.id).one().last_used_at is not None
    _logout(page)

    # 5. Password, then a recovery code.
    _password_step(page, base, user.email)
    page.get_by_role("link", name=re.compile("Wiederherstellungscode")).click()
    page.wait_for_url(re.compile(r"/konto/anmelden/wiederherstellungscode$"))
    assert_accessible(page)
    page.get_by_label("Wiederherstellungscode").fill(codes[0])
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_url(re.compile(r"/vereine$"))
    page.get_by_text("Es bleiben 9 Codes").wait_for()
    assert_accessible(page)
    assert db.session.get(User, user.id).has_two_factor
    assert page.console_errors == []  # no CSP violation (inline SVG without style), no script error
