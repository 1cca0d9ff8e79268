"""Notices in the club's channel (a meeting has started): through the bot, or a webhook the board gave us."""

from __future__ import annotations

import uuid

from flask_babel import force_locale
from flask_babel import gettext as _

from ..core.urls import external_url
from ..integrations.mattermost import MattermostError
from .models import ChatLink, ChatOp
from .queue import NOTICE_LIFETIME, enqueue, handles
from .services import forget_panel, hook_id_of, link_for

# --- notices --------------------------------------------------------------------------------------


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
            text = _(
                "Die Videokonferenz „%(room)s“ hat begonnen. Zum Arbeitsbereich des Vereins: %(url)s",
                room=_no_mentions(room_name),
                url=workspace_url(club),
            )
        else:
            text = _(
                "Eine Videokonferenz des Vereins hat begonnen. Zum Arbeitsbereich: %(url)s", url=workspace_url(club)
            )
    return enqueue(club, "notice", f"notice:{uuid.uuid4().hex}", {"text": text}, lifetime=NOTICE_LIFETIME)


@handles("notice")
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
        raise MattermostError(None, HOOK_MOVED, "the webhook no longer writes into the club's channel", transient=False)


def _post_once(client, channel_id: str, text: str, marker: str, *, check: bool) -> None:
    """Post unless an earlier attempt already did (its answer may have been lost)."""
    if check:
        recent = client.channel_posts(channel_id, per_page=30)
        if any((p.get("props") or {}).get("vereinsraum") == marker for p in recent.get("posts", {}).values()):
            return
    client.create_post(channel_id, text, props={"vereinsraum": marker})
