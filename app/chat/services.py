"""Chat domain: link or provision a club's Mattermost channel and keep it in sync.

Every change that must reach Mattermost is a :class:`ChatOp` row carried out
by a background job (:func:`execute_op`). Ops describe a *desired state*
("user 12 is in club 3's channel iff they are a member"), so running one twice
or late does no harm. Transient failures (server unreachable, 5xx, 429) are
retried with backoff – honouring Retry-After – for up to a day; afterwards the
op is ``failed`` and shown to the board (panel) and to staff (/admin/chat).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..core import audit_record
from ..core.db import utcnow
from ..extensions import db
from ..integrations.mattermost import MattermostError, client_from_config
from ..integrations.mattermost.client import CHANNEL_EXISTS, TEAM_MEMBER_MISSING
from .models import ChatAccount, ChatLink, ChatOp

log = logging.getLogger(__name__)

OPEN = ("pending", "failed")
MEMBER_OP_LIFETIME = timedelta(days=1)
NOTICE_LIFETIME = timedelta(hours=1)
BACKOFF_CAP = 3600  # seconds
OP_LEASE = timedelta(minutes=10)  # an attempt longer than this counts as crashed and may run again


class ChatError(Exception):
    """A user-facing problem (German message)."""


# --- configuration ------------------------------------------------------------------

def platform_url() -> str | None:
    url = current_app.config.get("MATTERMOST_URL")
    return url.rstrip("/") if url else None


def platform_ready() -> bool:
    config = current_app.config
    return bool(config.get("MATTERMOST_URL") and config.get("MATTERMOST_TOKEN") and config.get("MATTERMOST_TEAM"))


def mm_client(max_wait: float = 0.0):
    return client_from_config(current_app.config, max_wait=max_wait)


# --- names ----------------------------------------------------------------------------

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue", "ẞ": "ss"})
CHANNEL_NAME_RE = re.compile(r"^[a-z0-9]+([a-z\-\_0-9]+|(__)?)[a-z0-9]*$")
TEAM_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_NAME = 64
MAX_DISPLAY = 64


def channel_name_for(text: str, suffix: int = 1) -> str:
    """A Mattermost channel ``name`` from a slug or club name (see mattermost-api.md §4.3)."""
    value = text.translate(_TRANSLIT)
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    value = re.sub(r"[^a-z0-9_-]", "-", value)
    value = re.sub(r"-{2,}", "-", value)
    value = re.sub(r"_{3,}", "__", value)
    value = value.strip("-_")
    if not value:
        value = "verein"
    if re.fullmatch(r"[0-9a-f]{40}", value) or re.fullmatch(r"[a-z0-9]{26}__[a-z0-9]{26}", value):
        value = "verein-" + value
    tail = f"-{suffix}" if suffix > 1 else ""
    value = value[: MAX_NAME - len(tail)].rstrip("-_") + tail
    return value


def display_name_for(name: str) -> str:
    return (" ".join(name.split()) or "Verein")[:MAX_DISPLAY].strip()


# --- URL validation --------------------------------------------------------------------

@dataclass
class ChannelUrl:
    site_url: str
    team: str
    channel: str
    on_platform: bool


_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._~-]+$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def _normal_site(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _check_host(parts, on_platform: bool) -> None:
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None:
        raise ChatError(_("Die Adresse darf keine Zugangsdaten enthalten."))
    try:
        parts.port  # noqa: B018 – raises on a bad port
    except ValueError:
        raise ChatError(_("Die Adresse enthält eine ungültige Portnummer."))
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None and not _HOST_RE.match(host):
        raise ChatError(_("Die Adresse enthält keinen gültigen Servernamen."))
    internal = host == "localhost" or (address is not None and (address.is_private or address.is_loopback
                                                               or address.is_link_local or address.is_reserved))
    if internal and not on_platform:
        raise ChatError(_("Diese Serveradresse ist nicht öffentlich erreichbar. Bitte fügen Sie die Adresse ein, "
                          "die Sie im Browser für Ihren Chat verwenden."))


def parse_channel_url(raw: str) -> ChannelUrl:
    """Validate a pasted channel link ``https://host[/sub-path]/<team>/channels/<channel>``."""
    raw = (raw or "").strip()
    if not raw:
        raise ChatError(_("Bitte fügen Sie die Adresse des Kanals ein."))
    if len(raw) > 500 or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise ChatError(_("Das sieht nicht wie die Adresse eines Mattermost-Kanals aus."))
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ChatError(_("Bitte fügen Sie eine vollständige Adresse ein, die mit https:// beginnt."))
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    if any(not _SEGMENT_RE.match(s) for s in segments):
        raise ChatError(_("Das sieht nicht wie die Adresse eines Mattermost-Kanals aus."))
    if len(segments) >= 3 and segments[-2] == "messages":
        raise ChatError(_("Das ist eine Direktnachricht, kein Vereinskanal. Bitte öffnen Sie den Kanal und kopieren "
                          "Sie dessen Adresse."))
    if len(segments) < 3 or segments[-2] != "channels":
        raise ChatError(_("Das sieht nicht wie die Adresse eines Mattermost-Kanals aus. Sie hat die Form "
                          "https://chat.example.org/team/channels/kanalname."))
    team, channel, sub = segments[-3].lower(), segments[-1].lower(), segments[:-3]
    if not TEAM_NAME_RE.match(team) or len(channel) > MAX_NAME or not CHANNEL_NAME_RE.match(channel):
        raise ChatError(_("Team- oder Kanalname in der Adresse sind ungültig."))
    site_url = f"{parts.scheme.lower()}://{parts.netloc.lower()}" + "".join("/" + s for s in sub)
    on_platform = bool(platform_url()) and site_url == _normal_site(platform_url())
    _check_host(parts, on_platform)
    return ChannelUrl(site_url, team, channel, on_platform)


