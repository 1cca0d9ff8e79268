"""The Digitale Sprechstunde: reads and writes.

A recurring schedule (an RRULE in local time, with exceptions) gives the dates; people book a slot or
take a place in the same-day queue. Staff let one person in at a time: each consultation gets a meeting
of its own, a staff room of app.meetings (its one public service for rooms without a club).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import gettext as _

from ..auth.services import confirm_first_message
from ..core import ics
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.errors import never_raises
from ..core.i18n import format_when, local_tz
from ..core.mail import try_send_mail
from ..core.tokens import cancel_token
from ..core.urls import external_url
from ..extensions import db
from ..meetings import services as meetings
from .models import ConsultationBooking, ConsultationException, ConsultationSchedule, QueueEntry, QueueStatus

log = logging.getLogger(__name__)


class ConsultationError(Exception):
    """A user-facing (German) reason why an action is not possible."""


def ensure_confirmed(user) -> None:
    """Slots and places only for confirmed addresses: throwaway accounts cannot book everything out."""
    if not getattr(user, "is_confirmed", False):
        raise ConsultationError(confirm_first_message())


def now() -> datetime:
    """The current time (one place, so tests can move the clock)."""
    return utcnow()


# --- the schedule -----------------------------------------------------------------------


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
    duration = datetime.combine(date.min, schedule.end_time) - datetime.combine(date.min, schedule.start_time)
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
    taken = set(
        db.session.scalars(
            sa.select(ConsultationBooking.slot_at).where(
                ConsultationBooking.slot_at >= found[0].starts_at, ConsultationBooking.slot_at <= found[-1].ends_at
            )
        )
    )
    for occurrence in found:
        slots = [(slot, slot not in taken) for slot in slot_times(schedule, occurrence) if slot > at]
        if slots:
            result.append(DaySlots(occurrence, slots))
    return result


def save_schedule(
    *, rrule: str, starts_on: date, start_time: time, end_time: time, slot_minutes: int, note: str | None, by
) -> ConsultationSchedule:
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
    save_schedule(
        rrule="FREQ=MONTHLY;BYDAY=+3TU",
        starts_on=today_local(),
        start_time=time(17, 0),
        end_time=time(19, 0),
        slot_minutes=int(current_app.config["CONSULTATION_SLOT_MINUTES"]),
        note=None,
        by=None,
    )
    return "angelegt: jeden dritten Dienstag, 17–19 Uhr"


def add_exception(day: date, reason: str | None, *, by) -> int:
    """Mark a date as off; bookings on that date are cancelled with an e-mail. Returns that number."""
    if db.session.scalar(sa.select(ConsultationException).where(ConsultationException.day == day)):
        raise ConsultationError(_("Für diesen Tag gibt es schon eine Ausnahme."))
    db.session.add(ConsultationException(day=day, reason=(reason or "").strip() or None))
    tz = local_tz()
    start = datetime.combine(day, time.min, tzinfo=tz)
    bookings = list(
        db.session.scalars(
            sa.select(ConsultationBooking).where(
                ConsultationBooking.slot_at.is_not(None),
                ConsultationBooking.starts_at >= start,
                ConsultationBooking.starts_at < start + timedelta(days=1),
            )
        )
    )
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


# --- booked slots -----------------------------------------------------------------------


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
        raise ConsultationError(
            _("Diesen Termin gibt es nicht oder er ist schon vorbei. Bitte wählen Sie einen anderen.")
        )
    schedule = current_schedule()
    existing = db.session.scalar(
        sa.select(ConsultationBooking).where(
            ConsultationBooking.user_id == user.id,
            ConsultationBooking.slot_at.is_not(None),
            ConsultationBooking.starts_at >= occurrence.starts_at,
            ConsultationBooking.starts_at < occurrence.ends_at,
        )
    )
    if existing is not None:
        raise ConsultationError(
            _("Sie haben an diesem Tag schon einen Termin. Bitte sagen Sie ihn ab, wenn Sie einen anderen möchten.")
        )
    booking = ConsultationBooking(
        starts_at=slot_at,
        slot_at=slot_at,
        duration_minutes=schedule.slot_minutes,
        user_id=user.id,
        club_id=getattr(club, "id", None),
        name=user.name,
        email=user.email,
        topic=topic,
        question=question.strip(),
        created_at=at,
    )
    db.session.add(booking)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ConsultationError(_("Dieser Termin wurde gerade vergeben. Bitte wählen Sie einen anderen.")) from None
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
    return list(
        db.session.scalars(
            sa.select(ConsultationBooking)
            .where(
                ConsultationBooking.user_id == user.id,
                ConsultationBooking.cancelled_at.is_(None),
                ConsultationBooking.starts_at > at - timedelta(hours=1),
            )
            .order_by(ConsultationBooking.starts_at)
        )
    )


def upcoming_bookings(at: datetime | None = None) -> list[ConsultationBooking]:
    at = at or now()
    return list(
        db.session.scalars(
            sa.select(ConsultationBooking)
            .where(ConsultationBooking.cancelled_at.is_(None), ConsultationBooking.starts_at > at - timedelta(hours=2))
            .options(so.selectinload(ConsultationBooking.club))
            .order_by(ConsultationBooking.starts_at)
        )
    )


BOOKING_SUBJECTS = {
    "confirmed": lambda: _("Termin in der Digitalen Sprechstunde bestätigt"),
    "reminder": lambda: _("Erinnerung: Ihr Termin in der Digitalen Sprechstunde"),
    "cancelled": lambda: _("Termin in der Digitalen Sprechstunde abgesagt"),
}


def booking_calendar(booking: ConsultationBooking, url: str, cancelled: bool = False) -> bytes:
    description = _("Thema: %(topic)s", topic=booking.topic_label) + f"\n{booking.question}\n\n{url}"
    event = ics.Event(
        uid=f"sprechstunde-{booking.id}@vereinsraum",
        start=booking.starts_at,
        end=booking.ends_at,
        summary=_("Digitale Sprechstunde"),
        description=description.strip(),
        location=_("Online: %(url)s", url=url),
        url=url,
        cancelled=cancelled,
        sequence=int(cancelled),
    )
    return ics.calendar([event], product="Workshops und Sprechstunde", method="CANCEL" if cancelled else "PUBLISH")


@never_raises
def send_booking_mail(booking: ConsultationBooking, kind: str, reason: str | None = None) -> bool:
    page_url = external_url("consultation.index")
    calendar = booking_calendar(booking, page_url, cancelled=kind == "cancelled")
    filename = "sprechstunde-abgesagt.ics" if kind == "cancelled" else "sprechstunde.ics"
    return try_send_mail(
        booking.email,
        BOOKING_SUBJECTS[kind](),
        f"consultation/email/booking_{kind}",
        attachments=[(filename, "text/calendar", calendar)],
        booking=booking,
        page_url=page_url,
        reason=reason,
        when=format_when(booking.starts_at, booking.ends_at),
        cancel_url=external_url("consultation.cancel_booking_link", token=cancel_token("consultation", booking)),
    )


# --- the same-day queue -------------------------------------------------------------

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
    return db.session.scalar(
        sa.select(QueueEntry)
        .where(
            QueueEntry.user_id == user.id,
            QueueEntry.day == day,
            QueueEntry.status.in_([QueueStatus.WAITING, QueueStatus.ADMITTED]),
        )
        .order_by(QueueEntry.id.desc())
        .limit(1)
    )


def _booking_served(booking_id: int) -> bool:
    """Was this booking's consultation already held (someone was let in with it)?"""
    return (
        db.session.scalar(
            sa.select(QueueEntry.id)
            .where(QueueEntry.booking_id == booking_id, QueueEntry.admitted_at.is_not(None))
            .limit(1)
        )
        is not None
    )


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
        raise ConsultationError(_("Die Warteschlange ist nur während der Sprechstunde geöffnet."))
    existing = active_entry(user, occurrence.day)
    if existing is not None:
        return existing
    booking = db.session.scalar(
        sa.select(ConsultationBooking).where(
            ConsultationBooking.user_id == user.id,
            ConsultationBooking.cancelled_at.is_(None),
            ConsultationBooking.starts_at >= occurrence.starts_at,
            ConsultationBooking.starts_at < occurrence.ends_at,
        )
    )
    if booking is not None and _booking_served(booking.id):
        booking = None  # a booking's priority counts once
    entry = QueueEntry(
        day=occurrence.day,
        user_id=user.id,
        club_id=getattr(club, "id", None) or (booking.club_id if booking else None),
        booking_id=booking.id if booking else None,
        name=user.name,
        topic=booking.topic if booking else topic,
        question=(question or (booking.question if booking else "")).strip(),
        joined_at=at,
        priority_at=min(booking.starts_at, at) if booking else at,
    )
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
    return (
        sa.select(QueueEntry)
        .where(QueueEntry.day == day, QueueEntry.status == QueueStatus.WAITING)
        .order_by(QueueEntry.priority_at, QueueEntry.id)
    )


