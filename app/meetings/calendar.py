"""Scheduled meetings: ICS files (icalendar), the club's private feed, e-mail invitations."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from ..auth.models import User
from ..clubs.models import Membership
from ..core import ics
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.errors import carry_on
from ..core.urls import external_url
from ..extensions import db
from .models import (
    REMINDER_DEFAULT_HOURS,
    REPEATS,
    CalendarFeed,
    MeetingReminderOptOut,
    MeetingReminderSent,
    MeetingReminderSetting,
    OccurrenceChange,
    ScheduledMeeting,
    new_token,
)
from .tasks import deliver_invitations, deliver_mail

#: Series repeat in the club's local time: 19:00 stays 19:00 across the daylight-saving changes.
ZONE_NAME = "Europe/Berlin"
ZONE = ZoneInfo(ZONE_NAME)
#: How far ahead a series is expanded for lists, the move form and the checks of a date.
HORIZON = timedelta(days=400)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class MeetingError(Exception):
    """A user-facing problem with a date (German message)."""


# --- series ------------------------------------------------------------------------------------


@dataclass
class Occurrence:
    """One date of a meeting (of a series, or the single date): reads like the meeting in templates."""

    meeting: ScheduledMeeting
    original_start: datetime
    starts_at: datetime
    cancelled: bool = False
    moved: bool = False

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.meeting.duration_minutes)

    @property
    def key(self) -> int:
        """The date in URLs: its original start in Unix seconds."""
        return int(self.original_start.timestamp())

    def __getattr__(self, name):
        return getattr(self.meeting, name)


def month_position(day: date) -> int:
    """Which weekday of its month ``day`` is: 1–4, or -1 for the fifth (= the last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    if n == -1:
        last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _local_dates(meeting: ScheduledMeeting, last: date):
    first = meeting.starts_at.astimezone(ZONE).date()
    if meeting.repeat_until is not None:
        last = min(last, meeting.repeat_until)
    if meeting.repeat in ("weekly", "biweekly"):
        step = timedelta(weeks=1 if meeting.repeat == "weekly" else 2)
        day = first
        while day <= last:
            yield day
            day += step
    elif meeting.repeat == "monthly":
        n, k = month_position(first), 0
        while True:
            year, month = first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1
            day = _nth_weekday(year, month, first.weekday(), n)
            if day > last:
                return
            yield day
            k += 1


def original_starts(meeting: ScheduledMeeting, until: datetime) -> list[datetime]:
    """Every start of the meeting up to ``until`` (UTC), before cancellations and moves."""
    if not meeting.repeat:
        return [meeting.starts_at] if meeting.starts_at <= until else []
    wall = meeting.starts_at.astimezone(ZONE).time().replace(tzinfo=None)
    return [
        datetime.combine(day, wall, ZONE).astimezone(timezone.utc)
        for day in _local_dates(meeting, until.astimezone(ZONE).date())
        if datetime.combine(day, wall, ZONE) <= until
    ]


def occurrences(meeting: ScheduledMeeting, start: datetime, end: datetime, *, cancelled: bool = False):
    """The dates of ``meeting`` that start in [start, end), moves applied (cancelled ones only if asked)."""
    changes = {change.original_start: change for change in meeting.changes}
    found = []
    for original in original_starts(meeting, end + HORIZON if changes else end):
        change = changes.get(original)
        if change is not None and change.cancelled:
            occurrence = Occurrence(meeting, original, original, cancelled=True)
        elif change is not None and change.new_start is not None:
            occurrence = Occurrence(meeting, original, change.new_start, moved=True)
        else:
            occurrence = Occurrence(meeting, original, original)
        if start <= occurrence.starts_at < end and (cancelled or not occurrence.cancelled):
            found.append(occurrence)
    return sorted(found, key=lambda o: o.starts_at)


def find_occurrence(meeting: ScheduledMeeting, key: int) -> Occurrence | None:
    """The date of a series whose original start is ``key`` (Unix seconds); None when there is none."""
    try:
        original = datetime.fromtimestamp(int(key), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if not meeting.repeat or original not in original_starts(meeting, original):
        return None
    for occurrence in occurrences(meeting, original - HORIZON, original + HORIZON, cancelled=True):
        if occurrence.original_start == original:
            return occurrence
    return None


def repeat_label(meeting: ScheduledMeeting) -> str | None:
    if not meeting.repeat:
        return None
    label = str(REPEATS[meeting.repeat])
    if meeting.repeat == "monthly":
        local = meeting.starts_at.astimezone(ZONE)
        n = month_position(local.date())
        position = _("letzten") if n == -1 else f"{n}."
        label = _("jeden %(n)s %(weekday)s im Monat", n=position, weekday=format_date(local, "EEEE"))
    if meeting.repeat_until:
        label += " " + _("bis %(date)s", date=format_date(meeting.repeat_until, "short"))
    return label


# --- queries ---------------------------------------------------------------------------------


@functools.cache
def _upcoming_query():
    # (built once: the meetings panel loads on every workspace view)
    return (
        sa.select(ScheduledMeeting)
        .options(so.selectinload(ScheduledMeeting.room))
        .where(
            ScheduledMeeting.club_id == sa.bindparam("club_id"),
            ScheduledMeeting.cancelled_at.is_(None),
            sa.or_(
                ScheduledMeeting.repeat.is_not(None),
                ScheduledMeeting.starts_at > sa.bindparam("since", type_=ScheduledMeeting.starts_at.type),
            ),
        )
        .order_by(ScheduledMeeting.starts_at)
    )


def upcoming(club, limit: int | None = None) -> list[Occurrence]:
    """The next dates (a series gives each of its dates within the horizon), earliest first."""
    now = utcnow()
    found = []
    for meeting in db.session.scalars(_upcoming_query(), {"club_id": club.id, "since": now - timedelta(hours=3)}):
        found += occurrences(meeting, now - timedelta(hours=3), now + (HORIZON if meeting.repeat else HORIZON * 10))
    found = sorted((o for o in found if o.ends_at > now), key=lambda o: o.starts_at)
    return found[:limit] if limit else found


def get_scheduled(club, meeting_id: int) -> ScheduledMeeting | None:
    return db.session.scalar(
        sa.select(ScheduledMeeting).where(ScheduledMeeting.id == meeting_id, ScheduledMeeting.club_id == club.id)
    )


def feed_for(club) -> CalendarFeed:
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.club_id == club.id))
    if feed is None:
        feed = CalendarFeed(club_id=club.id)
        db.session.add(feed)
        db.session.commit()
    return feed


