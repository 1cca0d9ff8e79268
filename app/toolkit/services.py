"""Reads and writes of the toolkit: data-subject requests and the breach log.

Deadlines are calendar dates in the platform's time zone (Berlin, ``core/i18n.py``); the breach clock is
an exact point in time (72 hours after discovery, Art. 33(1)).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, has_request_context, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..clubs.models import Club, ClubStatus, Membership, Role
from ..core.audit import audit_record
from ..core.db import utcnow
from ..core.errors import carry_on
from ..core.evidence import Evidence
from ..core.i18n import local_tz
from ..core.mail import try_send_mail
from ..core.urls import external_url
from ..extensions import cache, db
from ..privacy import services as privacy  # profile_flags, mark_answered_by_document (import-linter contract)
from .models import (
    MAX_EXTENSION_MONTHS,
    Breach,
    NoticeKind,
    NoticeVersion,
    RecordVersion,
    RequestKind,
    SubjectRequest,
    ToolkitSettings,
    add_months,
)
from .record import prefill, suggested

#: Reminders before a request's deadline: days left at which the board gets a mail (one each per deadline).
REQUEST_REMINDER_DAYS = (7, 2)
#: Reminders while a breach's 72-hour clock runs: hours left at which the board gets a mail (one each).
BREACH_REMINDER_HOURS = (48, 24, 6)
#: The guide's templates that help answer a request (``handbook.template`` slugs), by request type.
ANSWER_TEMPLATES = {
    RequestKind.ACCESS: (("antwort-auskunft", _l("Antwort auf eine Auskunftsanfrage")),),
    RequestKind.ERASURE: (("loeschprotokoll", _l("Eintrag im Löschprotokoll")),),
}
#: The guide's chapter on data-subject rights and breaches.
RIGHTS_CHAPTER = "auskunft"
#: BlnBDI: online form for reporting a breach (the authority for clubs seated in Berlin).
BLNBDI_BREACH_FORM = "https://www.datenschutz-berlin.de/datenschutz/datenpanne-melden/"


class ToolkitError(Exception):
    """A write that is refused (German message for the user)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def today() -> date:
    """Today's date in Berlin (deadlines are Berlin calendar days)."""
    return datetime.now(local_tz()).date()


def retention_days() -> int:
    return int(current_app.config["TOOLKIT_REQUEST_RETENTION_DAYS"])


# --- data-subject requests -----------------------------------------------------------------------------


def requests_of(club: Club) -> list[SubjectRequest]:
    """Open requests first (earliest deadline first), then closed ones (latest first)."""
    return list(
        db.session.scalars(
            sa.select(SubjectRequest)
            .where(SubjectRequest.club_id == club.id)
            .order_by(
                SubjectRequest.closed_on.is_not(None),
                SubjectRequest.due_on,
                SubjectRequest.closed_on.desc(),
                SubjectRequest.id,
            )
        )
    )


def request_of(club: Club, request_id: int) -> SubjectRequest | None:
    """The club's request with this id (another club's id is None: match by id within the club)."""
    return db.session.scalar(
        sa.select(SubjectRequest).where(SubjectRequest.id == request_id, SubjectRequest.club_id == club.id)
    )


def log_request(club: Club, *, kind: str, received_on: date, channel: str, note: str, by) -> SubjectRequest:
    if received_on > today():
        raise ToolkitError(_("Das Eingangsdatum darf nicht in der Zukunft liegen."))
    item = SubjectRequest(
        club_id=club.id,
        kind=RequestKind(kind),
        received_on=received_on,
        channel=channel,
        note=note or "",
        due_on=add_months(received_on, 1),
        created_by_id=by.id,
    )
    db.session.add(item)
    db.session.flush()
    audit_record("toolkit.request_logged", actor=by, club=club, request_id=item.id, kind=item.kind.value)
    db.session.commit()
    return item


def extend_request(item: SubjectRequest, *, months: int, reason: str, by) -> None:
    """Art. 12(3): up to two further months, with a reason, decided before the deadline runs out."""
    if not item.is_open:
        raise ToolkitError(_("Die Anfrage ist abgeschlossen und kann nicht mehr verlängert werden."))
    if months < 1 or item.extended_months + months > MAX_EXTENSION_MONTHS:
        raise ToolkitError(_("Die Frist kann insgesamt nur um höchstens zwei Monate verlängert werden."))
    if item.due_on < today():
        raise ToolkitError(
            _(
                "Die Frist ist bereits abgelaufen. Eine Verlängerung muss der anfragenden Person innerhalb der "
                "Frist mitgeteilt werden."
            )
        )
    item.extended_months += months
    item.due_on = add_months(item.received_on, 1 + item.extended_months)
    previous = (item.extension_reason + "\n") if item.extension_reason else ""
    item.extension_reason = previous + reason
    audit_record("toolkit.request_extended", actor=by, club=item.club, request_id=item.id, months=months)
    db.session.commit()