def waiting_entries(day: date) -> list[QueueEntry]:
    return list(db.session.scalars(_waiting_query(day).options(so.selectinload(QueueEntry.club))))


def admitted_entries(day: date) -> list[QueueEntry]:
    return list(
        db.session.scalars(
            sa.select(QueueEntry)
            .where(QueueEntry.day == day, QueueEntry.status == QueueStatus.ADMITTED)
            .options(so.selectinload(QueueEntry.club))
            .order_by(QueueEntry.admitted_at)
        )
    )


def queue_position(entry: QueueEntry) -> int | None:
    if entry.status != QueueStatus.WAITING:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(QueueEntry)
        .where(
            QueueEntry.day == entry.day,
            QueueEntry.status == QueueStatus.WAITING,
            sa.or_(
                QueueEntry.priority_at < entry.priority_at,
                sa.and_(QueueEntry.priority_at == entry.priority_at, QueueEntry.id < entry.id),
            ),
        )
    )
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
            sa.update(QueueEntry)
            .where(QueueEntry.id == candidate.id, QueueEntry.status == QueueStatus.WAITING)
            .values(status=QueueStatus.ADMITTED, admitted_at=at)
        ).rowcount
        if changed:
            db.session.refresh(candidate)
            candidate.room_id = meetings.create_staff_room(_("Digitale Sprechstunde"))
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
    return meetings.end_staff_meeting(entry.room_id)