def renew_feed(club, by=None) -> CalendarFeed:
    feed = feed_for(club)
    feed.token = new_token()
    audit_record("meeting.feed_renewed", actor=by, club=club)
    db.session.commit()
    return feed


# --- ICS -------------------------------------------------------------------------------------


def room_link(meeting: ScheduledMeeting) -> str:
    return external_url("meetings.room", slug=meeting.club.slug, room_id=meeting.room_id)


def _rrule(meeting: ScheduledMeeting) -> dict:
    local = meeting.starts_at.astimezone(ZONE)
    if meeting.repeat == "monthly":
        rule = {"freq": "MONTHLY", "byday": f"{month_position(local.date())}{WEEKDAYS[local.weekday()]}"}
    else:
        rule = {"freq": "WEEKLY", "interval": 2 if meeting.repeat == "biweekly" else 1}
    if meeting.repeat_until is not None:  # UNTIL in UTC (DTSTART has a TZID): the end of that local day
        rule["until"] = datetime.combine(meeting.repeat_until, time(23, 59, 59), ZONE).astimezone(timezone.utc)
    return rule


def _events(meeting: ScheduledMeeting, organizer: str | None) -> list[ics.Event]:
    """The meeting's VEVENTs: one; for a series the master (RRULE, EXDATE) and one per moved date."""
    link = room_link(meeting)
    description = _("Videokonferenz von %(club)s im Raum „%(room)s“.", club=meeting.club.name, room=meeting.room.name)
    description += "\n" + _("Beitreten: %(link)s", link=link)
    if meeting.agenda:
        description += "\n\n" + _("Tagesordnung:") + "\n" + meeting.agenda
    common = dict(
        uid=meeting.uid,
        summary=meeting.title,
        description=description,
        location=link,
        url=link,
        sequence=meeting.sequence,
        cancelled=meeting.cancelled_at is not None,
        last_modified=meeting.updated_at or utcnow(),
        organizer=organizer,
    )
    if not meeting.repeat:
        return [ics.Event(start=meeting.starts_at, end=meeting.ends_at, **common)]
    duration = timedelta(minutes=meeting.duration_minutes)
    events = [
        ics.Event(
            start=meeting.starts_at,
            end=meeting.ends_at,
            tz=ZONE_NAME,
            rrule=_rrule(meeting),
            exdates=tuple(c.original_start for c in meeting.changes if c.cancelled),
            **common,
        )
    ]
    for change in meeting.changes:
        if not change.cancelled and change.new_start is not None:
            events.append(
                ics.Event(
                    start=change.new_start,
                    end=change.new_start + duration,
                    tz=ZONE_NAME,
                    recurrence_id=change.original_start,
                    **common,
                )
            )
    return events


