"""Receivers of the staff area, connected from ``init_app`` (the signals: app/core/signals.py)."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..core.mail import try_send_mail
from ..core.signals import club_registered
from ..core.urls import external_url

log = logging.getLogger(__name__)


def staff_recipients() -> list[str]:
    """``STAFF_NOTIFY_EMAILS``: a tuple (or a comma-separated string in ``instance/config.py``)."""
    value = current_app.config.get("STAFF_NOTIFY_EMAILS") or ()
    if isinstance(value, str):
        value = value.split(",")
    return [address.strip() for address in value if address and address.strip()]


def on_club_registered(club, by=None, **_kwargs):
    """Tell the platform team about a new registration (one mail, every recipient; failures are logged)."""
    recipients = staff_recipients()
    if not recipients:
        return
    with force_locale("de"):
        try_send_mail(
            recipients,
            _("Neue Anmeldung: %(name)s", name=club.name),
            "admin/email/new_club",
            club=club,
            registrant=by,
            link=external_url("admin.club", club_id=club.id),
            queue=external_url("admin.clubs", status="pending"),
        )


def connect() -> None:
    club_registered.connect(on_club_registered)
