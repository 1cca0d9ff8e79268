"""Meeting rooms, started meetings (runs), scheduled meetings and the club's calendar feed."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

START_BOARD = "board"
START_MEMBERS = "members"
WHO_MAY_START = {START_BOARD: _l("nur der Vorstand"), START_MEMBERS: _l("alle Mitglieder")}
#: how a scheduled meeting repeats (in Europe/Berlin wall time; monthly = the same weekday, e.g. 2nd Thursday)
REPEATS = {
    "weekly": _l("jede Woche"),
    "biweekly": _l("alle zwei Wochen"),
    "monthly": _l("jeden Monat am selben Wochentag"),
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Room(db.Model):
    """A meeting room with a fixed link. ``club_id`` is None for platform-staff rooms (workshops)."""

    __tablename__ = "meeting_room"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    is_default: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    who_may_start: so.Mapped[str] = so.mapped_column(sa.String(16), default=START_BOARD)
    guest_access: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    access_code: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    waiting_room: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    mute_on_join: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    recording_allowed: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    guest_token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_token)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    club = so.relationship("Club")

    @property
    def meeting_id(self) -> str:
        """The BBB meetingID: stable for the life of the room, never reused across clubs."""
        if self.club_id is None:
            return f"vr-staff-room-{self.id}"
        return f"vr-club-{self.club_id}-room-{self.id}"

    @property
    def who_may_start_label(self):
        return WHO_MAY_START.get(self.who_may_start, self.who_may_start)


class MeetingRun(db.Model):
    """One started meeting (admin statistics; ``ended_at`` None while running or unknown)."""

    __tablename__ = "meeting_run"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    room_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("meeting_room.id", ondelete="SET NULL"), index=True)
    create_time: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    started_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class ScheduledMeeting(db.Model):
    __tablename__ = "scheduled_meeting"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    room_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meeting_room.id", ondelete="CASCADE"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    duration_minutes: so.Mapped[int] = so.mapped_column(default=60)
    agenda: so.Mapped[str | None] = so.mapped_column(sa.Text)
    uid: so.Mapped[str] = so.mapped_column(
        sa.String(80), unique=True, default=lambda: f"{secrets.token_hex(12)}@vereinsraum"
    )
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    invitations_sent: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # A series: ``repeat`` (REPEATS) from ``starts_at`` (the first date), up to ``repeat_until`` (local date, inclusive).
    repeat: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    repeat_until: so.Mapped[date | None] = so.mapped_column(sa.Date)

    room = so.relationship("Room")
    club = so.relationship("Club")
    changes = so.relationship(
        "OccurrenceChange", cascade="all, delete-orphan", order_by="OccurrenceChange.original_start", lazy="selectin"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class OccurrenceChange(db.Model):
    """One date of a series cancelled (``new_start`` None) or moved to ``new_start``."""

    __tablename__ = "meeting_occurrence_change"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "original_start", name="uq_occurrence_change_start"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("scheduled_meeting.id", ondelete="CASCADE"), index=True)
    original_start: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    new_start: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    cancelled: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(db.Model):
    """The club's private ICS feed: whoever knows the token can read the meeting dates."""

    __tablename__ = "meeting_calendar_feed"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), unique=True)
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_token)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


#: Reminder mails before each date (club setting, hours before; 0 = off). Absent row: the default.
REMINDER_DEFAULT_HOURS = 24
REMINDER_CHOICES = {
    0: _l("keine Erinnerung"),
    2: _l("2 Stunden vorher"),
    24: _l("24 Stunden vorher"),
    48: _l("2 Tage vorher"),
}


class MeetingReminderSetting(db.Model):
    __tablename__ = "meeting_reminder_setting"

    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), primary_key=True)
    hours: so.Mapped[int] = so.mapped_column(default=REMINDER_DEFAULT_HOURS)


class MeetingReminderOptOut(db.Model):
    """A member who wants no reminder mails from this club's meetings."""

    __tablename__ = "meeting_reminder_optout"
    __table_args__ = (sa.UniqueConstraint("club_id", "user_id", name="uq_meeting_reminder_optout"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class MeetingReminderSent(db.Model):
    """One reminder per date of a meeting (the unique key makes a second worker skip it)."""

    __tablename__ = "meeting_reminder_sent"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "starts_at", name="uq_meeting_reminder_sent"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("scheduled_meeting.id", ondelete="CASCADE"), index=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    recipients: so.Mapped[int] = so.mapped_column(default=0)
    sent_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