def calendar_for(meetings, method: str = "PUBLISH", name: str | None = None) -> bytes:
    """Invitations (METHOD REQUEST or CANCEL) name the platform's sender as organizer."""
    organizer = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] if method in ("REQUEST", "CANCEL") else None
    events = [event for meeting in meetings for event in _events(meeting, organizer)]
    return ics.calendar(events, product="Videokonferenzen", method=method, name=name)


def feed_meetings(club) -> list[ScheduledMeeting]:
    """Feed: upcoming and recent meetings, cancelled ones included (so calendars drop them)."""
    return list(
        db.session.scalars(
            sa.select(ScheduledMeeting)
            .options(so.selectinload(ScheduledMeeting.room))
            .where(
                ScheduledMeeting.club_id == club.id,
                sa.or_(
                    ScheduledMeeting.repeat.is_not(None), ScheduledMeeting.starts_at > utcnow() - timedelta(days=90)
                ),
            )
            .order_by(ScheduledMeeting.starts_at)
        )
    )


# --- scheduling and mails ----------------------------------------------------------------------


def schedule(
    club, *, room, title, starts_at, duration_minutes, agenda, by, notify, repeat=None, repeat_until=None
) -> ScheduledMeeting:
    meeting = ScheduledMeeting(
        repeat=repeat or None,
        repeat_until=repeat_until if repeat else None,
        club_id=club.id,
        room_id=room.id,
        title=title,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        agenda=agenda or None,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(meeting)
    audit_record("meeting.scheduled", actor=by, club=club, title=title)
    db.session.flush()
    if notify:
        notify_members(meeting, "invite")  # queued before the commit: a queue failure undoes the meeting too
    db.session.commit()
    return meeting


def update(
    meeting: ScheduledMeeting,
    *,
    room,
    title,
    starts_at,
    duration_minutes,
    agenda,
    by,
    notify,
    repeat=None,
    repeat_until=None,
) -> bool:
    """Save changes; bump SEQUENCE and notify when something people care about changed.

    A new first date or rhythm makes a new series: its single-date changes no longer apply and go.
    """
    fields = ("room_id", "title", "starts_at", "duration_minutes", "agenda", "repeat", "repeat_until")
    before = tuple(getattr(meeting, f) for f in fields)
    pattern = (meeting.starts_at, meeting.repeat)
    meeting.room_id, meeting.title, meeting.starts_at = room.id, title, starts_at
    meeting.duration_minutes, meeting.agenda = duration_minutes, agenda or None
    meeting.repeat, meeting.repeat_until = repeat or None, repeat_until if repeat else None
    if (meeting.starts_at, meeting.repeat) != pattern:
        meeting.changes.clear()
    changed = before != tuple(getattr(meeting, f) for f in fields)
    if changed:
        meeting.sequence += 1
        meeting.updated_at = utcnow()
    audit_record("meeting.schedule_changed", actor=by, club=meeting.club, meeting_id=meeting.id)
    db.session.flush()
    db.session.refresh(meeting)
    if changed and notify:
        notify_members(meeting, "update")
    db.session.commit()
    return changed


def change_occurrence(meeting: ScheduledMeeting, key: int, *, by, notify, new_start: datetime | None = None) -> None:
    """Cancel one date of a series (``new_start`` None) or move it; the series' SEQUENCE goes up."""
    occurrence = find_occurrence(meeting, key)
    if occurrence is None:
        raise MeetingError(_("Diesen Termin gibt es in der Serie nicht."))
    change = next((c for c in meeting.changes if c.original_start == occurrence.original_start), None)
    if change is None:
        change = OccurrenceChange(
            club_id=meeting.club_id, meeting_id=meeting.id, original_start=occurrence.original_start
        )
        meeting.changes.append(change)
    change.cancelled, change.new_start, change.updated_at = new_start is None, new_start, utcnow()
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    audit_record(
        "meeting.occurrence_moved" if new_start else "meeting.occurrence_cancelled",
        actor=by,
        club=meeting.club,
        meeting_id=meeting.id,
        original=occurrence.original_start.isoformat(),
    )
    db.session.flush()
    if notify:
        notify_members(meeting, "update")  # the whole series again, with EXDATE / RECURRENCE-ID
    db.session.commit()


def cancel(meeting: ScheduledMeeting, *, by, notify) -> None:
    meeting.cancelled_at = utcnow()
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    audit_record("meeting.cancelled", actor=by, club=meeting.club, meeting_id=meeting.id)
    db.session.flush()
    if notify:
        notify_members(meeting, "cancel")
    db.session.commit()


def member_emails(club) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.club_id == club.id)
            .order_by(User.email)
        )
    )


