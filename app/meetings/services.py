"""Meetings: rooms, starting and joining, live status (cached), recordings.

Other domains (workshops) may use :func:`start_url` and :func:`guest_join_url`
for staff rooms (``Room.club_id is None``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..core.audit import audit_record
from ..core.cache import single_flight
from ..core.db import utcnow
from ..core.signals import meeting_started
from ..core.urls import base_url, external_url
from ..extensions import cache, db
from ..integrations.bigbluebutton import BBBError, client_from_config
from .models import START_MEMBERS, MeetingRun, Room, new_token

log = logging.getLogger(__name__)

PLATFORM_TAG = "vereinsraum"
ROOM_NAME_MAX = 64


class MeetingError(Exception):
    """A user-facing problem (German message)."""


# --- rooms --------------------------------------------------------------------------------


def default_room_name(club_name: str) -> str:
    """The default room is named after the club (what members look for), cut to the column's length."""
    return club_name[:ROOM_NAME_MAX].rstrip()


def ensure_default_room(club) -> Room:
    room = db.session.scalar(sa.select(Room).where(Room.club_id == club.id, Room.is_default.is_(True)))
    if room is None:
        room = Room(club_id=club.id, name=default_room_name(club.name), is_default=True)
        db.session.add(room)
        db.session.flush()
    return room


def has_default_room(club) -> bool:
    return db.session.scalar(sa.select(Room.id).where(Room.club_id == club.id, Room.is_default.is_(True))) is not None


@functools.cache
def _rooms_query():
    # (built once: the meetings panel loads on every workspace view)
    return (
        sa.select(Room)
        .where(Room.club_id == sa.bindparam("club_id"))
        .order_by(Room.is_default.desc(), Room.name, Room.id)
    )


def rooms_for(club) -> list[Room]:
    """The club's rooms, default first; creates the default room lazily for active clubs."""
    rooms = list(db.session.scalars(_rooms_query(), {"club_id": club.id}))
    if club.is_active and not any(r.is_default for r in rooms):
        rooms.insert(0, ensure_default_room(club))
        db.session.commit()
    return rooms


def get_room(club, room_id: int) -> Room | None:
    """A room of exactly this club (isolation: never another club's room)."""
    return db.session.scalar(sa.select(Room).where(Room.id == room_id, Room.club_id == club.id))


def room_by_guest_token(token: str) -> Room | None:
    if not token or len(token) > 64:
        return None
    room = db.session.scalar(sa.select(Room).where(Room.guest_token == token))
    if room is None or not secrets.compare_digest(room.guest_token, token):
        return None
    return room


def create_room(club, name: str, *, by) -> Room:
    room = Room(club_id=club.id, name=name)
    db.session.add(room)
    db.session.flush()
    audit_record("meeting.room_created", actor=by, club=club, room_id=room.id, name=room.name)
    db.session.commit()
    return room


def update_room(room: Room, form, *, by) -> None:
    """Save the settings form (they apply from the meeting's next start)."""
    form.populate_obj(room)
    room.access_code = form.access_code.data or None
    audit_record(
        "meeting.room_changed",
        actor=by,
        club=room.club,
        room_id=room.id,
        guest_access=room.guest_access,
        recording_allowed=room.recording_allowed,
    )
    db.session.commit()


def may_start(room: Room, membership) -> bool:
    if membership is None:
        return False
    return membership.is_board or room.who_may_start == START_MEMBERS


# --- staff rooms (club_id None): workshops and the consultation hour ---------------------------------


def create_staff_room(name: str) -> int:
    """A room of the platform team with a waiting room; returns its id (the caller commits)."""
    room = Room(club_id=None, name=str(name)[:64], waiting_room=True, mute_on_join=True)
    db.session.add(room)
    db.session.flush()
    return room.id


def staff_room(room_id: int | None) -> Room | None:
    if room_id is None:
        return None
    room = db.session.get(Room, room_id)
    return room if room is not None and room.club_id is None else None


def end_staff_meeting(room_id: int | None) -> bool:
    """End the meeting of a staff room (links handed out for it stop working). False when BBB failed."""
    room = staff_room(room_id)
    if room is None:
        return True
    try:
        end_meeting(room)
    except BBBError:
        db.session.rollback()
        log.warning("could not end the meeting of staff room %s", room_id)
        return False
    return True


