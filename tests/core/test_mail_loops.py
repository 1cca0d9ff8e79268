"""Stored names with line separators never break mail, and loops over recipients carry on (issue 12, item 10).

The clubs, meetings and workshops below get their names written to the database
directly, as legacy data from before the form rule.
"""

from __future__ import annotations

import logging
import socket
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.core.mail import MailError, build_message, send_message
from app.extensions import db
from tests.meetings.conftest import meetings  # noqa: F401 - fixture
from tests.privacy.conftest import answer, content, set_profile  # noqa: F401 - fixtures

LEGACY = "Imkerverein\u2028Pankow"


def rename_club(club, name):
    from app.clubs.models import Club

    db.session.execute(sa.update(Club).where(Club.id == club.id).values(name=name))
    db.session.commit()
    db.session.expire_all()


# --- the mail layer: safe headers from any stored value -------------------------------------------------


@pytest.mark.parametrize(
    "char", ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\r\n", "\x00"], ids=repr
)
def test_subjects_from_stored_names_become_one_line(app, mailbox, char):
    send_message(
        build_message(
            "a@example.org",
            f"Ihr Verein Imkerverein{char}Pankow\r\nBcc: b@example.org",
            "Text",
            attachments=[(f"a{char}b.ics", "text/calendar", "BEGIN:VCALENDAR")],
        )
    )
    [received] = mailbox.messages
    assert received["Subject"] == "Ihr Verein Imkerverein Pankow Bcc: b@example.org"
    assert received["Bcc"] is None and received["X-Envelope-To"] == "a@example.org"
    assert next(received.iter_attachments()).get_filename() == "a b.ics"


@pytest.mark.parametrize(
    "address",
    [
        "a@example.org\r\nBcc: b@example.org",
        "a@example.org, b@example.org",
        "a@exam\u2028ple.org",
        "Eve <b@example.org>",
        "",
    ],
    ids=repr,
)
def test_a_broken_recipient_is_refused_not_mended(app, mailbox, address):
    with pytest.raises(MailError):
        build_message(address, "Betreff", "Text")
    assert mailbox.messages == []


# --- flask privacy send-reminders -----------------------------------------------------------------------


def _due_item(answer, set_profile, user, club, key="sec-backup"):  # noqa: F811 - fixtures passed in
    set_profile(club)
    answer(user, club, key, "partial", due_date=(date.today() - timedelta(days=1)).isoformat())


