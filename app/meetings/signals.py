"""Receivers of the meetings domain, connected from ``init_app`` (the signals: app/core/signals.py)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..clubs.models import ClubStatus
from ..core.signals import club_status_changed, club_welcome_links
from ..core.urls import external_url
from ..extensions import db
from .services import ensure_default_room


def on_club_status_changed(club, old=None, new=None, **_kwargs):
    """Approved clubs get their default room right away."""
    if new is ClubStatus.APPROVED:
        ensure_default_room(club)
        db.session.commit()


def welcome_links(club, **_kwargs):
    """For the board's approval mail: the club's default room (our page; starting it needs a login)."""
    room = ensure_default_room(club)
    db.session.commit()
    return (
        _("Videokonferenz-Raum „%(name)s“", name=room.name),
        external_url("meetings.room", slug=club.slug, room_id=room.id),
    )


def connect() -> None:
    club_status_changed.connect(on_club_status_changed)
    club_welcome_links.connect(welcome_links)
