"""Personal data of the public pages (app/dataprotection/registry.py): who last edited a page."""

from __future__ import annotations

from ..dataprotection.registry import declare
from .models import Page


def register() -> None:
    declare(Page, category="admin", on_user_delete="keep-with-club", on_club_delete="keep")