_HOOK_RE = re.compile(r"^/hooks/[a-z0-9]{26}$")


def parse_webhook_url(raw: str, site_url: str) -> str:
    """An incoming-webhook URL on the same Mattermost server as the channel."""
    raw = (raw or "").strip()
    parts = urlsplit(raw)
    if (parts.scheme.lower() not in ("http", "https") or len(raw) > 500 or parts.query or parts.fragment
            or any(ch.isspace() for ch in raw)):
        raise ChatError(_("Die Webhook-Adresse ist ungültig. Sie hat die Form https://chat.example.org/hooks/…"))
    base = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    path = parts.path
    sub = urlsplit(site_url).path
    if base + sub != site_url or not path.startswith(sub + "/hooks/") or not _HOOK_RE.match(path[len(sub):]):
        raise ChatError(_("Die Webhook-Adresse muss zum selben Chat-Server gehören wie der Kanal und die Form "
                          "…/hooks/<Kennung> haben."))
    return base + path


# --- queries ---------------------------------------------------------------------------

def link_for(club) -> ChatLink | None:
    return db.session.scalar(sa.select(ChatLink).where(ChatLink.club_id == club.id))


def open_ops(club=None) -> list[ChatOp]:
    query = sa.select(ChatOp).where(ChatOp.status.in_(OPEN)).order_by(ChatOp.id)
    if club is not None:
        query = query.where(ChatOp.club_id == club.id)
    return list(db.session.scalars(query))


def open_op_count(club) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ChatOp).where(ChatOp.club_id == club.id, ChatOp.status.in_(OPEN))
    )


def staff_overview() -> dict:
    """For the staff page (and the admin dashboard): open ops with their errors."""
    ops = open_ops()
    return {"ops": ops, "failed": sum(op.status == "failed" for op in ops),
            "pending": sum(op.status == "pending" for op in ops)}


def has_no_account(link: ChatLink, user_id: int) -> bool:
    """A provisioned channel, and the last lookup found no Mattermost account for this person."""
    if not link.is_provisioned or not link.channel_id:
        return False
    account = db.session.get(ChatAccount, user_id)
    return account is not None and account.mm_user_id is None


_bot_cache: dict = {}


def bot_username() -> str | None:
    url = platform_url()
    cached = _bot_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    client = mm_client()
    if client is None:
        return None
    try:
        name = client.me().get("username")
    except MattermostError:
        return None
    _bot_cache[url] = (time.monotonic() + 600, name)
    return name


# --- linking -----------------------------------------------------------------------------

@dataclass
class LinkResult:
    link: ChatLink
    needs_bot: bool = False


