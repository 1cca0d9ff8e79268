import os
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Invitation, Role
from app.clubs.services import create_invite_link
from app.core.audit import AuditEntry, audit_record
from app.core.db import utcnow
from app.dataprotection import retention
from app.dataprotection.exports import export_path
from app.dataprotection.models import DataExport
from app.extensions import db


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _old_data(roles, make_user, client_for):
    long_ago = utcnow() - timedelta(days=400)
    stale = make_user(email="nie-bestaetigt@example.org", confirmed=False)
    stale.created_at = long_ago
    fresh = make_user(email="gerade-registriert@example.org", confirmed=False)
    old_confirmed = make_user(email="alt-aber-bestaetigt@example.org")
    old_confirmed.created_at = long_ago
    expired = create_invite_link(roles.club, Role.MEMBER, days=1, multi_use=False, by=roles.board)
    expired.expires_at = long_ago
    create_invite_link(roles.club, Role.MEMBER, days=7, multi_use=False, by=roles.board)
    old_entry = audit_record("test.old", actor=roles.board)
    audit_record("test.new", actor=roles.board)
    db.session.flush()
    old_entry.created_at = long_ago
    db.session.commit()
    client_for(roles.member).post("/konto/meine-daten/export")
    export = db.session.scalars(sa.select(DataExport)).one()
    export.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return stale, fresh, old_confirmed, expired, export


def test_dry_run_reports_and_deletes_nothing(roles, make_user, client_for, runner, mailbox):
    stale, fresh, old_confirmed, expired, export = _old_data(roles, make_user, client_for)
    path = export_path(export)
    assert os.path.exists(path)
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Nicht bestätigte Konten: würde 1 löschen" in result.output
    assert "Abgelaufene Einladungen: würde 1 löschen" in result.output
    assert "Protokolleinträge: würde 1 löschen" in result.output
    assert "Datenexporte: würde 1 löschen" in result.output
    assert "Probelauf" in result.output
    db.session.expire_all()
    assert db.session.get(User, stale.id) is not None
    assert db.session.get(Invitation, expired.id) is not None
    assert _count(AuditEntry, AuditEntry.action == "test.old") == 1
    assert os.path.exists(path)


def test_real_run_deletes_what_is_due_and_is_idempotent(roles, make_user, client_for, runner, mailbox):
    stale, fresh, old_confirmed, expired, export = _old_data(roles, make_user, client_for)
    path = export_path(export)
    stale_id, fresh_id, old_id, expired_id = stale.id, fresh.id, old_confirmed.id, expired.id
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "Nicht bestätigte Konten: 1 gelöscht" in result.output
    db.session.expire_all()
    assert db.session.get(User, stale_id) is None
    assert db.session.get(User, fresh_id) is not None
    assert db.session.get(User, old_id) is not None
    assert db.session.get(Invitation, expired_id) is None
    assert _count(Invitation) == 1
    assert _count(AuditEntry, AuditEntry.action == "test.old") == 0
    assert _count(AuditEntry, AuditEntry.action == "test.new") == 1
    assert not os.path.exists(path) and _count(DataExport) == 0
    again = runner.invoke(args=["retention", "run"])
    assert "Insgesamt: 0" in again.output, again.output


def test_periods_come_from_configuration(app):
    app.config["RETENTION_EXPIRED_INVITATION_DAYS"] = 5
    texts = {p["key"]: p["text"] for p in retention.periods()}
    assert "5 Tage" in texts["RETENTION_EXPIRED_INVITATION_DAYS"]
    assert set(retention.RETENTION_DEFAULTS) == {p["key"] for p in retention.periods()}


def test_workshop_participants_are_purged_by_the_same_command(app, monkeypatch):
    import app.workshops.services as workshops

    calls = []

    def purge_expired_participants(now=None, dry_run=False):
        calls.append(dry_run)
        return 3

    monkeypatch.setattr(workshops, "purge_expired_participants", purge_expired_participants)
    results = {rule.key: count for rule, count in retention.run(dry_run=True)}
    assert results["workshops"] == 3
    results = {rule.key: count for rule, count in retention.run()}
    assert results["workshops"] == 3
    assert calls == [True, False]