def consultation_join_url(entry: QueueEntry, user, *, moderator: bool) -> str:
    """The link into this consultation's own meeting, only while the person is admitted."""
    if entry.status != QueueStatus.ADMITTED or entry.room_id is None:
        raise ConsultationError(_("Dieses Gespräch ist beendet."))
    try:
        return meetings.staff_join_url(entry.room_id, user, moderator=moderator)
    except meetings.MeetingError as error:
        raise ConsultationError(str(error)) from error


# --- scheduled work: reminders, data deletion -------------------------------------------------------


def send_due_mails(at: datetime | None = None) -> dict:
    """Reminders before a booked slot. Idempotent."""
    at = at or now()
    ahead = timedelta(hours=current_app.config["WORKSHOP_REMINDER_HOURS"])
    counts = {"consultation_reminders": 0}
    bookings = list(
        db.session.scalars(
            sa.select(ConsultationBooking).where(
                ConsultationBooking.cancelled_at.is_(None),
                ConsultationBooking.reminder_sent_at.is_(None),
                ConsultationBooking.starts_at > at,
                ConsultationBooking.starts_at <= at + ahead,
            )
        )
    )
    for booking in bookings:
        booking.reminder_sent_at = at
    db.session.commit()
    for booking in bookings:
        counts["consultation_reminders"] += send_booking_mail(booking, "reminder")
    return counts


def purge_expired_participants(now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete bookings and queue entries WORKSHOP_RETENTION_DAYS after their date.

    Each consultation's own staff room goes with its queue entry. Returns the number of records
    deleted (or that would be deleted with ``dry_run``).
    """
    at = now or globals()["now"]()  # the parameter hides the module's clock (tests move it)
    cutoff = at - timedelta(days=int(current_app.config["WORKSHOP_RETENTION_DAYS"]))
    booking_ids = [
        b.id
        for b in db.session.scalars(sa.select(ConsultationBooking).where(ConsultationBooking.starts_at < cutoff))
        if b.ends_at <= cutoff
    ]
    queue_rows = db.session.execute(
        sa.select(QueueEntry.id, QueueEntry.room_id).where(QueueEntry.day < (cutoff.astimezone(local_tz()).date()))
    ).all()
    queue_ids = [row.id for row in queue_rows]
    total = len(booking_ids) + len(queue_ids)
    if dry_run:
        return total
    if queue_ids:
        db.session.execute(sa.delete(QueueEntry).where(QueueEntry.id.in_(queue_ids)))
    meetings.delete_staff_rooms(row.room_id for row in queue_rows if row.room_id is not None)
    if booking_ids:
        db.session.execute(sa.update(QueueEntry).where(QueueEntry.booking_id.in_(booking_ids)).values(booking_id=None))
        db.session.execute(sa.delete(ConsultationBooking).where(ConsultationBooking.id.in_(booking_ids)))
    if total:
        audit_record("consultation.purged", records=total)
    db.session.commit()
    return total