def link_channel(club, url: str, *, webhook_url: str | None = None, by=None) -> LinkResult:
    parsed = parse_channel_url(url)
    hook = parse_webhook_url(webhook_url, parsed.site_url) if (webhook_url or "").strip() else None
    info = {"display_name": None, "team_id": None, "channel_id": None, "private": False, "bot_can_read": False}
    needs_bot = False
    if parsed.on_platform:
        client = mm_client()
        if client is None:
            raise ChatError(_("Der Chat-Server der Plattform ist nicht eingerichtet."))
        try:
            channel = client.channel_by_team_name(parsed.team, parsed.channel)
            info.update(display_name=channel["display_name"][:MAX_DISPLAY], team_id=channel["team_id"],
                        channel_id=channel["id"], private=channel["type"] == "P", bot_can_read=True)
        except MattermostError as exc:
            if exc.status == 404:
                raise ChatError(_("Diesen Kanal gibt es auf dem Chat-Server nicht (oder er ist archiviert). Bitte "
                                  "prüfen Sie Team- und Kanalnamen in der Adresse."))
            if exc.status == 403:
                needs_bot, info["private"] = True, True
            elif exc.transient:
                raise ChatError(_("Der Chat-Server ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar "
                                  "Minuten noch einmal."))
            else:
                raise ChatError(_("Der Kanal konnte nicht geprüft werden (%(code)s).", code=exc.id))
    link = link_for(club) or ChatLink(club_id=club.id)
    link.kind = "linked"
    link.site_url, link.team_name, link.channel_name = parsed.site_url, parsed.team, parsed.channel
    link.on_platform = parsed.on_platform
    link.archived_at = None
    link.webhook_url = hook
    link.welcome_posted = False
    for key, value in info.items():
        setattr(link, key, value)
    db.session.add(link)
    audit_record("chat.linked", actor=by, club=club, url=link.web_url, webhook=bool(hook))
    db.session.commit()
    forget_panel(club)
    return LinkResult(link, needs_bot=needs_bot and not hook)


def recheck_access(link: ChatLink) -> bool:
    """After the board added the bot to a private channel: look again."""
    client = mm_client()
    if not link.on_platform or client is None:
        return False
    try:
        channel = client.channel_by_team_name(link.team_name, link.channel_name)
    except MattermostError:
        return False
    link.channel_id, link.team_id = channel["id"], channel["team_id"]
    link.display_name = channel["display_name"][:MAX_DISPLAY]
    link.bot_can_read = True
    db.session.commit()
    forget_panel(link.club)
    return True


def unlink(club, *, by=None) -> None:
    link = link_for(club)
    if link is None:
        return
    db.session.delete(link)
    for op in open_ops(club):
        op.status, op.last_error = "done", "Verknüpfung gelöst"
    audit_record("chat.unlinked", actor=by, club=club)
    db.session.commit()
    forget_panel(club)


def set_options(club, *, notices: bool, board_only: bool | None = None, by=None) -> None:
    link = link_for(club)
    if link is None:
        raise ChatError(_("Es ist noch kein Kanal verknüpft."))
    link.notices_enabled = notices
    changed = board_only is not None and link.is_provisioned and board_only != link.board_only
    if board_only is not None and link.is_provisioned:
        link.board_only = board_only
    audit_record("chat.options", actor=by, club=club, notices=notices, board_only=link.board_only)
    db.session.commit()
    if changed:
        from ..clubs.services import club_members

        for membership in club_members(club):
            enqueue_member_sync(club, membership.user_id)


# --- provisioning ----------------------------------------------------------------------------

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
                if (existing.get("creator_id") == me["id"] and existing.get("purpose") == _purpose(club)
                        and not existing.get("delete_at")):
                    channel = existing  # our own, created by an earlier attempt whose answer got lost
                    break
                continue
            try:
                channel = client.create_channel(team["id"], name, display_name_for(club.name), private=True,
                                                purpose=_purpose(club))
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
    from ..clubs.services import club_members

    for membership in club_members(club):
        _sync_member(link, membership.user_id, client)
    if not link.welcome_posted:
        with force_locale("de"):
            text = _("Willkommen im Kanal von %(name)s! Hier tauschen sich Vorstand und Mitglieder aus. Wenn eine "
                     "Videokonferenz des Vereins beginnt, erscheint hier ein Hinweis mit dem Link zum Arbeitsbereich: "
                     "%(url)s", name=_no_mentions(club.name), url=workspace_url(club))
        _post_once(client, link.channel_id, text, f"welcome-{club.id}", check=op.attempts > 1)
        link.welcome_posted = True
        db.session.commit()
    forget_panel(club)


