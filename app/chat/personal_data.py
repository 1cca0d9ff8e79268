"""Personal data of the chat domain (app/dataprotection/registry.py) and its part in closing a club."""

from __future__ import annotations

from ..dataprotection.registry import declare, declare_closure_step
from . import provisioning
from .models import ChatAccount, ChatLink, ChatOp


def register() -> None:
    declare(
        ChatLink, category="chat", on_user_delete="keep-with-club", on_club_delete="delete", exclude=("webhook_url",)
    )
    declare(ChatAccount, category="chat", on_user_delete="delete", on_club_delete="keep")
    # Queued Mattermost changes (e.g. removing the person from the channel) must still run after an
    # account deletion; they carry no FK to the person and are deleted with the club.
    declare(ChatOp, category="chat", on_user_delete="keep-with-club", on_club_delete="delete")
    # A closed club, after the grace period: its provisioned channel stays archived, or is deleted for good
    # where the chat server allows it (MATTERMOST_DELETE_CHANNELS).
    declare_closure_step("chat", lambda club: provisioning.archive_club_channel(club))
