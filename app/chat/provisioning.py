"""Provisioning: a private channel the platform creates for the club, with the club's members kept in it.

Every change is a chat op carried out by ``queue.py``; the handlers here register themselves there.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..auth.models import User
from ..clubs.models import ClubStatus, Membership
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


def request_provision(club, *, by=None) -> ChatLink:
    if not platform_ready():
        raise ChatError(_("Der Chat-Server der Plattform ist nicht eingerichtet."))
    link = link_for(club)
    if link is not None and link.is_provisioned and link.archived_at is None:
        enqueue(club, "provision", f"provision:{club.id}", {})
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
    enqueue(club, "provision", f"provision:{club.id}", {})
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
    # Progress is recorded in the op (committed after each member), so an attempt that resumes after a
    # worker was killed does not add those members again; for the others it first asks whether an add
    # of the killed attempt reached Mattermost after all (its answer lost) – one GET per remaining member.
    progress = op.payload or {}
    done = set(progress.get("members_done") or ()) if progress.get("members_channel") == link.channel_id else set()
    for membership in club_members(club):
        if membership.user_id in done:
            continue
        _sync_member(link, membership.user_id, client, check_first=op.attempts > 1)
        done.add(membership.user_id)
        op.payload = {**(op.payload or {}), "members_channel": link.channel_id, "members_done": sorted(done)}
        db.session.commit()
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


def archive_club_channel(club) -> str:
    """A closed club (app.dataprotection): archive the channel the platform provisioned (a linked one stays)."""
    link = link_for(club)
    if link is None or not link.is_provisioned or not link.channel_id:
        return _("Kein bereitgestellter Kanal.")
    if link.archived_at is not None:
        return _("Kanal war schon archiviert.")
    client = mm_client()
    if client is None:
        raise RuntimeError("Mattermost ist nicht erreichbar oder nicht eingerichtet.")
    try:
        client.archive_channel(link.channel_id)
    except MattermostError as exc:
        if getattr(exc, "status", None) not in (400, 404):  # already archived or gone
            raise
    link.archived_at = utcnow()
    db.session.commit()
    return _("Kanal archiviert.")


# --- reconcile ------------------------------------------------------------------------------------


def reconcile() -> list[str]:
    """Compare every provisioned channel with its club and repair the difference."""
    client = mm_client(max_wait=2.0)
    if client is None:
        return ["Kein Chat-Server eingerichtet."]
    lines = []
    links = list(
        db.session.scalars(
            sa.select(ChatLink)
            .where(ChatLink.kind == "provisioned", ChatLink.channel_id.is_not(None), ChatLink.archived_at.is_(None))
            .order_by(ChatLink.id)
        )
    )
    for link in links:
        club = link.club
        changes = []
        try:
            me = client.me()["id"]
            channel = client.channel(link.channel_id)
            link.team_id = channel["team_id"]
            if club.status is ClubStatus.SUSPENDED:
                client.archive_channel(link.channel_id)
                link.archived_at = utcnow()
                db.session.commit()
                lines.append(f"{club.slug}: Kanal archiviert (Verein gesperrt)")
                continue
            wanted_name = display_name_for(club.name)
            if channel["display_name"] != wanted_name:
                client.patch_channel(link.channel_id, display_name=wanted_name)
                link.display_name = wanted_name
                changes.append(f"Anzeigename → {wanted_name}")
            present = _channel_member_ids(link, client)
            memberships = db.session.scalars(sa.select(Membership).where(Membership.club_id == club.id))
            wanted: dict[str, str] = {}
            for membership in memberships:
                if _wants(link, membership):
                    user = db.session.get(User, membership.user_id)
                    mm_id = _account_for(user, client)
                    if mm_id:
                        wanted[mm_id] = user.email
            for mm_id in sorted(set(wanted) - present):
                client.ensure_team_member(link.team_id, mm_id)
                _add(link, mm_id, client)
                changes.append(f"+ {wanted[mm_id]}")
            for mm_id in sorted(present - set(wanted) - {me}):
                client.remove_channel_member(link.channel_id, mm_id)
                changes.append(f"- {mm_id}")
            db.session.commit()
        except MattermostError as exc:
            db.session.rollback()
            lines.append(f"{club.slug}: Fehler – {exc}")
            continue
        forget_panel(club)
        lines.append(f"{club.slug}: " + ("; ".join(changes) if changes else "in Ordnung"))
    return lines