def staff_join_url(room_id: int | None, user_or_name, *, moderator: bool) -> str:
    """Start (idempotent) and join a staff room; raises :class:`MeetingError` (German) when not possible."""
    room = staff_room(room_id)
    if room is None:
        raise MeetingError(_("Für diesen Termin ist kein Konferenzraum eingerichtet."))
    try:
        return start_url(room, user_or_name, moderator)
    except BBBError as error:
        raise MeetingError(str(error) or _("Der Konferenzraum ist gerade nicht erreichbar.")) from error


def delete_staff_rooms(room_ids) -> None:
    """Delete staff rooms (never a club's room); the caller commits."""
    ids = list(room_ids)
    if ids:
        db.session.execute(sa.delete(Room).where(Room.id.in_(ids), Room.club_id.is_(None)))


# --- BBB parameters -------------------------------------------------------------------------


def meta_for(room: Room) -> dict:
    club = room.club
    return {
        "vr-platform": PLATFORM_TAG,
        "vr-club": club.slug if club is not None else "staff",
        "vr-room": str(room.id),
    }


def workspace_url(room: Room) -> str:
    if room.club is None:
        return base_url() + "/"
    return external_url("workspace.index", slug=room.club.slug)


def user_id_for(user) -> str:
    return f"vr-user-{user.id}"


def meeting_name(room: Room) -> str:
    if room.club is None:
        return room.name[:64]
    name = f"{room.club.name}: {room.name}" if not room.is_default else room.club.name
    return name[:64] if len(name) >= 2 else room.name


def create_meeting(room: Room, started_by=None):
    """Create the room's meeting, or get the running one (idempotent). Records a run on a fresh start."""
    client = client_from_config()
    result = client.create(
        room.meeting_id,
        meeting_name(room),
        meta=meta_for(room),
        logout_url=workspace_url(room),
        record=room.recording_allowed,
        mute_on_start=room.mute_on_join,
        guest_policy="ASK_MODERATOR" if room.waiting_room else "ALWAYS_ACCEPT",
    )
    if not result.duplicate:
        open_runs = db.session.scalars(
            sa.select(MeetingRun).where(MeetingRun.room_id == room.id, MeetingRun.ended_at.is_(None))
        )
        for run in open_runs:
            run.ended_at = utcnow()
        db.session.add(
            MeetingRun(
                club_id=room.club_id,
                room_id=room.id,
                create_time=result.create_time,
                started_by_id=getattr(started_by, "id", None),
            )
        )
        if room.club is not None:
            audit_record("meeting.started", actor=started_by, club=room.club, room_id=room.id)
        db.session.commit()
        if room.club is not None:
            try:  # a listener's failure (e.g. the chat post) must not keep people out of the meeting
                meeting_started.send(
                    room.club, room_name=room.name, workspace_url=workspace_url(room), started_by=started_by
                )
            except Exception:  # noqa: BLE001
                log.exception("meeting_started listener failed")
                db.session.rollback()
    invalidate_status(room)
    return result


def start_url(room: Room, user_or_name, moderator: bool) -> str:
    """Create (idempotent) and return the join URL – for the workshops domain and our own views."""
    started_by = None if isinstance(user_or_name, str) else user_or_name
    result = create_meeting(room, started_by=started_by if moderator else None)
    client = client_from_config()
    if isinstance(user_or_name, str):
        return client.join_url(
            room.meeting_id,
            user_or_name,
            role="MODERATOR" if moderator else "VIEWER",
            create_time=result.create_time,
            guest=not moderator,
        )
    return client.join_url(
        room.meeting_id,
        user_or_name.name,
        role="MODERATOR" if moderator else "VIEWER",
        create_time=result.create_time,
        user_id=user_id_for(user_or_name),
        guest=False,
    )


def running_rooms(club, *, fetch: bool = True) -> list[tuple[Room, dict]]:
    """The club's rooms whose meeting runs now, with the meeting, from the shared status cache.

    ``fetch=False`` never asks BBB: it answers only from what the cache holds right now (nothing → no
    room), so a page can show it while it renders; the htmx fragment then asks with ``fetch=True``
    (at most one ``getMeetings`` per ``BBB_STATUS_TTL`` for everybody). A BBB failure → no room.
    """
    if not club.is_readable:
        return []
    if fetch:
        rooms = rooms_for(club)
        statuses, _error = room_statuses(rooms)
    else:
        entry = cache.get(_cache_key("all"))
        if not entry or entry[1][0] != "ok":
            return []
        meetings = entry[1][1]
        if not any((info or {}).get("running") for info in meetings.values()):
            return []  # nothing runs anywhere: no need to read the club's rooms
        rooms = rooms_for(club)
        statuses = {room.id: meetings.get(room.meeting_id) for room in rooms}
    return [(room, statuses[room.id]) for room in rooms if (statuses.get(room.id) or {}).get("running")]


