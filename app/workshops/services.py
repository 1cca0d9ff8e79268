"""Workshops and consultation hour: reads and writes.

Concurrency: registrations lock the workshop row first (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite a write to the row takes the database write lock, so
writers are serialised) and count the confirmed places inside that lock. A
"database is locked" from SQLite is retried.
"""

from __future__ import annotations

import functools
import io
import logging
import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from ..core import csvout
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.mail import try_send_mail
from ..core.urls import external_url
from ..extensions import db
from . import ics
from .models import (
    ConsultationBooking,
    ConsultationException,
    ConsultationSchedule,
    QueueEntry,
    QueueStatus,
    Registration,
    RegistrationStatus,
    Workshop,
)

log = logging.getLogger(__name__)

LOCK_RETRIES = 8


class WorkshopError(Exception):
    """A user-facing (German) reason why an action is not possible."""


def unconfirmed_message() -> str:
    return _("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse. Erst dann können Sie einen Workshop-Platz oder "
             "einen Termin in der Sprechstunde buchen. Den Bestätigungslink können Sie in Ihrem Konto erneut "
             "anfordern.")


def ensure_confirmed(user) -> None:
    """Places and slots only for confirmed addresses: throwaway accounts cannot book everything out."""
    if not getattr(user, "is_confirmed", False):
        raise WorkshopError(unconfirmed_message())


def now() -> datetime:
    """The current time (one place, so tests can move the clock)."""
    return utcnow()


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Berlin")


def _mail(to, subject, template, **kwargs) -> bool:
    """Send one mail; a failing mail server must not undo what was saved (logged, False)."""
    return try_send_mail(to, subject, template, **kwargs)


def _never_raises(fn):
    """For the per-person mails sent in loops: one failure is logged and the loop goes on."""

    @functools.wraps(fn)
    def run(*args, **kwargs) -> bool:
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - logged; the others still get their mail
            log.exception("%s failed", fn.__name__)
            return False

    return run


# --- signed links ---------------------------------------------------------------------------

def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"vereinsraum-{kind}-cancel")


def cancel_token(kind: str, obj) -> str:
    return _serializer(kind).dumps([obj.id, int(obj.created_at.timestamp())])


def load_cancel_token(kind: str, token: str):
    model = {"workshop": Registration, "consultation": ConsultationBooking}[kind]
    try:
        obj_id, stamp = _serializer(kind).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    obj = db.session.get(model, obj_id)
    if obj is None or int(obj.created_at.timestamp()) != stamp:
        return None
    return obj


# --- workshops: reads ----------------------------------------------------------------------------

def upcoming_workshops(limit: int | None = None, topics=None, at: datetime | None = None) -> list[Workshop]:
    query = (sa.select(Workshop).where(Workshop.starts_at > (at or now()), Workshop.cancelled_at.is_(None))
             .order_by(Workshop.starts_at, Workshop.id))
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
    return db.session.scalar(sa.select(Registration).where(Registration.workshop_id == workshop.id,
                                                           Registration.user_id == user.id))


def participants(workshop: Workshop, include_cancelled: bool = False) -> list[Registration]:
    query = sa.select(Registration).where(Registration.workshop_id == workshop.id)
    if not include_cancelled:
        query = query.where(Registration.status != RegistrationStatus.CANCELLED)
    order = sa.case((Registration.status == RegistrationStatus.CONFIRMED, 0),
                    (Registration.status == RegistrationStatus.WAITING, 1), else_=2)
    query = query.options(so.selectinload(Registration.club))
    return list(db.session.scalars(query.order_by(order, Registration.queued_at, Registration.id)))


def waiting_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(
            Registration.workshop_id == registration.workshop_id,
            Registration.status == RegistrationStatus.WAITING,
            sa.or_(Registration.queued_at < registration.queued_at,
                   sa.and_(Registration.queued_at == registration.queued_at, Registration.id < registration.id)),
        )
    )
    return ahead + 1


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
            sa.select(Workshop).where(Workshop.id == workshop_id).with_for_update()
            .execution_options(populate_existing=True))
        if workshop is not None:
            workshop.version = workshop.version + 1
        return workshop
    # SQLite: the UPDATE starts the write transaction (one writer at a time) before we count.
    db.session.execute(sa.update(Workshop).where(Workshop.id == workshop_id)
                       .values(version=Workshop.version + 1))
    return db.session.scalar(sa.select(Workshop).where(Workshop.id == workshop_id)
                             .execution_options(populate_existing=True))


