"""Bad input on the club forms (registration, members, invitations, staff decisions): a clear German
message, 4xx, nothing written, no mail. The account forms are in tests/auth/test_bad_input.py."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.helpers import admin_action_url, assert_refused_cleanly, text

GOOD_REGISTER = {"name": "Nele Neu", "email": "neu@example.org", "password": PASSWORD, "password_repeat": PASSWORD}
GOOD_CLUB = {
    "name": "Neuer Verein",
    "legal_form": "ev",
    "district": "Pankow",
    "contact_email": "info@verein.example",
    "website": "",
    "description": "",
}


def with_(base, **changes):
    data = dict(base)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def reg(**changes):
    return {f"reg-{k}": v for k, v in with_(GOOD_REGISTER, **changes).items()}


# (id, who, url, data, expected message). ``who``: anonymous | board | member | staff.
# ``{slug}``, ``{member}``, ``{token}`` and ``{reject}`` are filled in by the test.
CASES = [
    # club registration
    ("club-no-name", "member", "/vereine/neu", with_(GOOD_CLUB, name=""), "Bitte geben Sie den Namen an."),
    ("club-blank-name", "member", "/vereine/neu", with_(GOOD_CLUB, name="    "), "Bitte geben Sie den Namen an."),
    ("club-short-name", "member", "/vereine/neu", with_(GOOD_CLUB, name="ab"), "3 bis 120 Zeichen"),
    ("club-long-name", "member", "/vereine/neu", with_(GOOD_CLUB, name="x" * 121), "3 bis 120 Zeichen"),
    (
        "club-no-legal-form",
        "member",
        "/vereine/neu",
        with_(GOOD_CLUB, legal_form=""),
        "Bitte wählen Sie die Rechtsform.",
    ),
    ("club-bad-legal-form", "member", "/vereine/neu", with_(GOOD_CLUB, legal_form="ag"), "Keine gültige Auswahl"),
    ("club-no-district", "member", "/vereine/neu", with_(GOOD_CLUB, district=""), "Bitte wählen Sie den Bezirk."),
    ("club-bad-district", "member", "/vereine/neu", with_(GOOD_CLUB, district="Hamburg"), "Keine gültige Auswahl"),
    (
        "club-bad-email",
        "member",
        "/vereine/neu",
        with_(GOOD_CLUB, contact_email="info"),
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ),
    (
        "club-bad-website",
        "member",
        "/vereine/neu",
        with_(GOOD_CLUB, website="mein-verein"),
        "Bitte geben Sie eine vollständige Adresse an",
    ),
    ("club-ftp-website", "member", "/vereine/neu", with_(GOOD_CLUB, website="ftp://mein-verein.de"), "https://"),
    (
        "club-long-description",
        "member",
        "/vereine/neu",
        with_(GOOD_CLUB, description="x" * 2001),
        "Höchstens 2000 Zeichen.",
    ),
    # member administration
    (
        "invite-bad-email",
        "board",
        "/c/{slug}/mitglieder/einladen",
        {"email": "nope", "role": "member"},
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
    ),
    (
        "invite-no-email",
        "board",
        "/c/{slug}/mitglieder/einladen",
        {"email": "", "role": "member"},
        "Bitte geben Sie eine E-Mail-Adresse an.",
    ),
    (
        "invite-bad-role",
        "board",
        "/c/{slug}/mitglieder/einladen",
        {"email": "a@example.org", "role": "admin"},
        "Keine gültige Auswahl",
    ),
    (
        "link-zero-days",
        "board",
        "/c/{slug}/mitglieder/einladungslink",
        {"role": "member", "days": "0"},
        "1 bis 90 Tage",
    ),
    (
        "link-too-long",
        "board",
        "/c/{slug}/mitglieder/einladungslink",
        {"role": "member", "days": "91"},
        "1 bis 90 Tage",
    ),
    ("link-not-a-number", "board", "/c/{slug}/mitglieder/einladungslink", {"role": "member", "days": "viele"}, "Tage"),
    (
        "link-bad-role",
        "board",
        "/c/{slug}/mitglieder/einladungslink",
        {"role": "chef", "days": "3"},
        "Keine gültige Auswahl",
    ),
    (
        "role-bad",
        "board",
        "/c/{slug}/mitglieder/{member}/rolle",
        {"role": "chef"},
        "Bitte wählen Sie eine gültige Rolle.",
    ),
    # accepting an invitation with a new account
    ("accept-bad-email", "anonymous", "{token}", reg(email="nope"), "Bitte geben Sie eine gültige E-Mail-Adresse an."),
    (
        "accept-short-password",
        "anonymous",
        "{token}",
        reg(password="kurz", password_repeat="kurz"),
        "mindestens 10 Zeichen",
    ),
    ("accept-no-name", "anonymous", "{token}", reg(name=""), "Bitte geben Sie Ihren Namen an."),
    # staff decisions
    ("reject-no-reason", "staff", "{reject}", {"reason": ""}, "Bitte geben Sie eine Begründung an."),
    ("reject-long-reason", "staff", "{reject}", {"reason": "x" * 2001}, "Höchstens 2000 Zeichen."),
]


@pytest.fixture
def targets(roles, make_club, app):
    import sqlalchemy as sa

    from app.clubs.models import Membership, Role
    from app.clubs.services import create_invite_link
    from app.extensions import db

    invitation = create_invite_link(roles.club, Role.MEMBER, days=3, multi_use=True, by=roles.board)
    member = db.session.scalar(sa.select(Membership.id).where(Membership.user_id == roles.member.id))
    pending = make_club(name="Wartender Verein", status="pending")
    return {
        "reject": admin_action_url(app, pending.id, "ablehnen"),
        "slug": roles.club.slug,
        "member": member,
        "token": f"/einladung/{invitation.token}",
    }


# Club-scoped forms are also sent by htmx (partial answer); the others are plain forms.
PARAMS = [pytest.param(*case[1:], False, id=case[0]) for case in CASES] + [
    pytest.param(*case[1:], True, id=case[0] + "-htmx") for case in CASES if case[2].startswith("/c/")
]


@pytest.mark.parametrize(("who", "url", "data", "message", "htmx"), PARAMS)
def test_bad_input_is_refused_clearly_and_writes_nothing(
    roles, client_for, targets, mailbox, who, url, data, message, htmx
):
    users = {"anonymous": None, "member": roles.member, "board": roles.board, "staff": roles.staff}
    assert_refused_cleanly(client_for(users[who]), url.format(**targets), data, message, mailbox, htmx=htmx)


def test_wtforms_default_messages_are_german(roles, client_for):
    """WTForms' own messages (invalid choice) come in German, too."""
    client = client_for(roles.member)
    body = text(client.post("/vereine/neu", data=with_(GOOD_CLUB, legal_form="ag")))
    assert "Keine gültige Auswahl" in body and "Not a valid choice" not in body
