"""The services catalogue: the list staff manage, and each service's live status.

Status checks never run while a page renders: the page reads what the last check left in the shared
cache (Flask-Caching, so every app instance sees the same). The checks run in the job queue – every
``OFFERS_STATUS_MINUTES`` minutes and right after staff save a service – each with a timeout:
BigBlueButton through the meetings domain's cached ``getMeetings`` (``BBB_STATUS_TTL``, ``BBB_TIMEOUT``),
Mattermost with a ``ping`` of the platform's client (``MATTERMOST_TIMEOUT``), any other service with a
GET of its status URL through the outbound guard (app/core/outbound.py: public addresses only, pinned,
no redirects, 3 s to connect, 5 s to read).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from ..chat.services import mm_client
from ..core import outbound
from ..core.audit import audit_record
from ..core.db import utcnow
from ..extensions import cache, db
from ..integrations.bigbluebutton import BBBError
from ..integrations.mattermost import MattermostError
from ..meetings.services import live_meetings
from .models import STATUS_KINDS, Offer

log = logging.getLogger(__name__)

#: The shipped services (BBB and Mattermost first); ``flask content-sync`` adds missing ones, never overwrites.
DEFAULT_OFFERS = (
    dict(
        slug="videokonferenzen",
        position=10,
        name_de="Videokonferenzen (BigBlueButton)",
        name_en="Video meetings (BigBlueButton)",
        purpose_de="Vorstandssitzungen, Mitgliederversammlungen, Arbeitsgruppen und Schulungen im eigenen "
        "Konferenzraum des Vereins; Gäste kommen über einen Einladungslink hinein.",
        purpose_en="Board meetings, general meetings, working groups and training in the club's own meeting "
        "room; guests join with an invitation link.",
        audience_de="Alle Mitglieder freigeschalteter Vereine; Gäste mit Einladungslink.",
        audience_en="All members of approved clubs; guests with an invitation link.",
        access_de="Im Arbeitsbereich des Vereins unter „Videokonferenzen“ – ohne Installation, im Browser.",
        access_en="In the club workspace under “Video meetings” – in the browser, nothing to install.",
        guide_url="/leitfaden/online-werkzeuge",
        status_kind="bbb",
    ),
    dict(
        slug="team-chat",
        position=20,
        name_de="Team-Chat (Mattermost)",
        name_en="Team chat (Mattermost)",
        purpose_de="Absprachen im Vorstand und mit Ehrenamtlichen, Dateien teilen, Termine abstimmen – statt "
        "privater Messenger-Gruppen.",
        purpose_en="Coordinating with the board and volunteers, sharing files, agreeing on dates – instead of "
        "private messenger groups.",
        audience_de="Mitglieder freigeschalteter Vereine, deren Vorstand einen Kanal verknüpft hat.",
        audience_en="Members of approved clubs whose board has linked a channel.",
        access_de="Der Vorstand verknüpft im Arbeitsbereich unter „Team-Chat“ einen Kanal; Mitglieder melden "
        "sich im Browser oder in der App an.",
        access_en="The board links a channel in the workspace under “Team chat”; members sign in in the browser "
        "or the app.",
        guide_url="/leitfaden/online-werkzeuge",
        status_kind="mattermost",
    ),
)

STATUS_OK, STATUS_DOWN, STATUS_OFF = "ok", "down", "off"


@dataclass(frozen=True)
class Status:
    state: str  # ok | down | off (not configured)
    checked_at: datetime


def locale_code() -> str:
    return str(get_locale() or "de")


def offers(active_only: bool = True) -> list[Offer]:
    query = sa.select(Offer).order_by(Offer.position, Offer.id)
    if active_only:
        query = query.where(Offer.active.is_(True))
    return list(db.session.scalars(query))


def ensure_default_offers() -> int:
    known = set(db.session.scalars(sa.select(Offer.slug)))
    added = 0
    for values in DEFAULT_OFFERS:
        if values["slug"] not in known:
            db.session.add(Offer(**values))
            added += 1
    db.session.commit()
    return added


class OfferError(Exception):
    """A user-facing problem (German message)."""


def check_status_url(url: str) -> None:
    """A status URL must be one the outbound guard would contact (form only; DNS is the job's)."""
    try:
        outbound.parse_target(url, outbound.Policy.from_config(current_app.config))
    except outbound.OutboundRefused as exc:
        raise OfferError(exc.message) from exc


def save_offer(offer: Offer | None, *, by, **values) -> Offer:
    if values.get("status_kind") not in STATUS_KINDS:
        raise OfferError(_("Bitte wählen Sie eine Art der Statusprüfung aus der Liste."))
    if values["status_kind"] == "url":
        if not values.get("status_url"):
            raise OfferError(_("Bitte geben Sie die Adresse für die Statusprüfung an."))
        check_status_url(values["status_url"])
    else:
        values["status_url"] = None
    clash = db.session.scalar(sa.select(Offer.id).where(Offer.slug == values["slug"]))
    if clash is not None and (offer is None or clash != offer.id):
        raise OfferError(_("Dieses Kürzel hat schon ein anderes Angebot."))
    if offer is None:
        offer = Offer()
        db.session.add(offer)
    for key, value in values.items():
        setattr(offer, key, value)
    db.session.flush()
    audit_record("offers.saved", actor=by, offer_id=offer.id, slug=offer.slug, active=offer.active)
    return offer


# --- status ----------------------------------------------------------------------------------------


def _key(offer_id: int) -> str:
    return f"offer-status:{offer_id}"


def status_ttl() -> int:
    """A status is shown for three check intervals; older ones count as unknown."""
    return max(60, int(current_app.config["OFFERS_STATUS_MINUTES"]) * 60 * 3)


def cached_statuses(items: list[Offer]) -> dict[int, Status | None]:
    """What the last checks found (the page's only source; never contacts a service)."""
    if not items:
        return {}
    values = cache.get_many(*(_key(o.id) for o in items))
    return {o.id: v for o, v in zip(items, values, strict=True)}


def _probe(offer: Offer) -> str:
    kind = offer.status_kind
    if kind == "bbb":
        if not current_app.config.get("BBB_API_URL"):
            return STATUS_OFF
        try:
            live_meetings()
        except BBBError:
            return STATUS_DOWN
        return STATUS_OK
    if kind == "mattermost":
        client = mm_client()
        if client is None:
            return STATUS_OFF
        try:
            client.ping()
        except MattermostError:
            return STATUS_DOWN
        return STATUS_OK
    if kind == "url" and offer.status_url:
        try:
            reply = outbound.get(offer.status_url, outbound.Policy.from_config(current_app.config))
        except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
            log.info("status check of %s failed: %s", offer.slug, exc)
            return STATUS_DOWN
        return STATUS_OK if reply.status < 400 else STATUS_DOWN
    return STATUS_OFF


def refresh_status(offer: Offer) -> Status | None:
    """Check one service now and keep the result in the shared cache (jobs only)."""
    if offer.status_kind == "none":
        cache.delete(_key(offer.id))
        return None
    try:
        state = _probe(offer)
    except Exception:  # noqa: BLE001 - an unexpected failure of a check is an outage, not a crash of the job
        log.exception("status check of %s failed", offer.slug)
        state = STATUS_DOWN
    status = Status(state, utcnow())
    cache.set(_key(offer.id), status, timeout=status_ttl())
    return status


def refresh_all() -> int:
    count = 0
    for offer in offers():
        refresh_status(offer)
        count += 1
    return count
