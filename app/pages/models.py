from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.db import UTCDateTime, utcnow
from ..extensions import db


class Page(db.Model):
    """An editable public text (Markdown). ``edited_by_staff`` protects it from content-sync."""

    __tablename__ = "page"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: The English version ("" = none: the English UI shows the German text with a note)
    title_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    body_en: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    edited_by_staff: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    updated_by = so.relationship("User")
