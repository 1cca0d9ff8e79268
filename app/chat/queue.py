"""The sync queue: every change that must reach Mattermost is a :class:`ChatOp` row carried out by a job.

Ops describe a *desired state* ("user 12 is in club 3's channel iff they are a member"), so running one
twice or late does no harm. Transient failures (server unreachable, 5xx, 429) are retried with backoff –
honouring Retry-After – for up to a day; afterwards the op is ``failed`` and shown to the board (panel)
and to staff (/admin/chat). Each kind of op has a handler, registered with :func:`handles` by the module
that owns it (``provisioning.py``, ``notices.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.jobs import JobQueueUnavailable
from ..extensions import db
from ..integrations.mattermost import MattermostError
from .models import ChatOp
from .services import OPEN, mm_client, open_ops

log = logging.getLogger(__name__)

MEMBER_OP_LIFETIME = timedelta(days=1)
NOTICE_LIFETIME = timedelta(hours=1)
BACKOFF_CAP = 3600  # seconds

#: op kind -> handler(op, client); filled by :func:`handles`
HANDLERS: dict[str, Callable] = {}


def handles(kind: str):
    """Register the function that carries out ops of ``kind``."""

    def register(fn):
        HANDLERS[kind] = fn
        return fn

    return register


def op_lease() -> timedelta:
    """How long one attempt may take before it counts as crashed (its worker killed) and may run again."""
    return timedelta(seconds=int(current_app.config.get("CHAT_OP_LEASE_SECONDS") or 600))


def enqueue(club, kind: str, key: str, payload: dict, *, lifetime: timedelta = MEMBER_OP_LIFETIME) -> ChatOp:
    op = add_op(club, kind, key, payload, lifetime=lifetime)
    db.session.commit()
    schedule(op.id)
    return op


def add_op(club, kind: str, key: str, payload: dict, *, lifetime: timedelta = MEMBER_OP_LIFETIME) -> ChatOp:
    """The op for ``key`` in the current transaction, not committed or scheduled (:func:`enqueue` does both;
    a caller inside another transaction, like the account erasure, leaves that to the sweep or a receiver).
    An open op for the key is reused: its payload gains the new values, it is due now."""
    now = utcnow()
    op = db.session.scalar(sa.select(ChatOp).where(ChatOp.key == key, ChatOp.status.in_(OPEN)))
    if op is None:
        op = ChatOp(
            club_id=club.id if club is not None else None,  # None: the community channel (community.py)
            kind=kind,
            key=key,
            payload=payload,
            status="pending",
            attempts=0,
            next_try_at=now,
            give_up_at=now + lifetime,
            created_at=now,
        )
        db.session.add(op)
    else:
        op.payload = {**payload, **{k: v for k, v in (op.payload or {}).items() if v and not payload.get(k)}}
        op.status, op.next_try_at, op.give_up_at = "pending", now, max(op.give_up_at, now + lifetime)
    return op


def schedule(op_id: int, eta: datetime | None = None) -> None:
    """Queue a job for a committed op. When the queue is down, the op waits in ``chat_op`` for the sweep."""
    from .tasks import run_op  # tasks imports this module: the job is looked up when an op is queued

    try:
        if eta is None:
            run_op(op_id)
        else:
            run_op.schedule((op_id,), eta=eta)
    except JobQueueUnavailable:
        log.warning("chat op %s not queued (queue unavailable); the periodic sweep picks it up", op_id)


def backoff(attempts: int) -> int:
    return min(BACKOFF_CAP, 30 * 2 ** max(0, attempts - 1))


def execute_op(op_id: int, now: datetime | None = None) -> str | None:
    """Carry out one op now. Returns its new status (None when nothing was to do)."""
    now = now or utcnow()
    op = db.session.get(ChatOp, op_id)
    if op is None or op.status != "pending" or op.next_try_at > now + timedelta(seconds=5):
        return None
    client = mm_client(max_wait=2.0)
    if client is None:
        op.status, op.last_error = "failed", _("Kein Chat-Server eingerichtet (MATTERMOST_URL/TOKEN).")
        db.session.commit()
        return op.status
    if op.kind == "notice" and now > op.give_up_at:
        op.status, op.last_error = "failed", _("Hinweis verfallen: zu spät, um noch nützlich zu sein.")
        db.session.commit()
        return op.status
    # Claim this attempt atomically: a scheduled run and the periodic sweep may race for the same op, and
    # only one of them may carry it out. A worker killed mid-way leaves the op claimed until the lease
    # (CHAT_OP_LEASE_SECONDS) has passed; then it is due again and the periodic sweep (or "Jetzt erneut
    # versuchen") finishes it, skipping what the killed attempt recorded as done.
    claimed = db.session.execute(
        sa.update(ChatOp)
        .where(ChatOp.id == op.id, ChatOp.status == "pending", ChatOp.attempts == op.attempts)
        .values(attempts=ChatOp.attempts + 1, next_try_at=utcnow() + op_lease())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return None  # another worker has it
    db.session.refresh(op)
    try:
        HANDLERS[op.kind](op, client)
    except MattermostError as exc:
        db.session.rollback()
        op = db.session.get(ChatOp, op_id)
        op.last_error = str(exc)[:500]
        if exc.transient and now < op.give_up_at:
            wait = (
                max(1, int(exc.retry_after + 0.999))
                if exc.status == 429 and exc.retry_after is not None
                else backoff(op.attempts)
            )
            op.next_try_at = now + timedelta(seconds=wait)
            db.session.commit()
            schedule(op.id, eta=op.next_try_at)
        else:
            op.status = "failed"
            db.session.commit()
            log.warning("chat op %s (%s) failed: %s", op.id, op.kind, exc)
        return op.status
    except Exception as exc:  # a bug must not lose the op silently
        db.session.rollback()
        log.exception("chat op %s crashed", op_id)
        op = db.session.get(ChatOp, op_id)
        op.status, op.last_error = "failed", f"{exc.__class__.__name__}: {exc}"[:500]
        db.session.commit()
        return op.status
    op.status, op.done_at, op.last_error = "done", utcnow(), None
    db.session.commit()
    return op.status


def process_due(now: datetime | None = None, limit: int = 200) -> dict:
    """Run every pending op whose next try is due (``flask chat retry``, periodic job, tests)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            sa.select(ChatOp.id)
            .where(ChatOp.status == "pending", ChatOp.next_try_at <= now)
            .order_by(ChatOp.id)
            .limit(limit)
        )
    )
    result = {"done": 0, "pending": 0, "failed": 0}
    for op_id in ids:
        status = execute_op(op_id, now=now)
        if status in result:
            result[status] += 1
    return result


def retry_now(club=None, *, by=None) -> int:
    """Make open ops (also failed ones) due now and run them."""
    now = utcnow()
    ops = open_ops(club)
    for op in ops:
        op.status, op.next_try_at = "pending", now
        op.give_up_at = max(op.give_up_at, now + (NOTICE_LIFETIME if op.kind == "notice" else MEMBER_OP_LIFETIME))
    if ops:
        audit_record("chat.retry", actor=by, club=club, count=len(ops))
    db.session.commit()
    for op_id in [op.id for op in ops]:
        schedule(op_id)
    return len(ops)
