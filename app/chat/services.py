"""Chat domain: link or provision a club's Mattermost channel and keep it in sync.

Every change that must reach Mattermost is a :class:`ChatOp` row carried out
by a background job (:func:`execute_op`). Ops describe a *desired state*
("user 12 is in club 3's channel iff they are a member"), so running one twice
or late does no harm. Transient failures (server unreachable, 5xx, 429) are
retried with backoff – honouring Retry-After – for up to a day; afterwards the
op is ``failed`` and shown to the board (panel) and to staff (/admin/chat).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.exc
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..core import outbound
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.jobs import JobQueueUnavailable
from ..core.urls import external_url
from ..extensions import cache, db
from ..integrations.mattermost import MattermostError, client_from_config
from ..integrations.mattermost.client import CHANNEL_EXISTS, TEAM_MEMBER_MISSING
from .models import ChatAccount, ChatLink, ChatOp

log = logging.getLogger(__name__)

OPEN = ("pending", "failed")
MEMBER_OP_LIFETIME = timedelta(days=1)
NOTICE_LIFETIME = timedelta(hours=1)
BACKOFF_CAP = 3600  # seconds


def op_lease() -> timedelta:
    """How long one attempt may take before it counts as crashed (its worker killed) and may run again."""
    return timedelta(seconds=int(current_app.config.get("CHAT_OP_LEASE_SECONDS") or 600))


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
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _site(scheme: str, netloc: str, sub: str = "") -> str:
    """``scheme://host[:port]/sub`` in one spelling (lower case, no default port)."""
    scheme, netloc = scheme.lower(), netloc.lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default and netloc.endswith(default) and "@" not in netloc:
        netloc = netloc[: -len(default)]
    return f"{scheme}://{netloc}{sub.rstrip('/')}"


def _normal_site(url: str) -> str:
    parts = urlsplit(url.strip())
    return _site(parts.scheme, parts.netloc, parts.path)


def outbound_policy() -> outbound.Policy:
    return outbound.Policy.from_config(current_app.config)


def check_reachable(url: str) -> None:
    """The SSRF rule for a URL a club gave us (app/core/outbound.py), as a German :class:`ChatError`."""
    try:
        outbound.check_url(url, outbound_policy(), timeout=float(current_app.config.get("MATTERMOST_TIMEOUT") or 5))
    except outbound.OutboundRefused as exc:
        raise ChatError(exc.message) from exc
    except outbound.OutboundFailed as exc:
        raise ChatError(_("Den Server %(host)s finden wir nicht. Bitte prüfen Sie die Adresse.",
                          host=urlsplit(url).hostname or "")) from exc


def parse_channel_url(raw: str) -> ChannelUrl:
    """Validate a pasted channel link ``https://host[/sub-path]/<team>/channels/<channel>``.

    A channel on another server must be reachable under the outbound rules (https, a
    public address – checked with DNS); the platform's own server is operator-configured.
    """
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
    site_url = _site(parts.scheme, parts.netloc, "".join("/" + s for s in sub))
    on_platform = bool(platform_url()) and site_url == _normal_site(platform_url())
    if not on_platform:
        check_reachable(site_url)
    return ChannelUrl(site_url, team, channel, on_platform)


_HOOK_RE = re.compile(r"^/hooks/[a-z0-9]{26}$")


def parse_webhook_url(raw: str, site_url: str) -> str:
    """An incoming-webhook URL on the same Mattermost server as the channel (form only; no DNS)."""
    raw = (raw or "").strip()
    parts = urlsplit(raw)
    if (parts.scheme.lower() not in ("http", "https") or len(raw) > 500 or parts.query or parts.fragment
            or any(ch.isspace() for ch in raw)):
        raise ChatError(_("Die Webhook-Adresse ist ungültig. Sie hat die Form https://chat.example.org/hooks/…"))
    path = parts.path
    sub = urlsplit(site_url).path
    if (_site(parts.scheme, parts.netloc, sub) != site_url or not path.startswith(sub + "/hooks/")
            or not _HOOK_RE.match(path[len(sub):])):
        raise ChatError(_("Die Webhook-Adresse muss zum selben Chat-Server gehören wie der Kanal und die Form "
                          "…/hooks/<Kennung> haben."))
    return site_url + path[len(sub):]


