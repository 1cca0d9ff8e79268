"""Receivers: club and meeting events become chat ops (connected from ``init_app``; signals: app/core/signals.py)."""

from __future__ import annotations

from flask import current_app

from ..clubs.models import ClubStatus
from ..core.signals import club_renamed, club_status_changed, meeting_started, membership_changed
from . import notices, provisioning, queue, services


def on_status_changed(club, old=None, new=None, **_kw):
    link = services.link_for(club)
    if new is ClubStatus.APPROVED:
        if link is None and current_app.config.get("MATTERMOST_AUTO_PROVISION") and services.platform_ready():
            provisioning.request_provision(club)
    elif new in (ClubStatus.SUSPENDED, ClubStatus.REJECTED):
        if link is not None and link.is_provisioned and link.archived_at is None:
            queue.enqueue(club, "archive", f"archive:{club.id}", {})


def on_membership_changed(club, user_id=None, role=None, **_kw):
    if user_id is not None:
        provisioning.enqueue_member_sync(club, user_id)


def on_club_renamed(club, old_name=None, **_kw):
    link = services.link_for(club)
    if link is not None and link.is_provisioned and link.archived_at is None:
        queue.enqueue(club, "rename", f"rename:{club.id}", {})


def on_meeting_started(club, room_name=None, workspace_url=None, started_by=None, **_kw):
    notices.post_meeting_notice(club, room_name)


def connect() -> None:
    """Connecting a receiver twice (one per app built in a process) keeps one connection (blinker)."""
    club_status_changed.connect(on_status_changed)
    membership_changed.connect(on_membership_changed)
    club_renamed.connect(on_club_renamed)
    meeting_started.connect(on_meeting_started)
