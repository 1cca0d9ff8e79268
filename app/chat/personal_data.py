"""Personal data of the chat domain (app/dataprotection/registry.py) and its part in closing a club."""

from __future__ import annotations

from ..dataprotection.registry import declare, declare_closure_step
from . import community, provisioning
from .models import ChatAccount, ChatLink, ChatOp, CommunityMember


def register() -> None:
    declare(
        ChatLink, category="chat", on_user_delete="keep-with-club", on_club_delete="delete", exclude=("webhook_url",)
    )
    declare(ChatAccount, category="chat", on_user_delete="delete", on_club_delete="keep")
    # Queued Mattermost changes (e.g. removing the person from the channel) must still run after an
    # account deletion; they carry no FK to the person and are deleted with the club.
    declare(ChatOp, category="chat", on_user_delete="keep-with-club", on_club_delete="delete")
    # The community channel: whether the person wants to be in it, when they accepted the code of conduct, their
    # Mattermost id (exported under "chat"). Deleting the account takes them out of the channel: the step queues
    # the leave op (with the Mattermost id, the only thing it needs) and deletes the row.
    declare(CommunityMember, category="chat", on_user_delete=community.leave_on_deletion, on_club_delete="keep")
    # A closed club, after the grace period: its provisioned channel stays archived, or is deleted for good
    # where the chat server allows it (MATTERMOST_DELETE_CHANNELS).
    declare_closure_step("chat", lambda club: provisioning.archive_club_channel(club))
