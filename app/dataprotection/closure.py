"""Closing a club: the board closes it, staff may restore it within the grace period, then it is deleted.

The deletion runs in steps, each recorded and retried until done: the other domains' clean-up outside
our database (declared with ``registry.declare_closure_step``, e.g. BigBlueButton, Mattermost), then
the club's own data ("data").
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ..clubs.models import ClubStatus, ClubStatusChange
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.signals import club_status_changed
from ..extensions import db
from . import registry
from .erasure import erase_club_data
from .models import ClubDeletion, ClubDeletionStep
from .retention import period
from .services import DataProtectionError, pseudonym

log = logging.getLogger(__name__)


def closure_step_names() -> list[str]:
    """The steps of a club's deletion: the other domains' clean-up (registry.declare_closure_step), then "data"."""
    return [*registry.CLOSURE_STEPS, "data"]


def active_closure(club) -> ClubDeletion | None:
    return db.session.scalar(
        sa.select(ClubDeletion).where(
            ClubDeletion.club_id == club.id, ClubDeletion.restored_at.is_(None), ClubDeletion.completed_at.is_(None)
        )
    )


def _status_change(club, new_status, by, reason=None):
    old = club.status
    club.status = new_status
    db.session.add(
        ClubStatusChange(
            club_id=club.id, old_status=old, new_status=new_status, reason=reason, changed_by_id=getattr(by, "id", None)
        )
    )
    return old


def request_closure(club, *, by) -> ClubDeletion:
    if club.status is ClubStatus.CLOSED or active_closure(club) is not None:
        raise DataProtectionError(_("Dieser Verein ist schon geschlossen."))
    grace = period("CLUB_DELETION_GRACE_DAYS")
    deletion = ClubDeletion(
        club_id=club.id,
        club_pseudonym=pseudonym("club", club.id),
        previous_status=club.status.value,
        requested_by_id=by.id,
        delete_after=utcnow() + timedelta(days=grace),
    )
    deletion.steps = [ClubDeletionStep(name=name, position=i) for i, name in enumerate(closure_step_names())]
    db.session.add(deletion)
    old = _status_change(club, ClubStatus.CLOSED, by, reason=_("Vom Vorstand geschlossen"))
    audit_record("club.closed", actor=by, club=club, grace_days=grace)
    db.session.commit()
    club_status_changed.send(club, old=old, new=ClubStatus.CLOSED)
    return deletion


def restore_closure(deletion: ClubDeletion, *, by) -> None:
    if deletion.restored_at is not None or deletion.completed_at is not None or deletion.club is None:
        raise DataProtectionError(_("Dieser Verein kann nicht mehr wiederhergestellt werden."))
    if any(step.status in ("done", "skipped") for step in deletion.steps):
        raise DataProtectionError(
            _("Die Löschung hat schon begonnen; der Verein kann nicht mehr wiederhergestellt werden.")
        )
    club = deletion.club
    new = ClubStatus(deletion.previous_status)
    old = _status_change(club, new, by, reason=_("Wiederhergestellt"))
    deletion.restored_at = utcnow()
    deletion.restored_by_id = by.id
    audit_record("club.restored", actor=by, club=club)
    db.session.commit()
    club_status_changed.send(club, old=old, new=new)


def due_closures() -> list[ClubDeletion]:
    return list(
        db.session.scalars(
            sa.select(ClubDeletion)
            .where(
                ClubDeletion.restored_at.is_(None),
                ClubDeletion.completed_at.is_(None),
                ClubDeletion.delete_after <= utcnow(),
            )
            .order_by(ClubDeletion.delete_after)
        )
    )


def closures() -> list[ClubDeletion]:
    return list(db.session.scalars(sa.select(ClubDeletion).order_by(ClubDeletion.requested_at.desc()).limit(200)))


def _external_step(name: str, club) -> tuple[str, str]:
    """Run another domain's clean-up of a closed club (e.g. BigBlueButton, Mattermost; see the registry)."""
    step = registry.CLOSURE_STEPS.get(name)
    if step is None:  # declared when the deletion was requested, gone since (the domain was removed)
        return "skipped", _("Entfällt.")
    result = step.run(club)
    return "done", str(result) if result not in (None, True) else _("erledigt")


def execute_deletion(deletion: ClubDeletion) -> bool:
    """Run the pending steps in order; stops at the first failure. True when everything is done."""
    if deletion.completed_at is not None:
        return True
    if deletion.restored_at is not None or deletion.delete_after > utcnow():
        return False
    for step in deletion.steps:
        if step.status in ("done", "skipped"):
            continue
        step.attempts += 1
        step.updated_at = utcnow()
        club = deletion.club
        try:
            if step.name == "data":
                if club is not None:
                    erase_club_data(club)
                status, result = "done", _("erledigt")
            elif club is None:
                status, result = "skipped", _("Verein nicht mehr vorhanden.")
            else:
                status, result = _external_step(step.name, club)
        except Exception as exc:  # noqa: BLE001 - recorded and retried
            db.session.rollback()
            step = db.session.get(ClubDeletionStep, step.id)
            step.attempts = (step.attempts or 0) + 1
            step.updated_at = utcnow()
            step.status = "failed"
            step.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            db.session.commit()
            log.warning("club deletion %s step %s failed: %s", deletion.id, step.name, exc)
            return False
        step.status, step.result, step.last_error = status, result, None
        step.done_at = utcnow()
        db.session.commit()
    deletion.completed_at = utcnow()
    audit_record("club.deleted", actor=None, club_pseudonym=deletion.club_pseudonym)
    db.session.commit()
    return True
