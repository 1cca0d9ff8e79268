"""The database enforces foreign keys and their ON DELETE rules, on SQLite (tuned) as on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.clubs.models import Club, Membership, Role
from app.extensions import db


def test_sqlite_runs_as_in_production(app):
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert conn.dialect.name == "postgresql"


def test_database_cascades_a_deleted_club(app, roles):
    from app.clubs.models import ClubStatusChange
    from app.core.audit import AuditEntry

    club_id = roles.other_club.id
    assert db.session.scalar(sa.select(sa.func.count()).where(Membership.club_id == club_id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(ClubStatusChange.club_id == club_id)) >= 1
    audited = db.session.scalars(sa.select(AuditEntry.id).where(AuditEntry.club_id == club_id)).all()
    db.session.remove()
    with db.engine.begin() as conn:  # plain SQL: no ORM emulation of ON DELETE
        conn.execute(sa.delete(Club.__table__).where(Club.__table__.c.id == club_id))
    assert db.session.scalar(sa.select(sa.func.count()).where(Membership.club_id == club_id)) == 0  # CASCADE
    assert db.session.scalar(sa.select(sa.func.count()).where(ClubStatusChange.club_id == club_id)) == 0
    if audited:  # SET NULL: the audit trail stays
        kept = db.session.scalars(sa.select(AuditEntry.club_id).where(AuditEntry.id.in_(audited))).all()
        assert kept == [None] * len(audited)


def test_database_refuses_a_membership_of_no_club(app, roles):
    with pytest.raises(IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(Membership.__table__).values(club_id=987654, user_id=roles.board.id, role=Role.MEMBER)
            )