def test_reminders_go_out_to_later_clubs_after_a_legacy_name(
    roles,
    content,
    set_profile,
    answer,
    mailbox,
    runner,
    make_user,
    make_club,
):
    later_board = make_user(email="vorstand@spaeter.example", name="Lea Later")
    later = make_club(name="Zweiter Verein", board=later_board)
    _due_item(answer, set_profile, roles.board, roles.club)
    _due_item(answer, set_profile, later_board, later)
    rename_club(roles.club, LEGACY)  # the first club in the loop (lower id)
    assert roles.club.id < later.id

    result = runner.invoke(args=["privacy", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "2 Erinnerung(en)" in result.output
    assert mailbox.to(later_board.email), "the later club got no reminder"
    [legacy_mail] = mailbox.to(roles.board.email)
    assert legacy_mail["Subject"] == "Erinnerung: Datenschutz-Aufgaben für Imkerverein Pankow"


def test_one_failing_club_is_logged_and_the_others_get_their_reminders(
    roles,
    content,
    set_profile,
    answer,
    mailbox,
    make_user,
    make_club,
    monkeypatch,
    caplog,
):
    from app.privacy import reminders
    from app.privacy.models import ReminderSent

    later_board = make_user(email="vorstand@spaeter.example", name="Lea Later")
    later = make_club(name="Zweiter Verein", board=later_board)
    _due_item(answer, set_profile, roles.board, roles.club)
    _due_item(answer, set_profile, later_board, later)
    real = reminders.send_mail

    def flaky(to, *args, **kwargs):
        if to == roles.board.email:
            raise RuntimeError("kaputt")
        return real(to, *args, **kwargs)

    monkeypatch.setattr(reminders, "send_mail", flaky)
    with caplog.at_level(logging.ERROR):
        assert reminders.send_reminders() == (1, 1)
    assert mailbox.to(later_board.email) and not mailbox.to(roles.board.email)
    assert f"privacy reminders for club {roles.club.id}" in caplog.text and "kaputt" in caplog.text
    # the failed club is retried next run: nothing recorded as sent for it
    assert db.session.scalars(sa.select(ReminderSent.club_id)).all() == [later.id]
    monkeypatch.setattr(reminders, "send_mail", real)
    assert reminders.send_reminders() == (1, 1)
    assert mailbox.to(roles.board.email)


# --- approval: the status is saved, the mail goes out, never a 500 ----------------------------------------


def test_approving_a_club_with_a_legacy_name_mails_the_board(roles, client_for, make_club, mailbox):
    from app.clubs.models import Club, ClubStatus

    pending = make_club(name="Wartender Verein", status="pending", board=roles.board)
    rename_club(pending, LEGACY)
    staff = client_for(roles.staff)
    response = staff.post(f"/admin/vereine/{pending.id}/status/freischalten")
    assert response.status_code == 303
    assert db.session.get(Club, pending.id).status is ClubStatus.APPROVED
    [mail] = mailbox.to(roles.board.email)
    assert mail["Subject"] == "Ihr Verein Imkerverein Pankow ist freigeschaltet"
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "ist freigeschaltet. Der Vorstand wurde benachrichtigt." in page


@pytest.fixture
def dead_smtp(app_config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    return app_config


def test_a_failing_approval_mail_is_reported_not_a_500(dead_smtp, roles, client_for, make_club, caplog):
    from app.clubs.models import Club, ClubStatus

    pending = make_club(name="Wartender Verein", status="pending", board=roles.board)
    staff = client_for(roles.staff)
    response = staff.post(f"/admin/vereine/{pending.id}/status/freischalten")
    assert response.status_code == 303
    assert db.session.get(Club, pending.id).status is ClubStatus.APPROVED
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "die E-Mail an den Vorstand konnte nicht verschickt werden" in page
    assert "mail clubs/email/approved" in caplog.text


# --- workshops and meetings: every recipient gets their mail -------------------------------------------


def test_workshop_cancellation_reaches_everyone_despite_a_legacy_title_and_a_broken_address(roles, client_for, mailbox):
    from datetime import datetime, timezone

    from app.workshops.models import Registration, Workshop

    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    workshop = Workshop(
        title="Sicher\u2028im Netz",
        description="",
        topic="online-sicherheit",
        starts_at=start,
        duration_minutes=90,
        online=True,
        capacity=5,
        registration_deadline=start - timedelta(hours=1),
    )
    db.session.add(workshop)
    db.session.commit()
    for user in (roles.member, roles.board):
        assert client_for(user).post(f"/workshops/{workshop.id}/anmelden").status_code in (200, 303)
    first = db.session.scalars(sa.select(Registration).order_by(Registration.id)).first()
    first.email = "kaputt@example.org\nBcc: x@example.org"  # legacy value, first in the loop
    db.session.commit()
    mailbox.clear()

    assert client_for(roles.staff).post(f"/admin/workshops/{workshop.id}/absagen").status_code == 303
    [mail] = mailbox.to(roles.board.email)
    assert mail["Subject"].endswith("Sicher im Netz")
    assert len(mailbox.messages) == 1


def test_meeting_notices_survive_a_legacy_title(meetings, mailbox):
    from datetime import datetime, timezone

    from app.meetings.models import ScheduledMeeting

    starts = (datetime.now(timezone.utc) + timedelta(days=7)).strftime("%Y-%m-%dT19:30")
    meetings.board.post(
        f"{meetings.base}/termine/neu",
        data={"room_id": meetings.room.id, "title": "Versammlung", "starts_at": starts, "duration_minutes": "90"},
    )
    meeting = db.session.scalar(sa.select(ScheduledMeeting))
    db.session.execute(sa.update(ScheduledMeeting).values(title="Versammlung\u2028Teil 2"))
    db.session.commit()
    mailbox.clear()
    assert meetings.board.post(f"{meetings.base}/termine/{meeting.id}/absagen", data={"notify": "y"}).status_code == 303
    for address in ("vorstand@verein.example", "mitglied@verein.example"):
        [mail] = mailbox.to(address)
        assert mail["Subject"].startswith("Abgesagt: Versammlung Teil 2")


# --- retention: one failing rule or account does not stop the run ----------------------------------------


def test_retention_carries_on_after_a_failing_rule(app, runner, monkeypatch, caplog):
    from app.dataprotection import retention

    ran = []
    rules = [
        retention.Rule("kaputt", "Kaputt", lambda dry: 1 / 0),
        retention.Rule("heil", "Heil", lambda dry: ran.append(dry) or 2),
    ]
    monkeypatch.setattr(retention, "rules", lambda: rules)
    result = runner.invoke(args=["retention", "run"])
    assert ran == [False]
    assert "Kaputt: fehlgeschlagen" in result.output and "Heil: 2 gelöscht" in result.output
    assert result.exit_code == 1
    assert "retention rule kaputt" in caplog.text and "ZeroDivisionError" in caplog.text
