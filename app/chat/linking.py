"""Linking a club to a Mattermost channel it already has: the pasted link, the ownership proof, options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy.exc
from flask import current_app
from flask_babel import gettext as _

from ..clubs.services import club_members
from ..core import outbound
from ..core.audit import audit_record
from ..extensions import db
from ..integrations.mattermost import MattermostError
from .models import ChatLink
from .provisioning import enqueue_member_sync
from .services import (
    CHANNEL_NAME_RE,
    MAX_DISPLAY,
    MAX_NAME,
    TEAM_NAME_RE,
    ChatError,
    _account_for,
    _owned_elsewhere,
    forget_panel,
    hook_id_of,
    link_for,
    mm_client,
    open_ops,
    platform_url,
    webhook_key,
)

# --- URL validation -------------------------------------------------------------------------------


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
        raise ChatError(
            _("Den Server %(host)s finden wir nicht. Bitte prüfen Sie die Adresse.", host=urlsplit(url).hostname or "")
        ) from exc


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
        raise ChatError(
            _(
                "Das ist eine Direktnachricht, kein Vereinskanal. Bitte öffnen Sie den Kanal und kopieren "
                "Sie dessen Adresse."
            )
        )
    if len(segments) < 3 or segments[-2] != "channels":
        raise ChatError(
            _(
                "Das sieht nicht wie die Adresse eines Mattermost-Kanals aus. Sie hat die Form "
                "https://chat.example.org/team/channels/kanalname."
            )
        )
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
    if (
        parts.scheme.lower() not in ("http", "https")
        or len(raw) > 500
        or parts.query
        or parts.fragment
        or any(ch.isspace() for ch in raw)
    ):
        raise ChatError(_("Die Webhook-Adresse ist ungültig. Sie hat die Form https://chat.example.org/hooks/…"))
    path = parts.path
    sub = urlsplit(site_url).path
    if (
        _site(parts.scheme, parts.netloc, sub) != site_url
        or not path.startswith(sub + "/hooks/")
        or not _HOOK_RE.match(path[len(sub) :])
    ):
        raise ChatError(
            _(
                "Die Webhook-Adresse muss zum selben Chat-Server gehören wie der Kanal und die Form "
                "…/hooks/<Kennung> haben."
            )
        )
    return site_url + path[len(sub) :]


# --- linking --------------------------------------------------------------------------------------


@dataclass
class LinkResult:
    link: ChatLink
    needs_bot: bool = False


def _unreachable() -> ChatError:
    return ChatError(
        _("Der Chat-Server ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten noch einmal.")
    )


def _taken_channel() -> ChatError:
    return ChatError(
        _("Dieser Kanal ist bereits mit einem anderen Verein verknüpft. Ein Kanal kann nur zu einem Verein gehören.")
    )


def _taken_webhook() -> ChatError:
    return ChatError(
        _(
            "Diese Webhook-Adresse ist bereits bei einem anderen Verein hinterlegt. Bitte legen Sie in "
            "Ihrem Kanal eine eigene an."
        )
    )


def _refuse_if_taken(club, channel_id: str | None, key: str | None) -> None:
    if _owned_elsewhere(club, channel_id=channel_id):
        raise _taken_channel()
    if _owned_elsewhere(club, key=key):
        raise _taken_webhook()


def _actor_account(actor, client) -> str:
    """The acting board member's Mattermost id, found by their confirmed e-mail address."""
    if actor is None or not actor.is_confirmed:
        raise ChatError(
            _(
                "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse. Erst dann können wir prüfen, ob Sie auf dem "
                "Chat-Server Mitglied dieses Kanals sind."
            )
        )
    try:
        mm_id = _account_for(actor, client)
    except MattermostError as exc:
        raise (
            _unreachable()
            if exc.transient
            else ChatError(_("Der Kanal konnte nicht geprüft werden (%(code)s).", code=exc.id))
        ) from exc
    if not mm_id:
        raise ChatError(
            _(
                "Auf dem Chat-Server gibt es kein Konto mit Ihrer bestätigten E-Mail-Adresse %(email)s. "
                "Verknüpfen können Sie nur einen Kanal, in dem Sie dort Mitglied sind.",
                email=actor.email,
            )
        )
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
            raise ChatError(
                _(
                    "Sie sind auf dem Chat-Server nicht Mitglied dieses Kanals. Verknüpfen können Sie nur einen "
                    "Kanal, in dem Ihr Konto (mit Ihrer bestätigten E-Mail-Adresse) Mitglied ist."
                )
            )
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
            raise ChatError(
                _(
                    "Die Plattform darf auf ihrem Chat-Server nicht prüfen, in welchen Kanal diese "
                    "Webhook-Adresse schreibt. Bitte fügen Sie stattdessen den Bot zum Kanal hinzu."
                )
            ) from exc
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
        raise ChatError(
            _(
                "Diese Webhook-Adresse hat jemand anderes angelegt. Bitte legen Sie selbst in Ihrem Kanal eine "
                "an – oder fügen Sie den Bot zum Kanal hinzu."
            )
        )
    if _owned_elsewhere(club, channel_id=hook_channel):
        raise _taken_channel()
    return hook_channel


def _lookup_channel(client, team: str, name: str) -> dict | None:
    """The pasted platform channel; None when it is private and the bot is not in it."""
    try:
        return client.channel_by_team_name(team, name)
    except MattermostError as exc:
        if exc.status == 404:
            raise ChatError(
                _(
                    "Diesen Kanal gibt es auf dem Chat-Server nicht (oder er ist archiviert). Bitte "
                    "prüfen Sie Team- und Kanalnamen in der Adresse."
                )
            ) from exc
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
        raise ChatError(
            _("Die Chat-Einstellungen wurden gerade gleichzeitig geändert. Bitte versuchen Sie es noch einmal.")
        ) from None


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
            info.update(
                display_name=channel["display_name"][:MAX_DISPLAY],
                team_id=channel["team_id"],
                channel_id=channel["id"],
                private=channel["type"] == "P",
                bot_can_read=True,
            )
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


def unlink(club, *, by=None) -> None:
    link = link_for(club)
    if link is None:
        return
    db.session.delete(link)
    for op in open_ops(club):
        op.status, op.last_error = "done", _("Verknüpfung gelöst")
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
        for membership in club_members(club):
            enqueue_member_sync(club, membership.user_id)
