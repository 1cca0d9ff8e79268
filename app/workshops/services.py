"""Workshops: reads and writes.

Concurrency: registrations lock the workshop row first (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite a write to the row takes the database write lock, so
writers are serialised) and count the confirmed places inside that lock. A
"database is locked" from SQLite is retried.
"""

from __future__ import annotations

import io
import logging
import time as time_module
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.services import confirm_first_message
from ..core import csvout, ics
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.errors import never_raises
from ..core.i18n import format_when, local_tz
from ..core.mail import try_send_mail
from ..core.tokens import cancel_token
from ..core.urls import external_url
from ..extensions import db
from ..meetings import services as meetings
from ..privacy.services import open_topics
from .models import Registration, RegistrationStatus, Workshop

log = logging.getLogger(__name__)

LOCK_RETRIES = 8


class WorkshopError(Exception):
    """A user-facing (German) reason why an action is not possible."""


def ensure_confirmed(user) -> None:
    """Places only for confirmed addresses: throwaway accounts cannot book everything out."""
    if not getattr(user, "is_confirmed", False):
        raise WorkshopError(confirm_first_message())


def now() -> datetime:
    """The current time (one place, so tests can move the clock)."""
    return utcnow()


# --- workshops: reads ----------------------------------------------------------------------------


def upcoming_workshops(limit: int | None = None, topics=None, at: datetime | None = None) -> list[Workshop]:
    query = (
        sa.select(Workshop)
        .where(Workshop.starts_at > (at or now()), Workshop.cancelled_at.is_(None))
        .order_by(Workshop.starts_at, Workshop.id)
    )
    if topics is not None:
        query = query.where(Workshop.topic.in_(list(topics)))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def all_workshops() -> list[Workshop]:
    return list(db.session.scalars(sa.select(Workshop).order_by(Workshop.starts_at.desc())))


def place_counts(workshop_ids) -> dict[int, tuple[int, int]]:
    """workshop id -> (confirmed, waiting), one query."""
    ids = list(workshop_ids)
    result = {i: (0, 0) for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(Registration.workshop_id, Registration.status, sa.func.count())
        .where(Registration.workshop_id.in_(ids), Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Registration.workshop_id, Registration.status)
    ).all()
    for workshop_id, status, count in rows:
        confirmed, waiting = result[workshop_id]
        if status == RegistrationStatus.CONFIRMED:
            confirmed = count
        else:
            waiting = count
        result[workshop_id] = (confirmed, waiting)
    return result


def registration_of(workshop: Workshop, user) -> Registration | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        sa.select(Registration).where(Registration.workshop_id == workshop.id, Registration.user_id == user.id)
    )


def participants(workshop: Workshop, include_cancelled: bool = False) -> list[Registration]:
    query = sa.select(Registration).where(Registration.workshop_id == workshop.id)
    if not include_cancelled:
        query = query.where(Registration.status != RegistrationStatus.CANCELLED)
    order = sa.case(
        (Registration.status == RegistrationStatus.CONFIRMED, 0),
        (Registration.status == RegistrationStatus.WAITING, 1),
        else_=2,
    )
    query = query.options(so.selectinload(Registration.club))
    return list(db.session.scalars(query.order_by(order, Registration.queued_at, Registration.id)))


def waiting_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.workshop_id == registration.workshop_id,
            Registration.status == RegistrationStatus.WAITING,
            sa.or_(
                Registration.queued_at < registration.queued_at,
                sa.and_(Registration.queued_at == registration.queued_at, Registration.id < registration.id),
            ),
        )
    )
    return ahead + 1


# --- the club workspace's panel: workshops for the open checklist topics -------------------------

#: Checklist topic keys (app/privacy/checklist.yaml) -> workshop topics, best fit first.
#: Unknown keys (a later checklist version) count as data protection.
CHECKLIST_TO_WORKSHOP = {
    "oeffentlichkeit": ("social-media", "datenschutz"),  # website, newsletter, social media, photos
    "sicherheit": ("online-sicherheit",),
    "dienstleister": ("digitale-werkzeuge", "datenschutz"),
    "rechte": ("datenschutz", "online-sicherheit"),  # data subject rights, data breaches
    "organisation": ("datenschutz",),
    "verzeichnis": ("datenschutz",),
    "information": ("datenschutz",),
    "mitglieder": ("datenschutz",),
    "loeschung": ("datenschutz",),
}


def workshop_topics_for(checklist_topics) -> list[str]:
    """Workshop topics in the order of the club's open checklist topics (most open first)."""
    result: list[str] = []
    for key in checklist_topics:
        mapped = CHECKLIST_TO_WORKSHOP.get(key, ("datenschutz",))
        for topic in mapped:
            if topic not in result:
                result.append(topic)
    return result


