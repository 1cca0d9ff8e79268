"""Reminder mails before each date (issue 19 item 3): club setting (default 24 h, off possible), members
may opt out, once per date by the worker's job, across DST, for moved and not for cancelled dates."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.meetings import calendar as cal
from app.meetings.models import MeetingReminderSent
from tests.helpers import count

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def weekly(meetings):
    """A weekly board meeting, Thursdays 19:00, across the spring DST change (28.03.2027)."""
    return cal.schedule(
        meetings.club,
        room=meetings.room,
        title="Vorstandssitzung",
        starts_at=berlin(2027, 3, 18, 19, 0),
        duration_minutes=90,
        agenda="Kasse",
        by=meetings.roles.board,
        notify=False,
        repeat="weekly",
    )


def reminders(mailbox):
    return [m for m in mailbox.messages if m["Subject"].startswith("Erinnerung:")]


def test_one_reminder_per_date_24_hours_before_by_default_also_after_the_dst_change(weekly, meetings, mailbox):
    after_dst = berlin(2027, 4, 1, 19, 0)  # 17:00 UTC
    assert cal.send_due_reminders(now=after_dst - timedelta(hours=25)) == 0  # not yet
    sent = cal.send_due_reminders(now=after_dst - timedelta(hours=23))
    assert sent == 2  # board and member
    mails = reminders(mailbox)
    assert len(mails) == 2 and {m["X-Envelope-To"] for m in mails} == {
        meetings.roles.board.email,
        meetings.roles.member.email,
    }
    assert "19:00" in mails[0]["Subject"] and "Kasse" in mailbox.body(mails[0])
    assert "/kalender#erinnerungen" in mailbox.body(mails[0])
    assert cal.send_due_reminders(now=after_dst - timedelta(hours=22)) == 0  # never twice
    assert cal.send_due_reminders(now=after_dst - timedelta(hours=1)) == 0
    assert len(reminders(mailbox)) == 2 and count(MeetingReminderSent) == 1


def test_members_may_opt_out_and_the_club_may_switch_reminders_off(weekly, meetings, mailbox):
    cal.set_wants_reminders(meetings.club, meetings.roles.member, False)
    start = berlin(2027, 3, 25, 19, 0)
    assert cal.send_due_reminders(now=start - timedelta(hours=3)) == 1
    assert [m["X-Envelope-To"] for m in reminders(mailbox)] == [meetings.roles.board.email]
    cal.set_reminder_hours(meetings.club, 0, by=meetings.roles.board)
    assert cal.send_due_reminders(now=berlin(2027, 4, 1, 18, 0)) == 0


def test_cancelled_date_gets_no_reminder_and_a_moved_one_gets_it_at_its_new_time(weekly, meetings, mailbox):
    board = meetings.roles.board
    first, second = cal.occurrences(weekly, berlin(2027, 3, 1), berlin(2027, 4, 1))[:2]
    cal.change_occurrence(weekly, first.key, by=board, notify=False)
    cal.change_occurrence(weekly, second.key, by=board, notify=False, new_start=berlin(2027, 3, 27, 10, 0))
    assert cal.send_due_reminders(now=berlin(2027, 3, 18, 12, 0)) == 0  # the cancelled 18.03.
    assert cal.send_due_reminders(now=berlin(2027, 3, 25, 12, 0)) == 0  # the original 25.03. was moved
    assert cal.send_due_reminders(now=berlin(2027, 3, 26, 12, 0)) == 2  # 27.03. 10:00
    assert all("10:00" in m["Subject"] for m in reminders(mailbox))


def test_reminder_settings_on_the_calendar_page(weekly, meetings):
    page = meetings.member.get(f"{meetings.base}/kalender").get_data(as_text=True)
    assert 'id="erinnerungen"' in page and "24 Stunden vorher" not in page  # members see only their own switch
    assert meetings.member.post(f"{meetings.base}/kalender/erinnerungen", data={"hours": "2"}).status_code == 403
    assert meetings.board.post(f"{meetings.base}/kalender/erinnerungen", data={"hours": "7"}).status_code == 400
    assert meetings.board.post(f"{meetings.base}/kalender/erinnerungen", data={"hours": "2"}).status_code == 303
    assert cal.reminder_hours(meetings.club) == 2
    assert meetings.member.post(f"{meetings.base}/kalender/meine-erinnerungen", data={}).status_code == 303
    assert not cal.wants_reminders(meetings.club, meetings.roles.member)
    assert cal.wants_reminders(meetings.club, meetings.roles.board)
    response = meetings.member.post(f"{meetings.base}/kalender/meine-erinnerungen", data={"wanted": "y"})
    assert response.status_code == 303 and cal.wants_reminders(meetings.club, meetings.roles.member)


def test_a_suspended_club_sends_no_reminders(weekly, meetings, mailbox):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    change_status(meetings.club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
    assert cal.send_due_reminders(now=berlin(2027, 3, 18, 12, 0)) == 0
    assert reminders(mailbox) == []


@pytest.mark.parametrize("failing", ["calendar_for", "deliver_mail"])
def test_one_failing_date_is_logged_and_retried_and_the_others_get_their_reminders(
    meetings, mailbox, monkeypatch, caplog, failing
):
    """Issue 12 item 10: one failing meeting (rendering or the queue) neither stops the run nor loses its date."""
    import logging

    import sqlalchemy as sa

    from app.extensions import db

    def one(title, hour):
        return cal.schedule(
            meetings.club,
            room=meetings.room,
            title=title,
            starts_at=berlin(2027, 3, 18, hour, 0),
            duration_minutes=60,
            agenda="",
            by=meetings.roles.board,
            notify=False,
        )

    broken, fine = one("Kaputte Sitzung", 18), one("Gute Sitzung", 20)
    assert broken.id < fine.id  # the failing one comes first in the loop
    real = getattr(cal, failing)

    def flaky(*args, **kwargs):
        if (
            failing == "calendar_for"
            and args[0][0].id == broken.id
            or failing == "deliver_mail"
            and "Kaputte" in args[1]
        ):
            raise RuntimeError("kaputt")
        return real(*args, **kwargs)

    monkeypatch.setattr(cal, failing, flaky)
    at = berlin(2027, 3, 18, 12, 0)
    with caplog.at_level(logging.ERROR):
        assert cal.send_due_reminders(now=at) == 2  # the later meeting: board and member
    assert {m["Subject"].split(" am ")[0] for m in reminders(mailbox)} == {"Erinnerung: Gute Sitzung"}
    assert f"meeting reminder for meeting {broken.id}" in caplog.text and "kaputt" in caplog.text
    assert db.session.scalars(sa.select(MeetingReminderSent.meeting_id)).all() == [fine.id]

    monkeypatch.setattr(cal, failing, real)
    assert cal.send_due_reminders(now=at) == 2  # the failed date is tried again, the sent one not
    subjects = [m["Subject"].split(" am ")[0] for m in reminders(mailbox)]
    assert sorted(subjects) == ["Erinnerung: Gute Sitzung"] * 2 + ["Erinnerung: Kaputte Sitzung"] * 2
    assert count(MeetingReminderSent) == 2
