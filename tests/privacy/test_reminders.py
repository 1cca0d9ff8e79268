"""`flask privacy send-reminders`: near and passed due dates, each reminded once."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.privacy.models import ReminderSent
from app.privacy.reminders import send_reminders


def test_reminders_are_sent_once(roles, content, set_profile, answer, mailbox, runner):
    set_profile(roles.club)
    today = date.today()
    answer(
        roles.board,
        roles.club,
        "breach-plan",
        "no",
        due_date=(today + timedelta(days=3)).isoformat(),
        responsible_id=roles.member.id,
    )
    answer(roles.board, roles.club, "sec-backup", "partial", due_date=(today - timedelta(days=1)).isoformat())
    answer(roles.board, roles.club, "del-schedule", "no", due_date=(today + timedelta(days=60)).isoformat())
    answer(roles.board, roles.club, "mem-bcc", "yes", due_date=(today - timedelta(days=1)).isoformat())  # done

    result = runner.invoke(args=["privacy", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "2 Erinnerung(en) zu 2 Punkt(en)" in result.output
    member_mail = mailbox.body(mailbox.to(roles.member.email)[0])
    assert "Gibt es einen Plan für Datenpannen" in member_mail
    assert f"/c/{roles.club.slug}/datenschutz/massnahmen" in member_mail
    board_mail = mailbox.body(mailbox.to(roles.board.email)[0])  # nobody responsible -> board
    assert "Sicherungskopien" in board_mail and "Frist überschritten" in board_mail
    assert "Löschkonzept" not in member_mail + board_mail  # not due yet
    assert "Rundmails" not in member_mail + board_mail  # answered "Ja"
    assert len(mailbox.messages) == 2

    # re-run: nothing new
    result = runner.invoke(args=["privacy", "send-reminders"])
    assert "0 Erinnerung(en)" in result.output
    assert len(mailbox.messages) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 2

    # when the "soon" item becomes overdue, one more reminder
    sent, items = send_reminders(today=today + timedelta(days=4))
    assert (sent, items) == (1, 1)
    assert send_reminders(today=today + timedelta(days=5)) == (0, 0)


def test_reminders_skip_other_states(roles, content, set_profile, answer, mailbox, make_club, make_user):
    set_profile(roles.club)
    answer(roles.board, roles.club, "breach-plan", "na", due_date=date.today().isoformat())
    assert send_reminders() == (0, 0)
    assert mailbox.messages == []
