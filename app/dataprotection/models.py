"""Data exports and club closures (with their deletion steps)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.db import UTCDateTime, enum_column, utcnow
from ..extensions import db


class ExportStatus(enum.StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class StepStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class DataExport(db.Model):
    """A personal data export (Art. 15/20 DSGVO); the ZIP lives in DATA_EXPORT_DIR."""

    __tablename__ = "data_export"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: so.Mapped[ExportStatus] = so.mapped_column(enum_column(ExportStatus), default=ExportStatus.PENDING)
    filename: so.Mapped[str] = so.mapped_column(sa.String(80))
    size: so.Mapped[int | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    ready_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class ClubDeletion(db.Model):
    """A club closure: grace period, then deletion step by step (retried until done)."""

    __tablename__ = "club_deletion"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="SET NULL"), index=True)
    club_pseudonym: so.Mapped[str] = so.mapped_column(sa.String(32))
    previous_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    requested_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    delete_after: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    restored_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    restored_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    completed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    club = so.relationship("Club")
    requested_by = so.relationship("User", foreign_keys=[requested_by_id])
    restored_by = so.relationship("User", foreign_keys=[restored_by_id])
    steps = so.relationship(
        "ClubDeletionStep",
        back_populates="deletion",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ClubDeletionStep.position",
    )

    @property
    def state(self) -> str:
        if self.restored_at is not None:
            return "restored"
        if self.completed_at is not None:
            return "deleted"
        if any(step.status == "failed" for step in self.steps):
            return "failed"
        if self.delete_after <= utcnow():
            return "due"
        return "grace"

    @property
    def started(self) -> bool:
        return any(step.attempts for step in self.steps)


class ClubDeletionStep(db.Model):
    __tablename__ = "club_deletion_step"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    deletion_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club_deletion.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(32))
    position: so.Mapped[int] = so.mapped_column()
    status: so.Mapped[StepStatus] = so.mapped_column(enum_column(StepStatus), default=StepStatus.PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    result: so.Mapped[str | None] = so.mapped_column(sa.Text)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    done_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    deletion = so.relationship("ClubDeletion", back_populates="steps")