def _confirmed_count(workshop_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.workshop_id == workshop_id, Registration.status == RegistrationStatus.CONFIRMED))


def _fill_places(workshop: Workshop, at: datetime) -> list[Registration]:
    """Move people up from the waiting list while there are free places (inside the lock)."""
    free = workshop.capacity - _confirmed_count(workshop.id)
    if free <= 0 or workshop.cancelled_at is not None or workshop.starts_at <= at:
        return []
    moved = list(db.session.scalars(
        sa.select(Registration).where(Registration.workshop_id == workshop.id,
                                      Registration.status == RegistrationStatus.WAITING)
        .order_by(Registration.queued_at, Registration.id).limit(free)))
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
        registration = db.session.scalar(sa.select(Registration).where(
            Registration.workshop_id == workshop_id, Registration.user_id == user.id))
        if registration is not None and registration.is_active:
            db.session.rollback()
            raise WorkshopError(_("Sie sind für diesen Workshop schon angemeldet."))
        status = (RegistrationStatus.CONFIRMED if _confirmed_count(workshop_id) < workshop.capacity
                  else RegistrationStatus.WAITING)
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
        current = db.session.scalar(sa.select(Registration).where(Registration.id == registration_id)
                                    .execution_options(populate_existing=True))
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
            workshop.room_id = _new_staff_room(workshop.title)
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
            locked.room_id = _new_staff_room(locked.title)
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
        sent += _mail(person.email, subject, "workshops/email/staff_message", workshop=workshop, person=person,
                      body=body, workshop_url=external_url("workshops.show", workshop_id=workshop.id))
    return sent


CSV_HEADER = ("Name", "E-Mail", "Verein", "Status", "Angemeldet am")
STATUS_LABELS = {RegistrationStatus.CONFIRMED: "bestätigt", RegistrationStatus.WAITING: "Warteliste",
                 RegistrationStatus.CANCELLED: "abgemeldet"}


