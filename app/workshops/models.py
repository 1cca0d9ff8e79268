from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, enum_column, utcnow
from ..extensions import db

#: Fixed list of workshop topics (key -> label).
TOPICS = {
    "social-media": _l("Social Media"),
    "online-sicherheit": _l("Online-Sicherheit"),
    "datenschutz": _l("Datenschutz"),
    "digitale-werkzeuge": _l("Digitale Werkzeuge"),
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

    registrations = so.relationship(
        "Registration",
        back_populates="workshop",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Registration.id",
    )

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


class RegistrationStatus(enum.StrEnum):
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
    status: so.Mapped[RegistrationStatus] = so.mapped_column(enum_column(RegistrationStatus), index=True)
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