def open_checklist_topics(club) -> list[str]:
    """The club's open checklist topics, most open first (app.privacy's public ``open_topics``)."""
    try:
        return list(open_topics(club))
    except Exception:  # noqa: BLE001 - the checklist must not break this section
        log.exception("open checklist topics failed")
        return []


# --- workshops: writes ------------------------------------------------------------------------------


def _is_locked_error(exc: Exception) -> bool:
    return "locked" in str(getattr(exc, "orig", exc)).lower()


def _with_lock_retry(fn):
    """Run ``fn`` (which commits); retry when SQLite reports a locked database."""
    for attempt in range(LOCK_RETRIES):
        try:
            return fn()
        except sa.exc.OperationalError as exc:
            db.session.rollback()
            if not _is_locked_error(exc) or attempt == LOCK_RETRIES - 1:
                raise
            time_module.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def lock_workshop(workshop_id: int) -> Workshop:
    """Lock the workshop row for the rest of the transaction and return it freshly loaded."""
    if db.session.get_bind().dialect.name == "postgresql":
        workshop = db.session.scalar(
            sa.select(Workshop)
            .where(Workshop.id == workshop_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if workshop is not None:
            workshop.version = workshop.version + 1
        return workshop
    # SQLite: the UPDATE starts the write transaction (one writer at a time) before we count.
    db.session.execute(sa.update(Workshop).where(Workshop.id == workshop_id).values(version=Workshop.version + 1))
    return db.session.scalar(
        sa.select(Workshop).where(Workshop.id == workshop_id).execution_options(populate_existing=True)
    )


def _confirmed_count(workshop_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.workshop_id == workshop_id, Registration.status == RegistrationStatus.CONFIRMED)
    )


def _fill_places(workshop: Workshop, at: datetime) -> list[Registration]:
    """Move people up from the waiting list while there are free places (inside the lock)."""
    free = workshop.capacity - _confirmed_count(workshop.id)
    if free <= 0 or workshop.cancelled_at is not None or workshop.starts_at <= at:
        return []
    moved = list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.workshop_id == workshop.id, Registration.status == RegistrationStatus.WAITING)
            .order_by(Registration.queued_at, Registration.id)
            .limit(free)
        )
    )
    for registration in moved:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = at
    return moved


def register(workshop_id: int, user, club=None) -> Registration:
    """Register ``user`` (optionally for ``club``): a place, or the waiting list when full."""
    ensure_confirmed(user)
    at = now()

    def attempt():
        workshop = lock_workshop(workshop_id)
        if workshop is None:
            raise WorkshopError(_("Diesen Workshop gibt es nicht."))
        if not workshop.registration_open(at):
            db.session.rollback()
            raise WorkshopError(_("Die Anmeldung für diesen Workshop ist geschlossen."))
        registration = db.session.scalar(
            sa.select(Registration).where(Registration.workshop_id == workshop_id, Registration.user_id == user.id)
        )
        if registration is not None and registration.is_active:
            db.session.rollback()
            raise WorkshopError(_("Sie sind für diesen Workshop schon angemeldet."))
        status = (
            RegistrationStatus.CONFIRMED
            if _confirmed_count(workshop_id) < workshop.capacity
            else RegistrationStatus.WAITING
        )
        if registration is None:
            registration = Registration(workshop_id=workshop_id, user_id=user.id, created_at=at)
            db.session.add(registration)
        registration.name = user.name
        registration.email = user.email
        registration.club_id = getattr(club, "id", None)
        registration.status = status
        registration.queued_at = at
        registration.cancelled_at = None
        registration.reminder_sent_at = None
        registration.confirmed_at = at if status == RegistrationStatus.CONFIRMED else None
        db.session.commit()
        return registration

    registration = _with_lock_retry(attempt)
    if registration.status == RegistrationStatus.CONFIRMED:
        send_registration_mail(registration, "confirmed")
    else:
        send_registration_mail(registration, "waiting")
    return registration


def cancel_registration(registration: Registration, *, by=None) -> list[Registration]:
    """Cancel; a freed place goes to the first person on the waiting list (who gets an e-mail)."""
    registration_id = registration.id
    at = now()

    def attempt():
        workshop = lock_workshop(registration.workshop_id)
        current = db.session.scalar(
            sa.select(Registration).where(Registration.id == registration_id).execution_options(populate_existing=True)
        )
        if current is None or current.status == RegistrationStatus.CANCELLED:
            db.session.rollback()
            return None, []
        current.status = RegistrationStatus.CANCELLED
        current.cancelled_at = at
        moved = _fill_places(workshop, at)
        if by is not None and by.id != current.user_id:
            audit_record("workshop.registration_cancelled", actor=by, workshop=workshop.id, user_id=current.user_id)
        db.session.commit()
        return current, moved

    cancelled, moved = _with_lock_retry(attempt)
    if cancelled is not None:
        send_registration_mail(cancelled, "cancelled")
    for person in moved:
        send_registration_mail(person, "moved_up")
    return moved


