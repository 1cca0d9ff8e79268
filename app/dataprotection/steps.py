"""External steps of a club deletion, through the domains' clients.

Used when the domain itself offers no club-level function (see
``services.EXTERNAL_STEPS``). Each returns a short German result, or raises so
the step is recorded as failed and retried.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..core.db import utcnow
from ..extensions import db


def delete_bbb_rooms(club) -> str:
    """End running meetings and delete every recording of the club's rooms on the BBB server."""
    from ..meetings import services as meetings
    from ..meetings.models import Room

    rooms = list(db.session.scalars(sa.select(Room).where(Room.club_id == club.id)))
    if not rooms:
        return "Keine Konferenzräume."
    if not current_app.config.get("BBB_API_URL"):
        return "Kein BigBlueButton-Server eingerichtet; nichts zu löschen."
    client = meetings.client_from_config()
    deleted = 0
    for room in rooms:
        recordings = meetings.recordings_for(room)
        if recordings:
            client.delete_recordings([r["record_id"] for r in recordings])
            deleted += len(recordings)
        try:
            client.end(room.meeting_id)
        except Exception:  # noqa: BLE001 - not running is fine
            pass
    return f"{len(rooms)} Räume beendet, {deleted} Aufzeichnungen gelöscht."


def archive_mattermost_channel(club) -> str:
    """Archive the channel the platform provisioned for the club (a linked foreign channel stays)."""
    from ..chat import services as chat
    from ..integrations.mattermost.client import MattermostError

    link = chat.link_for(club)
    if link is None or not link.is_provisioned or not link.channel_id:
        return "Kein bereitgestellter Kanal."
    if link.archived_at is not None:
        return "Kanal war schon archiviert."
    client = chat.mm_client()
    if client is None:
        raise RuntimeError("Mattermost ist nicht erreichbar oder nicht eingerichtet.")
    try:
        client.archive_channel(link.channel_id)
    except MattermostError as exc:
        if getattr(exc, "status", None) not in (400, 404):  # already archived or gone
            raise
    link.archived_at = utcnow()
    db.session.commit()
    return "Kanal archiviert."
