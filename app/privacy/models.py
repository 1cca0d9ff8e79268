"""Datenschutz-Selbstcheck: versioned checklist content and per-club answers.

Content (``ChecklistVersion`` → ``ChecklistTopic`` / ``ChecklistItem``) is loaded
from ``checklist.yaml`` by ``flask privacy sync``/``publish``. Answers are keyed by
(club, item key), so they survive new content versions; ``Answer.item_hash`` holds
the hash of the item text the answer was given to – if the current item has a
different hash, the answer is "to be reviewed".
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import JSONB

from ..core.db import UTCDateTime, enum_column, utcnow
from ..core.i18n import current_language
from ..core.sources import localized_sources
from ..extensions import db


class Severity(enum.StrEnum):
    MUST = "must"
    SHOULD = "should"
    TIP = "tip"

    @property
    def label(self):
        return SEVERITY_LABELS[self]

    @property
    def rank(self) -> int:
        return {"must": 0, "should": 1, "tip": 2}[self.value]


SEVERITY_LABELS = {Severity.MUST: _l("Pflicht"), Severity.SHOULD: _l("Empfehlung"), Severity.TIP: _l("Tipp")}


class Status(enum.StrEnum):
    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    NA = "na"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.YES: _l("Ja"),
    Status.PARTIAL: _l("Teilweise"),
    Status.NO: _l("Nein"),
    Status.NA: _l("Nicht zutreffend"),
}


def _english() -> bool:
    """Whether texts are wanted in English (asked for every text of a checklist page: no string building)."""
    try:
        return current_language() == "en"
    except Exception:  # noqa: BLE001 - outside a request
        return False


class ChecklistVersion(db.Model):
    __tablename__ = "privacy_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[int] = so.mapped_column(unique=True)
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: Raised when staff change a published item in place (its "Stand" date after a review), so that the
    #: per-process content copies (services.content) load the version again.
    revision: so.Mapped[int] = so.mapped_column(default=0, server_default="0")


class ChecklistTopic(db.Model):
    __tablename__ = "privacy_topic"
    __table_args__ = (sa.UniqueConstraint("version_id", "key", name="uq_privacy_topic_version_key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("privacy_version.id", ondelete="CASCADE"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(40))
    position: so.Mapped[int] = so.mapped_column(default=0)
    title_de: so.Mapped[str] = so.mapped_column(sa.String(200))
    title_en: so.Mapped[str] = so.mapped_column(sa.String(200))

    @property
    def title(self) -> str:
        return self.title_en if _english() and self.title_en else self.title_de


class ChecklistItem(db.Model):
    __tablename__ = "privacy_item"
    __table_args__ = (sa.UniqueConstraint("version_id", "key", name="uq_privacy_item_version_key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("privacy_version.id", ondelete="CASCADE"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(60))
    topic_key: so.Mapped[str] = so.mapped_column(sa.String(40))
    position: so.Mapped[int] = so.mapped_column(default=0)
    severity: so.Mapped[Severity] = so.mapped_column(enum_column(Severity, length=8))
    question_de: so.Mapped[str] = so.mapped_column(sa.Text)
    question_en: so.Mapped[str] = so.mapped_column(sa.Text)
    why_de: so.Mapped[str] = so.mapped_column(sa.Text)
    why_en: so.Mapped[str] = so.mapped_column(sa.Text)
    legal_basis: so.Mapped[str] = so.mapped_column(sa.String(255))
    applies_if: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    chapters: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    sources: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: compared with the previous version: "new", "changed" or None
    change: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    #: what to do when the answer is not "Ja" ("Benennen Sie …"); versions before 0860 have none
    action_de: so.Mapped[str | None] = so.mapped_column(sa.Text)
    action_en: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: "Stand": when the item's legal content was last checked
    reviewed_on: so.Mapped[date | None] = so.mapped_column(sa.Date)

    @property
    def question(self) -> str:
        return self.question_en if _english() and self.question_en else self.question_de

    @property
    def action(self) -> str:
        return (self.action_en if _english() and self.action_en else self.action_de) or ""

    @property
    def source_links(self) -> list[dict]:
        """``[{label, url}]`` in the current language (``url`` may be None)."""
        return localized_sources(self.sources, _english())

    @property
    def why(self) -> str:
        return self.why_en if _english() and self.why_en else self.why_de

    @property
    def sev(self) -> Severity:
        return Severity(self.severity)

    @property
    def topic(self) -> str:
        return self.topic_key


class Assessment(db.Model):
    """One row per club: profile, settings and the cached score (kept current on every save)."""

    __tablename__ = "privacy_assessment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), unique=True)
    score: so.Mapped[int | None] = so.mapped_column()
    #: JSONB on PostgreSQL (migration 0926): the statistics read one key per topic from every row.
    topic_scores: so.Mapped[dict] = so.mapped_column(sa.JSON().with_variant(JSONB(), "postgresql"), default=dict)
    answered_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    applicable_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    profile: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    profile_done_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    members_may_answer: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    consultation_wanted: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    club = so.relationship("Club")


class Answer(db.Model):
    __tablename__ = "privacy_answer"
    __table_args__ = (sa.UniqueConstraint("club_id", "item_key", name="uq_privacy_answer_club_item"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    item_key: so.Mapped[str] = so.mapped_column(sa.String(60))
    status: so.Mapped[Status | None] = so.mapped_column(enum_column(Status, length=8))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    responsible_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    due_date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    item_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: optimistic locking: bumped on every save; a save must name the version it read
    version: so.Mapped[int] = so.mapped_column(default=1)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    responsible = so.relationship("User", foreign_keys=[responsible_id])
    updated_by = so.relationship("User", foreign_keys=[updated_by_id])

    @property
    def status_enum(self) -> Status | None:
        return Status(self.status) if self.status else None


class AnswerChange(db.Model):
    """History: who changed which field of an answer, when, old → new."""

    __tablename__ = "privacy_answer_change"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    item_key: so.Mapped[str] = so.mapped_column(sa.String(60))
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    user_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: {field: [old, new]} with display values (strings)
    changes: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    #: Who ``changes["responsible_id"]`` names, by id (export and account deletion find the names by these)
    old_responsible_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    new_responsible_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class ReminderSent(db.Model):
    """Remembers reminder mails so ``send-reminders`` never sends one twice."""

    __tablename__ = "privacy_reminder"
    __table_args__ = (sa.UniqueConstraint("club_id", "item_key", "due_date", "kind", name="uq_privacy_reminder_once"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    item_key: so.Mapped[str] = so.mapped_column(sa.String(60))
    due_date: so.Mapped[date] = so.mapped_column(sa.Date)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))  # "soon" | "overdue"
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    sent_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class EvidenceKind(enum.StrEnum):
    FILE = "file"
    NOTE = "note"


class ItemEvidence(db.Model):
    """Evidence the club adds to a checklist item: an uploaded file or a dated note.

    Files live outside the web root in ``EVIDENCE_DIR/<club id>/<storage_name>`` (app/privacy/evidence.py);
    ``storage_name`` is random, ``file_name`` is the uploader's name, sanitised, used only as the download
    name. Generated documents (e.g. the toolkit's record of processing) are evidence through the core's
    provider hook (app/core/evidence.py) and need no row here.
    """

    __tablename__ = "privacy_evidence"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    item_key: so.Mapped[str] = so.mapped_column(sa.String(60))
    kind: so.Mapped[EvidenceKind] = so.mapped_column(enum_column(EvidenceKind, length=8))
    #: a note's text (plain text)
    text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: the date a note is about (when it was checked, signed …)
    noted_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    file_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    storage_name: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    content_type: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    size: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    author_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")

    @property
    def is_file(self) -> bool:
        return self.kind == EvidenceKind.FILE