# --- members ------------------------------------------------------------------------------------

def _account_for(user, client) -> str | None:
    """The user's Mattermost id by verified e-mail (fresh lookup; stored on our side)."""
    if user is None:
        return None
    account = db.session.get(ChatAccount, user.id)
    mm_id = None
    if user.is_confirmed:
        try:
            found = client.user_by_email(user.email)
            mm_id = None if found.get("delete_at") or found.get("is_bot") else found["id"]
        except MattermostError as exc:
            if exc.status not in (403, 404):
                raise
    if account is None:
        account = ChatAccount(user_id=user.id, email=user.email)
        db.session.add(account)
    account.mm_user_id = mm_id
    account.email, account.checked_at = user.email, utcnow()
    db.session.commit()
    return mm_id


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


def _sync_member(link: ChatLink, user_id: int, client, known_mm_id: str | None = None) -> str | None:
    """Make the channel match the club for one person. Returns "added", "removed" or None."""
    from ..auth.models import User
    from ..clubs.models import Membership

    membership = db.session.scalar(
        sa.select(Membership).where(Membership.club_id == link.club_id, Membership.user_id == user_id))
    user = db.session.get(User, user_id)
    stored = db.session.get(ChatAccount, user_id)
    previous = known_mm_id or (stored.mm_user_id if stored else None)
    mm_id = _account_for(user, client) if user is not None else None
    if _wants(link, membership) and mm_id:
        client.ensure_team_member(link.team_id, mm_id)
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


def _do_member(op: ChatOp, client) -> None:
    link = link_for(op.club)
    if link is None or not link.is_provisioned or not link.channel_id or link.archived_at is not None:
        return  # provisioning (when it runs) adds everyone who is a member then
    link.team_id = link.team_id or client.team_by_name(link.team_name)["id"]
    _sync_member(link, op.payload["user_id"], client, op.payload.get("mm_user_id"))
    forget_panel(op.club)


def enqueue_member_sync(club, user_id: int) -> None:
    link = link_for(club)
    if link is None or not link.is_provisioned or link.archived_at is not None:
        return
    account = db.session.get(ChatAccount, user_id)
    enqueue(club, "member", f"member:{club.id}:{user_id}",
            {"user_id": user_id, "mm_user_id": account.mm_user_id if account else None})


def _do_rename(op: ChatOp, client) -> None:
    link = link_for(op.club)
    if link is None or not link.is_provisioned or not link.channel_id or link.archived_at is not None:
        return
    name = display_name_for(op.club.name)
    client.patch_channel(link.channel_id, display_name=name)
    link.display_name = name
    db.session.commit()
    forget_panel(op.club)


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


# --- notices ------------------------------------------------------------------------------------

def workspace_url(club) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + f"/c/{club.slug}/"


def _no_mentions(text: str) -> str:
    """Keep names from notifying everybody (@channel, @all, …) or breaking the line."""
    text = " ".join(str(text).split())[:120]
    return text.replace("@", "@\u200b")


def post_meeting_notice(club, room_name: str | None = None) -> ChatOp | None:
    link = link_for(club)
    if link is None or not link.notices_enabled or link.archived_at is not None or not club.is_active:
        return None
    if not (link.bot_can_post or link.webhook_url):
        return None
    with force_locale("de"):
        if room_name:
            text = _("Die Videokonferenz „%(room)s“ hat begonnen. Zum Arbeitsbereich des Vereins: %(url)s",
                     room=_no_mentions(room_name), url=workspace_url(club))
        else:
            text = _("Eine Videokonferenz des Vereins hat begonnen. Zum Arbeitsbereich: %(url)s",
                     url=workspace_url(club))
    return enqueue(club, "notice", f"notice:{uuid.uuid4().hex}", {"text": text}, lifetime=NOTICE_LIFETIME)


def _do_notice(op: ChatOp, client) -> None:
    link = link_for(op.club)
    if link is None or not link.notices_enabled:
        return
    if link.bot_can_post:
        _post_once(client, link.channel_id, op.payload["text"], f"op-{op.id}", check=op.attempts > 1)
    elif link.webhook_url:
        client.post_webhook(link.webhook_url, op.payload["text"])
    forget_panel(op.club)


