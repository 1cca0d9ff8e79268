"""The audit log: who did what, when, on which club (security-relevant actions only).

Every domain records through :func:`audit_record`; the entry joins the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .db import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """Who did what, when, on which club. Security-relevant actions only."""

    __tablename__ = "audit_entry"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="SET NULL"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    # By table name only: the core imports no domain (the models are registered by auth and clubs).
    actor = so.relationship("User", foreign_keys=[actor_id])
    club = so.relationship("Club", foreign_keys=[club_id])


def audit_record(action: str, *, actor=None, club=None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        club_id=getattr(club, "id", None),
        details=details,
    )
    db.session.add(entry)
    return entry
