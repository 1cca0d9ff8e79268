"""Operator command: create-user."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from tests.helpers import count


def user(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_user(runner):
    result = runner.invoke(
        args=["create-user", "Neu@Example.org", "--name", "Nina Neu", "--password", "lang-genug-123"]
    )
    assert result.exit_code == 0, result.output
    assert "Konto angelegt: neu@example.org" in result.output
    created = user("neu@example.org")
    assert created.name == "Nina Neu" and created.is_confirmed and not created.is_staff
    assert created.check_password("lang-genug-123") and created.password_hash.startswith("scrypt:")


def test_create_staff_user(runner):
    result = runner.invoke(
        args=["create-user", "team@example.org", "--name", "Team", "--password", "lang-genug-123", "--staff"]
    )
    assert result.exit_code == 0 and "(Plattform-Team)" in result.output
    assert user("team@example.org").is_staff


def test_create_user_bad_input(runner, make_user):
    make_user(email="da@example.org")
    cases = [
        (["create-user", "x@example.org", "--name", "X", "--password", "kurz"], "mindestens 10 Zeichen"),
        (
            ["create-user", "keine-adresse", "--name", "X", "--password", "lang-genug-123"],
            "Keine gültige E-Mail-Adresse",
        ),
        (["create-user", "y@example.org", "--name", "  ", "--password", "lang-genug-123"], "Namen"),
        (["create-user", "DA@example.org", "--name", "X", "--password", "lang-genug-123"], "gibt es schon ein Konto"),
    ]
    before = count(User)
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert count(User) == before


SEPARATORS = ["\u2028", "\u2029", "\x0b", "\x1c", "\x85", "\n", "\r", "\x00", "\u202e"]


@pytest.mark.parametrize("char", SEPARATORS, ids=repr)
def test_create_user_refuses_a_line_separator(runner, char):
    """Issue 12 item 10: the command keeps the forms' single-line rule for names; nothing is written."""
    before = count(User)
    result = runner.invoke(
        args=["create-user", "neu@example.org", "--name", f"Nina{char}Neu", "--password", "lang-genug-123"]
    )
    assert result.exit_code != 0
    assert "Der Name darf keine Zeilenumbrüche oder Steuerzeichen enthalten." in result.output
    assert count(User) == before and user("neu@example.org") is None


@pytest.mark.parametrize("char", ["\u2028", "\x0b", "\x85", "\n"], ids=repr)
def test_create_user_refuses_a_line_separator_in_the_address(runner, char):
    before = count(User)
    result = runner.invoke(
        args=["create-user", f"neu@example.org{char}", "--name", "Nina Neu", "--password", "lang-genug-123"]
    )
    assert result.exit_code != 0
    assert "Die E-Mail-Adresse darf keine Zeilenumbrüche oder Steuerzeichen enthalten." in result.output
    assert count(User) == before