def hook_id_of(webhook_url: str) -> str:
    return urlsplit(webhook_url.strip()).path.rstrip("/").rsplit("/", 1)[-1]


def webhook_key(webhook_url: str) -> str:
    """What makes a webhook one webhook, however its URL is spelled: its id (stored hashed)."""
    return hashlib.sha256(hook_id_of(webhook_url).encode()).hexdigest()


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


BOT_NAME_TTL = 600  # seconds


def bot_username() -> str | None:
    """The bot's @name (shared cache: every app instance asks Mattermost once per ten minutes)."""
    url = platform_url()
    key = f"chat:bot-name:{url}"
    name = cache.get(key)
    if name:
        return name
    client = mm_client()
    if client is None:
        return None
    try:
        name = client.me().get("username")
    except MattermostError:
        return None
    if name:
        cache.set(key, name, timeout=BOT_NAME_TTL)
    return name


# --- linking -----------------------------------------------------------------------------
#
# Ownership: a Mattermost channel (by id) and a webhook (by id) belong to at most one club –
# unique constraints on chat_link, checked first for a clear message. A channel on the
# platform's server is accepted only when the platform provisioned it for this club, or the
# acting board member's Mattermost account (found by their *confirmed* e-mail address) is a
# member of it. A webhook on the platform's server must write into that channel; when the bot
# cannot see the (private) channel, the hook must have been created by the acting board member.
# On other servers nothing can be read: a webhook there is used by one club only, and its
# address must pass the outbound rules (app/core/outbound.py) at link time and at every send.

@dataclass
class LinkResult:
    link: ChatLink
    needs_bot: bool = False


def _unreachable() -> ChatError:
    return ChatError(_("Der Chat-Server ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten noch "
                       "einmal."))


def _taken_channel() -> ChatError:
    return ChatError(_("Dieser Kanal ist bereits mit einem anderen Verein verknüpft. Ein Kanal kann nur zu einem "
                       "Verein gehören."))


def _taken_webhook() -> ChatError:
    return ChatError(_("Diese Webhook-Adresse ist bereits bei einem anderen Verein hinterlegt. Bitte legen Sie in "
                       "Ihrem Kanal eine eigene an."))


def _owned_elsewhere(club, channel_id: str | None = None, key: str | None = None) -> bool:
    column, value = (ChatLink.channel_id, channel_id) if channel_id else (ChatLink.webhook_key, key)
    if not value:
        return False
    return db.session.scalar(sa.select(ChatLink.id).where(column == value, ChatLink.club_id != club.id)) is not None


def _refuse_if_taken(club, channel_id: str | None, key: str | None) -> None:
    if _owned_elsewhere(club, channel_id=channel_id):
        raise _taken_channel()
    if _owned_elsewhere(club, key=key):
        raise _taken_webhook()


def _actor_account(actor, client) -> str:
    """The acting board member's Mattermost id, found by their confirmed e-mail address."""
    if actor is None or not actor.is_confirmed:
        raise ChatError(_("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse. Erst dann können wir prüfen, ob Sie auf dem "
                          "Chat-Server Mitglied dieses Kanals sind."))
    try:
        mm_id = _account_for(actor, client)
    except MattermostError as exc:
        raise _unreachable() if exc.transient else ChatError(
            _("Der Kanal konnte nicht geprüft werden (%(code)s).", code=exc.id)) from exc
    if not mm_id:
        raise ChatError(_("Auf dem Chat-Server gibt es kein Konto mit Ihrer bestätigten E-Mail-Adresse %(email)s. "
                          "Verknüpfen können Sie nur einen Kanal, in dem Sie dort Mitglied sind.", email=actor.email))
    return mm_id