def live_digest() -> str:
    """What the status cache knows right now about running meetings, as a short digest (never a BBB call):
    a page showing the banner (``running_rooms(fetch=False)``) is stale when this changes."""
    entry = cache.get(_cache_key("all"))
    if not entry or entry[1][0] != "ok":
        return ""
    running = sorted(
        (str(meeting_id), str((info or {}).get("create_time")))
        for meeting_id, info in entry[1][1].items()
        if (info or {}).get("running")
    )
    return hashlib.sha256(repr(running).encode()).hexdigest()[:16] if running else ""


def running_meeting(room: Room) -> dict | None:
    """The room's meeting if it is running (someone is in it), from the status cache."""
    info = room_statuses([room])[0].get(room.id)
    if info and info.get("running"):
        return info
    return None


def member_join_url(room: Room, user) -> str | None:
    """Viewer join URL for a member when the meeting runs, else None (→ waiting page)."""
    info = running_meeting(room)
    if info is None:
        return None
    return client_from_config().join_url(
        room.meeting_id,
        user.name,
        role="VIEWER",
        create_time=info.get("create_time"),
        user_id=user_id_for(user),
        guest=False,
    )


def guest_join_url(room: Room, name: str) -> str | None:
    """Guest viewer join URL when the meeting runs, else None. Waiting room: BBB holds the guest."""
    info = running_meeting(room)
    if info is None:
        return None
    return client_from_config().join_url(
        room.meeting_id,
        name,
        role="VIEWER",
        create_time=info.get("create_time"),
        user_id=f"vr-guest-{secrets.token_hex(6)}",
        guest=True,
    )


def end_meeting(room: Room, by=None) -> bool:
    ended = client_from_config().end(room.meeting_id)
    for run in db.session.scalars(
        sa.select(MeetingRun).where(MeetingRun.room_id == room.id, MeetingRun.ended_at.is_(None))
    ):
        run.ended_at = utcnow()
    if room.club is not None:
        audit_record("meeting.ended", actor=by, club=room.club, room_id=room.id)
    db.session.commit()
    invalidate_status(room)
    return ended


# --- live status: one getMeetings for everybody, cached for a few seconds ----------------------
# The cache is the shared one (Flask-Caching: Redis when REDIS_URL is set), so every app instance and
# worker process sees the same entry, and a cross-process single flight makes sure that at most one of
# them asks BBB per BBB_STATUS_TTL.


def _cache_key(*extra) -> str:
    config = current_app.config
    server = hashlib.sha256(f"{config.get('BBB_API_URL')}|{config.get('BBB_SECRET')}".encode()).hexdigest()[:16]
    return ":".join(("bbb-status", server, *map(str, extra)))


def invalidate_status(room: Room | None = None) -> None:
    keys = [_cache_key("all")]
    if room is not None:
        keys.append(_cache_key("room", room.meeting_id))
    cache.delete_many(*keys)


def _cached(key, fetch):
    ttl = float(current_app.config.get("BBB_STATUS_TTL", 5))

    def compute():
        try:
            return ("ok", fetch())
        except BBBError as error:  # cached as well: the next dashboards do not wait for a broken server
            return ("error", (error.message, error.key, error.detail))

    if ttl <= 0:
        kind, value = compute()
    else:
        wait = float(current_app.config.get("BBB_TIMEOUT") or 5) + 1
        kind, value = single_flight(key, compute, ttl=ttl, wait=wait)
    if kind == "error":
        raise BBBError(*value)
    return value


def live_meetings() -> dict:
    """{meetingID: meeting dict} of every meeting on the server (cached); raises BBBError."""
    client = client_from_config()
    return _cached(_cache_key("all"), lambda: {m["meeting_id"]: m for m in client.get_meetings()})


