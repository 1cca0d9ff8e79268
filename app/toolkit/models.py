"""The board's data-protection toolkit: data-subject requests (Art. 15–22) and the breach log (Art. 33/34)."""

from __future__ import annotations

import calendar
import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, enum_column, utcnow
from ..extensions import db

#: Art. 12(3): one month, extendable by two further months.
MAX_EXTENSION_MONTHS = 2
#: Art. 33(1): notify the authority within 72 hours of becoming aware of the breach.
BREACH_CLOCK_HOURS = 72


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb).

    This is how a period "in months" ends under Art. 3(2)(c) of Regulation (EEC, Euratom) No 1182/71.
    """
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


class RequestKind(enum.StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    PORTABILITY = "portability"
    OBJECTION = "objection"

    @property
    def label(self):
        return REQUEST_KINDS[self][0]

    @property
    def article(self) -> str:
        return REQUEST_KINDS[self][1]


REQUEST_KINDS = {
    RequestKind.ACCESS: (_l("Auskunft"), "Art. 15"),
    RequestKind.RECTIFICATION: (_l("Berichtigung"), "Art. 16"),
    RequestKind.ERASURE: (_l("Löschung"), "Art. 17"),
    RequestKind.RESTRICTION: (_l("Einschränkung der Verarbeitung"), "Art. 18"),
    RequestKind.PORTABILITY: (_l("Datenübertragbarkeit"), "Art. 20"),
    RequestKind.OBJECTION: (_l("Widerspruch"), "Art. 21"),
}


class Channel(enum.StrEnum):
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"
    PHONE = "phone"
    OTHER = "other"

    @property
    def label(self):
        return CHANNELS[self]


CHANNELS = {
    Channel.EMAIL: _l("E-Mail"),
    Channel.LETTER: _l("Brief"),
    Channel.IN_PERSON: _l("persönlich"),
    Channel.PHONE: _l("Telefon"),
    Channel.OTHER: _l("anders"),
}


class SubjectRequest(db.Model):
    """A request of a data subject, logged by the board. The note keeps the requester's data minimal."""

    __tablename__ = "toolkit_request"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[RequestKind] = so.mapped_column(enum_column(RequestKind))
    received_on: so.Mapped[date] = so.mapped_column(sa.Date)
    channel: so.Mapped[Channel] = so.mapped_column(enum_column(Channel))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    due_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    extended_months: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    extension_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    closed_on: so.Mapped[date | None] = so.mapped_column(sa.Date, index=True)
    outcome: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # reminders: the deadline the last reminder was for, and its stage (1 = first reminder, 2 = second)
    reminded_for: so.Mapped[date | None] = so.mapped_column(sa.Date)
    reminded_stage: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    closed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    club = so.relationship("Club")

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def first_due_on(self) -> date:
        return add_months(self.received_on, 1)

    @property
    def may_extend_by(self) -> int:
        return MAX_EXTENSION_MONTHS - self.extended_months


class Risk(enum.StrEnum):
    """The board's answer to the guided risk questions."""

    NO = "no"
    UNSURE = "unsure"
    YES = "yes"


class Breach(db.Model):
    """A personal-data breach (Art. 33(5): every breach is documented, also those not notified)."""

    __tablename__ = "toolkit_breach"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    discovered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    facts: so.Mapped[str] = so.mapped_column(sa.Text)
    data_kinds: so.Mapped[str] = so.mapped_column(sa.Text)
    affected_count: so.Mapped[int] = so.mapped_column()
    sensitive: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    risk: so.Mapped[Risk] = so.mapped_column(enum_column(Risk))
    high_risk: so.Mapped[Risk] = so.mapped_column(enum_column(Risk))
    effects: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    remedies: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    authority_notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    people_notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    not_notified_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    reminded_stage: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    club = so.relationship("Club")

    @property
    def deadline(self) -> datetime:
        return self.discovered_at + timedelta(hours=BREACH_CLOCK_HOURS)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def recommend_authority(self) -> bool:
        """Notify the authority unless a risk is unlikely (Art. 33(1)); when unsure, notify."""
        return self.risk is not Risk.NO or self.sensitive

    @property
    def recommend_people(self) -> bool:
        """Inform the people affected when a high risk is likely (Art. 34(1)); when unsure, inform them."""
        return self.high_risk is not Risk.NO or (self.sensitive and self.risk is not Risk.NO)

    @property
    def clock_running(self) -> bool:
        return self.is_open and self.recommend_authority and self.authority_notified_at is None


class RecordVersion(db.Model):
    """One saved version of the club's record of processing activities (Art. 30 DSGVO).

    ``content`` holds the controller's details and the activities as the board saved them; ``profile`` the
    self-check profile flags at that moment, so a later profile change shows "bitte prüfen".
    """

    __tablename__ = "toolkit_record_version"
    __table_args__ = (sa.UniqueConstraint("club_id", "number", name="uq_toolkit_record_version_club_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    number: so.Mapped[int] = so.mapped_column()
    content: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    profile: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    author_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class ToolkitSettings(db.Model):
    """Per club: whether members (not only the board) may read the record of processing activities."""

    __tablename__ = "toolkit_settings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), unique=True)
    record_shared: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())


class NoticeKind(enum.StrEnum):
    """Privacy notices (Art. 13/14 DSGVO) the toolkit generates from the record."""

    MEMBERSHIP = "mitgliedsantrag"
    WEBSITE = "website"

    @property
    def label(self):
        return NOTICE_KINDS[self]


NOTICE_KINDS = {
    NoticeKind.MEMBERSHIP: _l("Datenschutzhinweise zum Mitgliedsantrag"),
    NoticeKind.WEBSITE: _l("Datenschutzerklärung für die Website"),
}


class NoticeVersion(db.Model):
    """A privacy notice as the board edited and saved it, generated from a version of the record."""

    __tablename__ = "toolkit_notice"
    __table_args__ = (sa.UniqueConstraint("club_id", "kind", "number", name="uq_toolkit_notice_club_kind_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[NoticeKind] = so.mapped_column(enum_column(NoticeKind))
    number: so.Mapped[int] = so.mapped_column()
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    record_number: so.Mapped[int | None] = so.mapped_column()
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    author_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