def _prove_channel(club, channel: dict, actor, client) -> None:
    """May this club have this platform channel? Raises ChatError when not."""
    current = link_for(club)
    provisioned_here = current is not None and current.is_provisioned and current.channel_id == channel["id"]
    if not provisioned_here:
        mm_id = _actor_account(actor, client)
        try:
            member = client.is_channel_member(channel["id"], mm_id)
        except MattermostError as exc:
            if exc.transient:
                raise _unreachable() from exc
            member = False
        if not member:
            raise ChatError(_("Sie sind auf dem Chat-Server nicht Mitglied dieses Kanals. Verknüpfen können Sie nur einen "
                              "Kanal, in dem Ihr Konto (mit Ihrer bestätigten E-Mail-Adresse) Mitglied ist."))
    if _owned_elsewhere(club, channel_id=channel["id"]):
        raise _taken_channel()


def _verify_platform_hook(club, hook_url: str, channel: dict | None, actor, client) -> str:
    """A webhook on the platform's server: the channel it writes into (after the ownership checks)."""
    try:
        hook = client.incoming_hook(hook_id_of(hook_url))
    except MattermostError as exc:
        if exc.status == 404:
            raise ChatError(_("Diese Webhook-Adresse gibt es auf dem Chat-Server nicht.")) from exc
        if exc.status == 403:
            raise ChatError(_("Die Plattform darf auf ihrem Chat-Server nicht prüfen, in welchen Kanal diese "
                              "Webhook-Adresse schreibt. Bitte fügen Sie stattdessen den Bot zum Kanal hinzu.")) from exc
        if exc.transient:
            raise _unreachable() from exc
        raise ChatError(_("Der Kanal konnte nicht geprüft werden (%(code)s).", code=exc.id)) from exc
    if hook.get("delete_at"):
        raise ChatError(_("Diese Webhook-Adresse gibt es auf dem Chat-Server nicht."))
    hook_channel = hook.get("channel_id")
    if channel is not None:
        if hook_channel != channel["id"]:
            raise ChatError(_("Diese Webhook-Adresse schreibt in einen anderen Kanal als den angegebenen."))
        return hook_channel
    # The bot cannot see the private channel: a hook for it can only be made by a member of it.
    if hook.get("user_id") != _actor_account(actor, client):
        raise ChatError(_("Diese Webhook-Adresse hat jemand anderes angelegt. Bitte legen Sie selbst in Ihrem Kanal eine "
                          "an – oder fügen Sie den Bot zum Kanal hinzu."))
    if _owned_elsewhere(club, channel_id=hook_channel):
        raise _taken_channel()
    return hook_channel


def _lookup_channel(client, team: str, name: str) -> dict | None:
    """The pasted platform channel; None when it is private and the bot is not in it."""
    try:
        return client.channel_by_team_name(team, name)
    except MattermostError as exc:
        if exc.status == 404:
            raise ChatError(_("Diesen Kanal gibt es auf dem Chat-Server nicht (oder er ist archiviert). Bitte "
                              "prüfen Sie Team- und Kanalnamen in der Adresse.")) from exc
        if exc.status == 403:
            return None
        if exc.transient:
            raise _unreachable() from exc
        raise ChatError(_("Der Kanal konnte nicht geprüft werden (%(code)s).", code=exc.id)) from exc


def _commit_owned(club, channel_id: str | None, key: str | None) -> None:
    """Commit; a race with another club on the same channel or webhook becomes a clear ChatError."""
    try:
        db.session.commit()
    except sqlalchemy.exc.IntegrityError:
        db.session.rollback()
        _refuse_if_taken(club, channel_id, key)
        raise ChatError(_("Die Chat-Einstellungen wurden gerade gleichzeitig geändert. Bitte versuchen Sie es noch "
                          "einmal."))


