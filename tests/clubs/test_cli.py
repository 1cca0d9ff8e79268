"""Operator command: create-club."""

from __future__ import annotations

import pytest
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


SEPARATORS = ["\u2028", "\u2029", "\x0b", "\x1c", "\x85", "\n", "\r", "\x00", "\u202e"]


@pytest.mark.parametrize("char", SEPARATORS, ids=repr)
def test_create_club_refuses_a_line_separator(runner, make_user, char):
    """Issue 12 item 10: the command keeps the forms' single-line rule for names; nothing is written."""
    make_user(email="chefin@example.org")
    result = runner.invoke(args=["create-club", f"Imkerverein{char}Pankow", "--board", "chefin@example.org"])
    assert result.exit_code != 0
    assert "Der Name darf keine Zeilenumbrüche oder Steuerzeichen enthalten." in result.output
    assert count(Club) == 0 and count(Membership) == 0
