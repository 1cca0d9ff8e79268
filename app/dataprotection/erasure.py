"""Erasure: a person (account deletion, unconfirmed accounts) or a closed club, model by model (registry)."""

from __future__ import annotations

import sqlalchemy as sa

from ..clubs.models import Club, Membership
from ..core.audit import AuditEntry, audit_record
from ..core.signals import membership_changed
from ..extensions import db
from . import registry
from .services import pseudonym


def _null_columns(model, cols, ident) -> None:
    for col in cols:
        if not col.nullable:
            raise RuntimeError(f"{model.__tablename__}.{col.name} must be nullable to keep rows without the owner")
        db.session.execute(
            sa.update(model).where(col == ident).values({col.key: None}).execution_options(synchronize_session=False)
        )


def erase_user(user, *, reason: str = "request") -> str:
    """Delete the person: own data deleted, club content kept anonymously, audit pseudonymised.

    The caller checks the last-board-member rule first. Returns the pseudonym.
    """
    user_model = type(user)
    uid = user.id
    pid = pseudonym("user", uid)
    left = [(m.club_id, m.role) for m in db.session.scalars(sa.select(Membership).where(Membership.user_id == uid))]
    for model, policy in reversed(registry.declared()):  # dependants first
        action = policy.on_user_delete
        if action == "self":
            continue
        if callable(action):
            action(user, pid)
        elif action == "delete":
            clause = registry.user_clause(model, policy, user)
            if clause is not None:
                db.session.execute(sa.delete(model).where(clause).execution_options(synchronize_session=False))
        else:  # pseudonymise / keep-with-club: the content stays, the reference goes
            _null_columns(model, registry.user_columns(model), uid)
    audit_record("account.deleted", actor=None, pseudonym=pid, reason=reason)
    db.session.execute(sa.delete(user_model).where(user_model.id == uid).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()
    for club_id, _role in left:
        club = db.session.get(Club, club_id)
        if club is not None:
            membership_changed.send(club, user_id=uid, role=None)
    return pid


REMOVED = "[entfernt]"


def _scrub(value, *, uid: int, pid: str):
    """One audit entry that references the person by id: their id becomes the pseudonym, e-mail addresses go.

    Only called for entries selected by :func:`audit_clause`. An address in such an entry is the
    person's own (old/new address, an invitation to them) or one they typed themselves; names are
    never searched for (the entry may be about others, too).
    """
    if isinstance(value, dict):
        return {
            k: (pid if k in registry.AUDIT_USER_KEYS and v == uid else _scrub(v, uid=uid, pid=pid))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v, uid=uid, pid=pid) for v in value]
    if isinstance(value, str) and "@" in value:
        return REMOVED
    return value


def audit_clause(model, user):
    """Audit entries by the person (actor id) or about them (their id under a key of ``AUDIT_USER_KEYS``).

    Matched by id only: never by name or e-mail address in the details (an account named ``___`` or
    ``Anna`` would otherwise match other people's entries).
    """
    uid = str(user.id)
    return sa.or_(
        model.actor_id == user.id, *(model.details[key].as_string() == uid for key in registry.AUDIT_USER_KEYS)
    )


def audit_club_clause(model, club):
    """A club's audit log, without the entries only platform staff see (e.g. staff notes)."""
    clause = model.club_id == club.id
    if registry.STAFF_ONLY_AUDIT_ACTIONS:
        clause = sa.and_(clause, model.action.not_in(sorted(registry.STAFF_ONLY_AUDIT_ACTIONS)))
    return clause


def pseudonymise_audit_for_user(user, pid: str) -> None:
    """Audit entries keep what happened and when, but neither id nor e-mail (actor_id NULL + pseudonym)."""
    for entry in db.session.scalars(sa.select(AuditEntry).where(audit_clause(AuditEntry, user))):
        details = _scrub(dict(entry.details or {}), uid=user.id, pid=pid)
        if entry.actor_id == user.id:
            details["actor"] = pid
            entry.actor_id = None
        entry.details = details
    db.session.flush()


def pseudonymise_audit_for_club(club, pid: str) -> None:
    """After a club is deleted its audit entries keep action and time only."""
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.club_id == club.id)):
        entry.details = {"club": pid}
        entry.club_id = None
    db.session.flush()


def erase_club_data(club) -> str:
    cid = club.id
    pid = pseudonym("club", cid)
    for model, policy in reversed(registry.declared()):
        action = policy.on_club_delete
        if action == "self":
            continue
        if callable(action):
            action(club, pid)
        elif action == "delete":
            clause = registry.club_clause(model, policy, club)
            if clause is not None:
                db.session.execute(sa.delete(model).where(clause).execution_options(synchronize_session=False))
        else:
            _null_columns(model, registry.club_columns(model), cid)
    club_model = type(club)
    db.session.execute(sa.delete(club_model).where(club_model.id == cid).execution_options(synchronize_session=False))
    return pid
