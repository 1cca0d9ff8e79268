"""Signals of the meetings domain (the chat domain listens to them)."""

from blinker import Namespace

_signals = Namespace()

#: sender = club; kwargs: room_name (str), workspace_url (str, never a BBB join URL), started_by (user or None)
meeting_started = _signals.signal("meeting-started")
