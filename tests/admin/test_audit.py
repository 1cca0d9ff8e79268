"""Audit log page (filters, pagination), entries for staff actions, `flask audit prune`."""

from datetime import timedelta

import sqlalchemy as sa

from app.core.audit import AuditEntry, audit_record
from app.core.db import utcnow
from app.extensions import db


def _entry(action, club=None, actor=None, days_ago=0):
    entry = audit_record(action, actor=actor, club=club, info="x")
    entry.created_at = utcnow() - timedelta(days=days_ago)
    return entry


def _actions(html):
    import re

    return re.findall(r'<td data-action="([^"]+)">', html)


def test_filters(roles, staff_client):
    db.session.execute(sa.delete(AuditEntry))
    _entry("member.role_changed", club=roles.club, actor=roles.board, days_ago=1)
    _entry("invitation.created", club=roles.other_club, actor=roles.outsider, days_ago=10)
    _entry("club.approved", club=roles.club, actor=roles.staff, days_ago=40)
    db.session.commit()
    get = lambda **args: staff_client.get("/admin/protokoll", query_string=args)  # noqa: E731
    assert _actions(get().get_data(as_text=True)) == ["member.role_changed", "invitation.created", "club.approved"]
    assert _actions(get(aktion="club.approved").get_data(as_text=True)) == ["club.approved"]
    assert _actions(get(verein="anderer").get_data(as_text=True)) == ["invitation.created"]
    assert _actions(get(verein_id=roles.club.id).get_data(as_text=True)) == ["member.role_changed", "club.approved"]
    assert _actions(get(person="team@plattform").get_data(as_text=True)) == ["club.approved"]
    assert _actions(get(person="Vera").get_data(as_text=True)) == ["member.role_changed"]
    today = utcnow().date()
    recent = get(von=(today - timedelta(days=15)).isoformat(), bis=today.isoformat()).get_data(as_text=True)
    assert _actions(recent) == ["member.role_changed", "invitation.created"]
    bad = get(von="gestern")
    assert bad.status_code == 422 and "JJJJ-MM-TT" in bad.get_data(as_text=True)
    html = get().get_data(as_text=True)
    assert "Vera Vorstand" in html and "Imkerverein Pankow" in html


def test_pagination(roles, staff_client):
    for _ in range(60):
        _entry("test.action")
    db.session.commit()
    first = staff_client.get("/admin/protokoll?aktion=test.action").get_data(as_text=True)
    assert len(_actions(first)) == 50 and "Seite 1 von 2" in first
    second = staff_client.get("/admin/protokoll?aktion=test.action&seite=2").get_data(as_text=True)
    assert len(_actions(second)) == 10


def test_staff_actions_write_entries(roles, staff_client, make_club):
    pending = make_club(name="Prüfling", status="pending")
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0  # e.g. the staff's own 2FA set-up
    staff_client.post(f"/admin/vereine/{pending.id}/status/ablehnen", data={"reason": "Unvollständig"})
    staff_client.post(f"/admin/vereine/{roles.club.id}/notizen", data={"body": "Notiz"})
    staff_client.get("/admin/statistik.csv")
    rows = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.club_id).where(
            AuditEntry.actor_id == roles.staff.id, AuditEntry.id > before
        )
    ).all()
    assert set(rows) == {
        ("club.rejected", pending.id),
        ("admin.note_added", roles.club.id),
        ("admin.statistics_exported", None),
    }


def test_prune_uses_retention(app, roles, runner):
    db.session.execute(sa.delete(AuditEntry))
    _entry("old.one", days_ago=400)
    _entry("old.two", days_ago=40)
    _entry("new.one", days_ago=1)
    db.session.commit()
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0, result.output
    assert "1 Protokolleinträge älter als 365 Tage gelöscht" in result.output
    app.config["AUDIT_RETENTION_DAYS"] = 30
    result = runner.invoke(args=["audit", "prune"])
    assert "1 Protokolleinträge älter als 30 Tage" in result.output
    left = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert left == {"new.one", "audit.pruned"}
    result = runner.invoke(args=["audit", "prune", "--days", "0"])
    assert result.exit_code != 0


def test_retention_from_environment():
    from app.config import env_overrides

    assert env_overrides({"AUDIT_RETENTION_DAYS": "90"})["AUDIT_RETENTION_DAYS"] == 90


def test_log_shows_readable_labels_for_every_recorded_action(roles, staff_client):
    """Issue 16: staff read "Verein freigeschaltet", not the code club.approved – for every action the app records."""
    import re
    from pathlib import Path

    from app.admin.audit import AUDIT_LABELS
    from app.clubs.models import ClubStatus

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("app").rglob("*.py"))
    recorded = set(re.findall(r'audit_record\(\s*"([a-z_.]+)"', source))
    for a, b in re.findall(r'"([a-z]+\.[a-z_]+)" if \w+ else "([a-z]+\.[a-z_]+)"', source):
        recorded |= {a, b}
    recorded |= {f"club.{status.value}" for status in ClubStatus}  # change_status records club.<status>
    assert len(recorded) > 40
    assert recorded <= set(AUDIT_LABELS), sorted(recorded - set(AUDIT_LABELS))

    db.session.execute(sa.delete(AuditEntry))
    _entry("club.approved", club=roles.club, actor=roles.staff)
    db.session.commit()
    html = staff_client.get("/admin/protokoll").get_data(as_text=True)
    table = html[html.index("<table") :]
    assert "Verein freigeschaltet" in table and "club.approved</" not in table and "<code>" not in table
