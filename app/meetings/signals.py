"""Receivers of the meetings domain, connected from ``init_app`` (the signals: app/core/signals.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..clubs.models import ClubStatus
from ..core.signals import club_renamed, club_status_changed, club_welcome_links
from ..core.urls import external_url
from ..extensions import db
from .models import Room
from .services import default_room_name, ensure_default_room


def on_club_status_changed(club, old=None, new=None, **_kwargs):
    """Approved clubs get their default room right away."""
    if new is ClubStatus.APPROVED:
        ensure_default_room(club)
        db.session.commit()


def on_club_renamed(club, old_name=None, **_kwargs):
    """The default room keeps the club's name, unless the board gave it a name of its own."""
    room = db.session.scalar(sa.select(Room).where(Room.club_id == club.id, Room.is_default.is_(True)))
    if room is not None and old_name is not None and room.name == default_room_name(old_name):
        room.name = default_room_name(club.name)
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
    club_renamed.connect(on_club_renamed)
    club_welcome_links.connect(welcome_links)