def link_channel(club, url: str, *, webhook_url: str | None = None, by=None) -> LinkResult:
    parsed = parse_channel_url(url)
    hook = parse_webhook_url(webhook_url, parsed.site_url) if (webhook_url or "").strip() else None
    info = {"display_name": None, "team_id": None, "channel_id": None, "private": False, "bot_can_read": False}
    needs_bot = False
    if parsed.on_platform:
        client = mm_client()
        if client is None:
            raise ChatError(_("Der Chat-Server der Plattform ist nicht eingerichtet."))
        channel = _lookup_channel(client, parsed.team, parsed.channel)
        if channel is not None:
            _prove_channel(club, channel, by, client)
            info.update(display_name=channel["display_name"][:MAX_DISPLAY], team_id=channel["team_id"],
                        channel_id=channel["id"], private=channel["type"] == "P", bot_can_read=True)
        else:
            needs_bot, info["private"] = True, True
        if hook:
            info["channel_id"] = _verify_platform_hook(club, hook, channel, by, client)
    elif hook:
        check_reachable(hook)
    key = webhook_key(hook) if hook else None
    _refuse_if_taken(club, info["channel_id"], key)
    link = link_for(club) or ChatLink(club_id=club.id)
    link.kind = "linked"
    link.site_url, link.team_name, link.channel_name = parsed.site_url, parsed.team, parsed.channel
    link.on_platform = parsed.on_platform
    link.archived_at = None
    link.webhook_url, link.webhook_key = hook, key
    link.welcome_posted = False
    for name, value in info.items():
        setattr(link, name, value)
    db.session.add(link)
    audit_record("chat.linked", actor=by, club=club, url=link.web_url, webhook=bool(hook))
    _commit_owned(club, info["channel_id"], key)
    forget_panel(club)
    return LinkResult(link, needs_bot=needs_bot and not hook)


def recheck_access(link: ChatLink, actor=None) -> bool:
    """After the board added the bot to a private channel: look again (and prove ownership).

    Returns False when the bot still cannot read the channel; raises ChatError when the
    channel may not be this club's (``actor`` is the board member who asks).
    """
    client = mm_client()
    if not link.on_platform or client is None:
        return False
    try:
        channel = client.channel_by_team_name(link.team_name, link.channel_name)
    except MattermostError:
        return False
    if link.channel_id and link.channel_id != channel["id"]:
        raise ChatError(_("Unter dieser Adresse liegt inzwischen ein anderer Kanal. Bitte verknüpfen Sie ihn neu."))
    club = link.club
    if not link.is_provisioned:
        _prove_channel(club, channel, actor, client)
    link.channel_id, link.team_id = channel["id"], channel["team_id"]
    link.display_name = channel["display_name"][:MAX_DISPLAY]
    link.bot_can_read = True
    _commit_owned(club, channel["id"], None)
    forget_panel(club)
    return True


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
    forget_panel(club)
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
            # An account Mattermost itself has not verified never counts (someone may have typed this address).
            unusable = found.get("delete_at") or found.get("is_bot") or found.get("email_verified") is False
            mm_id = None if unusable else found["id"]
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


def _sync_member(link: ChatLink, user_id: int, client, known_mm_id: str | None = None, *,
                 check_first: bool = False) -> str | None:
    """Make the channel match the club for one person. Returns "added", "removed" or None.

    ``check_first``: an earlier attempt may have added them already (a resumed op): ask before adding.
    """
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
    return external_url("workspace.index", slug=club.slug)


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
    if link is None or not link.notices_enabled or not op.club.is_active:  # e.g. suspended after it was queued
        return
    if link.bot_can_post:
        _post_once(client, link.channel_id, op.payload["text"], f"op-{op.id}", check=op.attempts > 1)
    elif link.webhook_url:
        if link.on_platform:
            _check_hook_target(link, client)
        client.post_webhook(link.webhook_url, op.payload["text"])  # checked and pinned again (outbound rules)
    forget_panel(op.club)


HOOK_MOVED = "vereinsraum.hook_channel_changed"


