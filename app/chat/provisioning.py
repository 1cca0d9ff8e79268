"""Provisioning: a private channel the platform creates for the club, with the club's members kept in it.

Every change is a chat op carried out by ``queue.py``; the handlers here register themselves there.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..auth.models import User
from ..clubs.models import Membership
from ..clubs.services import club_members
from ..core.audit import audit_record
from ..core.db import utcnow
from ..extensions import db
from ..integrations.mattermost import MattermostError
from ..integrations.mattermost.client import CHANNEL_EXISTS, TEAM_MEMBER_MISSING
from .models import ChatAccount, ChatLink, ChatOp
from .notices import _no_mentions, _post_once, workspace_url
from .queue import enqueue, handles
from .services import (
    OPEN,
    ChatError,
    _account_for,
    _owned_elsewhere,
    channel_name_for,
    display_name_for,
    forget_panel,
    link_for,
    mm_client,
    platform_ready,
    platform_url,
)

# --- provisioning ---------------------------------------------------------------------------------

#: A channel requested on approval waits this long for a chat server that is down (then staff see it failed).
PROVISION_LIFETIME = timedelta(days=7)


def request_provision(club, *, by=None) -> ChatLink:
    if not platform_ready():
        raise ChatError(_("Der Chat-Server der Plattform ist nicht eingerichtet."))
    link = link_for(club)
    if link is not None and link.is_provisioned and link.archived_at is None:
        enqueue(club, "provision", f"provision:{club.id}", {}, lifetime=PROVISION_LIFETIME)
        return link
    link = link or ChatLink(club_id=club.id)
    link.kind = "provisioned"
    link.site_url = platform_url()
    link.team_name = current_app.config["MATTERMOST_TEAM"]
    link.channel_name = channel_name_for(club.slug)
    link.display_name = display_name_for(club.name)
    link.team_id = link.channel_id = None
    link.private, link.on_platform, link.bot_can_read = True, True, False
    link.welcome_posted = False
    link.archived_at = None
    link.webhook_url = None
    db.session.add(link)
    audit_record("chat.provision_requested", actor=by, club=club)
    db.session.commit()
    forget_panel(club)
    enqueue(club, "provision", f"provision:{club.id}", {}, lifetime=PROVISION_LIFETIME)
    return link


def _purpose(club) -> str:
    return f"Vereinskanal auf Vereinsraum (Nr. {club.id})"


def _lost_create(club, channel: dict, bot_id: str, client) -> bool:
    """Is this the channel an earlier attempt created for this club (its answer lost)?

    Name and purpose can be edited by channel members, so they are not enough: such a
    channel was created by the bot, has nobody in it but the bot, and no club has it.
    """
    if channel.get("creator_id") != bot_id or channel.get("purpose") != _purpose(club) or channel.get("delete_at"):
        return False
    if _owned_elsewhere(club, channel_id=channel["id"]):
        return False
    return {m["user_id"] for m in client.channel_members(channel["id"])} <= {bot_id}


def _sync_all_members(op: ChatOp, link: ChatLink, client) -> None:
    """Put every member of the club into the channel (provisioning, restoring after a suspension)."""
    # Progress is recorded in the op (committed after each member), so an attempt that resumes after a
    # worker was killed does not add those members again; for the others it first asks whether an add
    # of the killed attempt reached Mattermost after all (its answer lost) – one GET per remaining member.
    progress = op.payload or {}
    done = set(progress.get("members_done") or ()) if progress.get("members_channel") == link.channel_id else set()
    for membership in club_members(link.club):
        if membership.user_id in done:
            continue
        _sync_member(link, membership.user_id, client, check_first=op.attempts > 1)
        done.add(membership.user_id)
        op.payload = {**(op.payload or {}), "members_channel": link.channel_id, "members_done": sorted(done)}
        db.session.commit()


@handles("provision")
def _do_provision(op: ChatOp, client) -> None:
    club = op.club
    link = link_for(club)
    if link is None or not link.is_provisioned or link.archived_at is not None:
        return
    team = client.team_by_name(link.team_name)
    link.team_id = team["id"]
    if not link.channel_id:
        me = client.me()
        channel = None
        for suffix in range(1, 100):
            name = channel_name_for(club.slug, suffix)
            try:
                existing = client.channel_by_name(team["id"], name, include_deleted=True)
            except MattermostError as exc:
                if exc.status == 404:
                    existing = None
                elif exc.status == 403:
                    continue  # someone's private channel: name taken
                else:
                    raise
            if existing is not None:
                if _lost_create(club, existing, me["id"], client):
                    channel = existing  # our own, created by an earlier attempt whose answer got lost
                    break
                continue
            try:
                channel = client.create_channel(
                    team["id"], name, display_name_for(club.name), private=True, purpose=_purpose(club)
                )
                break
            except MattermostError as exc:
                if exc.id == CHANNEL_EXISTS:
                    continue
                raise
        if channel is None:
            raise MattermostError(400, CHANNEL_EXISTS, "no free channel name")
        link.channel_id, link.channel_name = channel["id"], channel["name"]
        link.display_name, link.private = channel["display_name"], channel["type"] == "P"
        link.bot_can_read = True
        audit_record("chat.provisioned", club=club, channel=channel["name"])
        db.session.commit()
    _sync_all_members(op, link, client)
    if not link.welcome_posted:
        with force_locale("de"):
            text = _(
                "Willkommen im Kanal von %(name)s! Hier tauschen sich Vorstand und Mitglieder aus. Wenn eine "
                "Videokonferenz des Vereins beginnt, erscheint hier ein Hinweis mit dem Link zum Arbeitsbereich: "
                "%(url)s",
                name=_no_mentions(club.name),
                url=workspace_url(club),
            )
        _post_once(client, link.channel_id, text, f"welcome-{club.id}", check=op.attempts > 1)
        link.welcome_posted = True
        db.session.commit()
    forget_panel(club)


# --- members --------------------------------------------------------------------------------------


def _wants(link: ChatLink, membership) -> bool:
    if membership is None or not link.club.is_active:
        return False
    return membership.is_board or not link.board_only


def _add(link: ChatLink, mm_id: str, client) -> None:
    try:
        client.add_channel_member(link.channel_id, mm_id)
    except MattermostError as exc:
        if exc.id != TEAM_MEMBER_MISSING:
            raise
        client.add_team_member(link.team_id, mm_id)
        client.add_channel_member(link.channel_id, mm_id)


def _sync_member(
    link: ChatLink, user_id: int, client, known_mm_id: str | None = None, *, check_first: bool = False
) -> str | None:
    """Make the channel match the club for one person. Returns "added", "removed" or None.

    ``check_first``: an earlier attempt may have added them already (a resumed op): ask before adding.
    """
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.club_id == link.club_id, Membership.user_id == user_id)
    )
    user = db.session.get(User, user_id)
    stored = db.session.get(ChatAccount, user_id)
    previous = known_mm_id or (stored.mm_user_id if stored else None)
    mm_id = _account_for(user, client) if user is not None else None
    if _wants(link, membership) and mm_id:
        client.ensure_team_member(link.team_id, mm_id)
        if not (check_first and client.is_channel_member(link.channel_id, mm_id)):
            _add(link, mm_id, client)
        if previous and previous != mm_id:
            client.remove_channel_member(link.channel_id, previous)
        return "added"
    removed = None
    for candidate in {previous, mm_id} - {None}:
        if candidate in _channel_member_ids(link, client):
            client.remove_channel_member(link.channel_id, candidate)
            removed = "removed"
    return removed


def _channel_member_ids(link, client) -> set[str]:
    return {m["user_id"] for m in client.channel_members(link.channel_id)}


@handles("member")
def _do_member(op: ChatOp, client) -> None:
    link = link_for(op.club)
    if link is None or not link.is_provisioned or not link.channel_id or link.archived_at is not None:
        return  # provisioning (when it runs) adds everyone who is a member then
    link.team_id = link.team_id or client.team_by_name(link.team_name)["id"]
    _sync_member(link, op.payload["user_id"], client, op.payload.get("mm_user_id"), check_first=op.attempts > 1)
    forget_panel(op.club)


def enqueue_member_sync(club, user_id: int) -> None:
    link = link_for(club)
    if link is None or not link.is_provisioned or link.archived_at is not None:
        return
    account = db.session.get(ChatAccount, user_id)
    enqueue(
        club,
        "member",
        f"member:{club.id}:{user_id}",
        {"user_id": user_id, "mm_user_id": account.mm_user_id if account else None},
    )


@handles("rename")
def _do_rename(op: ChatOp, client) -> None:
    link = link_for(op.club)
    if link is None or not link.is_provisioned or not link.channel_id or link.archived_at is not None:
        return
    name = display_name_for(op.club.name)
    client.patch_channel(link.channel_id, display_name=name)
    link.display_name = name
    db.session.commit()
    forget_panel(op.club)


@handles("archive")
def _do_archive(op: ChatOp, client) -> None:
    link = link_for(op.club)
    if link is None or not link.is_provisioned or not link.channel_id or link.archived_at is not None:
        return
    try:
        client.archive_channel(link.channel_id)
    except MattermostError as exc:
        if exc.status not in (400, 404):  # already archived or gone
            raise
    link.archived_at = utcnow()
    db.session.commit()
    forget_panel(op.club)


# --- the channel follows the club's status ---------------------------------------------------------

RESTORE_FORBIDDEN = "vereinsraum.restore_forbidden"


def follow_status(club) -> ChatOp | None:
    """Queue the change that makes a provisioned channel match the club: archived unless approved.

    One op per club (key ``state:<club>``) carries the *desired* state and reads the club's status when
    it runs, so suspend-then-reactivate while the chat server is down ends with the right state.
    """
    link = link_for(club)
    if link is None or not link.is_provisioned:
        return None
    if club.is_active == (link.archived_at is None) and not _open_state_op(club):
        return None  # already as it should be
    return enqueue(club, "state", f"state:{club.id}", {}, lifetime=PROVISION_LIFETIME)


def _open_state_op(club) -> bool:
    return (
        db.session.scalar(
            sa.select(ChatOp.id).where(ChatOp.key == f"state:{club.id}", ChatOp.status.in_(OPEN)).limit(1)
        )
        is not None
    )


def _archive(link: ChatLink, client) -> None:
    try:
        client.archive_channel(link.channel_id)
    except MattermostError as exc:
        if exc.status not in (400, 404):  # already archived or gone
            raise
    link.archived_at = utcnow()
    db.session.commit()


def _restore(link: ChatLink, client) -> None:
    try:
        client.restore_channel(link.channel_id)
    except MattermostError as exc:
        if exc.status == 403:
            raise MattermostError(
                403,
                RESTORE_FORBIDDEN,
                "the bot may not restore the channel (it needs manage_team: make it a team admin)",
                transient=False,
            ) from exc
        if exc.status != 400:  # 400: not archived (restored by hand meanwhile)
            raise
    link.archived_at = None
    db.session.commit()


@handles("state")
def _do_state(op: ChatOp, client) -> None:
    club = op.club
    link = link_for(club)
    if link is None or not link.is_provisioned:
        return
    if not link.channel_id:  # never created: provisioning (when it runs) creates it for an active club
        if club.is_active:
            _do_provision(op, client)
        return
    if not club.is_active:
        if link.archived_at is None:
            _archive(link, client)
            audit_record("chat.archived", club=club, status=club.status.value)
    else:
        if link.archived_at is not None:
            _restore(link, client)
            audit_record("chat.restored", club=club)
        link.team_id = link.team_id or client.team_by_name(link.team_name)["id"]
        _sync_all_members(op, link, client)  # members who joined or left while it was archived
    forget_panel(club)


def archive_club_channel(club) -> str:
    """Deletion step of a closed club (app.dataprotection), after the grace period.

    With ``MATTERMOST_DELETE_CHANNELS`` (the chat server allows deletion over the API) the provisioned
    channel is deleted for good, posts included; otherwise it stays archived on the chat server. A
    channel the club linked itself is the club's own: it stays as it is.
    """
    link = link_for(club)
    if link is None or not link.is_provisioned or not link.channel_id:
        return _("Kein bereitgestellter Kanal.")
    client = mm_client()
    if client is None:
        raise RuntimeError("Mattermost ist nicht erreichbar oder nicht eingerichtet.")
    if current_app.config.get("MATTERMOST_DELETE_CHANNELS"):
        try:
            client.delete_channel_permanently(link.channel_id)
        except MattermostError as exc:
            if exc.status != 404:  # 404: gone already
                raise
        audit_record("chat.deleted", club=club)
        link.archived_at = link.archived_at or utcnow()
        db.session.commit()
        return _("Kanal endgültig gelöscht.")
    if link.archived_at is not None:
        return _("Kanal war schon archiviert.")
    _archive(link, client)
    return _("Kanal archiviert.")


# --- reconcile ------------------------------------------------------------------------------------


def reconcile() -> list[str]:
    """Compare every channel on the platform's server with its club and repair what the bot may.

    Provisioned channels: archived unless the club is approved (restored when it is again), display name,
    members. Channels a club linked itself: membership drift is reported; club members missing from the
    channel are added when the bot can read it; people in the channel who are not club members are
    only reported (the channel is the club's own: guests may be there on purpose).
    """
    client = mm_client(max_wait=2.0)
    if client is None:
        return ["Kein Chat-Server eingerichtet."]
    lines = []
    links = list(
        db.session.scalars(
            sa.select(ChatLink)
            .where(
                sa.or_(
                    sa.and_(ChatLink.kind == "provisioned", ChatLink.channel_id.is_not(None)),
                    sa.and_(ChatLink.kind == "linked", ChatLink.on_platform.is_(True)),
                ),
            )
            .order_by(ChatLink.id)
        )
    )
    for link in links:
        club = link.club
        try:
            if link.is_provisioned:
                line = _reconcile_provisioned(link, client)
            else:
                line = _reconcile_linked(link, client)
        except MattermostError as exc:
            db.session.rollback()
            lines.append(f"{club.slug}: Fehler – {exc}")
            continue
        forget_panel(club)
        if line:
            lines.append(f"{club.slug}: {line}")
    return lines


def _wanted_accounts(link: ChatLink, client) -> dict[str, str]:
    """Mattermost id -> e-mail of every club member who should be in the channel and has an account."""
    wanted: dict[str, str] = {}
    for membership in db.session.scalars(sa.select(Membership).where(Membership.club_id == link.club_id)):
        if _wants(link, membership):
            user = db.session.get(User, membership.user_id)
            mm_id = _account_for(user, client)
            if mm_id:
                wanted[mm_id] = user.email
    return wanted


def _reconcile_provisioned(link: ChatLink, client) -> str | None:
    club = link.club
    if not club.is_active:
        if link.archived_at is not None:
            return None  # archived, as it should be: nothing to compare
        _archive(link, client)
        audit_record("chat.archived", club=club, status=club.status.value)
        return f"Kanal archiviert (Verein {club.status.value})"
    changes = []
    if link.archived_at is not None:
        _restore(link, client)
        audit_record("chat.restored", club=club)
        changes.append("Kanal wiederhergestellt")
    me = client.me()["id"]
    channel = client.channel(link.channel_id)
    link.team_id = channel["team_id"]
    wanted_name = display_name_for(club.name)
    if channel["display_name"] != wanted_name:
        client.patch_channel(link.channel_id, display_name=wanted_name)
        link.display_name = wanted_name
        changes.append(f"Anzeigename → {wanted_name}")
    present = _channel_member_ids(link, client)
    wanted = _wanted_accounts(link, client)
    for mm_id in sorted(set(wanted) - present):
        client.ensure_team_member(link.team_id, mm_id)
        _add(link, mm_id, client)
        changes.append(f"+ {wanted[mm_id]}")
    for mm_id in sorted(present - set(wanted) - {me}):
        client.remove_channel_member(link.channel_id, mm_id)
        changes.append(f"- {mm_id}")
    db.session.commit()
    return "; ".join(changes) if changes else "in Ordnung"


def _reconcile_linked(link: ChatLink, client) -> str | None:
    club = link.club
    if link.archived_at is not None:
        return None
    if not club.is_active:
        return "verknüpfter Kanal – Verein nicht aktiv, nicht abgeglichen"
    if not link.bot_can_read or not link.channel_id:
        return "verknüpfter Kanal – der Bot ist nicht im Kanal, Mitglieder nicht geprüft"
    me = client.me()["id"]
    try:
        present = _channel_member_ids(link, client)
    except MattermostError as exc:
        if exc.status not in (403, 404):
            raise
        link.bot_can_read = False
        db.session.commit()
        return "verknüpfter Kanal – kein Zugriff mehr für den Bot"
    link.team_id = link.team_id or client.channel(link.channel_id)["team_id"]
    wanted = _wanted_accounts(link, client)
    changes = []
    for mm_id in sorted(set(wanted) - present):
        try:
            client.ensure_team_member(link.team_id, mm_id)
            _add(link, mm_id, client)
            changes.append(f"+ {wanted[mm_id]}")
        except MattermostError as exc:
            if exc.transient:
                raise
            changes.append(f"fehlt im Kanal: {wanted[mm_id]} (der Bot darf niemanden hinzufügen)")
    extra = sorted(present - set(wanted) - {me})
    if extra:
        changes.append(
            f"{len(extra)} Personen im Kanal sind nicht im Verein (nicht entfernt: eigener Kanal des Vereins)"
        )
    db.session.commit()
    return "verknüpfter Kanal: " + ("; ".join(changes) if changes else "in Ordnung")