def close_request(item: SubjectRequest, *, closed_on: date, outcome: str, by) -> None:
    if not item.is_open:
        raise ToolkitError(_("Die Anfrage ist bereits abgeschlossen."))
    if closed_on > today():
        raise ToolkitError(_("Das Datum der Erledigung darf nicht in der Zukunft liegen."))
    if closed_on < item.received_on:
        raise ToolkitError(_("Die Anfrage kann nicht vor ihrem Eingang erledigt worden sein."))
    item.closed_on = closed_on
    item.outcome = outcome
    item.closed_by_id = by.id
    audit_record("toolkit.request_closed", actor=by, club=item.club, request_id=item.id)
    db.session.commit()


def purge_closed_requests(*, on: date | None = None, dry_run: bool = False) -> int:
    """Delete requests closed more than ``TOOLKIT_REQUEST_RETENTION_DAYS`` ago; returns how many."""
    cutoff = (on or today()) - timedelta(days=retention_days())
    where = sa.and_(SubjectRequest.closed_on.is_not(None), SubjectRequest.closed_on < cutoff)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SubjectRequest).where(where)) or 0
    if count and not dry_run:
        db.session.execute(sa.delete(SubjectRequest).where(where))
        db.session.commit()
    return count


def request_counts() -> dict[str, int]:
    """For platform staff: numbers only, never a request (open, closed, overdue; breaches). One statement."""
    now = today()

    def count(model, *where):
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    open_, closed, overdue, breaches = db.session.execute(
        sa.select(
            count(SubjectRequest, SubjectRequest.closed_on.is_(None)),
            count(SubjectRequest, SubjectRequest.closed_on.is_not(None)),
            count(SubjectRequest, SubjectRequest.closed_on.is_(None), SubjectRequest.due_on < now),
            count(Breach),
        )
    ).one()
    return {"open": open_, "closed": closed, "overdue": overdue, "breaches": breaches}


def open_counts(club: Club) -> tuple[int, int]:
    """(open requests, open breaches) of a club – one query, for the workspace link."""
    return db.session.execute(
        sa.select(
            sa.select(sa.func.count())
            .select_from(SubjectRequest)
            .where(SubjectRequest.club_id == club.id, SubjectRequest.closed_on.is_(None))
            .scalar_subquery(),
            sa.select(sa.func.count())
            .select_from(Breach)
            .where(Breach.club_id == club.id, Breach.closed_at.is_(None))
            .scalar_subquery(),
        )
    ).one()


# --- reminders (periodic task) ----------------------------------------------------------------------------


def _request_stage(item: SubjectRequest, on: date) -> int:
    """How many of the reminders before the deadline are due on ``on`` (0 = none yet)."""
    left = (item.due_on - on).days
    return sum(1 for days in REQUEST_REMINDER_DAYS if left <= days)


def _breach_stage(item: Breach, at: datetime) -> int:
    left = item.deadline - at
    return sum(1 for hours in BREACH_REMINDER_HOURS if left <= timedelta(hours=hours))


def _boards(club_ids) -> dict[int, list[User]]:
    rows = db.session.execute(
        sa.select(Membership.club_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.club_id.in_(club_ids), Membership.role == Role.BOARD)
        .order_by(User.id)
    ).all()
    boards: dict[int, list[User]] = {}
    for club_id, user in rows:
        boards.setdefault(club_id, []).append(user)
    return boards


