from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

#: Fixed list of workshop topics (key -> label).
TOPICS = {
    "social-media": _l("Social Media"),
    "online-sicherheit": _l("Online-Sicherheit"),
    "datenschutz": _l("Datenschutz"),
    "digitale-werkzeuge": _l("Digitale Werkzeuge"),
}

#: Topics one can ask about in the consultation hour.
CONSULTATION_TOPICS = {
    "open-source": _l("Open-Source-Werkzeuge"),
    "datenschutz": _l("Datenschutz"),
    "videokonferenz-chat": _l("Videokonferenzen und Team-Chat"),
    "sonstiges": _l("Etwas anderes"),
}


class Workshop(db.Model):
    __tablename__ = "workshop"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    topic: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    duration_minutes: so.Mapped[int] = so.mapped_column(default=90)
    online: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    address: so.Mapped[str | None] = so.mapped_column(sa.Text)
    capacity: so.Mapped[int] = so.mapped_column(default=20)
    registration_deadline: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    materials_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    materials_sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    participants_purged_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: Number of confirmed participants, kept when the personal data is deleted.
    participant_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    #: Bumped on every registration change: the write that serialises registrations on SQLite.
    version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    room_id: so.Mapped[int | None] = so.mapped_column()  # app.meetings Room (staff room), no FK across domains
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    registrations = so.relationship("Registration", back_populates="workshop", cascade="all, delete-orphan",
                                    passive_deletes=True, order_by="Registration.id")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def topic_label(self):
        return TOPICS.get(self.topic, self.topic)

    def registration_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.cancelled_at is None and now <= self.registration_deadline and now < self.starts_at

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or utcnow())


class RegistrationStatus:
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Registration(db.Model):
    __tablename__ = "workshop_registration"
    __table_args__ = (sa.UniqueConstraint("workshop_id", "user_id", name="uq_workshop_registration_workshop_user"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    workshop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="SET NULL"))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: When the person got (or re-got) their place in line: the waiting list order.
    queued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    reminder_sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    workshop = so.relationship("Workshop", back_populates="registrations")
    club = so.relationship("Club")
    user = so.relationship("User")

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED


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


class QueueStatus:
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
        sa.Index("uq_consultation_queue_entry_active_user", "day", "user_id", unique=True,
                 sqlite_where=ACTIVE_QUEUE_STATUSES, postgresql_where=ACTIVE_QUEUE_STATUSES),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="SET NULL"))
    booking_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("consultation_booking.id", ondelete="SET NULL"))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    topic: so.Mapped[str] = so.mapped_column(sa.String(32))
    question: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=QueueStatus.WAITING, index=True)
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
