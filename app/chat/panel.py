"""The workspace panel: members, the latest posts – what the viewer may see, from the shared cache."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from ..core.jobs import JobQueueUnavailable
from ..extensions import cache, db
from ..integrations.mattermost import MattermostError
from .linking import recheck_access
from .models import ChatLink
from .services import ChatError, _panel_key, mm_client

log = logging.getLogger(__name__)

PANEL_TTL = 60  # seconds
PANEL_ERROR_TTL = 10


@dataclass
class PanelInfo:
    member_count: int | None = None
    posts: list[dict] = field(default_factory=list)
    error: bool = False  # the chat server did not answer (the template says so in the viewer's language)
    can_read: bool = False
    restricted: bool = False  # board-only channel and the viewer is not on the board
    loading: bool = False  # not in the cache yet: the page shows a lazy section, a job fills the cache


def panel_scope(link: ChatLink, membership) -> str | None:
    """What this viewer may see of the channel: ``"posts"`` (count, posts, authors) or None."""
    if link.board_only and not (membership is not None and membership.is_board):
        return None
    return "posts"


def panel_info(link: ChatLink, membership=None, *, refresh: bool = False, cached_only: bool = False) -> PanelInfo:
    """The panel's view of the channel for this viewer (``membership``: theirs in the club).

    ``cached_only`` (the page without JavaScript): never ask Mattermost while rendering. On a cache miss
    the answer says ``loading`` and a background job fills the shared cache for the next look.
    """
    if not link.on_platform or link.archived_at is not None or mm_client() is None:
        return PanelInfo()
    scope = panel_scope(link, membership)
    if scope is None:
        return PanelInfo(restricted=True)
    key = _panel_key(link.club_id, scope)
    if cached_only:
        cached = cache.get(key)
        if cached is not None:
            return cached
        _request_warmup(link.club_id)
        return PanelInfo(loading=True)
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
        shown.append(
            {
                "author": user.get("username") or None,
                "time": datetime.fromtimestamp(post.get("create_at", 0) / 1000, tz=timezone.utc),
                "text": _plain(post.get("message", "")),
            }
        )
    return PanelInfo(member_count=count, posts=shown, can_read=True)


def _plain(text: str, limit: int = 280) -> str:
    """Post text for display: plain text (escaped by the template), shortened."""
    text = "".join(ch for ch in str(text) if ch in "\n\t" or ord(ch) >= 32)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _request_warmup(club_id: int) -> None:
    from .tasks import warm_panel  # tasks imports the queue, which imports this package's services

    try:
        warm_panel(club_id)
    except JobQueueUnavailable:
        log.warning("chat panel of club %s not warmed (queue unavailable)", club_id)


def warm_panel_cache(club_id: int) -> None:
    """The job behind ``cached_only``: fetch the channel once and put it in the shared cache."""
    link = db.session.scalar(sa.select(ChatLink).where(ChatLink.club_id == club_id))
    if link is None or not link.on_platform or link.archived_at is not None or mm_client() is None:
        return
    scope = "posts"
    info = _fetch_panel(link, None)
    cache.set(_panel_key(link.club_id, scope), info, timeout=PANEL_ERROR_TTL if info.error else PANEL_TTL)