def _post_once(client, channel_id: str, text: str, marker: str, *, check: bool) -> None:
    """Post unless an earlier attempt already did (its answer may have been lost)."""
    if check:
        recent = client.channel_posts(channel_id, per_page=30)
        if any((p.get("props") or {}).get("vereinsraum") == marker for p in recent.get("posts", {}).values()):
            return
    client.create_post(channel_id, text, props={"vereinsraum": marker})


# --- the op queue --------------------------------------------------------------------------------

HANDLERS = {
    "provision": _do_provision,
    "member": _do_member,
    "rename": _do_rename,
    "archive": _do_archive,
    "notice": _do_notice,
}


def enqueue(club, kind: str, key: str, payload: dict, *, lifetime: timedelta = MEMBER_OP_LIFETIME) -> ChatOp:
    now = utcnow()
    op = db.session.scalar(sa.select(ChatOp).where(ChatOp.key == key, ChatOp.status.in_(OPEN)))
    if op is None:
        op = ChatOp(club_id=club.id, kind=kind, key=key, payload=payload, status="pending", attempts=0,
                    next_try_at=now, give_up_at=now + lifetime, created_at=now)
        db.session.add(op)
    else:
        op.payload = {**payload, **{k: v for k, v in (op.payload or {}).items() if v and not payload.get(k)}}
        op.status, op.next_try_at, op.give_up_at = "pending", now, max(op.give_up_at, now + lifetime)
    db.session.commit()
    schedule(op.id)
    return op


def schedule(op_id: int, eta: datetime | None = None) -> None:
    from .jobs import run_op

    if eta is None:
        run_op(op_id)
    else:
        run_op.schedule((op_id,), eta=eta)


def backoff(attempts: int) -> int:
    return min(BACKOFF_CAP, 30 * 2 ** max(0, attempts - 1))


