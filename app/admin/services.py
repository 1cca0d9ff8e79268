"""Writes of the staff area: internal notes, and the audit entries of what staff looked at or exported."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..core.audit import AuditEntry, audit_record
from ..core.db import utcnow
from ..extensions import db
from .models import StaffNote


def add_note(club, body: str, *, by) -> StaffNote:
    note = StaffNote(club_id=club.id, author_id=by.id, body=body.strip())
    db.session.add(note)
    db.session.flush()
    audit_record("admin.note_added", actor=by, club=club, note_id=note.id)
    db.session.commit()
    return note


def delete_note(club, note: StaffNote, *, by) -> None:
    audit_record("admin.note_deleted", actor=by, club=club, note_id=note.id)
    db.session.delete(note)
    db.session.commit()


def record_answers_viewed(club, *, by) -> None:
    """Staff read a club's shared checklist answers: the club sees that in its audit log."""
    audit_record("admin.answers_viewed", actor=by, club=club)
    db.session.commit()


def record_statistics_export(*, by) -> None:
    audit_record("admin.statistics_exported", actor=by)
    db.session.commit()


def prune_audit(days: int) -> int:
    """``flask audit prune``: delete entries older than ``days``, and record that it happened."""
    cutoff = utcnow() - timedelta(days=days)
    deleted = db.session.execute(sa.delete(AuditEntry).where(AuditEntry.created_at < cutoff)).rowcount or 0
    audit_record("audit.pruned", retention_days=days, deleted=deleted)
    db.session.commit()
    return deleted
