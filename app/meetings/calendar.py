"""Scheduled meetings: ICS files (icalendar), the club's private feed, e-mail invitations."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

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
from ..core.urls import external_url
from ..extensions import db
from .models import CalendarFeed, ScheduledMeeting, new_token
from .tasks import deliver_invitations

# --- queries ---------------------------------------------------------------------------------


def upcoming(club, limit: int | None = None) -> list[ScheduledMeeting]:
    query = (
        sa.select(ScheduledMeeting)
        .options(so.selectinload(ScheduledMeeting.room))
        .where(
            ScheduledMeeting.club_id == club.id,
            ScheduledMeeting.cancelled_at.is_(None),
            ScheduledMeeting.starts_at > utcnow() - timedelta(hours=3),
        )
        .order_by(ScheduledMeeting.starts_at)
    )
    if limit:
        query = query.limit(limit)
    return [m for m in db.session.scalars(query) if m.ends_at > utcnow()]


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


def _event(meeting: ScheduledMeeting, organizer: str | None) -> ics.Event:
    link = room_link(meeting)
    description = _("Videokonferenz von %(club)s im Raum „%(room)s“.", club=meeting.club.name, room=meeting.room.name)
    description += "\n" + _("Beitreten: %(link)s", link=link)
    if meeting.agenda:
        description += "\n\n" + _("Tagesordnung:") + "\n" + meeting.agenda
    return ics.Event(
        uid=meeting.uid,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=meeting.title,
        description=description,
        location=link,
        url=link,
        sequence=meeting.sequence,
        cancelled=meeting.cancelled_at is not None,
        last_modified=meeting.updated_at or utcnow(),
        organizer=organizer,
    )


def calendar_for(meetings, method: str = "PUBLISH", name: str | None = None) -> bytes:
    """Invitations (METHOD REQUEST or CANCEL) name the platform's sender as organizer."""
    organizer = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] if method in ("REQUEST", "CANCEL") else None
    return ics.calendar(
        [_event(meeting, organizer) for meeting in meetings], product="Videokonferenzen", method=method, name=name
    )


def feed_meetings(club) -> list[ScheduledMeeting]:
    """Feed: upcoming and recent meetings, cancelled ones included (so calendars drop them)."""
    return list(
        db.session.scalars(
            sa.select(ScheduledMeeting)
            .options(so.selectinload(ScheduledMeeting.room))
            .where(ScheduledMeeting.club_id == club.id, ScheduledMeeting.starts_at > utcnow() - timedelta(days=90))
            .order_by(ScheduledMeeting.starts_at)
        )
    )


# --- scheduling and mails ----------------------------------------------------------------------


def schedule(club, *, room, title, starts_at, duration_minutes, agenda, by, notify) -> ScheduledMeeting:
    meeting = ScheduledMeeting(
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


def update(meeting: ScheduledMeeting, *, room, title, starts_at, duration_minutes, agenda, by, notify) -> bool:
    """Save changes; bump SEQUENCE and notify when something people care about changed."""
    before = (meeting.room_id, meeting.title, meeting.starts_at, meeting.duration_minutes, meeting.agenda)
    meeting.room_id, meeting.title, meeting.starts_at = room.id, title, starts_at
    meeting.duration_minutes, meeting.agenda = duration_minutes, agenda or None
    after = (meeting.room_id, meeting.title, meeting.starts_at, meeting.duration_minutes, meeting.agenda)
    changed = before != after
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
