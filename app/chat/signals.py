"""Receivers: club and meeting events become chat ops (connected from ``init_app``; signals: app/core/signals.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..auth.models import User
from ..clubs.models import ClubStatus
from ..core.signals import (
    account_deleting,
    club_renamed,
    club_status_changed,
    club_welcome_links,
    meeting_started,
    membership_changed,
)
from ..core.urls import external_url
from ..extensions import db
from . import community, notices, provisioning, queue, services


def on_status_changed(club, old=None, new=None, **_kw):
    """Approval creates the channel (MATTERMOST_AUTO_PROVISION); otherwise the channel follows the status:
    suspended, rejected or closed archives it, approved again (reactivated, restored) brings it back."""
    if new is ClubStatus.APPROVED and services.will_provision(club):
        provisioning.request_provision(club)
        return
    provisioning.follow_status(club)


def welcome_links(club, **_kw):
    """For the board's approval mail: the chat panel (our page, which leads to the channel)."""
    link = services.link_for(club)
    if link is None or link.archived_at is not None:
        return None
    return (_("Team-Chat"), external_url("chat.panel", slug=club.slug))


def on_membership_changed(club, user_id=None, role=None, **_kw):
    if user_id is not None:
        provisioning.enqueue_member_sync(club, user_id)


def on_club_renamed(club, old_name=None, **_kw):
    link = services.link_for(club)
    if link is not None and link.is_provisioned and link.archived_at is None:
        queue.enqueue(club, "rename", f"rename:{club.id}", {})


def on_meeting_started(club, room_name=None, workspace_url=None, started_by=None, **_kw):
    notices.post_meeting_notice(club, room_name)


def on_account_deleting(user, **_kw):
    """Account deletion: the person leaves the community channel. Receivers run in no fixed order: before
    the erasure (app.dataprotection) this is an ordinary "leave"; after it, the erasure's registry step has
    queued the leave op (``community.leave_on_deletion``) and this only runs it now. Returns nothing (the
    pseudonym comes from app.dataprotection)."""
    identity = sa.inspect(user).identity
    if not identity:
        return None
    user_id = identity[0]
    if db.session.scalar(sa.select(User.id).where(User.id == user_id)) is None:
        op = community.open_op(user_id)
        if op is not None and op.status == "pending":
            queue.schedule(op.id)
        return None
    community.leave(user)
    return None


def connect() -> None:
    """Connecting a receiver twice (one per app built in a process) keeps one connection (blinker)."""
    account_deleting.connect(on_account_deleting)
    club_status_changed.connect(on_status_changed)
    membership_changed.connect(on_membership_changed)
    club_renamed.connect(on_club_renamed)
    meeting_started.connect(on_meeting_started)
    club_welcome_links.connect(welcome_links)
