"""Signals between domains, in one place (like Indico's ``core/signals``).

A domain sends; other domains connect receivers in their own ``signals.py``, from their ``init_app``, so
no domain imports another to tell it something happened. Receivers run in the sender's request or job.
Nothing here imports a domain.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# --- accounts (sent by app.auth) ---------------------------------------------------------------------

#: sender = user. Receivers return the clubs that would lose their last board member if the account went
#: (app.clubs); the account cannot be deleted while there are any.
account_deletion_blockers = _signals.signal("account-deletion-blockers")
#: sender = user, about to be deleted (sessions already ended). The receiver erases the account and
#: everything stored about the person and commits (app.dataprotection walks its registry); returns the pseudonym.
account_deleting = _signals.signal("account-deleting")

# --- clubs (sent by app.clubs, and by app.dataprotection when a club is closed or restored) ----------

#: sender = club (just registered, pending, committed); kwargs: by (the registering user)
club_registered = _signals.signal("club-registered")
#: sender = club; kwargs: old, new (ClubStatus)
club_status_changed = _signals.signal("club-status-changed")
#: sender = club; kwargs: user_id, role (Role, or None when the person left)
membership_changed = _signals.signal("membership-changed")
#: sender = club; kwargs: old_name
club_renamed = _signals.signal("club-renamed")
#: sender = club, just approved. Receivers return ``(label, url)`` for the board's welcome mail: what approval
#: created for the club (app.meetings: the default room, app.chat: the channel). URLs from BASE_URL only.
club_welcome_links = _signals.signal("club-welcome-links")

# --- meetings (sent by app.meetings) -----------------------------------------------------------------

#: sender = club; kwargs: room_name (str), workspace_url (str, never a BBB join URL), started_by (user or None)
meeting_started = _signals.signal("meeting-started")


def values_from(signal, sender, **kwargs) -> list:
    """What the receivers of ``signal`` returned (None left out), in the order they were connected."""
    return [value for _receiver, value in signal.send(sender, **kwargs) if value is not None]
