"""The services catalogue ("Angebote"): one row per tool the platform offers, managed by staff."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

#: How a service's live status is found: not at all, the BBB or Mattermost client of the platform, or a URL.
STATUS_KINDS = {
    "none": _l("keine Statusprüfung"),
    "bbb": _l("BigBlueButton der Plattform"),
    "mattermost": _l("Mattermost der Plattform"),
    "url": _l("Adresse abfragen (HTTP-Status)"),
}


class Offer(db.Model):
    __tablename__ = "offer"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    position: so.Mapped[int] = so.mapped_column(default=100)
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    name_de: so.Mapped[str] = so.mapped_column(sa.String(120))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    purpose_de: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    purpose_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    audience_de: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    audience_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    access_de: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    access_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    guide_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    status_kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="none")
    status_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def text(self, field: str, locale: str | None) -> str:
        """``field`` ("name", "purpose", …) in the viewer's language; German when no English text exists."""
        english = getattr(self, f"{field}_en") if (locale or "").startswith("en") else ""
        return english or getattr(self, f"{field}_de")