def room_statuses(rooms) -> tuple[dict, BBBError | None]:
    """({room_id: meeting dict or None}, error). Falls back to getMeetingInfo if getMeetings is disabled."""
    try:
        meetings = live_meetings()
        return {room.id: meetings.get(room.meeting_id) for room in rooms}, None
    except BBBError as error:
        if error.transport or error.key == "checksumError":
            return {room.id: None for room in rooms}, error
    statuses = {}
    try:
        client = client_from_config()
        for room in rooms:
            statuses[room.id] = _cached(
                _cache_key("room", room.meeting_id), lambda r=room: client.get_meeting_info(r.meeting_id)
            )
    except BBBError as error:
        return {room.id: statuses.get(room.id) for room in rooms}, error
    return statuses, None


def close_finished_runs(club, statuses: dict) -> None:
    """Runs whose meeting BBB no longer knows get an end time (admin statistics)."""
    open_runs = list(
        db.session.scalars(sa.select(MeetingRun).where(MeetingRun.club_id == club.id, MeetingRun.ended_at.is_(None)))
    )
    changed = False
    for run in open_runs:
        if run.room_id in statuses and statuses[run.room_id] is None:
            run.ended_at = utcnow()
            changed = True
    if changed:
        db.session.commit()


# --- recordings ------------------------------------------------------------------------------


def recordings_for(room: Room) -> list[dict]:
    """Recordings of this room, filtered by meetingID *and* our meta tags (club slug, room id)."""
    meta = meta_for(room)
    recordings = client_from_config().get_recordings(
        meeting_id=room.meeting_id, meta={"vr-club": meta["vr-club"], "vr-room": meta["vr-room"]}
    )
    recordings = [r for r in recordings if r["meeting_id"] == room.meeting_id]
    return sorted(recordings, key=lambda r: r["start_time"], reverse=True)


def find_recording(room: Room, record_id: str) -> dict | None:
    return next((r for r in recordings_for(room) if r["record_id"] == record_id), None)


def set_published(room: Room, record_id: str, publish: bool, by=None) -> None:
    if find_recording(room, record_id) is None:
        raise MeetingError(_("Diese Aufzeichnung gibt es nicht (mehr)."))
    client_from_config().publish_recordings([record_id], publish)
    audit_record(
        "meeting.recording_published" if publish else "meeting.recording_unpublished",
        actor=by,
        club=room.club,
        room_id=room.id,
        record_id=record_id,
    )
    db.session.commit()


def delete_recording(room: Room, record_id: str, by=None) -> None:
    if find_recording(room, record_id) is None:
        raise MeetingError(_("Diese Aufzeichnung gibt es nicht (mehr)."))
    client_from_config().delete_recordings([record_id])
    audit_record("meeting.recording_deleted", actor=by, club=room.club, room_id=room.id, record_id=record_id)
    db.session.commit()


def delete_room(room: Room, by=None) -> int:
    """Delete a room and its recordings (BBB first: if that fails, nothing is deleted)."""
    if room.is_default:
        raise MeetingError(_("Der Standardraum des Vereins kann nicht gelöscht werden."))
    client = client_from_config()
    recordings = recordings_for(room)
    if recordings:
        client.delete_recordings([r["record_id"] for r in recordings])
    try:
        client.end(room.meeting_id)
    except BBBError:
        log.info("could not end meeting of deleted room %s", room.id)
    audit_record(
        "meeting.room_deleted", actor=by, club=room.club, room_id=room.id, name=room.name, recordings=len(recordings)
    )
    invalidate_status(room)  # before the delete: the room's meeting id is needed for the key
    db.session.delete(room)
    db.session.commit()
    return len(recordings)


def delete_club_recordings(club) -> str:
    """A closed club (app.dataprotection): end its meetings, delete every recording on the BBB server."""
    rooms = list(db.session.scalars(sa.select(Room).where(Room.club_id == club.id)))
    if not rooms:
        return _("Keine Konferenzräume.")
    if not current_app.config.get("BBB_API_URL"):
        return _("Kein BigBlueButton-Server eingerichtet; nichts zu löschen.")
    client = client_from_config()
    deleted = 0
    for room in rooms:
        recordings = recordings_for(room)
        if recordings:
            client.delete_recordings([r["record_id"] for r in recordings])
            deleted += len(recordings)
        try:
            client.end(room.meeting_id)
        except Exception:  # noqa: BLE001 - not running is fine
            pass
    return _("%(rooms)d Räume beendet, %(recordings)d Aufzeichnungen gelöscht.", rooms=len(rooms), recordings=deleted)


def rotate_guest_token(room: Room, by=None) -> None:
    room.guest_token = new_token()
    audit_record("meeting.guest_link_renewed", actor=by, club=room.club, room_id=room.id)
    db.session.commit()
