"""Reads and writes of the club directory.

Public means: the club is approved and its board switched the listing on. Everything public is in
:func:`public_fields` (the preview the board sees shows exactly that). The club's contact address is
never public: "Kontakt aufnehmen" stores the message, a job mails it to the club and deletes it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from ..clubs.models import DISTRICTS, Club, ClubStatus
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.jobs import committed
from ..core.mail import build_message, header_value, recipient, send_message
from ..core.urls import external_url
from ..extensions import cache, db
from .models import SUMMARY_MAX, ContactMessage, DirectoryListing, DirectoryListingTopic, DirectoryTopic

log = logging.getLogger(__name__)

#: The shipped topics (slug, German, English); staff may rename, hide or add more.
DEFAULT_TOPICS = (
    ("sport", "Sport", "Sports"),
    ("kultur", "Kultur", "Culture"),
    ("umwelt", "Umwelt", "Environment"),
    ("soziales", "Soziales", "Social welfare"),
    ("bildung", "Bildung", "Education"),
    ("nachbarschaft", "Nachbarschaft", "Neighbourhood"),
    ("tierschutz", "Tierschutz", "Animal welfare"),
    ("digitales", "Digitales", "Digital"),
)

#: At most this many suggestions in the workspace.
NEARBY_LIMIT = 5


class DirectoryError(Exception):
    """A user-facing problem (German message)."""


def locale_code() -> str:
    return str(get_locale() or "de")


# --- topics ----------------------------------------------------------------------------------------


def topics(active_only: bool = True) -> list[DirectoryTopic]:
    query = sa.select(DirectoryTopic).order_by(DirectoryTopic.position, DirectoryTopic.id)
    if active_only:
        query = query.where(DirectoryTopic.active.is_(True))
    return list(db.session.scalars(query))


def topic_by_slug(slug: str) -> DirectoryTopic | None:
    return db.session.scalar(sa.select(DirectoryTopic).where(DirectoryTopic.slug == slug))


def ensure_default_topics() -> int:
    """``flask content-sync``: add shipped topics that are missing (never changes what staff edited)."""
    known = set(db.session.scalars(sa.select(DirectoryTopic.slug)))
    added = 0
    for position, (slug, name_de, name_en) in enumerate(DEFAULT_TOPICS):
        if slug not in known:
            db.session.add(DirectoryTopic(slug=slug, name_de=name_de, name_en=name_en, position=position * 10))
            added += 1
    db.session.commit()
    return added


def save_topic(topic: DirectoryTopic | None, *, slug: str, name_de: str, name_en: str, position: int, active: bool, by):
    """Create or change a topic (staff). The slug must be unique."""
    clash = db.session.scalar(sa.select(DirectoryTopic.id).where(DirectoryTopic.slug == slug))
    if clash is not None and (topic is None or clash != topic.id):
        raise DirectoryError(_("Dieses Kürzel hat schon ein anderes Thema."))
    if topic is None:
        topic = DirectoryTopic(slug=slug)
        db.session.add(topic)
    topic.slug, topic.name_de, topic.name_en, topic.position, topic.active = slug, name_de, name_en, position, active
    db.session.flush()
    audit_record("directory.topic_saved", actor=by, topic_id=topic.id, slug=slug, active=active)
    return topic


# --- listings --------------------------------------------------------------------------------------


def listing_of(club: Club) -> DirectoryListing | None:
    return db.session.scalar(sa.select(DirectoryListing).where(DirectoryListing.club_id == club.id))


def _public():
    """The condition for a listing to be public."""
    return sa.and_(DirectoryListing.listed.is_(True), Club.status == ClubStatus.APPROVED)


def public_fields(club: Club, *, summary: str, topics_chosen, show_website: bool) -> dict:
    """Exactly what the directory shows of a club (the preview and the public page use this)."""
    return {
        "name": club.name,
        "district": club.district,
        "topics": [t.name(locale_code()) for t in topics_chosen],
        "summary": summary,
        "website": club.website if show_website and club.website else None,
    }


def save_listing(club: Club, *, listed: bool, summary: str, show_website: bool, topic_ids: list[int], by):
    """Store the board's choice; switching the listing on needs a short description."""
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        raise DirectoryError(_("Die Beschreibung darf höchstens %(n)s Zeichen lang sein.", n=SUMMARY_MAX))
    if listed and not summary:
        raise DirectoryError(_("Bitte beschreiben Sie Ihren Verein kurz, bevor Sie ihn ins Verzeichnis stellen."))
    valid = {t.id for t in topics()}
    if set(topic_ids) - valid:
        raise DirectoryError(_("Bitte wählen Sie nur Themen aus der Liste."))
    listing = listing_of(club)
    was_listed = bool(listing and listing.listed)
    if listing is None:
        listing = DirectoryListing(club_id=club.id)
        db.session.add(listing)
    listing.listed, listing.summary, listing.show_website = listed, summary, show_website
    if listed and not was_listed:
        listing.listed_at = utcnow()
    db.session.execute(sa.delete(DirectoryListingTopic).where(DirectoryListingTopic.club_id == club.id))
    for topic_id in sorted(set(topic_ids)):
        db.session.add(DirectoryListingTopic(club_id=club.id, topic_id=topic_id))
    db.session.flush()
    if listed != was_listed:
        audit_record("directory.listed" if listed else "directory.unlisted", actor=by, club=club)
    db.session.expire(listing, ["topics"])
    return listing


