"""Personal data of the consultation hour (app/dataprotection/registry.py) and its retention rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..dataprotection.registry import declare, declare_retention_rule
from . import services
from .models import ConsultationBooking, QueueEntry


def purge(dry_run: bool) -> int:
    """``flask retention run``: bookings and queue entries WORKSHOP_RETENTION_DAYS after the date."""
    return services.purge_expired_participants(now=utcnow(), dry_run=dry_run)


def register() -> None:
    # Bookings and queue places belong to the person (the club is only context): deleted with the account,
    # kept without the club reference when the club is deleted. Found by the user id they always carry.
    declare(ConsultationBooking, category="workshops", on_user_delete="delete", on_club_delete="pseudonymise")
    declare(QueueEntry, category="workshops", on_user_delete="delete", on_club_delete="pseudonymise")
    declare_retention_rule("consultation", _l("Sprechstunden-Termine"), purge)
