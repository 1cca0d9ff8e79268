from __future__ import annotations

import enum
import secrets
import unicodedata
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, enum_column, utcnow
from ..core.pagecache import access_scope, club_scope
from ..extensions import db


class ClubStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # closed by the board; deleted after the grace period (app.dataprotection)

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ClubStatus.PENDING: _l("wird geprüft"),
    ClubStatus.APPROVED: _l("freigeschaltet"),
    ClubStatus.REJECTED: _l("abgelehnt"),
    ClubStatus.SUSPENDED: _l("gesperrt"),
    ClubStatus.CLOSED: _l("geschlossen"),
}


class Role(enum.StrEnum):
    MEMBER = "member"
    BOARD = "board"

    @property
    def label(self):
        return ROLE_LABELS[self]

    @property
    def rank(self) -> int:
        return 2 if self is Role.BOARD else 1


ROLE_LABELS = {Role.MEMBER: _l("Mitglied"), Role.BOARD: _l("Vorstand")}

LEGAL_FORMS = {
    "ev": _l("eingetragener Verein (e. V.)"),
    "nev": _l("nicht eingetragener Verein"),
    "ggmbh": _l("gemeinnützige GmbH (gGmbH)"),
    "stiftung": _l("Stiftung"),
    "eg": _l("Genossenschaft (eG)"),
    "initiative": _l("Initiative ohne Rechtsform"),
}

DISTRICTS = (
    "Charlottenburg-Wilmersdorf",
    "Friedrichshain-Kreuzberg",
    "Lichtenberg",
    "Marzahn-Hellersdorf",
    "Mitte",
    "Neukölln",
    "Pankow",
    "Reinickendorf",
    "Spandau",
    "Steglitz-Zehlendorf",
    "Tempelhof-Schöneberg",
    "Treptow-Köpenick",
)


#: Room for the comparison key of a 120-character name (compatibility forms such as ligatures expand).
NAME_KEY_LENGTH = 480


def club_name_key(name: str) -> str:
    """The form of a club name that must be unique: case, accents and spacing do not count.

    "Ímkerverein  Pankow", "imkerverein pankow" and "IMKERVEREIN PANKOW" share one key;
    compatibility forms (full-width letters, ligatures) fold to their plain letters.
    """
    text = unicodedata.normalize("NFKD", (name or "").casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class Club(db.Model):
    __tablename__ = "club"

    def __revision_scopes__(self) -> tuple[str, ...]:
        """A change to the club renews its own pages (core/pagecache.py), not every club's, and the kept copies
        of who may enter it (``access``)."""
        return (club_scope(self.id), access_scope(self.id))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: ``club_name_key(name)``, kept in step by :meth:`_sync_name_key`; unique, so two clubs never share a name.
    name_key: so.Mapped[str] = so.mapped_column(sa.String(NAME_KEY_LENGTH), unique=True)
    legal_form: so.Mapped[str] = so.mapped_column(sa.String(16))
    district: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    website: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    status: so.Mapped[ClubStatus] = so.mapped_column(enum_column(ClubStatus), default=ClubStatus.PENDING, index=True)
    status_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    approved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The board put the workspace's "Erste Schritte" box away (for the whole club).
    first_steps_dismissed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: "2FA für den Vorstand verpflichtend": board members without two-factor login get the enrolment page
    #: before any board action (checked by the tenant loader, core/tenancy.py).
    board_two_factor_required: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    memberships = so.relationship(
        "Membership", back_populates="club", cascade="all, delete-orphan", passive_deletes=True
    )
    created_by = so.relationship("User", foreign_keys=[created_by_id])
    status_changes = so.relationship(
        "ClubStatusChange",
        back_populates="club",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ClubStatusChange.created_at",
    )

    def __repr__(self) -> str:
        return f"<Club {self.slug} {self.status.value}>"

    @so.validates("name")
    def _sync_name_key(self, _key, value):
        self.name_key = club_name_key(value)
        return value

    @property
    def is_active(self) -> bool:
        """Only an approved club works: changes, invitations, mail. Suspended clubs are read-only."""
        return self.status is ClubStatus.APPROVED

    @property
    def is_suspended(self) -> bool:
        return self.status is ClubStatus.SUSPENDED

    @property
    def is_pending(self) -> bool:
        """Registered, waiting for approval: the board may prepare (profile, self-check), nothing else."""
        return self.status is ClubStatus.PENDING

    @property
    def is_readable(self) -> bool:
        """The workspace can be read (approved, or suspended: read and export only)."""
        return self.status in (ClubStatus.APPROVED, ClubStatus.SUSPENDED)

    @property
    def legal_form_label(self):
        return LEGAL_FORMS.get(self.legal_form, self.legal_form)


class ClubStatusChange(db.Model):
    __tablename__ = "club_status_change"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    old_status: so.Mapped[ClubStatus | None] = so.mapped_column(enum_column(ClubStatus))
    new_status: so.Mapped[ClubStatus] = so.mapped_column(enum_column(ClubStatus))
    reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    changed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    club = so.relationship("Club", back_populates="status_changes")
    changed_by = so.relationship("User")


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("club_id", "user_id", name="uq_membership_club_user"),)

    def __revision_scopes__(self) -> tuple[str, ...]:
        """The club's pages and the kept copies of who may enter it (core/pagecache.py)."""
        return (club_scope(self.club_id), access_scope(self.club_id))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role), default=Role.MEMBER)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    club = so.relationship("Club", back_populates="memberships")
    # The backref gives User.memberships: accounts know nothing of clubs, clubs build on accounts.
    user = so.relationship(
        "User", backref=so.backref("memberships", cascade="all, delete-orphan", passive_deletes=True)
    )

    @property
    def is_board(self) -> bool:
        return self.role is Role.BOARD


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(db.Model):
    """An invitation by e-mail (``email`` set, single use) or a shareable link."""

    __tablename__ = "invitation"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_token)
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role), default=Role.MEMBER)
    multi_use: so.Mapped[bool] = so.mapped_column(default=False)
    use_count: so.Mapped[int] = so.mapped_column(default=0)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    club = so.relationship("Club")
    created_by = so.relationship("User")

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None or self.expires_at <= utcnow():
            return False
        return self.multi_use or self.use_count == 0

    @property
    def state_label(self):
        if self.revoked_at is not None:
            return _l("widerrufen")
        if self.expires_at <= utcnow():
            return _l("abgelaufen")
        if not self.multi_use and self.use_count:
            return _l("angenommen")
        return _l("offen")
