"""Chat domain: the club's Mattermost channel – configuration, the reads every part shares, names.

Linking a channel (``linking.py``), provisioning one and keeping its members in sync
(``provisioning.py``), notices in the channel (``notices.py``), the queue that carries every change
to Mattermost (``queue.py``) and the workspace panel (``panel.py``) build on this module.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from ..core.db import one_row, utcnow
from ..core.text import ascii_fold
from ..extensions import cache, db
from ..integrations.mattermost import MattermostError, client_from_config
from .models import ChatAccount, ChatLink, ChatOp, CommunityChannel

log = logging.getLogger(__name__)

#: ChatOp.status values of an op that still has to reach Mattermost
OPEN = ("pending", "failed")


class ChatError(Exception):
    """A user-facing problem (German message)."""


# --- configuration --------------------------------------------------------------------------------


def platform_url() -> str | None:
    url = current_app.config.get("MATTERMOST_URL")
    return url.rstrip("/") if url else None


def platform_ready() -> bool:
    config = current_app.config
    return bool(config.get("MATTERMOST_URL") and config.get("MATTERMOST_TOKEN") and config.get("MATTERMOST_TEAM"))


def auto_provision() -> bool:
    """Does approval create the club's channel? ``MATTERMOST_AUTO_PROVISION``; unset = when MATTERMOST_URL is set."""
    value = current_app.config.get("MATTERMOST_AUTO_PROVISION")
    if value is None:
        value = bool(current_app.config.get("MATTERMOST_URL"))
    return bool(value) and platform_ready()


def will_provision(club) -> bool:
    """Approving this club now creates its channel (the approval page says so)."""
    return auto_provision() and link_for(club) is None


def mm_client(max_wait: float = 0.0):
    return client_from_config(current_app.config, max_wait=max_wait)


# --- names ----------------------------------------------------------------------------------------


CHANNEL_NAME_RE = re.compile(r"^[a-z0-9]+([a-z\-\_0-9]+|(__)?)[a-z0-9]*$")

TEAM_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

MAX_NAME = 64

MAX_DISPLAY = 64


def channel_name_for(text: str, suffix: int = 1) -> str:
    """A Mattermost channel ``name`` from a slug or club name (see mattermost-api.md §4.3)."""
    value = ascii_fold(text).lower()
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


def hook_id_of(webhook_url: str) -> str:
    return urlsplit(webhook_url.strip()).path.rstrip("/").rsplit("/", 1)[-1]


def webhook_key(webhook_url: str) -> str:
    """What makes a webhook one webhook, however its URL is spelled: its id (stored hashed)."""
    return hashlib.sha256(hook_id_of(webhook_url).encode()).hexdigest()


# --- queries --------------------------------------------------------------------------------------


def link_for(club) -> ChatLink | None:
    return db.session.scalar(sa.select(ChatLink).where(ChatLink.club_id == club.id))


def open_ops(club=None) -> list[ChatOp]:
    query = sa.select(ChatOp).where(ChatOp.status.in_(OPEN)).order_by(ChatOp.id)
    if club is not None:
        query = query.where(ChatOp.club_id == club.id)
    return list(db.session.scalars(query))


@functools.cache
def _open_op_count_query():
    return (
        sa.select(sa.func.count())
        .select_from(ChatOp)
        .where(ChatOp.club_id == sa.bindparam("club_id"), ChatOp.status.in_(OPEN))
    )


def open_op_count(club) -> int:
    return db.session.scalar(_open_op_count_query(), {"club_id": club.id})


@functools.cache
def _link_and_open_op_count_query():
    # (the link or None, the number of open operations)
    return (
        sa.select(ChatLink, _open_op_count_query().scalar_subquery())
        .select_from(one_row())
        .outerjoin(ChatLink, ChatLink.club_id == sa.bindparam("club_id"))
    )


def link_and_open_op_count(club) -> tuple[ChatLink | None, int]:
    """:func:`link_for` and :func:`open_op_count` in one statement (the chat panel loads on every workspace view)."""
    link, waiting = db.session.execute(_link_and_open_op_count_query(), {"club_id": club.id}).one()
    return link, waiting


def staff_overview() -> dict:
    """For the staff page (and the admin dashboard): open ops with their errors."""
    ops = open_ops()
    return {
        "ops": ops,
        "failed": sum(op.status == "failed" for op in ops),
        "pending": sum(op.status == "pending" for op in ops),
    }


def has_no_account(link: ChatLink, user_id: int) -> bool:
    """A provisioned channel, and the last lookup found no Mattermost account for this person."""
    if not link.is_provisioned or not link.channel_id:
        return False
    account = db.session.get(ChatAccount, user_id)
    return account is not None and account.mm_user_id is None


BOT_NAME_TTL = 600  # seconds


def bot_username(*, cached_only: bool = False) -> str | None:
    """The bot's @name (shared cache: every app instance asks Mattermost once per ten minutes).

    ``cached_only``: never ask Mattermost (a page rendering without JavaScript); None on a miss.
    """
    url = platform_url()
    key = f"chat:bot-name:{url}"
    name = cache.get(key)
    if name or cached_only:
        return name or None
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


def _owned_elsewhere(club, channel_id: str | None = None, key: str | None = None) -> bool:
    """Another club has this channel or webhook – or the channel is the platform's community channel."""
    if channel_id and db.session.scalar(
        sa.select(CommunityChannel.id).where(CommunityChannel.channel_id == channel_id)
    ):
        return True
    column, value = (ChatLink.channel_id, channel_id) if channel_id else (ChatLink.webhook_key, key)
    if not value:
        return False
    return db.session.scalar(sa.select(ChatLink.id).where(column == value, ChatLink.club_id != club.id)) is not None


# --- the Mattermost accounts we know --------------------------------------------------------------


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


# --- the panel's cache ----------------------------------------------------------------------------

PANEL_SCOPES = ("posts",)


def _panel_key(club_id: int, scope: str) -> str:
    return f"chat:panel:{club_id}:{scope}"


def forget_panel(club) -> None:
    cache.delete_many(*(_panel_key(club.id, scope) for scope in PANEL_SCOPES))