def execute_op(op_id: int, now: datetime | None = None) -> str | None:
    """Carry out one op now. Returns its new status (None when nothing was to do)."""
    now = now or utcnow()
    op = db.session.get(ChatOp, op_id)
    if op is None or op.status != "pending" or op.next_try_at > now + timedelta(seconds=5):
        return None
    client = mm_client(max_wait=2.0)
    if client is None:
        op.status, op.last_error = "failed", "Kein Chat-Server eingerichtet (MATTERMOST_URL/TOKEN)."
        db.session.commit()
        return op.status
    if op.kind == "notice" and now > op.give_up_at:
        op.status, op.last_error = "failed", "Hinweis verfallen: zu spät, um noch nützlich zu sein."
        db.session.commit()
        return op.status
    # Claim this attempt atomically: a scheduled run and the periodic sweep may race for the same op, and
    # only one of them may carry it out. A worker killed mid-way leaves the op claimed until OP_LEASE has
    # passed; then it is due again and the sweep (or "Jetzt erneut versuchen") finishes it.
    claimed = db.session.execute(
        sa.update(ChatOp)
        .where(ChatOp.id == op.id, ChatOp.status == "pending", ChatOp.attempts == op.attempts)
        .values(attempts=ChatOp.attempts + 1, next_try_at=utcnow() + OP_LEASE)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return None  # another worker has it
    db.session.refresh(op)
    try:
        HANDLERS[op.kind](op, client)
    except MattermostError as exc:
        db.session.rollback()
        op = db.session.get(ChatOp, op_id)
        op.last_error = str(exc)[:500]
        if exc.transient and now < op.give_up_at:
            wait = max(1, int(exc.retry_after + 0.999)) if exc.status == 429 and exc.retry_after is not None \
                else backoff(op.attempts)
            op.next_try_at = now + timedelta(seconds=wait)
            db.session.commit()
            schedule(op.id, eta=op.next_try_at)
        else:
            op.status = "failed"
            db.session.commit()
            log.warning("chat op %s (%s) failed: %s", op.id, op.kind, exc)
        return op.status
    except Exception as exc:  # a bug must not lose the op silently
        db.session.rollback()
        log.exception("chat op %s crashed", op_id)
        op = db.session.get(ChatOp, op_id)
        op.status, op.last_error = "failed", f"{exc.__class__.__name__}: {exc}"[:500]
        db.session.commit()
        return op.status
    op.status, op.done_at, op.last_error = "done", utcnow(), None
    db.session.commit()
    return op.status


def process_due(now: datetime | None = None, limit: int = 200) -> dict:
    """Run every pending op whose next try is due (``flask chat retry``, periodic job, tests)."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        sa.select(ChatOp.id).where(ChatOp.status == "pending", ChatOp.next_try_at <= now)
        .order_by(ChatOp.id).limit(limit)))
    result = {"done": 0, "pending": 0, "failed": 0}
    for op_id in ids:
        status = execute_op(op_id, now=now)
        if status in result:
            result[status] += 1
    return result


def retry_now(club=None, *, by=None) -> int:
    """Make open ops (also failed ones) due now and run them."""
    now = utcnow()
    ops = open_ops(club)
    for op in ops:
        op.status, op.next_try_at = "pending", now
        op.give_up_at = max(op.give_up_at, now + (NOTICE_LIFETIME if op.kind == "notice" else MEMBER_OP_LIFETIME))
    if ops:
        audit_record("chat.retry", actor=by, club=club, count=len(ops))
    db.session.commit()
    for op_id in [op.id for op in ops]:
        schedule(op_id)
    return len(ops)


# --- reconcile --------------------------------------------------------------------------------------

def reconcile() -> list[str]:
    """Compare every provisioned channel with its club and repair the difference."""
    from ..auth.models import User
    from ..clubs.models import ClubStatus, Membership

    client = mm_client(max_wait=2.0)
    if client is None:
        return ["Kein Chat-Server eingerichtet."]
    lines = []
    links = list(db.session.scalars(
        sa.select(ChatLink).where(ChatLink.kind == "provisioned", ChatLink.channel_id.is_not(None),
                                  ChatLink.archived_at.is_(None)).order_by(ChatLink.id)))
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


# --- panel ---------------------------------------------------------------------------------------------

PANEL_TTL = 60.0
_panel_cache: dict[int, tuple[float, "PanelInfo"]] = {}
_panel_lock = threading.Lock()


@dataclass
class PanelInfo:
    member_count: int | None = None
    posts: list[dict] = field(default_factory=list)
    error: str | None = None
    can_read: bool = False


def forget_panel(club) -> None:
    with _panel_lock:
        _panel_cache.pop(club.id, None)


def panel_info(link: ChatLink, *, refresh: bool = False) -> PanelInfo:
    if not link.on_platform or link.archived_at is not None or mm_client() is None:
        return PanelInfo()
    now = time.monotonic()
    with _panel_lock:
        cached = _panel_cache.get(link.club_id)
    if cached and cached[0] > now and not refresh:
        return cached[1]
    info = _fetch_panel(link)
    ttl = PANEL_TTL if info.error is None else 10.0
    with _panel_lock:
        _panel_cache[link.club_id] = (now + ttl, info)
    return info


def _fetch_panel(link: ChatLink) -> PanelInfo:
    client = mm_client()
    if not link.bot_can_read or not link.channel_id:
        if link.is_provisioned or not recheck_access(link):
            return PanelInfo()
    try:
        count = len(client.channel_members(link.channel_id))
        post_list = client.channel_posts(link.channel_id, per_page=3)
        posts = [post_list["posts"][pid] for pid in post_list.get("order", [])[:3] if pid in post_list.get("posts", {})]
        users = {u["id"]: u for u in client.users_by_ids(sorted({p["user_id"] for p in posts}))}
    except MattermostError as exc:
        if exc.status in (403, 404):
            link.bot_can_read = False
            db.session.commit()
            return PanelInfo()
        return PanelInfo(error=_("Der Chat-Server antwortet gerade nicht."))
    except (KeyError, TypeError, AttributeError):
        log.warning("unexpected answer from Mattermost for club %s", link.club_id, exc_info=True)
        return PanelInfo(error=_("Der Chat-Server antwortet gerade nicht."))
    shown = []
    for post in posts:
        user = users.get(post["user_id"], {})
        shown.append({
            "author": user.get("username") or _("unbekannt"),
            "time": datetime.fromtimestamp(post.get("create_at", 0) / 1000, tz=timezone.utc),
            "text": _plain(post.get("message", "")),
        })
    return PanelInfo(member_count=count, posts=shown, can_read=True)


def _plain(text: str, limit: int = 280) -> str:
    """Post text for display: plain text (escaped by the template), shortened."""
    text = "".join(ch for ch in str(text) if ch in "\n\t" or ord(ch) >= 32)
    return text if len(text) <= limit else text[: limit - 1] + "…"
