"""Receivers of the meetings domain, connected from ``init_app`` (the signals: app/core/signals.py)."""

from __future__ import annotations

from ..clubs.models import ClubStatus
from ..core.signals import club_status_changed
from ..extensions import db
from .services import ensure_default_room


def on_club_status_changed(club, old=None, new=None, **_kwargs):
    """Approved clubs get their default room right away."""
    if new is ClubStatus.APPROVED:
        ensure_default_room(club)
        db.session.commit()


def connect() -> None:
    club_status_changed.connect(on_club_status_changed)
