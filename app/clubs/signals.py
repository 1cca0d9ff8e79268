"""Signals other domains listen to (chat sync, meeting rooms, …) instead of importing routes."""

from blinker import Namespace

_signals = Namespace()

#: sender = club; kwargs: old, new (ClubStatus)
club_status_changed = _signals.signal("club-status-changed")
#: sender = club; kwargs: user_id, role (Role, or None when the person left)
membership_changed = _signals.signal("membership-changed")
#: sender = club; kwargs: old_name
club_renamed = _signals.signal("club-renamed")