SUBJECTS = {
    "invite": lambda m: _("Einladung: %(title)s am %(date)s", title=m.title, date=format_date(m.starts_at, "short")),
    "update": lambda m: _("Geändert: %(title)s am %(date)s", title=m.title, date=format_date(m.starts_at, "short")),
    "cancel": lambda m: _("Abgesagt: %(title)s am %(date)s", title=m.title, date=format_date(m.starts_at, "short")),
}


def notify_members(meeting: ScheduledMeeting, kind: str) -> int:
    """One mail per member (nobody sees the others' addresses), with the ICS attached.

    Nothing is sent for a club that is not approved (a suspended club sends no mail). Queues one job
    (a single enqueue, so the queue takes all mails or none) that waits for the caller's commit and
    then queues one retried mail job per member; the caller commits.
    """
    if not meeting.club.is_active:
        return 0
    recipients = member_emails(meeting.club)
    if not recipients:
        return 0
    with force_locale("de"):
        context = dict(
            kind=kind,
            club_name=meeting.club.name,
            title=meeting.title,
            room_name=meeting.room.name,
            date=format_date(meeting.starts_at, "full"),
            start=format_time(meeting.starts_at, "HH:mm"),
            end=format_time(meeting.ends_at, "HH:mm"),
            agenda=meeting.agenda or "",
            room_link=room_link(meeting),
            meeting_link=external_url("meetings.scheduled", slug=meeting.club.slug, meeting_id=meeting.id),
        )
        subject = SUBJECTS[kind](meeting)
        body = render_template("meetings/email/schedule.txt", **context)
    ics = calendar_for([meeting], method="CANCEL" if kind == "cancel" else "REQUEST")
    if kind == "invite":
        meeting.invitations_sent = True
    deliver_invitations(
        meeting.id, meeting.sequence, recipients, subject, body, ics.decode("utf-8"), club_id=meeting.club_id
    )
    return len(recipients)


# --- reminders -----------------------------------------------------------------------------------


def reminder_hours(club) -> int:
    """Hours before each date that members get a reminder (club setting; 0 = off)."""
    setting = db.session.get(MeetingReminderSetting, club.id)
    return REMINDER_DEFAULT_HOURS if setting is None else setting.hours


def set_reminder_hours(club, hours: int, *, by) -> None:
    setting = db.session.get(MeetingReminderSetting, club.id)
    if setting is None:
        setting = MeetingReminderSetting(club_id=club.id)
        db.session.add(setting)
    setting.hours = hours
    audit_record("meeting.reminders", actor=by, club=club, hours=hours)
    db.session.commit()


def wants_reminders(club, user) -> bool:
    return (
        db.session.scalar(
            sa.select(MeetingReminderOptOut.id).where(
                MeetingReminderOptOut.club_id == club.id, MeetingReminderOptOut.user_id == user.id
            )
        )
        is None
    )


