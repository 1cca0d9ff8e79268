"""Content pages (guide chapters, knowledge articles, copyable templates) and their revisions.

A page carries only its *published* text; every save by staff (draft or
publish) and every load of shipped content is a :class:`ContentRevision`.
Public views read the page columns, so a draft can never leak into them.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.db import UTCDateTime, utcnow
from ..extensions import db

KINDS = ("chapter", "article", "template")


class ContentPage(db.Model):
    __tablename__ = "content_page"
    __table_args__ = (sa.UniqueConstraint("kind", "slug", name="uq_content_page_kind_slug"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    slug: so.Mapped[str] = so.mapped_column(sa.String(80))
    position: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # The published text (empty until first publication).
    title: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    summary: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    title_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    summary_en: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")
    body_en: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    is_published: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    published_number: so.Mapped[int | None] = so.mapped_column()
    #: True once staff saved anything: shipped content never overwrites it again.
    staff_edited: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: Hash of the shipped files last loaded into this page.
    source_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: "Stand" and sources of the published text (``[{label, url?, label_en?}]``, app.core.sources)
    reviewed_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    sources: so.Mapped[list | None] = so.mapped_column(sa.JSON)
    #: Knowledge articles: one of guide.services.ARTICLE_CATEGORIES (None: "Weitere Themen")
    category: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    #: Knowledge articles: related checklist item keys and workshop topics ({"checklist": [...], "workshops": [...]})
    related: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    revisions: so.Mapped[list[ContentRevision]] = so.relationship(
        back_populates="page",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ContentRevision.number",
    )

    def __repr__(self) -> str:
        return f"<ContentPage {self.kind}:{self.slug}>"

    @property
    def latest_revision(self) -> ContentRevision | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def draft(self) -> ContentRevision | None:
        """The newest revision if it is newer than the published one."""
        latest = self.latest_revision
        if latest is None or (self.published_number is not None and latest.number <= self.published_number):
            return None
        return latest


class ContentRevision(db.Model):
    __tablename__ = "content_revision"
    __table_args__ = (sa.UniqueConstraint("page_id", "number", name="uq_content_revision_page_id_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    page_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("content_page.id", ondelete="CASCADE"), index=True)
    number: so.Mapped[int] = so.mapped_column()
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    summary: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    title_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    summary_en: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")
    body_en: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    #: "shipped" (loaded from the repository) or "staff".
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default="staff", server_default="staff")
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: carried over from the page unless the revision sets them (shipped content does)
    reviewed_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    sources: so.Mapped[list | None] = so.mapped_column(sa.JSON)

    page: so.Mapped[ContentPage] = so.relationship(back_populates="revisions")
    author = so.relationship("User")

    FIELDS = ("title", "summary", "body", "title_en", "summary_en", "body_en")

    def as_text(self) -> str:
        """All fields as one text, for the diff between revisions."""
        parts = []
        for field in self.FIELDS:
            parts.append(f"### {field}")
            parts.extend((getattr(self, field) or "").splitlines())
            parts.append("")
        return "\n".join(parts)