def save_workshop(workshop: Workshop | None, data: dict, *, by) -> Workshop:
    """Create or update; a larger capacity moves people up from the waiting list."""
    at = now()
    creating = workshop is None
    if creating:
        workshop = Workshop(created_by_id=getattr(by, "id", None), created_at=at)
        db.session.add(workshop)
        for key, value in data.items():
            setattr(workshop, key, value)
        if workshop.online:
            workshop.room_id = meetings.create_staff_room(workshop.title)
        audit_record("workshop.created", actor=by, title=workshop.title)
        db.session.commit()
        return workshop

    workshop_id = workshop.id
    old_start = (workshop.starts_at, workshop.duration_minutes)

    def attempt():
        locked = lock_workshop(workshop_id)
        for key, value in data.items():
            setattr(locked, key, value)
        if locked.online and locked.room_id is None:
            locked.room_id = meetings.create_staff_room(locked.title)
        moved = _fill_places(locked, at)
        audit_record("workshop.updated", actor=by, workshop=workshop_id)
        db.session.commit()
        return locked, moved

    workshop, moved = _with_lock_retry(attempt)
    for person in moved:
        send_registration_mail(person, "moved_up")
    if (workshop.starts_at, workshop.duration_minutes) != old_start:
        for person in participants(workshop):
            send_registration_mail(person, "changed")
    return workshop


def cancel_workshop(workshop: Workshop, *, by) -> int:
    """Call off the workshop; everyone registered gets a cancellation with ICS."""
    workshop.cancelled_at = now()
    people = participants(workshop)
    audit_record("workshop.cancelled", actor=by, workshop=workshop.id)
    db.session.commit()
    for person in people:
        send_registration_mail(person, "workshop_cancelled")
    return len(people)


def message_participants(workshop: Workshop, subject: str, body: str, *, include_waiting: bool, by) -> int:
    """One e-mail per person (nobody sees the other addresses)."""
    statuses = [RegistrationStatus.CONFIRMED] + ([RegistrationStatus.WAITING] if include_waiting else [])
    people = [p for p in participants(workshop) if p.status in statuses]
    audit_record("workshop.message_sent", actor=by, workshop=workshop.id, recipients=len(people))
    db.session.commit()
    sent = 0
    for person in people:
        sent += try_send_mail(
            person.email,
            subject,
            "workshops/email/staff_message",
            workshop=workshop,
            person=person,
            body=body,
            workshop_url=external_url("workshops.show", workshop_id=workshop.id),
        )
    return sent


CSV_HEADER = (_l("Name"), _l("E-Mail"), _l("Verein"), _l("Status"), _l("Angemeldet am"))
STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: _l("bestätigt"),
    RegistrationStatus.WAITING: _l("Warteliste"),
    RegistrationStatus.CANCELLED: _l("abgemeldet"),
}


def participants_csv(workshop: Workshop) -> str:
    out = io.StringIO()
    writer = csvout.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    tz = local_tz()
    for person in participants(workshop):
        writer.writerow(
            [
                person.name,
                person.email,
                person.club.name if person.club else "",
                STATUS_LABELS[person.status],
                person.created_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
            ]
        )
    return "\ufeff" + out.getvalue()


# --- workshop e-mails ------------------------------------------------------------------------------------

REGISTRATION_SUBJECTS = {
    "confirmed": lambda w: _("Anmeldung bestätigt: %(title)s", title=w.title),
    "waiting": lambda w: _("Warteliste: %(title)s", title=w.title),
    "moved_up": lambda w: _("Sie sind nachgerückt: %(title)s", title=w.title),
    "cancelled": lambda w: _("Abmeldung bestätigt: %(title)s", title=w.title),
    "reminder": lambda w: _("Erinnerung: %(title)s", title=w.title),
    "changed": lambda w: _("Geänderter Termin: %(title)s", title=w.title),
    "workshop_cancelled": lambda w: _("Workshop abgesagt: %(title)s", title=w.title),
    "materials": lambda w: _("Unterlagen zum Workshop: %(title)s", title=w.title),
}