def set_wants_reminders(club, user, wanted: bool) -> None:
    row = db.session.scalar(
        sa.select(MeetingReminderOptOut).where(
            MeetingReminderOptOut.club_id == club.id, MeetingReminderOptOut.user_id == user.id
        )
    )
    if wanted and row is not None:
        db.session.delete(row)
    elif not wanted and row is None:
        db.session.add(MeetingReminderOptOut(club_id=club.id, user_id=user.id))
    db.session.commit()


def reminder_recipients(club) -> list[str]:
    opted_out = sa.select(MeetingReminderOptOut.user_id).where(MeetingReminderOptOut.club_id == club.id)
    return list(
        db.session.scalars(
            sa.select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.club_id == club.id, User.id.not_in(opted_out))
            .order_by(User.email)
        )
    )


def send_due_reminders(now: datetime | None = None) -> int:
    """The worker's job (every ten minutes): one reminder mail per date and member, never twice.

    A date is due when it starts within the club's reminder hours from now. Its row in
    ``meeting_reminder_sent`` is committed before any mail is queued, so a second worker (or the next run)
    skips it; a moved date is a new date and gets its own reminder, a cancelled one none.
    One failing date (rendering, the queue) is logged and left unrecorded, so the next run tries it
    again; the other dates and clubs still get their reminders.
    """
    now = now or utcnow()
    query = (
        sa.select(ScheduledMeeting)
        .options(so.selectinload(ScheduledMeeting.room), so.selectinload(ScheduledMeeting.club))
        .where(
            ScheduledMeeting.cancelled_at.is_(None),
            sa.or_(ScheduledMeeting.repeat.is_not(None), ScheduledMeeting.starts_at > now),
        )
        .order_by(ScheduledMeeting.id)
    )
    queued = 0
    for meeting in list(db.session.scalars(query)):
        club = meeting.club
        hours = reminder_hours(club)
        if not hours or not club.is_active:
            continue
        for occurrence in occurrences(meeting, now, now + timedelta(hours=hours)):
            with carry_on("meeting reminder for meeting %s at %s (retried next run)", meeting.id, occurrence.starts_at):
                queued += _remind(meeting, occurrence)
    return queued


def _remind(meeting: ScheduledMeeting, occurrence: Occurrence) -> int:
    club = meeting.club
    exists = db.session.scalar(
        sa.select(MeetingReminderSent.id).where(
            MeetingReminderSent.meeting_id == meeting.id, MeetingReminderSent.starts_at == occurrence.starts_at
        )
    )
    if exists is not None:
        return 0
    recipients = reminder_recipients(club)
    # everything that can fail on our side comes before the row that says "sent"
    with force_locale("de"):
        subject = _(
            "Erinnerung: %(title)s am %(date)s um %(time)s Uhr",
            title=meeting.title,
            date=format_date(occurrence.starts_at, "short"),
            time=format_time(occurrence.starts_at, "HH:mm"),
        )
        body = render_template(
            "meetings/email/reminder.txt",
            club_name=club.name,
            title=meeting.title,
            room_name=meeting.room.name,
            date=format_date(occurrence.starts_at, "full"),
            start=format_time(occurrence.starts_at, "HH:mm"),
            end=format_time(occurrence.ends_at, "HH:mm"),
            agenda=meeting.agenda or "",
            room_link=room_link(meeting),
            settings_link=external_url("meetings.calendar", slug=club.slug, _anchor="erinnerungen"),
        )
    ics_text = calendar_for([meeting]).decode("utf-8")
    club_id, meeting_id = club.id, meeting.id
    sent = MeetingReminderSent(
        club_id=club_id, meeting_id=meeting_id, starts_at=occurrence.starts_at, recipients=len(recipients)
    )
    db.session.add(sent)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another worker took this date
        db.session.rollback()
        return 0
    sent_id = sent.id
    try:
        for address in recipients:
            deliver_mail(address, subject, body, ics_text, club_id=club_id)
    except Exception:
        # the queue refused: forget the date, so the next run queues its reminders again
        db.session.rollback()
        db.session.execute(sa.delete(MeetingReminderSent).where(MeetingReminderSent.id == sent_id))
        db.session.commit()
        raise
    return len(recipients)
