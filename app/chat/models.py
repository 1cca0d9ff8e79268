"""The club's linked Mattermost channel, the Mattermost ids we know, and the sync queue."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..core.db import UTCDateTime, enum_column, utcnow
from ..extensions import db


class OpStatus(enum.StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    DONE = "done"


#: What an op does, for staff and boards (ChatOp.kind).
OP_LABELS = {
    "provision": _l("Kanal anlegen"),
    "state": _l("Kanal archivieren oder wiederherstellen"),
    "archive": _l("Kanal archivieren"),
    "member": _l("Mitglied abgleichen"),
    "rename": _l("Kanal umbenennen"),
    "notice": _l("Hinweis senden"),
    "community": _l("Community-Kanal abgleichen"),
}


class ChatLink(db.Model):
    """One per club: a pasted channel (``linked``) or one we created (``provisioned``)."""

    __tablename__ = "chat_link"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # "linked" | "provisioned"
    site_url: so.Mapped[str] = so.mapped_column(sa.String(255))  # scheme://host[/sub-path]
    team_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    channel_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    display_name: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    team_id: so.Mapped[str | None] = so.mapped_column(sa.String(26))
    # A Mattermost channel belongs to at most one club (only channels on the platform's server have an id here).
    channel_id: so.Mapped[str | None] = so.mapped_column(sa.String(26), unique=True)
    private: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    on_platform: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    bot_can_read: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    webhook_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # sha256 of the webhook's id: one webhook serves at most one club, however its URL is spelled.
    webhook_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    notices_enabled: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    board_only: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    welcome_posted: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    archived_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    club = so.relationship("Club")

    @property
    def is_provisioned(self) -> bool:
        return self.kind == "provisioned"

    @property
    def is_ready(self) -> bool:
        """The channel exists: on the platform's server only once we know its id (a provisioned channel
        gets it when the chat server created it); a channel elsewhere is only a link we cannot check."""
        if self.is_provisioned or self.on_platform:
            return bool(self.channel_id)
        return bool(self.channel_name)

    @property
    def web_url(self) -> str:
        return f"{self.site_url}/{self.team_name}/channels/{self.channel_name}"

    @property
    def app_url(self) -> str:
        """Deep link for the Mattermost desktop/mobile apps."""
        return "mattermost://" + self.web_url.split("://", 1)[1]

    @property
    def bot_can_post(self) -> bool:
        return bool(self.on_platform and self.channel_id and self.bot_can_read and self.archived_at is None)


class ChatAccount(db.Model):
    """A platform user's Mattermost user id, matched by verified e-mail (None = no account found)."""

    __tablename__ = "chat_account"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    mm_user_id: so.Mapped[str | None] = so.mapped_column(sa.String(26), index=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    checked_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class ChatOp(db.Model):
    """A change that must reach Mattermost. Idempotent; retried with backoff.

    ``key`` identifies the desired state being carried over (e.g. "member:12:34");
    while an op with a key is open, a new request for it reuses that row.
    """

    __tablename__ = "chat_op"
    __table_args__ = (sa.Index("ix_chat_op_status_next_try", "status", "next_try_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # None: an op of the platform-wide community channel (no club)
    club_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    key: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    status: so.Mapped[OpStatus] = so.mapped_column(enum_column(OpStatus, length=12), default=OpStatus.PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_try_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    give_up_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    done_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    club = so.relationship("Club")

    @property
    def label(self) -> str:
        return str(OP_LABELS.get(self.kind, self.kind))


class CommunityChannel(db.Model):
    """The platform-wide community channel on the platform's Mattermost: one row (id 1), never a club's."""

    __tablename__ = "community_channel"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[str] = so.mapped_column(sa.String(26))
    channel_id: so.Mapped[str] = so.mapped_column(sa.String(26), unique=True)
    team_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    channel_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    display_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class CommunityMember(db.Model):
    """One person's wish to be in the community channel, and what staff decided.

    ``wants``: the person joined (and has not left); ``blocked``: staff removed them – a click does not bring
    them back until staff allow it again; ``accepted_at``: when they accepted the code of conduct;
    ``mm_user_id``: the Mattermost account we put into the channel (to take it out again, also after an
    account deletion); ``in_channel``: what the last carried-out op left on the chat server. A person who left
    (and was not removed by staff) keeps no row once the op has taken them out.
    """

    __tablename__ = "community_member"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    wants: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    blocked: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    accepted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    mm_user_id: so.Mapped[str | None] = so.mapped_column(sa.String(26))
    in_channel: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = so.relationship("User")
