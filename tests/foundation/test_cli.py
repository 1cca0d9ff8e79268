"""Operator commands: create-user, create-club, seed-demo, content-sync."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Club, ClubStatus, Membership, Role
from app.extensions import db

from .helpers import count


def user(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_user(runner):
    result = runner.invoke(args=["create-user", "Neu@Example.org", "--name", "Nina Neu", "--password", "lang-genug-123"])
    assert result.exit_code == 0, result.output
    assert "Konto angelegt: neu@example.org" in result.output
    created = user("neu@example.org")
    assert created.name == "Nina Neu" and created.is_confirmed and not created.is_staff
    assert created.check_password("lang-genug-123") and created.password_hash.startswith("scrypt:")


def test_create_staff_user(runner):
    result = runner.invoke(args=["create-user", "team@example.org", "--name", "Team", "--password", "lang-genug-123",
                                 "--staff"])
    assert result.exit_code == 0 and "(Plattform-Team)" in result.output
    assert user("team@example.org").is_staff


def test_create_user_bad_input(runner, make_user):
    make_user(email="da@example.org")
    cases = [
        (["create-user", "x@example.org", "--name", "X", "--password", "kurz"], "mindestens 10 Zeichen"),
        (["create-user", "keine-adresse", "--name", "X", "--password", "lang-genug-123"], "Keine gültige E-Mail-Adresse"),
        (["create-user", "y@example.org", "--name", "  ", "--password", "lang-genug-123"], "Namen"),
        (["create-user", "DA@example.org", "--name", "X", "--password", "lang-genug-123"], "gibt es schon ein Konto"),
    ]
    before = count(User)
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert count(User) == before


def test_create_club(runner, make_user):
    board = make_user(email="chefin@example.org")
    result = runner.invoke(args=["create-club", "Fußballfreunde Moabit", "--board", "Chefin@example.org",
                                 "--district", "Mitte"])
    assert result.exit_code == 0, result.output
    assert "Slug: fussballfreunde-moabit" in result.output
    assert "http://localhost/c/fussballfreunde-moabit/" in result.output
    club = db.session.scalar(sa.select(Club).where(Club.slug == "fussballfreunde-moabit"))
    assert club.status is ClubStatus.APPROVED and club.district == "Mitte"
    role = db.session.scalar(sa.select(Membership.role).where(Membership.club_id == club.id,
                                                              Membership.user_id == board.id))
    assert role is Role.BOARD


def test_create_club_bad_input(runner, make_user):
    make_user(email="chefin@example.org")
    cases = [
        (["create-club", "Verein", "--board", "niemand@example.org"], "Kein Konto"),
        (["create-club", "Verein", "--board", "chefin@example.org", "--district", "Hamburg"], "Unbekannter Bezirk"),
        (["create-club", "Verein", "--board", "chefin@example.org", "--legal-form", "ag"], "Unbekannte Rechtsform"),
        (["create-club", "  V ", "--board", "chefin@example.org"], "3 bis 120 Zeichen"),
        (["create-club", "V" * 121, "--board", "chefin@example.org"], "3 bis 120 Zeichen"),
        (["create-club", "Verein"], "--board"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert count(Club) == 0


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
    response = client.post("/konto/anmelden", data={"email": "vorstand@imker-pankow.example",
                                                    "password": "demo-passwort-1"})
    assert response.status_code == 303
    mine = client.get("/vereine").get_data(as_text=True)
    assert "Imkerverein Pankow" in mine


def test_content_sync_runs(runner):
    result = runner.invoke(args=["content-sync"])
    assert result.exit_code == 0, result.output
