"""Receivers of the dataprotection domain, connected from ``init_app`` (the signals: app/core/signals.py)."""

from __future__ import annotations

from ..core.signals import account_deleting
from .erasure import erase_user


def on_account_deleting(user, **_kw) -> str:
    """Account deletion (app.auth): erase the person everywhere; returns the pseudonym."""
    return erase_user(user)


def connect() -> None:
    account_deleting.connect(on_account_deleting)
