"""The Digitale Sprechstunde: the recurring schedule, its exceptions, booked slots and the same-day queue."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, enum_column, utcnow
from ..extensions import db

#: Topics one can ask about in the consultation hour.
CONSULTATION_TOPICS = {
    "open-source": _l("Open-Source-Werkzeuge"),
    "datenschutz": _l("Datenschutz"),
    "videokonferenz-chat": _l("Videokonferenzen und Team-Chat"),
    "sonstiges": _l("Etwas anderes"),
}


class ConsultationSchedule(db.Model):
    """The recurring consultation hour: an RRULE plus local start/end time (one current row)."""

    __tablename__ = "consultation_schedule"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    rrule: so.Mapped[str] = so.mapped_column(sa.String(300))
    starts_on: so.Mapped[date] = so.mapped_column(sa.Date)
    start_time: so.Mapped[time] = so.mapped_column(sa.Time)
    end_time: so.Mapped[time] = so.mapped_column(sa.Time)
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Europe/Berlin")
    slot_minutes: so.Mapped[int] = so.mapped_column(default=20)
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConsultationException(db.Model):
    """A date on which the consultation hour does not take place."""

    __tablename__ = "consultation_exception"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, unique=True)
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(200))


class ConsultationBooking(db.Model):
    """A booked 20-minute slot. ``slot_at`` is unique while active, NULL once cancelled."""

    __tablename__ = "consultation_booking"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    slot_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, unique=True)
    duration_minutes: so.Mapped[int] = so.mapped_column(default=20)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="SET NULL"))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    topic: so.Mapped[str] = so.mapped_column(sa.String(32))
    question: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    reminder_sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    club = so.relationship("Club")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def topic_label(self):
        return CONSULTATION_TOPICS.get(self.topic, self.topic)


class QueueStatus(enum.StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"
    DONE = "done"
    LEFT = "left"


#: A person holds at most one open place (waiting or admitted) per consultation day.
ACTIVE_QUEUE_STATUSES = sa.text("status IN ('waiting', 'admitted')")


class QueueEntry(db.Model):
    """A person waiting on the consultation day. Order: ``priority_at`` (slot time or arrival), then id.

    Each admitted person gets a meeting of their own (``room_id``: a staff room of app.meetings made for
    this consultation only), ended when the consultation is over.
    """

    __tablename__ = "consultation_queue_entry"
    __table_args__ = (
        sa.Index(
            "uq_consultation_queue_entry_active_user",
            "day",
            "user_id",
            unique=True,
            sqlite_where=ACTIVE_QUEUE_STATUSES,
            postgresql_where=ACTIVE_QUEUE_STATUSES,
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="SET NULL"))
    booking_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("consultation_booking.id", ondelete="SET NULL"))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    topic: so.Mapped[str] = so.mapped_column(sa.String(32))
    question: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[QueueStatus] = so.mapped_column(enum_column(QueueStatus), default=QueueStatus.WAITING, index=True)
    joined_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    priority_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    admitted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    room_id: so.Mapped[int | None] = so.mapped_column()  # app.meetings Room of this consultation, no FK

    club = so.relationship("Club")
    booking = so.relationship("ConsultationBooking")

    @property
    def topic_label(self):
        return CONSULTATION_TOPICS.get(self.topic, self.topic)