def search(*, q: str = "", district: str | None = None, topic: DirectoryTopic | None = None) -> list[DirectoryListing]:
    """Public listings matching the filters, by name (topics loaded in one more query)."""
    query = (
        sa.select(DirectoryListing)
        .join(Club, Club.id == DirectoryListing.club_id)
        .where(_public())
        .options(so.contains_eager(DirectoryListing.club), so.selectinload(DirectoryListing.topics))
        .order_by(Club.name_key)
    )
    q = " ".join((q or "").split())
    if q:
        query = query.where(
            sa.or_(Club.name.icontains(q, autoescape=True), DirectoryListing.summary.icontains(q, autoescape=True))
        )
    if district:
        query = query.where(Club.district == district)
    if topic is not None:
        query = query.where(
            sa.exists().where(
                DirectoryListingTopic.club_id == DirectoryListing.club_id, DirectoryListingTopic.topic_id == topic.id
            )
        )
    return list(db.session.scalars(query).unique())


def public_listing(slug: str) -> DirectoryListing | None:
    return db.session.scalar(
        sa.select(DirectoryListing)
        .join(Club, Club.id == DirectoryListing.club_id)
        .where(Club.slug == slug, _public())
        .options(so.contains_eager(DirectoryListing.club))
    )


def district_counts() -> list[tuple[str, int]]:
    """Listed clubs per district, every district (0 included), in the fixed order."""
    rows = dict(
        db.session.execute(
            sa.select(Club.district, sa.func.count())
            .select_from(DirectoryListing)
            .join(Club, Club.id == DirectoryListing.club_id)
            .where(_public())
            .group_by(Club.district)
        ).all()
    )
    return [(district, rows.get(district, 0)) for district in DISTRICTS]


def nearby(club: Club, limit: int = NEARBY_LIMIT) -> list[tuple[str, str, str, int]]:
    """Listed clubs in the same district or with shared topics: (slug, name, district, shared topics).

    One query: the club's own topics are a subquery; same district and more shared topics rank first.
    """
    own = sa.select(DirectoryListingTopic.topic_id).where(DirectoryListingTopic.club_id == club.id).scalar_subquery()
    shared = (
        sa.select(sa.func.count())
        .select_from(DirectoryListingTopic)
        .where(DirectoryListingTopic.club_id == Club.id, DirectoryListingTopic.topic_id.in_(own))
        .correlate(Club)
        .scalar_subquery()
    )
    same_district = sa.case((Club.district == club.district, 1), else_=0)
    query = (
        sa.select(Club.slug, Club.name, Club.district, shared.label("shared"))
        .join(DirectoryListing, DirectoryListing.club_id == Club.id)
        .where(_public(), Club.id != club.id, sa.or_(Club.district == club.district, shared > 0))
        .order_by(same_district.desc(), shared.desc(), Club.name_key)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(query)]


#: The workspace home shows the suggestions on every visit; they are kept this long in the shared cache (a club
#: that leaves the directory drops out of others' suggestions within a minute; the public list at once).
NEARBY_CACHE_SECONDS = 60


def nearby_cached(club: Club) -> list[tuple[str, str, str, int]]:
    key = f"directory:nearby:{club.id}:{club.district}"
    suggestions = cache.get(key)
    if suggestions is None:
        suggestions = nearby(club)
        cache.set(key, suggestions, timeout=NEARBY_CACHE_SECONDS)
    return suggestions


# --- contact ---------------------------------------------------------------------------------------


def submit_contact(listing: DirectoryListing, *, name: str, email: str, body: str) -> ContactMessage:
    """Store the message and queue its delivery (before the caller commits; see app/core/jobs.py)."""
    from .tasks import deliver_contact_job  # the task module imports this one

    message = ContactMessage(club_id=listing.club_id, sender_name=name.strip(), sender_email=email.strip(), body=body)
    db.session.add(message)
    db.session.flush()
    deliver_contact_job(message.id)
    return message


def deliver_contact(message_id: int) -> bool:
    """Mail one message to the club's contact address, then delete it. True when sent.

    A message for a club that is no longer listed is deleted unsent. A mail failure raises (the job is
    retried); what is still undelivered after DIRECTORY_CONTACT_RETENTION_DAYS is purged.
    """
    message = committed(ContactMessage, message_id)
    club = db.session.get(Club, message.club_id)
    listing = listing_of(club) if club else None
    if club is None or listing is None or not listing.listed or club.status is not ClubStatus.APPROVED:
        db.session.delete(message)
        db.session.commit()
        return False
    from flask import render_template

    with force_locale("de"):
        body = render_template(
            "directory/email/contact.txt",
            club=club,
            message=message,
            settings_url=external_url("directory_club.settings", slug=club.slug),
        )
        subject = _("Nachricht über das Vereinsverzeichnis: %(name)s", name=message.sender_name)
    mail = build_message(recipient(club.contact_email), subject, body)
    mail["Reply-To"] = header_value(recipient(message.sender_email))
    send_message(mail)
    db.session.delete(message)
    db.session.commit()
    return True


def purge_undelivered(*, dry_run: bool = False, now=None) -> int:
    """Messages still here after DIRECTORY_CONTACT_RETENTION_DAYS (delivery kept failing)."""
    days = int(current_app.config["DIRECTORY_CONTACT_RETENTION_DAYS"])
    cutoff = (now or utcnow()) - timedelta(days=days)
    clause = ContactMessage.created_at < cutoff
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ContactMessage).where(clause)) or 0
    if not dry_run and count:
        db.session.execute(sa.delete(ContactMessage).where(clause))
        db.session.commit()
    return count
