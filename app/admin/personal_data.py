"""Personal data of the staff area (app/dataprotection/registry.py): internal notes on clubs."""

from __future__ import annotations

from ..dataprotection.registry import declare, declare_staff_only_audit
from .models import StaffNote


def register() -> None:
    # Never shown to the club: not in its export, nor are the audit entries that tell a note exists.
    declare(StaffNote, category="admin", on_user_delete="keep-with-club", on_club_delete="delete", staff_only=True)
    declare_staff_only_audit("admin.note_added", "admin.note_deleted")