def participants_csv(workshop: Workshop) -> str:
    out = io.StringIO()
    writer = csvout.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    tz = local_tz()
    for person in participants(workshop):
        writer.writerow([person.name, person.email, person.club.name if person.club else "",
                         STATUS_LABELS[person.status], person.created_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")])
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


@_never_raises
def send_registration_mail(registration: Registration, kind: str) -> bool:
    workshop = registration.workshop
    workshop_url = external_url("workshops.show", workshop_id=workshop.id)
    attachments = []
    if kind in ("confirmed", "moved_up", "reminder", "changed"):
        attachments = [("workshop.ics", "text/calendar", ics.workshop_calendar(workshop, workshop_url))]
    elif kind in ("cancelled", "workshop_cancelled"):
        attachments = [("workshop-abgesagt.ics", "text/calendar",
                        ics.workshop_calendar(workshop, workshop_url, cancelled=True))]
    return _mail(registration.email, REGISTRATION_SUBJECTS[kind](workshop), f"workshops/email/workshop_{kind}",
                 attachments=attachments, workshop=workshop, person=registration, workshop_url=workshop_url,
                 position=waiting_position(registration) if kind == "waiting" else None,
                 cancel_url=external_url("workshops.cancel_link", token=cancel_token("workshop", registration)),
                 when=format_when(workshop.starts_at, workshop.ends_at))


def format_when(start: datetime, end: datetime) -> str:
    """'Dienstag, 17. März 2026, 17:00–19:00 Uhr' in local time (for e-mails and pages)."""
    from flask_babel import format_date

    tz = local_tz()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    return _("%(day)s, %(start)s–%(end)s Uhr", day=format_date(local_start.date(), "full"),
             start=local_start.strftime("%H:%M"), end=local_end.strftime("%H:%M"))


# --- consultation hour: schedule -----------------------------------------------------------------------

@dataclass
class Occurrence:
    day: date
    starts_at: datetime  # aware UTC
    ends_at: datetime
    exception: str | None = None  # reason when it does not take place

    @property
    def cancelled(self) -> bool:
        return self.exception is not None


def current_schedule() -> ConsultationSchedule | None:
    return db.session.scalar(sa.select(ConsultationSchedule).order_by(ConsultationSchedule.id.desc()).limit(1))


def build_rule(rule_text: str, starts_on: date, start_time: time, tz: ZoneInfo):
    """Parse an RRULE (``FREQ=MONTHLY;BYDAY=+3TU``); raises ValueError with a German message."""
    text = (rule_text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text:
        raise ValueError(_("Bitte geben Sie eine Wiederholungsregel ein, z. B. FREQ=MONTHLY;BYDAY=+3TU."))
    dtstart = datetime.combine(starts_on, start_time, tzinfo=tz)
    try:
        return rrulestr(text, dtstart=dtstart, forceset=False)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(_("Die Wiederholungsregel ist ungültig: %(error)s", error=str(exc))) from exc


def occurrences(schedule: ConsultationSchedule, start: datetime, end: datetime) -> list[Occurrence]:
    """Dates of the consultation hour whose end lies in [start, end), exceptions marked."""
    tz = ZoneInfo(schedule.timezone)
    rule = build_rule(schedule.rrule, schedule.starts_on, schedule.start_time, tz)
    exceptions = dict(db.session.execute(sa.select(ConsultationException.day, ConsultationException.reason)).all())
    duration = (datetime.combine(date.min, schedule.end_time) - datetime.combine(date.min, schedule.start_time))
    result = []
    window_start = (start - duration).astimezone(tz)
    for local_start in rule.between(window_start, end.astimezone(tz), inc=True):
        # Wall-clock times: 17:00 stays 17:00 in summer and winter time.
        local_start = datetime.combine(local_start.date(), schedule.start_time, tzinfo=tz)
        local_end = datetime.combine(local_start.date(), schedule.end_time, tzinfo=tz)
        starts_at = local_start.astimezone(ZoneInfo("UTC"))
        ends_at = local_end.astimezone(ZoneInfo("UTC"))
        if ends_at <= start:
            continue
        day = local_start.date()
        reason = exceptions.get(day)
        result.append(Occurrence(day, starts_at, ends_at, None if day not in exceptions else (reason or "–")))
    return result


def upcoming_occurrences(days: int = 120, at: datetime | None = None, include_cancelled: bool = True):
    schedule = current_schedule()
    if schedule is None:
        return []
    at = at or now()
    found = occurrences(schedule, at, at + timedelta(days=days))
    return found if include_cancelled else [o for o in found if not o.cancelled]


def next_consultation_day(at: datetime | None = None) -> Occurrence | None:
    for occurrence in upcoming_occurrences(days=400, at=at, include_cancelled=False):
        return occurrence
    return None


def slot_times(schedule: ConsultationSchedule, occurrence: Occurrence) -> list[datetime]:
    step = timedelta(minutes=schedule.slot_minutes)
    slots, current = [], occurrence.starts_at
    while current + step <= occurrence.ends_at:
        slots.append(current)
        current += step
    return slots


@dataclass
class DaySlots:
    occurrence: Occurrence
    slots: list[tuple[datetime, bool]]  # (start UTC, free)

    @property
    def free_count(self) -> int:
        return sum(1 for _, free in self.slots if free)


def bookable_days(days: int = 92, at: datetime | None = None) -> list[DaySlots]:
    schedule = current_schedule()
    if schedule is None:
        return []
    at = at or now()
    result = []
    found = [o for o in occurrences(schedule, at, at + timedelta(days=days)) if not o.cancelled]
    if not found:
        return []
    taken = set(db.session.scalars(sa.select(ConsultationBooking.slot_at).where(
        ConsultationBooking.slot_at >= found[0].starts_at, ConsultationBooking.slot_at <= found[-1].ends_at)))
    for occurrence in found:
        slots = [(slot, slot not in taken) for slot in slot_times(schedule, occurrence) if slot > at]
        if slots:
            result.append(DaySlots(occurrence, slots))
    return result


def save_schedule(*, rrule: str, starts_on: date, start_time: time, end_time: time, slot_minutes: int,
                  note: str | None, by) -> ConsultationSchedule:
    tz = local_tz()
    build_rule(rrule, starts_on, start_time, tz)  # validates
    schedule = current_schedule()
    if schedule is None:
        schedule = ConsultationSchedule(timezone=str(tz.key))
        db.session.add(schedule)
    schedule.rrule = rrule.strip().removeprefix("RRULE:")
    schedule.starts_on, schedule.start_time, schedule.end_time = starts_on, start_time, end_time
    schedule.slot_minutes = slot_minutes
    schedule.note = note or None
    audit_record("consultation.schedule_saved", actor=by, rrule=schedule.rrule)
    db.session.commit()
    return schedule


def ensure_default_schedule() -> str:
    """content-sync: the shipped consultation hour (third Tuesday, 17–19 h) when staff defined none yet."""
    if current_schedule() is not None:
        return "vorhanden (unverändert)"
    save_schedule(rrule="FREQ=MONTHLY;BYDAY=+3TU", starts_on=today_local(), start_time=time(17, 0),
                  end_time=time(19, 0), slot_minutes=int(current_app.config["CONSULTATION_SLOT_MINUTES"]),
                  note=None, by=None)
    return "angelegt: jeden dritten Dienstag, 17–19 Uhr"


def add_exception(day: date, reason: str | None, *, by) -> int:
    """Mark a date as off; bookings on that date are cancelled with an e-mail. Returns that number."""
    if db.session.scalar(sa.select(ConsultationException).where(ConsultationException.day == day)):
        raise WorkshopError(_("Für diesen Tag gibt es schon eine Ausnahme."))
    db.session.add(ConsultationException(day=day, reason=(reason or "").strip() or None))
    tz = local_tz()
    start = datetime.combine(day, time.min, tzinfo=tz)
    bookings = list(db.session.scalars(sa.select(ConsultationBooking).where(
        ConsultationBooking.slot_at.is_not(None), ConsultationBooking.starts_at >= start,
        ConsultationBooking.starts_at < start + timedelta(days=1))))
    at = now()
    for booking in bookings:
        booking.cancelled_at = at
        booking.slot_at = None
    audit_record("consultation.exception_added", actor=by, day=day.isoformat())
    db.session.commit()
    for booking in bookings:
        send_booking_mail(booking, "cancelled", reason=reason)
    return len(bookings)


def remove_exception(exception: ConsultationException, *, by) -> None:
    audit_record("consultation.exception_removed", actor=by, day=exception.day.isoformat())
    db.session.delete(exception)
    db.session.commit()


def exceptions() -> list[ConsultationException]:
    return list(db.session.scalars(sa.select(ConsultationException).order_by(ConsultationException.day)))


# --- consultation hour: bookings -----------------------------------------------------------------------

def find_slot(slot_at: datetime, at: datetime | None = None) -> Occurrence | None:
    """The (not cancelled) occurrence ``slot_at`` is a valid future slot of, or None."""
    schedule = current_schedule()
    at = at or now()
    if schedule is None or slot_at <= at:
        return None
    for occurrence in occurrences(schedule, slot_at - timedelta(days=1), slot_at + timedelta(days=1)):
        if not occurrence.cancelled and slot_at in slot_times(schedule, occurrence):
            return occurrence
    return None


def book_slot(user, slot_at: datetime, *, topic: str, question: str, club=None) -> ConsultationBooking:
    ensure_confirmed(user)
    at = now()
    occurrence = find_slot(slot_at, at)
    if occurrence is None:
        raise WorkshopError(_("Diesen Termin gibt es nicht oder er ist schon vorbei. Bitte wählen Sie einen anderen."))
    schedule = current_schedule()
    existing = db.session.scalar(sa.select(ConsultationBooking).where(
        ConsultationBooking.user_id == user.id, ConsultationBooking.slot_at.is_not(None),
        ConsultationBooking.starts_at >= occurrence.starts_at, ConsultationBooking.starts_at < occurrence.ends_at))
    if existing is not None:
        raise WorkshopError(_("Sie haben an diesem Tag schon einen Termin. Bitte sagen Sie ihn ab, wenn Sie einen anderen möchten."))
    booking = ConsultationBooking(starts_at=slot_at, slot_at=slot_at, duration_minutes=schedule.slot_minutes,
                                  user_id=user.id, club_id=getattr(club, "id", None), name=user.name,
                                  email=user.email, topic=topic, question=question.strip(), created_at=at)
    db.session.add(booking)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise WorkshopError(_("Dieser Termin wurde gerade vergeben. Bitte wählen Sie einen anderen.")) from None
    send_booking_mail(booking, "confirmed")
    return booking


def cancel_booking(booking: ConsultationBooking, *, by=None, reason: str | None = None) -> bool:
    if booking.cancelled_at is not None:
        return False
    booking.cancelled_at = now()
    booking.slot_at = None
    if by is not None and by.id != booking.user_id:
        audit_record("consultation.booking_cancelled", actor=by, booking=booking.id, user_id=booking.user_id)
    db.session.commit()
    send_booking_mail(booking, "cancelled", reason=reason)
    return True


def bookings_of(user, at: datetime | None = None) -> list[ConsultationBooking]:
    at = at or now()
    return list(db.session.scalars(sa.select(ConsultationBooking).where(
        ConsultationBooking.user_id == user.id, ConsultationBooking.cancelled_at.is_(None),
        ConsultationBooking.starts_at > at - timedelta(hours=1)).order_by(ConsultationBooking.starts_at)))


def upcoming_bookings(at: datetime | None = None) -> list[ConsultationBooking]:
    at = at or now()
    return list(db.session.scalars(sa.select(ConsultationBooking).where(
        ConsultationBooking.cancelled_at.is_(None), ConsultationBooking.starts_at > at - timedelta(hours=2))
        .options(so.selectinload(ConsultationBooking.club)).order_by(ConsultationBooking.starts_at)))


BOOKING_SUBJECTS = {
    "confirmed": lambda: _("Termin in der Digitalen Sprechstunde bestätigt"),
    "reminder": lambda: _("Erinnerung: Ihr Termin in der Digitalen Sprechstunde"),
    "cancelled": lambda: _("Termin in der Digitalen Sprechstunde abgesagt"),
}


@_never_raises
def send_booking_mail(booking: ConsultationBooking, kind: str, reason: str | None = None) -> bool:
    page_url = external_url("workshops.consultation")
    calendar = ics.booking_calendar(booking, page_url, cancelled=kind == "cancelled")
    filename = "sprechstunde-abgesagt.ics" if kind == "cancelled" else "sprechstunde.ics"
    return _mail(booking.email, BOOKING_SUBJECTS[kind](), f"workshops/email/booking_{kind}",
                 attachments=[(filename, "text/calendar", calendar)], booking=booking, page_url=page_url,
                 reason=reason, when=format_when(booking.starts_at, booking.ends_at),
                 cancel_url=external_url("workshops.cancel_booking_link", token=cancel_token("consultation", booking)))


# --- consultation hour: same-day queue -------------------------------------------------------------

QUEUE_OPENS_BEFORE = timedelta(minutes=30)


def today_local(at: datetime | None = None) -> date:
    return (at or now()).astimezone(local_tz()).date()


def todays_occurrence(at: datetime | None = None) -> Occurrence | None:
    """Today's consultation hour (not cancelled), or None."""
    at = at or now()
    schedule = current_schedule()
    if schedule is None:
        return None
    day = today_local(at)
    for occurrence in occurrences(schedule, at - timedelta(days=1), at + timedelta(days=1)):
        if occurrence.day == day and not occurrence.cancelled:
            return occurrence
    return None


def queue_open(at: datetime | None = None) -> Occurrence | None:
    at = at or now()
    occurrence = todays_occurrence(at)
    if occurrence and occurrence.starts_at - QUEUE_OPENS_BEFORE <= at < occurrence.ends_at:
        return occurrence
    return None


def active_entry(user, day: date) -> QueueEntry | None:
    return db.session.scalar(sa.select(QueueEntry).where(
        QueueEntry.user_id == user.id, QueueEntry.day == day,
        QueueEntry.status.in_([QueueStatus.WAITING, QueueStatus.ADMITTED])).order_by(QueueEntry.id.desc()).limit(1))


def _booking_served(booking_id: int) -> bool:
    """Was this booking's consultation already held (someone was let in with it)?"""
    return db.session.scalar(sa.select(QueueEntry.id).where(
        QueueEntry.booking_id == booking_id, QueueEntry.admitted_at.is_not(None)).limit(1)) is not None


def join_queue(user, *, topic: str, question: str, club=None) -> QueueEntry:
    """Take one place in today's queue (or return the place the person already holds).

    A booking gives its slot time as priority, but only until its consultation was held: whoever joins
    again after being served queues by arrival. One person, one place: the partial unique index
    ``uq_consultation_queue_entry_active_user`` refuses a second waiting or admitted entry for the
    same day, so simultaneous joins end with the one entry.
    """
    at = now()
    occurrence = queue_open(at)
    if occurrence is None:
        raise WorkshopError(_("Die Warteschlange ist nur während der Sprechstunde geöffnet."))
    existing = active_entry(user, occurrence.day)
    if existing is not None:
        return existing
    booking = db.session.scalar(sa.select(ConsultationBooking).where(
        ConsultationBooking.user_id == user.id, ConsultationBooking.cancelled_at.is_(None),
        ConsultationBooking.starts_at >= occurrence.starts_at, ConsultationBooking.starts_at < occurrence.ends_at))
    if booking is not None and _booking_served(booking.id):
        booking = None  # a booking's priority counts once
    entry = QueueEntry(day=occurrence.day, user_id=user.id, club_id=getattr(club, "id", None) or
                       (booking.club_id if booking else None), booking_id=booking.id if booking else None,
                       name=user.name, topic=booking.topic if booking else topic,
                       question=(question or (booking.question if booking else "")).strip(), joined_at=at,
                       priority_at=min(booking.starts_at, at) if booking else at)
    db.session.add(entry)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # a parallel request of the same person was first: that place is theirs
        existing = active_entry(user, occurrence.day)
        if existing is None:
            raise
        return existing
    return entry


def _waiting_query(day: date):
    return (sa.select(QueueEntry).where(QueueEntry.day == day, QueueEntry.status == QueueStatus.WAITING)
            .order_by(QueueEntry.priority_at, QueueEntry.id))


def waiting_entries(day: date) -> list[QueueEntry]:
    return list(db.session.scalars(_waiting_query(day).options(so.selectinload(QueueEntry.club))))


def admitted_entries(day: date) -> list[QueueEntry]:
    return list(db.session.scalars(sa.select(QueueEntry).where(
        QueueEntry.day == day, QueueEntry.status == QueueStatus.ADMITTED)
        .options(so.selectinload(QueueEntry.club)).order_by(QueueEntry.admitted_at)))


def queue_position(entry: QueueEntry) -> int | None:
    if entry.status != QueueStatus.WAITING:
        return None
    ahead = db.session.scalar(sa.select(sa.func.count()).select_from(QueueEntry).where(
        QueueEntry.day == entry.day, QueueEntry.status == QueueStatus.WAITING,
        sa.or_(QueueEntry.priority_at < entry.priority_at,
               sa.and_(QueueEntry.priority_at == entry.priority_at, QueueEntry.id < entry.id))))
    return ahead + 1


@dataclass
class Admission:
    entry: QueueEntry | None  # the person let in, or None when nobody waits
    rooms_left_open: int = 0  # earlier consultation rooms the conference server did not close


def admit_next(day: date, *, by) -> Admission:
    """One click: whoever is in the room is done (their meeting is ended), the next person is let in.

    Every admitted person gets a meeting of their own (a staff room made for this consultation only), so
    nobody joins another person's consultation and an earlier visitor's link ends with their consultation.
    """
    at = now()
    finished = admitted_entries(day)
    for current in finished:
        current.status = QueueStatus.DONE
        current.finished_at = at
    db.session.flush()
    admitted = None
    for candidate in waiting_entries(day):
        # Conditional update: a double click cannot admit two people.
        changed = db.session.execute(
            sa.update(QueueEntry).where(QueueEntry.id == candidate.id, QueueEntry.status == QueueStatus.WAITING)
            .values(status=QueueStatus.ADMITTED, admitted_at=at)).rowcount
        if changed:
            db.session.refresh(candidate)
            candidate.room_id = _new_staff_room(_("Digitale Sprechstunde"))
            audit_record("consultation.admitted", actor=by, entry=candidate.id, user_id=candidate.user_id)
            admitted = candidate
            break
    db.session.commit()
    left_open = sum(not close_consultation_room(entry) for entry in finished)
    return Admission(admitted, left_open)


def finish_entry(entry: QueueEntry, status: str = QueueStatus.DONE) -> bool:
    """End a place in the queue (done, or left); an admitted person's meeting is ended.

    Returns False when the conference server could not end the meeting (it ends by itself once empty).
    """
    if entry.status in (QueueStatus.WAITING, QueueStatus.ADMITTED):
        entry.status = status
        entry.finished_at = now()
        db.session.commit()
        return close_consultation_room(entry)
    return True


def close_consultation_room(entry: QueueEntry) -> bool:
    """End the meeting of a finished consultation: links handed out for it stop working. False on failure."""
    room = staff_room(entry.room_id)
    if room is None:
        return True
    from ..integrations.bigbluebutton import BBBError
    from ..meetings import services as meetings

    try:
        meetings.end_meeting(room)
    except BBBError:
        db.session.rollback()
        log.warning("could not end the meeting of consultation entry %s", entry.id)
        return False
    return True


def consultation_join_url(entry: QueueEntry, user, *, moderator: bool) -> str:
    """The link into this consultation's own meeting, only while the person is admitted."""
    if entry.status != QueueStatus.ADMITTED or entry.room_id is None:
        raise WorkshopError(_("Dieses Gespräch ist beendet."))
    return join_url(entry.room_id, user, moderator=moderator)


# --- BigBlueButton (staff rooms from app.meetings) -----------------------------------------------------

def _new_staff_room(name: str) -> int:
    """A staff room (club_id None) with a waiting room, from the meetings domain."""
    from ..meetings.models import Room

    room = Room(club_id=None, name=str(name)[:64], waiting_room=True, mute_on_join=True)
    db.session.add(room)
    db.session.flush()
    return room.id


def staff_room(room_id: int | None):
    if room_id is None:
        return None
    from ..meetings.models import Room

    return db.session.get(Room, room_id)


def join_url(room_id: int | None, user_or_name, *, moderator: bool) -> str:
    """The BBB join link from the meetings service (raises WorkshopError when not possible)."""
    room = staff_room(room_id)
    if room is None:
        raise WorkshopError(_("Für diesen Termin ist kein Konferenzraum eingerichtet."))
    from ..integrations.bigbluebutton import BBBError
    from ..meetings import services as meetings

    try:
        return meetings.start_url(room, user_or_name, moderator)
    except BBBError as error:
        raise WorkshopError(str(error) or _("Der Konferenzraum ist gerade nicht erreichbar.")) from error


# --- scheduled work: reminders, materials, data deletion ------------------------------------------------

def send_due_mails(at: datetime | None = None) -> dict:
    """Reminders (before the date) and materials links (after a workshop). Idempotent."""
    at = at or now()
    ahead = timedelta(hours=current_app.config["WORKSHOP_REMINDER_HOURS"])
    counts = {"reminders": 0, "materials": 0, "consultation_reminders": 0}
    due = list(db.session.scalars(sa.select(Registration).join(Workshop).where(
        Registration.status == RegistrationStatus.CONFIRMED, Registration.reminder_sent_at.is_(None),
        Workshop.cancelled_at.is_(None), Workshop.starts_at > at, Workshop.starts_at <= at + ahead)))
    for registration in due:
        registration.reminder_sent_at = at
    db.session.commit()
    for registration in due:
        counts["reminders"] += send_registration_mail(registration, "reminder")

    finished = [w for w in db.session.scalars(sa.select(Workshop).where(
        Workshop.materials_url.is_not(None), Workshop.materials_url != "", Workshop.materials_sent_at.is_(None),
        Workshop.cancelled_at.is_(None), Workshop.participants_purged_at.is_(None), Workshop.starts_at <= at))
        if w.ends_at <= at]
    for workshop in finished:
        workshop.materials_sent_at = at
    db.session.commit()
    for workshop in finished:
        for person in participants(workshop):
            if person.status == RegistrationStatus.CONFIRMED:
                counts["materials"] += send_registration_mail(person, "materials")

    bookings = list(db.session.scalars(sa.select(ConsultationBooking).where(
        ConsultationBooking.cancelled_at.is_(None), ConsultationBooking.reminder_sent_at.is_(None),
        ConsultationBooking.starts_at > at, ConsultationBooking.starts_at <= at + ahead)))
    for booking in bookings:
        booking.reminder_sent_at = at
    db.session.commit()
    for booking in bookings:
        counts["consultation_reminders"] += send_booking_mail(booking, "reminder")
    return counts


def purge_expired_participants(now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete personal data WORKSHOP_RETENTION_DAYS after a workshop / consultation date.

    Workshop registrations are deleted (the workshop keeps only the number of
    participants), as are consultation bookings and queue entries. Returns the
    number of records deleted (or that would be deleted with ``dry_run``).
    """
    at = now or globals()["now"]()
    cutoff = at - timedelta(days=int(current_app.config["WORKSHOP_RETENTION_DAYS"]))
    workshops = [w for w in db.session.scalars(sa.select(Workshop).where(Workshop.starts_at <= cutoff))
                 if w.ends_at <= cutoff]
    workshop_ids = [w.id for w in workshops]
    registration_ids = list(db.session.scalars(sa.select(Registration.id).where(
        Registration.workshop_id.in_(workshop_ids)))) if workshop_ids else []
    booking_ids = [b.id for b in db.session.scalars(sa.select(ConsultationBooking).where(
        ConsultationBooking.starts_at < cutoff)) if b.ends_at <= cutoff]
    queue_rows = db.session.execute(sa.select(QueueEntry.id, QueueEntry.room_id).where(
        QueueEntry.day < (cutoff.astimezone(local_tz()).date()))).all()
    queue_ids = [row.id for row in queue_rows]
    queue_room_ids = [row.room_id for row in queue_rows if row.room_id is not None]
    total = len(registration_ids) + len(booking_ids) + len(queue_ids)
    if dry_run:
        return total
    counts = place_counts(workshop_ids)
    for workshop in workshops:
        if workshop.participants_purged_at is None:
            workshop.participant_count = counts[workshop.id][0]
        workshop.participants_purged_at = at
    if registration_ids:
        db.session.execute(sa.delete(Registration).where(Registration.id.in_(registration_ids)))
    if queue_ids:
        db.session.execute(sa.delete(QueueEntry).where(QueueEntry.id.in_(queue_ids)))
    if queue_room_ids:  # each consultation's own staff room goes with it
        from ..meetings.models import Room

        db.session.execute(sa.delete(Room).where(Room.id.in_(queue_room_ids), Room.club_id.is_(None)))
    if booking_ids:
        db.session.execute(sa.update(QueueEntry).where(QueueEntry.booking_id.in_(booking_ids))
                           .values(booking_id=None))
        db.session.execute(sa.delete(ConsultationBooking).where(ConsultationBooking.id.in_(booking_ids)))
    if total:
        audit_record("workshops.purged", records=total)
    db.session.commit()
    return total
