"""Operator command: seed-demo (demo data for every domain)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Club, ClubStatus, Role
from app.extensions import db
from tests.helpers import count


def user(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_seed_demo(runner):
    result = runner.invoke(args=["seed-demo", "--password", "demo-passwort-1"])
    assert result.exit_code == 0, result.output
    assert "team@vereinsraum.example" in result.output and "demo-passwort-1" in result.output
    clubs = list(db.session.scalars(sa.select(Club)))
    statuses = sorted(c.status.value for c in clubs)
    assert statuses == ["approved", "approved", "approved", "pending"]
    for club in clubs:
        roles = [m.role for m in club.memberships]
        assert Role.BOARD in roles
        if club.status is ClubStatus.APPROVED:
            assert Role.MEMBER in roles
    staff = user("team@vereinsraum.example")
    assert staff.is_staff and staff.check_password("demo-passwort-1")
    assert all(u.is_confirmed for u in db.session.scalars(sa.select(User)))
    # every printed login works
    for line in result.output.splitlines()[1:]:
        email = line.split()[0]
        assert user(email) is not None, email


def test_seed_demo_if_empty_is_idempotent(runner):
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    users, clubs = count(User), count(Club)
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "keine Demodaten angelegt" in again.output
    assert (count(User), count(Club)) == (users, clubs)
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "leere Datenbank" in refused.output
    assert (count(User), count(Club)) == (users, clubs)


def test_demo_logins_work_in_the_browserless_app(runner, client):
    runner.invoke(args=["seed-demo", "--password", "demo-passwort-1"])
    response = client.post(
        "/konto/anmelden", data={"email": "vorstand@imker-pankow.example", "password": "demo-passwort-1"}
    )
    assert response.status_code == 303
    mine = client.get("/vereine").get_data(as_text=True)
    assert "Imkerverein Pankow" in mine
