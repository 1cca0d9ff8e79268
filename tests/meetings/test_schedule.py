"""Scheduled meetings: invitations by e-mail, ICS downloads, the private feed, updates and cancellations."""

from datetime import datetime, timedelta, timezone

import icalendar
import sqlalchemy as sa

from app.extensions import db
from app.meetings.models import ScheduledMeeting
from tests.conftest import HX


def _future(days=7, hour=19):
    day = datetime.now(timezone.utc) + timedelta(days=days)
    return day.strftime(f"%Y-%m-%dT{hour:02d}:30")


def _schedule(meetings, notify=True, **extra):
    data = {
        "room_id": meetings.room.id,
        "title": "Mitgliederversammlung 2027",
        "starts_at": _future(),
        "duration_minutes": "90",
        "agenda": "1. Begrüßung\n2. Kassenbericht",
    }
    if notify:
        data["notify"] = "y"
    data.update(extra)
    return meetings.board.post(f"{meetings.base}/termine/neu", data=data)


def _event(ics_bytes):
    cal = icalendar.Calendar.from_ical(ics_bytes)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return cal, events[0]


def test_board_schedules_and_members_get_a_german_invitation_with_ics(meetings, mailbox):
    response = _schedule(meetings)
    assert response.status_code == 303
    meeting = db.session.scalar(sa.select(ScheduledMeeting))
    assert meeting.title == "Mitgliederversammlung 2027" and meeting.duration_minutes == 90
    assert meeting.starts_at.astimezone(timezone.utc).tzinfo is not None

    for address in ("vorstand@verein.example", "mitglied@verein.example"):
        mails = mailbox.to(address)
        assert len(mails) == 1, address
    assert mailbox.to("fremd@anderer.example") == []
    mail = mailbox.to("mitglied@verein.example")[0]
    assert mail["To"] == "mitglied@verein.example"  # one mail each: nobody sees the other addresses
    assert mail["Subject"].startswith("Einladung: Mitgliederversammlung 2027")
    body = mailbox.body(mail)
    room_link = f"http://localhost/c/{meetings.club.slug}/konferenzen/raum/{meetings.room.id}"
    assert room_link in body and "19:30" in body and "So nehmen Sie teil" in body
    assert "Im Browser" in body and "Per Telefon" in body and "Kassenbericht" in body
    local = meeting.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert str(local.day) in body and str(local.year) in body
    attachment = next(part for part in mail.iter_attachments() if part.get_filename() == "termin.ics")
    cal, event = _event(
        attachment.get_content() if isinstance(attachment.get_content(), bytes) else attachment.get_content().encode()
    )
    assert str(cal["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    assert str(event["UID"]) == meeting.uid and str(event["LOCATION"]) == room_link
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)


def test_scheduling_without_invitation_sends_nothing(meetings, mailbox):
    assert _schedule(meetings, notify=False).status_code == 303
    assert mailbox.messages == []


def test_invalid_schedule_form_is_422_and_writes_nothing(meetings):
    assert _schedule(meetings, title="", starts_at="morgen").status_code == 422
    assert _schedule(meetings, duration_minutes="0").status_code == 422
    from app.meetings.services import rooms_for

    foreign = rooms_for(meetings.roles.other_club)[0]
    assert _schedule(meetings, room_id=foreign.id).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduledMeeting)) == 0
    assert meetings.member.post(f"{meetings.base}/termine/neu", data={}).status_code == 403


def test_members_see_upcoming_meetings_and_download_ics(meetings):
    _schedule(meetings, notify=False)
    meeting = db.session.scalar(sa.select(ScheduledMeeting))
    panel = meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    assert "Mitgliederversammlung 2027" in panel and f"/termine/{meeting.id}/termin.ics" in panel
    detail = meetings.member.get(f"{meetings.base}/termine/{meeting.id}")
    assert detail.status_code == 200 and "Kassenbericht" in detail.get_data(as_text=True)
    ics = meetings.member.get(f"{meetings.base}/termine/{meeting.id}/termin.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    cal, event = _event(ics.data)
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
    assert str(event["SUMMARY"]) == "Mitgliederversammlung 2027" and "Kassenbericht" in str(event["DESCRIPTION"])
    assert meetings.anon.get(f"{meetings.base}/termine/{meeting.id}/termin.ics").status_code in (302, 401)


def test_update_sends_a_new_sequence_and_cancel_sends_cancel(meetings, mailbox):
    _schedule(meetings, notify=False)
    meeting = db.session.scalar(sa.select(ScheduledMeeting))
    edit = f"{meetings.base}/termine/{meeting.id}/bearbeiten"
    assert meetings.board.get(edit).status_code == 200
    changed = meetings.board.post(
        edit,
        data={
            "room_id": meetings.room.id,
            "title": "Mitgliederversammlung 2027",
            "starts_at": _future(days=8, hour=18),
            "duration_minutes": "90",
            "agenda": "1. Begrüßung",
            "notify": "y",
        },
    )
    assert changed.status_code == 303
    db.session.refresh(meeting)
    assert meeting.sequence == 1
    mail = mailbox.to("mitglied@verein.example")[-1]
    assert mail["Subject"].startswith("Geändert:") and "18:30" in mailbox.body(mail)
    ics = next(p for p in mail.iter_attachments()).get_content()
    cal, event = _event(ics if isinstance(ics, bytes) else ics.encode())
    assert str(cal["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1 and str(event["UID"]) == meeting.uid

    mailbox.clear()
    cancel = f"{meetings.base}/termine/{meeting.id}/absagen"
    assert meetings.board.get(cancel).status_code == 200
    assert meetings.board.post(cancel, data={"notify": "y"}).status_code == 303
    mail = mailbox.to("mitglied@verein.example")[-1]
    assert mail["Subject"].startswith("Abgesagt:") and "abgesagt" in mailbox.body(mail)
    ics = next(p for p in mail.iter_attachments()).get_content()
    cal, event = _event(ics if isinstance(ics, bytes) else ics.encode())
    assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    panel = meetings.member.get(meetings.base + "/", headers=HX).get_data(as_text=True)
    assert "Mitgliederversammlung 2027" not in panel


def test_private_feed_with_token(meetings):
    _schedule(meetings, notify=False)
    page = meetings.member.get(f"{meetings.base}/kalender").get_data(as_text=True)
    feed_url = page.split('id="feed-url" readonly value="', 1)[1].split('"', 1)[0]
    path = feed_url.replace("http://localhost", "")
    feed = meetings.anon.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(feed.data)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Mitgliederversammlung 2027"]
    assert meetings.anon.get(path.replace(".ics", "x.ics")).status_code == 404
    other = f"/c/{meetings.roles.other_club.slug}/konferenzen/kalender/{path.rsplit('/', 1)[1]}"
    assert meetings.anon.get(other).status_code == 404
    assert meetings.member.post(f"{meetings.base}/kalender/erneuern").status_code == 403
    assert meetings.board.post(f"{meetings.base}/kalender/erneuern").status_code == 303
    assert meetings.anon.get(path).status_code == 404
