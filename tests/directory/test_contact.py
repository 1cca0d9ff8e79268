""" "Kontakt aufnehmen": relayed by mail without revealing the club's address; honeypot, limits, length."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.directory import services as svc
from app.directory.models import MESSAGE_MAX, ContactMessage
from app.extensions import db, limiter
from tests.helpers import count, row_counts, text

MESSAGE = "Hallo! Wir würden gern gemeinsam ein Fest im Kiez organisieren."


def _send(client, club, *, peer="127.0.0.1", **overrides):
    data = {"name": "Karla Kontakt", "email": "karla@example.org", "message": MESSAGE, "homepage": ""}
    data.update(overrides)
    return client.post(f"/vereine/verzeichnis/{club.slug}/kontakt", data=data, environ_base={"REMOTE_ADDR": peer})


@pytest.fixture
def listed(roles, list_club):
    roles.club.contact_email = "geheim@imker-pankow.example"
    db.session.commit()
    return list_club(roles.club, ["umwelt"])


def test_a_message_reaches_the_club_without_revealing_its_address(listed, client_for, mailbox):
    anon = client_for(None)
    page = text(anon.get(f"/vereine/verzeichnis/{listed.slug}"))
    assert "Kontakt aufnehmen" in page and "geheim@imker-pankow.example" not in page
    response = _send(anon, listed)
    assert response.status_code == 303
    follow = text(anon.get(response.headers["Location"]))
    assert "wird an Imkerverein Pankow weitergeleitet" in follow and "geheim@" not in follow
    mails = mailbox.to("geheim@imker-pankow.example")
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Reply-To"] == "karla@example.org"
    body = mailbox.body(mail)
    assert MESSAGE in body and "Karla Kontakt" in body
    assert "http://localhost/c/" in body  # the link to the listing settings comes from BASE_URL
    assert not mailbox.to("karla@example.org")  # no copy to whatever address was typed in
    assert count(ContactMessage) == 0  # the sender's data is gone once delivered


def test_honeypot_is_refused_and_nothing_is_written_or_sent(listed, client_for, mailbox):
    before = row_counts()
    response = _send(client_for(None), listed, homepage="http://spam.example")
    assert response.status_code == 400
    assert "Die Nachricht konnte nicht gesendet werden" in text(response)
    assert row_counts() == before and not mailbox.messages


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"message": "x" * (MESSAGE_MAX + 1)}, "Die Nachricht muss 10 bis 2000 Zeichen lang sein."),
        ({"message": "kurz"}, "Die Nachricht muss 10 bis 2000 Zeichen lang sein."),
        ({"email": "keine-adresse"}, "Bitte geben Sie eine gültige E-Mail-Adresse an."),
        ({"name": ""}, "Bitte geben Sie Ihren Namen an."),
        ({"name": "Karla\r\nBcc: x@example.org"}, "darf keine Zeilenumbrüche"),
    ],
)
def test_bad_input_gets_422_and_nothing_is_written(listed, client_for, mailbox, overrides, message):
    before = row_counts()
    response = _send(client_for(None), listed, **overrides)
    assert response.status_code == 422
    assert message in text(response)
    assert row_counts() == before and not mailbox.messages


def test_unlisted_club_cannot_be_contacted(roles, client_for, mailbox, topics):
    before = row_counts()
    assert _send(client_for(None), roles.club).status_code == 404
    assert row_counts() == before and not mailbox.messages


@pytest.fixture
def limited(app_config, make_app, roles, list_club):
    def build(**settings):
        application = make_app(
            {
                **app_config,
                "DIRECTORY_CONTACT_RATE_LIMIT": "100 per hour",
                "DIRECTORY_CONTACT_SENDER_RATE_LIMIT": "100 per hour",
                "DIRECTORY_CONTACT_CLUB_RATE_LIMIT": "100 per hour",
                **settings,
            }
        )
        limiter.reset()
        return application

    return build


def test_limit_per_club(limited, roles, list_club, make_club, mailbox):
    application = limited(DIRECTORY_CONTACT_CLUB_RATE_LIMIT="2 per hour")
    list_club(roles.club, ["sport"])
    other = list_club(make_club(name="Zweiter Verein"), ["sport"])
    client = application.test_client()
    for n in range(2):
        assert _send(client, roles.club, peer=f"203.0.113.{n}", email=f"s{n}@example.org").status_code == 303
    before = row_counts()
    third = _send(client, roles.club, peer="203.0.113.9", email="s9@example.org")
    assert third.status_code == 429 and "Zu viele Versuche" in text(third)
    assert row_counts() == before
    assert _send(client, other, peer="203.0.113.9", email="s9@example.org").status_code == 303


def test_limit_per_sender_address(limited, roles, list_club, make_club, mailbox):
    application = limited(DIRECTORY_CONTACT_SENDER_RATE_LIMIT="2 per hour")
    clubs = [list_club(make_club(name=f"Verein {n}"), ["sport"]) for n in range(3)]
    client = application.test_client()
    for n in range(2):
        assert _send(client, clubs[n], peer=f"203.0.113.{n}", email="Same@Example.org").status_code == 303
    assert _send(client, clubs[2], peer="203.0.113.7", email="same@example.org ").status_code == 429
    assert _send(client, clubs[2], peer="203.0.113.7", email="other@example.org").status_code == 303


def test_limit_per_client_address(limited, roles, list_club, make_club, mailbox):
    application = limited(DIRECTORY_CONTACT_RATE_LIMIT="2 per hour")
    clubs = [list_club(make_club(name=f"Verein {n}"), ["sport"]) for n in range(3)]
    client = application.test_client()
    for n in range(2):
        assert _send(client, clubs[n], peer="198.51.100.5", email=f"s{n}@example.org").status_code == 303
    assert _send(client, clubs[2], peer="198.51.100.5", email="s7@example.org").status_code == 429
    assert _send(client, clubs[2], peer="198.51.100.6", email="s7@example.org").status_code == 303


def test_a_failed_delivery_keeps_the_message_until_the_retention_purge(app, listed, mailbox):
    app.config["MAIL_PORT"] = 1  # nothing listens there: the SMTP connection fails
    message = ContactMessage(club_id=listed.id, sender_name="Karla", sender_email="karla@example.org", body=MESSAGE)
    db.session.add(message)
    db.session.commit()
    with pytest.raises(Exception):  # noqa: B017 - MailError; the job is retried by Huey
        svc.deliver_contact(message.id)
    db.session.rollback()
    assert count(ContactMessage) == 1
    assert svc.purge_undelivered(now=utcnow()) == 0
    assert svc.purge_undelivered(now=utcnow() + timedelta(days=8)) == 1
    assert count(ContactMessage) == 0


def test_a_message_for_a_club_that_left_the_directory_is_dropped_unsent(listed, mailbox):
    message = ContactMessage(club_id=listed.id, sender_name="Karla", sender_email="karla@example.org", body=MESSAGE)
    db.session.add(message)
    db.session.commit()
    svc.save_listing(listed, listed=False, summary="", show_website=False, topic_ids=[], by=None)
    db.session.commit()
    assert svc.deliver_contact(message.id) is False
    assert count(ContactMessage) == 0 and not mailbox.messages
