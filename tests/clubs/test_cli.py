"""Operator command: create-club."""

from __future__ import annotations

import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus, Membership, Role
from app.extensions import db
from tests.helpers import count


def test_create_club(runner, make_user):
    board = make_user(email="chefin@example.org")
    result = runner.invoke(
        args=["create-club", "Fußballfreunde Moabit", "--board", "Chefin@example.org", "--district", "Mitte"]
    )
    assert result.exit_code == 0, result.output
    assert "Slug: fussballfreunde-moabit" in result.output
    assert "http://localhost/c/fussballfreunde-moabit/" in result.output
    club = db.session.scalar(sa.select(Club).where(Club.slug == "fussballfreunde-moabit"))
    assert club.status is ClubStatus.APPROVED and club.district == "Mitte"
    role = db.session.scalar(
        sa.select(Membership.role).where(Membership.club_id == club.id, Membership.user_id == board.id)
    )
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
