"""Personal data of the club directory (app/dataprotection/registry.py) and its retention rule."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..dataprotection.registry import declare, declare_retention_rule, row_dict
from ..extensions import db
from . import services
from .models import ContactMessage, DirectoryListing, DirectoryListingTopic, DirectoryTopic


def _listing_export(club) -> list[dict]:
    listing = services.listing_of(club)
    if listing is None:
        return []
    row = row_dict(listing)
    row["topics"] = [topic.name_de for topic in listing.topics]
    return [row]


def _topics_export(club) -> list[dict]:
    rows = db.session.execute(
        sa.select(DirectoryTopic.slug, DirectoryTopic.name_de)
        .join(DirectoryListingTopic, DirectoryListingTopic.topic_id == DirectoryTopic.id)
        .where(DirectoryListingTopic.club_id == club.id)
        .order_by(DirectoryTopic.position)
    )
    return [{"topic": slug, "name": name} for slug, name in rows]


def purge(dry_run: bool) -> int:
    return services.purge_undelivered(dry_run=dry_run)


def register() -> None:
    # The listing is the club's own profile data (no person in it): exported with the club, deleted with it.
    declare(DirectoryListing, category="directory", on_club_delete="delete", club_export=_listing_export)
    declare(DirectoryListingTopic, category="directory", on_club_delete="delete", club_export=_topics_export)
    # A message in transit holds the sender's name and address. It belongs to the sender, not to the club,
    # and lives only until the job has mailed it (then it is deleted): never part of a club's export.
    declare(
        ContactMessage,
        category="directory",
        on_club_delete="delete",
        club_export=lambda club: [],
        note=_l("Nachrichten über „Kontakt aufnehmen“, bis sie zugestellt sind"),
    )
    declare_retention_rule("directory-contact", _l("Nicht zugestellte Verzeichnis-Nachrichten"), purge)