def send_due_reminders(*, at: datetime | None = None) -> int:
    """Mail the board of each club about requests whose deadline comes near and breaches whose clock runs.

    Each reminder goes once: a request remembers the deadline and stage it was reminded for (an extension
    gives a new deadline and new reminders), a breach its stage. Returns the number of mails sent.
    """
    at = at or utcnow()
    on = at.astimezone(local_tz()).date()
    horizon = on + timedelta(days=max(REQUEST_REMINDER_DAYS))
    requests = db.session.scalars(
        sa.select(SubjectRequest)
        .join(Club, Club.id == SubjectRequest.club_id)
        .where(SubjectRequest.closed_on.is_(None), SubjectRequest.due_on <= horizon, Club.status == ClubStatus.APPROVED)
        .options(so.joinedload(SubjectRequest.club))
        .order_by(SubjectRequest.id)
    ).all()
    breaches = db.session.scalars(
        sa.select(Breach)
        .join(Club, Club.id == Breach.club_id)
        .where(
            Breach.closed_at.is_(None),
            Breach.authority_notified_at.is_(None),
            Breach.discovered_at > at - timedelta(hours=72),
            Club.status == ClubStatus.APPROVED,
        )
        .options(so.joinedload(Breach.club))
        .order_by(Breach.id)
    ).all()
    due_requests = [
        (r, stage)
        for r in requests
        if (stage := _request_stage(r, on)) and (r.reminded_for != r.due_on or r.reminded_stage < stage)
    ]
    due_breaches = [
        (b, stage) for b in breaches if b.clock_running and (stage := _breach_stage(b, at)) > b.reminded_stage
    ]
    boards = _boards({item.club_id for item, _stage in due_requests + due_breaches})
    mails = 0
    base = current_app.config.get("BASE_URL", "http://localhost")
    with current_app.test_request_context(base_url=base):
        # one failing item is logged and rolled back (its stage stays, so the next run tries again)
        for item, stage in due_requests:
            with carry_on("toolkit reminder for request %s (retried next run)", item.id):
                item.reminded_for, item.reminded_stage = item.due_on, stage
                url = external_url("toolkit.show_request", slug=item.club.slug, request_id=item.id)
                subject = _("Frist läuft ab: Datenschutz-Anfrage bei %(club)s", club=item.club.name)
                context = {"item": item, "days_left": (item.due_on - on).days, "url": url}
                mails += _mail_board(boards.get(item.club_id, ()), subject, "toolkit/email/request_reminder", context)
        for item, stage in due_breaches:
            with carry_on("toolkit reminder for breach %s (retried next run)", item.id):
                item.reminded_stage = stage
                url = external_url("toolkit.show_breach", slug=item.club.slug, breach_id=item.id)
                hours_left = max(0, int((item.deadline - at).total_seconds() // 3600))
                subject = _(
                    "Datenpanne bei %(club)s: noch %(hours)s Stunden für die Meldung",
                    club=item.club.name,
                    hours=hours_left,
                )
                context = {"item": item, "hours_left": hours_left, "url": url}
                mails += _mail_board(boards.get(item.club_id, ()), subject, "toolkit/email/breach_reminder", context)
    return mails


def _mail_board(users, subject: str, template: str, context: dict) -> int:
    """Send one reminder to every board member and record it as sent (the caller set the stage).

    Once per reminder: the stage is committed when at least one mail went out; when none could be sent
    (mail server down) it is rolled back, and the next run tries again.
    """
    sent = sum(try_send_mail(user.email, subject, template, user=user, **context) for user in users)
    if users and not sent:
        db.session.rollback()
    else:
        db.session.commit()
    return sent


# --- breach log -----------------------------------------------------------------------------------------------


def breaches_of(club: Club) -> list[Breach]:
    return list(
        db.session.scalars(
            sa.select(Breach)
            .where(Breach.club_id == club.id)
            .order_by(Breach.closed_at.is_not(None), Breach.discovered_at.desc(), Breach.id)
        )
    )


def breach_of(club: Club, breach_id: int) -> Breach | None:
    return db.session.scalar(sa.select(Breach).where(Breach.id == breach_id, Breach.club_id == club.id))


def log_breach(club: Club, *, discovered_at: datetime, by, **answers) -> Breach:
    """ "Datenpanne melden": ``discovered_at`` is aware; the clock runs from there, not from now."""
    if discovered_at > utcnow():
        raise ToolkitError(_("Der Zeitpunkt darf nicht in der Zukunft liegen."))
    item = Breach(club_id=club.id, discovered_at=discovered_at, created_by_id=by.id, **answers)
    db.session.add(item)
    db.session.flush()
    audit_record("toolkit.breach_logged", actor=by, club=club, breach_id=item.id)
    db.session.commit()
    return item


def mark_notified(item: Breach, whom: str, *, by) -> None:
    """Record that the authority (``"authority"``) or the people affected (``"people"``) were notified now."""
    if not item.is_open:
        raise ToolkitError(_("Der Eintrag ist abgeschlossen."))
    column = {"authority": "authority_notified_at", "people": "people_notified_at"}[whom]
    if getattr(item, column) is None:
        setattr(item, column, utcnow())
        audit_record("toolkit.breach_notified", actor=by, club=item.club, breach_id=item.id, whom=whom)
        db.session.commit()


def close_breach(item: Breach, *, effects: str, remedies: str, not_notified_reason: str, by) -> None:
    """Close the entry. A recommended notification that was not made needs a reason (Art. 33(5))."""
    if not item.is_open:
        raise ToolkitError(_("Der Eintrag ist bereits abgeschlossen."))
    missing = (item.recommend_authority and item.authority_notified_at is None) or (
        item.recommend_people and item.people_notified_at is None
    )
    late = item.authority_notified_at is not None and item.authority_notified_at > item.deadline
    if (missing or late) and not not_notified_reason:
        raise ToolkitError(_("Bitte begründen Sie, warum nicht oder nicht innerhalb von 72 Stunden gemeldet wurde."))
    item.effects, item.remedies = effects or "", remedies
    item.not_notified_reason = not_notified_reason or None
    item.closed_at = utcnow()
    audit_record("toolkit.breach_closed", actor=by, club=item.club, breach_id=item.id)
    db.session.commit()


# --- record of processing activities ----------------------------------------------------------------------

#: The checklist item the record answers, and the start of the line earlier releases wrote into its note.
RECORD_ITEM = "vvt-exists"
RECORD_EVIDENCE = "Nachweis: Verzeichnis von Verarbeitungstätigkeiten"


def latest_record(club: Club) -> RecordVersion | None:
    return db.session.scalar(
        sa.select(RecordVersion).where(RecordVersion.club_id == club.id).order_by(RecordVersion.number.desc()).limit(1)
    )


def record_versions(club: Club) -> list[RecordVersion]:
    return list(
        db.session.scalars(
            sa.select(RecordVersion).where(RecordVersion.club_id == club.id).order_by(RecordVersion.number.desc())
        )
    )


def record_version(club: Club, number: int) -> RecordVersion | None:
    return db.session.scalar(
        sa.select(RecordVersion).where(RecordVersion.club_id == club.id, RecordVersion.number == number)
    )


def _set_flags(profile: dict) -> set[str]:
    return {key for key, value in (profile or {}).items() if value}


def needs_review(club: Club, version: RecordVersion | None) -> bool:
    """ "bitte prüfen": the self-check profile changed since this version was saved."""
    return version is not None and _set_flags(privacy.profile_flags(club)) != _set_flags(version.profile)


def record_draft(club: Club) -> dict:
    """What the editor starts from: the latest version, or a record prefilled from the profile answers."""
    latest = latest_record(club)
    return dict(latest.content) if latest else prefill(club, privacy.profile_flags(club))


def suggestions_missing(club: Club, content: dict) -> list[str]:
    """Typical activities for the club's current profile that the record does not name (for "bitte prüfen")."""
    names = {activity.get("name") for activity in content.get("activities", ())}
    return [a.name for a in suggested(privacy.profile_flags(club)) if a.name not in names]


def save_record(club: Club, content: dict, *, by) -> RecordVersion:
    """Save a new version (date and author), then mark the checklist item for the record as answered
    (privacy.services.mark_answered_by_document); the version is the item's evidence (``record_evidence``)."""
    for _attempt in range(3):
        number = (
            db.session.scalar(sa.select(sa.func.max(RecordVersion.number)).where(RecordVersion.club_id == club.id)) or 0
        ) + 1
        version = RecordVersion(
            club_id=club.id,
            number=number,
            content=content,
            profile=privacy.profile_flags(club),
            created_by_id=by.id,
            author_name=by.name,
        )
        db.session.add(version)
        try:
            db.session.flush()
            break
        except IntegrityError:  # another board member saved at the same moment: take the next number
            db.session.rollback()
    else:
        raise ToolkitError(_("Das Verzeichnis konnte nicht gespeichert werden. Bitte versuchen Sie es erneut."))
    audit_record("toolkit.record_saved", actor=by, club=club, number=number)
    db.session.commit()  # the version stands on its own; the checklist answer follows in its own transaction
    cache.delete(_record_evidence_key(club))
    # The version is the item's evidence through the core's provider hook (record_evidence, registered in
    # init_app), with a link to it; the answer only turns "Ja". A line an earlier version wrote into the
    # item's note (before the evidence had its own place) is dropped.
    privacy.mark_answered_by_document(club, RECORD_ITEM, by=by, drop_note_lines=RECORD_EVIDENCE)
    return version


#: The evidence line is read on every checklist page; it changes only when a version is saved (which drops it
#: from the shared cache). At most this many seconds old otherwise (a renamed author shows after that).
RECORD_EVIDENCE_CACHE_SECONDS = 300


def _record_evidence_key(club: Club) -> str:
    return f"toolkit:record-evidence:{club.id}"


def record_evidence(club: Club) -> list[Evidence]:
    """``vvt-exists``: the latest saved version of the record, with a link to its print page."""
    cached = cache.get(_record_evidence_key(club))
    if cached is None:
        latest = latest_record(club)
        cached = (latest.number, latest.created_at, latest.author_name) if latest is not None else ()
        cache.set(_record_evidence_key(club), cached, timeout=RECORD_EVIDENCE_CACHE_SECONDS)
    if not cached:
        return []
    number, created_at, author = cached
    text = _(
        "Nachweis: Verzeichnis von Verarbeitungstätigkeiten, Fassung %(number)s vom %(date)s (%(name)s)",
        number=number,
        date=created_at.astimezone(local_tz()).strftime("%d.%m.%Y"),
        name=author or _("ehemaliges Mitglied"),
    )
    url = url_for("toolkit.record_print", number=number) if has_request_context() and g.get("club") else None
    return [Evidence(text, url)]


def record_shared(club: Club) -> bool:
    return bool(db.session.scalar(sa.select(ToolkitSettings.record_shared).where(ToolkitSettings.club_id == club.id)))


def share_record(club: Club, shared: bool, *, by) -> None:
    settings = db.session.scalar(sa.select(ToolkitSettings).where(ToolkitSettings.club_id == club.id))
    if settings is None:
        settings = ToolkitSettings(club_id=club.id)
        db.session.add(settings)
    settings.record_shared = shared
    audit_record("toolkit.record_shared", actor=by, club=club, shared=shared)
    db.session.commit()


# --- privacy notices (Art. 13/14) ----------------------------------------------------------------------------

#: Which activities of the record a notice covers: the website notice only the website, the membership
#: notice everything but the website.
WEBSITE_ACTIVITY = "Website und Social Media"


def notice_activities(kind: NoticeKind, content: dict) -> list[dict]:
    activities = [a for a in content.get("activities", ()) if a.get("name")]
    if kind is NoticeKind.WEBSITE:
        return [a for a in activities if a["name"] == WEBSITE_ACTIVITY]
    return [a for a in activities if a["name"] != WEBSITE_ACTIVITY]


def generate_notice(club: Club, kind: NoticeKind, record: RecordVersion) -> str:
    """The notice text from the record: controller, DPO, purposes and bases, recipients, retention, rights,
    the Berlin authority. German, like the record; the board edits it before use."""
    text = render_template(
        "toolkit/texts/notice.txt",
        kind=kind.value,
        content=record.content,
        activities=notice_activities(kind, record.content),
        record=record,
        today=today().strftime("%d.%m.%Y"),
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def latest_notice(club: Club, kind: NoticeKind) -> NoticeVersion | None:
    return db.session.scalar(
        sa.select(NoticeVersion)
        .where(NoticeVersion.club_id == club.id, NoticeVersion.kind == kind)
        .order_by(NoticeVersion.number.desc())
        .limit(1)
    )


def latest_notices(club: Club) -> dict[NoticeKind, NoticeVersion]:
    rows = db.session.scalars(
        sa.select(NoticeVersion).where(NoticeVersion.club_id == club.id).order_by(NoticeVersion.number)
    )
    return {row.kind: row for row in rows}  # the highest number of each kind wins


def save_notice(club: Club, kind: NoticeKind, text: str, *, record: RecordVersion, by) -> NoticeVersion:
    for _attempt in range(3):
        number = (
            db.session.scalar(
                sa.select(sa.func.max(NoticeVersion.number)).where(
                    NoticeVersion.club_id == club.id, NoticeVersion.kind == kind
                )
            )
            or 0
        ) + 1
        notice = NoticeVersion(
            club_id=club.id,
            kind=kind,
            number=number,
            text=text,
            record_number=record.number,
            created_by_id=by.id,
            author_name=by.name,
        )
        db.session.add(notice)
        try:
            db.session.flush()
            break
        except IntegrityError:
            db.session.rollback()
    else:
        raise ToolkitError(_("Der Hinweis konnte nicht gespeichert werden. Bitte versuchen Sie es erneut."))
    audit_record("toolkit.notice_saved", actor=by, club=club, kind=kind.value, number=number)
    db.session.commit()
    return notice
