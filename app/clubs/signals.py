"""Receivers of the clubs domain, connected from ``init_app`` (the signals themselves: app/core/signals.py)."""

from __future__ import annotations

from ..core.signals import account_deletion_blockers
from .services import is_last_board_member


def clubs_left_without_board(user, **_kw) -> list:
    """Clubs where the person is the only board member: their account cannot be deleted yet."""
    return [m.club for m in user.memberships if m.is_board and is_last_board_member(m)]


def connect() -> None:
    account_deletion_blockers.connect(clubs_left_without_board)
