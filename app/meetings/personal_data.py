"""Personal data of the meetings domain (app/dataprotection/registry.py) and its part in closing a club."""

from __future__ import annotations

from ..dataprotection.registry import declare, declare_closure_step
from . import services
from .models import (
    CalendarFeed,
    MeetingReminderOptOut,
    MeetingReminderSent,
    MeetingReminderSetting,
    MeetingRun,
    OccurrenceChange,
    Room,
    ScheduledMeeting,
)


def register() -> None:
    declare(
        Room,
        category="meetings",
        on_user_delete="keep-with-club",
        on_club_delete="delete",
        exclude=("guest_token", "access_code"),
    )
    declare(MeetingRun, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(ScheduledMeeting, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(OccurrenceChange, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(MeetingReminderSetting, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(MeetingReminderSent, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    # A member's choice "no reminders for me": theirs, gone with their account.
    declare(MeetingReminderOptOut, category="meetings", on_user_delete="delete", on_club_delete="delete")
    declare(CalendarFeed, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    # A closed club: end its meetings and delete its recordings on the BigBlueButton server.
    declare_closure_step("meetings", lambda club: services.delete_club_recordings(club))