def workshop_calendar(workshop: Workshop, url: str, cancelled: bool = False) -> bytes:
    location = workshop.address if not workshop.online else _("Online: %(url)s", url=url)
    event = ics.Event(
        uid=f"workshop-{workshop.id}@vereinsraum",
        start=workshop.starts_at,
        end=workshop.ends_at,
        summary=_("Workshop: %(title)s", title=workshop.title),
        description=f"{workshop.description}\n\n{url}".strip(),
        location=location,
        url=url,
        cancelled=cancelled,
        sequence=int(cancelled),
    )
    return ics.calendar([event], product="Workshops und Sprechstunde", method="CANCEL" if cancelled else "PUBLISH")


@never_raises
def send_registration_mail(registration: Registration, kind: str) -> bool:
    workshop = registration.workshop
    workshop_url = external_url("workshops.show", workshop_id=workshop.id)
    attachments = []
    if kind in ("confirmed", "moved_up", "reminder", "changed"):
        attachments = [("workshop.ics", "text/calendar", workshop_calendar(workshop, workshop_url))]
    elif kind in ("cancelled", "workshop_cancelled"):
        attachments = [
            ("workshop-abgesagt.ics", "text/calendar", workshop_calendar(workshop, workshop_url, cancelled=True))
        ]
    return try_send_mail(
        registration.email,
        REGISTRATION_SUBJECTS[kind](workshop),
        f"workshops/email/workshop_{kind}",
        attachments=attachments,
        workshop=workshop,
        person=registration,
        workshop_url=workshop_url,
        position=waiting_position(registration) if kind == "waiting" else None,
        cancel_url=external_url("workshops.cancel_link", token=cancel_token("workshop", registration)),
        when=format_when(workshop.starts_at, workshop.ends_at),
    )


def join_url(room_id: int | None, user_or_name, *, moderator: bool) -> str:
    """The link into the workshop's staff room (app.meetings); raises WorkshopError when not possible."""
    try:
        return meetings.staff_join_url(room_id, user_or_name, moderator=moderator)
    except meetings.MeetingError as error:
        raise WorkshopError(str(error)) from error


# --- scheduled work: reminders, materials, data deletion ------------------------------------------------


def send_due_mails(at: datetime | None = None) -> dict:
    """Reminders (before the date) and materials links (after a workshop). Idempotent."""
    at = at or now()
    ahead = timedelta(hours=current_app.config["WORKSHOP_REMINDER_HOURS"])
    counts = {"reminders": 0, "materials": 0}
    due = list(
        db.session.scalars(
            sa.select(Registration)
            .join(Workshop)
            .where(
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.reminder_sent_at.is_(None),
                Workshop.cancelled_at.is_(None),
                Workshop.starts_at > at,
                Workshop.starts_at <= at + ahead,
            )
        )
    )
    for registration in due:
        registration.reminder_sent_at = at
    db.session.commit()
    for registration in due:
        counts["reminders"] += send_registration_mail(registration, "reminder")

    finished = [
        w
        for w in db.session.scalars(
            sa.select(Workshop).where(
                Workshop.materials_url.is_not(None),
                Workshop.materials_url != "",
                Workshop.materials_sent_at.is_(None),
                Workshop.cancelled_at.is_(None),
                Workshop.participants_purged_at.is_(None),
                Workshop.starts_at <= at,
            )
        )
        if w.ends_at <= at
    ]
    for workshop in finished:
        workshop.materials_sent_at = at
    db.session.commit()
    for workshop in finished:
        for person in participants(workshop):
            if person.status == RegistrationStatus.CONFIRMED:
                counts["materials"] += send_registration_mail(person, "materials")
    return counts


def purge_expired_participants(now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete registrations WORKSHOP_RETENTION_DAYS after a workshop (it keeps only the number of participants).

    Returns the number of records deleted (or that would be deleted with ``dry_run``).
    """
    at = now or globals()["now"]()  # the parameter hides the module's clock (tests move it)
    cutoff = at - timedelta(days=int(current_app.config["WORKSHOP_RETENTION_DAYS"]))
    workshops = [
        w for w in db.session.scalars(sa.select(Workshop).where(Workshop.starts_at <= cutoff)) if w.ends_at <= cutoff
    ]
    workshop_ids = [w.id for w in workshops]
    registration_ids = (
        list(db.session.scalars(sa.select(Registration.id).where(Registration.workshop_id.in_(workshop_ids))))
        if workshop_ids
        else []
    )
    total = len(registration_ids)
    if dry_run:
        return total
    counts = place_counts(workshop_ids)
    for workshop in workshops:
        if workshop.participants_purged_at is None:
            workshop.participant_count = counts[workshop.id][0]
        workshop.participants_purged_at = at
    if registration_ids:
        db.session.execute(sa.delete(Registration).where(Registration.id.in_(registration_ids)))
    if total:
        audit_record("workshops.purged", records=total)
    db.session.commit()
    return total