def _check_hook_target(link: ChatLink, client) -> None:
    """At send time: a platform webhook still writes into this club's own channel."""
    hook = client.incoming_hook(hook_id_of(link.webhook_url))  # 403/404: a permanent error, nothing is sent
    if not link.channel_id or hook.get("channel_id") != link.channel_id or hook.get("delete_at"):
        raise MattermostError(None, HOOK_MOVED, "the webhook no longer writes into the club's channel",
                              transient=False)


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
    """Queue a job for a committed op. When the queue is down, the op waits in ``chat_op`` for the sweep."""
    from .tasks import run_op

    try:
        if eta is None:
            run_op(op_id)
        else:
            run_op.schedule((op_id,), eta=eta)
    except JobQueueUnavailable:
        log.warning("chat op %s not queued (queue unavailable); the periodic sweep picks it up", op_id)


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
    # only one of them may carry it out. A worker killed mid-way leaves the op claimed until the lease
    # (CHAT_OP_LEASE_SECONDS) has passed; then it is due again and the periodic sweep (or "Jetzt erneut
    # versuchen") finishes it, skipping what the killed attempt recorded as done.
    claimed = db.session.execute(
        sa.update(ChatOp)
        .where(ChatOp.id == op.id, ChatOp.status == "pending", ChatOp.attempts == op.attempts)
        .values(attempts=ChatOp.attempts + 1, next_try_at=utcnow() + op_lease())
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

# Cached in the shared cache (app.extensions.cache: Redis in production), so every app instance
# and worker sees the same entry and ``forget_panel`` reaches all of them. The key says what the
# viewer may see: on a board-only channel, members see no posts and no authors – and nothing is
# fetched for them at all.

PANEL_TTL = 60  # seconds
PANEL_ERROR_TTL = 10
PANEL_SCOPES = ("posts",)


@dataclass
class PanelInfo:
    member_count: int | None = None
    posts: list[dict] = field(default_factory=list)
    error: bool = False  # the chat server did not answer (the template says so in the viewer's language)
    can_read: bool = False
    restricted: bool = False  # board-only channel and the viewer is not on the board


def panel_scope(link: ChatLink, membership) -> str | None:
    """What this viewer may see of the channel: ``"posts"`` (count, posts, authors) or None."""
    if link.board_only and not (membership is not None and membership.is_board):
        return None
    return "posts"


def _panel_key(club_id: int, scope: str) -> str:
    return f"chat:panel:{club_id}:{scope}"


def forget_panel(club) -> None:
    cache.delete_many(*(_panel_key(club.id, scope) for scope in PANEL_SCOPES))


def panel_info(link: ChatLink, membership=None, *, refresh: bool = False) -> PanelInfo:
    """The panel's view of the channel for this viewer (``membership``: theirs in the club)."""
    if not link.on_platform or link.archived_at is not None or mm_client() is None:
        return PanelInfo()
    scope = panel_scope(link, membership)
    if scope is None:
        return PanelInfo(restricted=True)
    key = _panel_key(link.club_id, scope)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    actor = membership.user if membership is not None and membership.is_board else None
    info = _fetch_panel(link, actor)
    cache.set(key, info, timeout=PANEL_ERROR_TTL if info.error else PANEL_TTL)
    return info


def _fetch_panel(link: ChatLink, actor=None) -> PanelInfo:
    client = mm_client()
    if not link.bot_can_read or not link.channel_id:
        # A pasted private channel: when a board member looks, check whether the bot was added meanwhile.
        if link.is_provisioned or actor is None:
            return PanelInfo()
        try:
            if not recheck_access(link, actor):
                return PanelInfo()
        except ChatError:
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
        return PanelInfo(error=True)
    except (KeyError, TypeError, AttributeError):
        log.warning("unexpected answer from Mattermost for club %s", link.club_id, exc_info=True)
        return PanelInfo(error=True)
    shown = []
    for post in posts:
        user = users.get(post["user_id"], {})
        shown.append({
            "author": user.get("username") or None,
            "time": datetime.fromtimestamp(post.get("create_at", 0) / 1000, tz=timezone.utc),
            "text": _plain(post.get("message", "")),
        })
    return PanelInfo(member_count=count, posts=shown, can_read=True)


def _plain(text: str, limit: int = 280) -> str:
    """Post text for display: plain text (escaped by the template), shortened."""
    text = "".join(ch for ch in str(text) if ch in "\n\t" or ord(ch) >= 32)
    return text if len(text) <= limit else text[: limit - 1] + "…"
