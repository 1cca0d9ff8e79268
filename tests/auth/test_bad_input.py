"""Bad input on every account form (registration, login, password reset, settings): a clear German message,
4xx, nothing written, no mail. The club forms are in tests/clubs/test_bad_input.py."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.helpers import assert_refused_cleanly

GOOD_REGISTER = {"name": "Nele Neu", "email": "neu@example.org", "password": PASSWORD, "password_repeat": PASSWORD}


def with_(base, **changes):
    data = dict(base)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# (id, who, url, data, expected message). ``who``: anonymous | member. ``{reset}`` is filled in by the test.
CASES = [
    # registration
    (
        "register-no-name",
        "anonymous",
        "/konto/registrieren",
        with_(GOOD_REGISTER, name="   "),
        "Bitte geben Sie Ihren Namen an.",
    ),
    ("register-long-name", "anonymous", "/konto/registrieren", with_(GOOD_REGISTER, name="x" * 121), "Name"),
    (
        "register-no-email",
        "anonymous",
        "/konto/registrieren",
        with_(GOOD_REGISTER, email=""),
        "Bitte geben Sie Ihre E-Mail-Adresse an.",
    ),
    (
        "register-bad-email",
        "anonymous",
        "/konto/registrieren",
        with_(GOOD_REGISTER, email="kein-at.example"),
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ),
    (
        "register-short-password",
        "anonymous",
        "/konto/registrieren",
        with_(GOOD_REGISTER, password="kurz", password_repeat="kurz"),
        "mindestens 10 Zeichen",
    ),
    (
        "register-mismatch",
        "anonymous",
        "/konto/registrieren",
        with_(GOOD_REGISTER, password_repeat="anders-anders"),
        "Die Passwörter stimmen nicht überein.",
    ),
    # login and reset
    (
        "login-empty",
        "anonymous",
        "/konto/anmelden",
        {"email": "", "password": ""},
        "Bitte geben Sie Ihre E-Mail-Adresse an.",
    ),
    (
        "login-bad-email",
        "anonymous",
        "/konto/anmelden",
        {"email": "nope", "password": "x"},
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ),
    (
        "login-no-password",
        "anonymous",
        "/konto/anmelden",
        {"email": "a@example.org", "password": ""},
        "Bitte geben Sie Ihr Passwort ein.",
    ),
    (
        "forgot-bad-email",
        "anonymous",
        "/konto/passwort-vergessen",
        {"email": "nope"},
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ),
    ("reset-short", "anonymous", "{reset}", {"password": "kurz", "password_repeat": "kurz"}, "mindestens 10 Zeichen"),
    (
        "reset-mismatch",
        "anonymous",
        "{reset}",
        {"password": PASSWORD, "password_repeat": "anders-anders"},
        "Die Passwörter stimmen nicht überein.",
    ),
    # account settings
    ("profile-blank", "member", "/konto/profil", {"name": "  "}, "Bitte geben Sie Ihren Namen an."),
    (
        "password-short",
        "member",
        "/konto/passwort",
        {"current_password": PASSWORD, "password": "kurz", "password_repeat": "kurz"},
        "mindestens 10 Zeichen",
    ),
    (
        "password-mismatch",
        "member",
        "/konto/passwort",
        {"current_password": PASSWORD, "password": "neues-passwort-1", "password_repeat": "neues-passwort-2"},
        "Die Passwörter stimmen nicht überein.",
    ),
    (
        "password-no-current",
        "member",
        "/konto/passwort",
        {"current_password": "", "password": "neues-passwort-1", "password_repeat": "neues-passwort-1"},
        "Bitte geben Sie Ihr aktuelles Passwort ein.",
    ),
    (
        "email-bad",
        "member",
        "/konto/email",
        {"email": "nope", "current_password": PASSWORD},
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ),
    (
        "email-no-password",
        "member",
        "/konto/email",
        {"email": "neu@example.org", "current_password": ""},
        "Bitte geben Sie Ihr aktuelles Passwort ein.",
    ),
    ("delete-no-password", "member", "/konto/loeschen", {"current_password": ""}, "Bitte geben Sie Ihr Passwort ein."),
]


@pytest.fixture
def targets(roles, app):
    from app.auth.services import make_token

    with app.test_request_context():
        reset = f"/konto/passwort-neu/{make_token('reset', roles.member)}"
    return {"reset": reset}


@pytest.mark.parametrize(("who", "url", "data", "message"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_input_is_refused_clearly_and_writes_nothing(roles, client_for, targets, mailbox, who, url, data, message):
    client = client_for({"anonymous": None, "member": roles.member}[who])
    assert_refused_cleanly(client, url.format(**targets), data, message, mailbox)
