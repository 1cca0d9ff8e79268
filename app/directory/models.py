"""The club directory: a club's opt-in listing, the staff-managed topics and contact messages in transit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

#: Longest short description of a listing, and longest message through the contact form (characters).
SUMMARY_MAX = 500
MESSAGE_MAX = 2000


class DirectoryTopic(db.Model):
    """One topic of the fixed list (Sport, Kultur, …), managed by staff. ``active`` hides it from new choices."""

    __tablename__ = "directory_topic"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name_de: so.Mapped[str] = so.mapped_column(sa.String(60))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(60))
    position: so.Mapped[int] = so.mapped_column(default=0)
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())

    def name(self, locale: str | None) -> str:
        return self.name_en if (locale or "").startswith("en") and self.name_en else self.name_de


class DirectoryListing(db.Model):
    """A club's entry. Off by default: a row exists once the board saved it; public only while ``listed``."""

    __tablename__ = "directory_listing"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), unique=True)
    listed: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false(), index=True)
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    show_website: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    listed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    club = so.relationship("Club")
    topics = so.relationship(
        "DirectoryTopic",
        secondary="directory_listing_topic",
        primaryjoin="DirectoryListing.club_id == DirectoryListingTopic.club_id",
        secondaryjoin="DirectoryTopic.id == DirectoryListingTopic.topic_id",
        order_by="DirectoryTopic.position",
        viewonly=True,
    )


class DirectoryListingTopic(db.Model):
    """The topics a club chose (by club, so export and deletion find them by the club's id)."""

    __tablename__ = "directory_listing_topic"

    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), primary_key=True)
    topic_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("directory_topic.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ContactMessage(db.Model):
    """A message through "Kontakt aufnehmen", kept only until the job has mailed it to the club."""

    __tablename__ = "directory_contact"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    sender_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    sender_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
