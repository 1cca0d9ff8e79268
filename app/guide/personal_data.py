"""Personal data of the guide (app/dataprotection/registry.py): who wrote a revision."""

from __future__ import annotations

from ..dataprotection.registry import declare
from .models import ContentRevision


def register() -> None:
    declare(ContentRevision, category="admin", on_user_delete="keep-with-club", on_club_delete="keep")
