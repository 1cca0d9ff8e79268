"""Mail: SMTP in tests, the console in development, clear messages when the server is down."""

from __future__ import annotations

import socket

import pytest

from app.clubs.models import Invitation
from app.core.mail import MailError, build_message, send_mail, send_message
from tests.conftest import HX, PASSWORD
from tests.helpers import count, row_counts, text


def test_message_headers_and_attachment(app, mailbox):
    msg = build_message(
        ["a@example.org", "b@example.org"],
        "Betreff äöü",
        "Text mit Umlauten: äöü",
        html="<p>HTML</p>",
        attachments=[("termin.ics", "text/calendar", "BEGIN:VCALENDAR")],
    )
    send_message(msg)
    received = mailbox.to("b@example.org")[0]
    assert received["Subject"] == "Betreff äöü"
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received["Date"] and received["Message-ID"].endswith("@vereinsraum.local>")
    assert "äöü" in mailbox.body(received)
    attachments = list(received.iter_attachments())
    assert attachments[0].get_filename() == "termin.ics"


def test_send_mail_renders_the_text_template(app, mailbox, make_user):
    user = make_user(name="Erika Muster")
    with app.test_request_context():
        send_mail(user.email, "Hallo", "auth/email/reset", user=user, link="http://localhost/x")
    body = mailbox.body(mailbox.to(user.email)[0])
    assert "Guten Tag Erika Muster," in body and "http://localhost/x" in body


def test_a_name_in_a_mail_only_for_a_confirmed_address(app, mailbox, make_user):
    """Whoever registers an address chooses the name: mails to it before confirmation leave it out."""
    unconfirmed = make_user(name="Klicken Sie hier: phish.example", confirmed=False)
    send_mail(unconfirmed.email, "Passwort", "auth/email/reset", user=unconfirmed, link="http://localhost/x")
    body = mailbox.body(mailbox.to(unconfirmed.email)[0])
    assert body.startswith("Guten Tag,") and "phish" not in body


def test_console_fallback_without_mail_server(app_config, mailbox, capsys, make_app):
    app_config["MAIL_SERVER"] = None
    application = make_app(app_config)
    with application.app_context():
        send_message(build_message("konsole@example.org", "Nur Konsole", "Hier ist der Link: http://x/y"))
    out = capsys.readouterr().out
    assert "--- E-Mail an konsole@example.org ---" in out and "http://x/y" in out
    assert mailbox.messages == []


@pytest.fixture
def dead_smtp(app_config):
    """A loopback port where nobody listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    return app_config


def test_unreachable_server_raises_mail_error(dead_smtp, app):
    with pytest.raises(MailError):
        send_message(build_message("a@example.org", "x", "y"))


def test_registration_during_a_mail_outage_leaves_nothing_behind(dead_smtp, client, make_user, caplog):
    make_user(email="da@example.org")
    before = row_counts()
    for address in ("nele@example.org", "da@example.org"):  # the same answer for a free and a taken address
        response = client.post(
            "/konto/registrieren",
            data={"name": "Nele", "email": address, "password": PASSWORD, "password_repeat": PASSWORD},
        )
        assert response.status_code == 503
        assert "Die E-Mail konnte gerade nicht verschickt werden" in text(response)
    assert row_counts() == before  # no account without its confirmation mail: registering again works later


def test_invitation_is_not_left_behind_when_mail_fails(dead_smtp, roles, client_for, caplog):
    before = row_counts()
    for headers in ({}, HX):
        response = client_for(roles.board).post(
            f"/c/{roles.club.slug}/mitglieder/einladen",
            data={"email": "neu@example.org", "role": "member"},
            headers=headers,
        )
        assert response.status_code == 503
        assert "Die E-Mail konnte gerade nicht verschickt werden" in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert row_counts() == before
    assert count(Invitation) == 0


def test_links_come_from_base_url_inside_and_outside_a_request(app):
    from app.core.urls import external_url

    app.config["BASE_URL"] = "https://vereinsraum.example"
    assert external_url("workspace.index", slug="mein-verein") == "https://vereinsraum.example/c/mein-verein/"
    with app.test_request_context(base_url="http://attacker.example:5000"):
        assert external_url("workspace.index", slug="x") == "https://vereinsraum.example/c/x/"
    app.config["BASE_URL"] = "https://example.org/vereinsraum/"  # served under a path
    assert external_url("auth.login", next="/c/x/") == "https://example.org/vereinsraum/konto/anmelden?next=/c/x/"


def test_approval_mail_from_outside_a_request(app, make_user, make_club, mailbox):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    board = make_user(email="cli@verein.example")
    club = make_club(status="pending", board=board)
    change_status(club, ClubStatus.APPROVED, by=None)
    assert f"http://localhost/c/{club.slug}/" in mailbox.body(mailbox.to("cli@verein.example")[0])
