"""Admin read side: the club list, a club's facts, and platform statistics.

Every aggregate is one SQL statement (GROUP BY); the number of statements per
page does not depend on the number of clubs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..clubs.models import DISTRICTS, LEGAL_FORMS, Club, ClubStatus, ClubStatusChange, Membership, Role
from ..core.converters import MAX_DB_INT
from ..core.db import utcnow
from ..core.i18n import local_tz
from ..core.audit import AuditEntry
from ..chat.models import ChatLink
from ..extensions import db
from ..meetings.models import MeetingRun
from ..privacy.models import Answer, Assessment, ChecklistItem, ChecklistTopic, ChecklistVersion
from .models import StaffNote

PAGE_SIZE = 50

#: Score bands of the privacy self-check (score 0–100).
SCORE_BANDS = {
    "none": _l("noch kein Ergebnis"),
    "low": _l("unter 50"),
    "mid": _l("50 bis 79"),
    "high": _l("80 bis 100"),
}

SORTS = {
    "review": _l("Anmeldungen zuerst"),
    "name": _l("Name (A–Z)"),
    "-name": _l("Name (Z–A)"),
    "-created": _l("Neueste zuerst"),
    "created": _l("Älteste zuerst"),
    "-score": _l("Höchster Score zuerst"),
    "score": _l("Niedrigster Score zuerst"),
    "district": _l("Bezirk"),
}


def _clean(value, allowed, default=""):
    value = (value or "").strip()
    return value if value in allowed else default


@dataclass
class ClubFilters:
    q: str = ""
    status: str = ""
    district: str = ""
    legal_form: str = ""
    band: str = ""
    sort: str = "review"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "ClubFilters":
        try:
            page = max(1, min(int(args.get("seite", 1)), 100_000))
        except (TypeError, ValueError):
            page = 1
        return cls(
            q=(args.get("q") or "").strip()[:100],
            status=_clean(args.get("status"), {s.value for s in ClubStatus}),
            district=_clean(args.get("bezirk"), set(DISTRICTS)),
            legal_form=_clean(args.get("rechtsform"), set(LEGAL_FORMS)),
            band=_clean(args.get("score"), set(SCORE_BANDS)),
            sort=_clean(args.get("sortierung"), set(SORTS), "review"),
            page=page,
        )

    def args(self, **changes) -> dict:
        """URL arguments for these filters (only non-defaults), with changes applied."""
        values = {"q": self.q, "status": self.status, "bezirk": self.district, "rechtsform": self.legal_form,
                  "score": self.band, "sortierung": self.sort if self.sort != "review" else "",
                  "seite": self.page if self.page != 1 else ""}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "seite" and v == 1)}

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.district or self.legal_form or self.band)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def band_condition(band: str, score_col):
    return {
        "none": score_col.is_(None),
        "low": score_col < 50,
        "mid": sa.and_(score_col >= 50, score_col < 80),
        "high": score_col >= 80,
    }[band]


@dataclass
class ClubPage:
    rows: list
    total: int
    page: int
    pages: int


def club_list(f: ClubFilters) -> ClubPage:
    conditions = []
    if f.q:
        conditions.append(Club.name.ilike(_like_pattern(f.q), escape="\\"))
    if f.status:
        conditions.append(Club.status == ClubStatus(f.status))
    if f.district:
        conditions.append(Club.district == f.district)
    if f.legal_form:
        conditions.append(Club.legal_form == f.legal_form)

    def with_assessment(stmt):
        return stmt.outerjoin(Assessment, Assessment.club_id == Club.id)

    if f.band:
        conditions.append(band_condition(f.band, Assessment.score))

    count_stmt = sa.select(sa.func.count(Club.id)).select_from(Club)
    if f.band:
        count_stmt = with_assessment(count_stmt)
    total = db.session.scalar(count_stmt.where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(f.page, pages)

    def role_count(role):
        return (sa.select(sa.func.count(Membership.id))
                .where(Membership.club_id == Club.id, Membership.role == role)
                .correlate(Club).scalar_subquery())

    order = {
        "review": [sa.case((Club.status == ClubStatus.PENDING, 0), else_=1), Club.created_at.desc()],
        "name": [Club.name],
        "-name": [Club.name.desc()],
        "-created": [Club.created_at.desc()],
        "created": [Club.created_at],
        "-score": [Assessment.score.desc().nulls_last()],
        "score": [Assessment.score.asc().nulls_last()],
        "district": [Club.district, Club.name],
    }[f.sort]
    # Sort and cut the page on the narrow rows first, then count members only for those 50 clubs.
    ids = sa.select(Club.id)
    if f.band or f.sort in ("score", "-score"):
        ids = with_assessment(ids)
    ids = ids.where(*conditions).order_by(*order, Club.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    page_ids = ids.subquery()
    stmt = sa.select(Club, role_count(Role.BOARD).label("board"), role_count(Role.MEMBER).label("members"),
                     Assessment.score.label("score")).join(page_ids, page_ids.c.id == Club.id)
    stmt = with_assessment(stmt)
    rows = db.session.execute(stmt.order_by(*order, Club.id)).all()
    return ClubPage(rows=rows, total=total, page=page, pages=pages)


def status_counts() -> dict[ClubStatus, int]:
    return dict(db.session.execute(sa.select(Club.status, sa.func.count(Club.id)).group_by(Club.status)).all())


# --- one club --------------------------------------------------------------------------------

def get_club(club_id: int) -> Club | None:
    return db.session.scalar(
        sa.select(Club).where(Club.id == club_id).options(
            so.selectinload(Club.status_changes).joinedload(ClubStatusChange.changed_by)
        )
    )


def current_version_id():
    return (sa.select(ChecklistVersion.id).order_by(ChecklistVersion.number.desc()).limit(1)
            .scalar_subquery())


def topic_titles() -> dict[str, str]:
    """Topic key -> title of the current checklist version (ordered)."""
    topics = db.session.scalars(
        sa.select(ChecklistTopic).where(ChecklistTopic.version_id == current_version_id())
        .order_by(ChecklistTopic.position)
    )
    return {t.key: t.title for t in topics}


@dataclass
class ClubFacts:
    board: int = 0
    members: int = 0
    last_activity: datetime | None = None
    assessment: object | None = None
    meetings_90d: int = 0
    chat: object | None = None
    topics: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    renames: list = field(default_factory=list)  # (AuditEntry, actor name or None), newest first


def club_facts(club: Club) -> ClubFacts:
    facts = ClubFacts()
    roles = dict(db.session.execute(
        sa.select(Membership.role, sa.func.count(Membership.id)).where(Membership.club_id == club.id)
        .group_by(Membership.role)
    ).all())
    facts.board, facts.members = roles.get(Role.BOARD, 0), roles.get(Role.MEMBER, 0)
    activity = [db.session.scalar(sa.select(sa.func.max(AuditEntry.created_at)).where(AuditEntry.club_id == club.id))]
    facts.assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club.id))
    if facts.assessment is not None:
        activity.append(facts.assessment.updated_at)
        facts.topics = topic_titles()
    since = utcnow() - timedelta(days=90)
    facts.meetings_90d, last_meeting = db.session.execute(
        sa.select(sa.func.count(MeetingRun.id), sa.func.max(MeetingRun.started_at))
        .where(MeetingRun.club_id == club.id, MeetingRun.started_at >= since)
    ).one()
    activity.append(last_meeting)
    facts.chat = db.session.scalar(sa.select(ChatLink).where(ChatLink.club_id == club.id).limit(1))
    activity = [a for a in activity if a is not None]
    facts.last_activity = max(activity) if activity else None
    facts.notes = list(db.session.scalars(
        sa.select(StaffNote).where(StaffNote.club_id == club.id).options(so.joinedload(StaffNote.author))
        .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())
    ))
    facts.renames = club_renames(club)
    return facts


def club_renames(club: Club) -> list:
    """The club's renames from the audit log (``club.renamed``), newest first, with who did it."""
    from ..auth.models import User

    return db.session.execute(
        sa.select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.club_id == club.id, AuditEntry.action == "club.renamed")
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()


def shared_answers(club: Club):
    """The club's checklist answers with their items – only for consultation (caller checks)."""
    return db.session.execute(
        sa.select(ChecklistItem, Answer)
        .outerjoin(Answer, sa.and_(Answer.item_key == ChecklistItem.key, Answer.club_id == club.id))
        .where(ChecklistItem.version_id == current_version_id())
        .order_by(ChecklistItem.topic_key, ChecklistItem.position)
    ).all()


# --- statistics --------------------------------------------------------------------------------

WEEKS = 12

def cached_statistics(fresh: bool = False):
    """The statistics and when they were computed, reused for ADMIN_STATS_CACHE_SECONDS.

    Kept in the shared cache (Flask-Caching: Redis when REDIS_URL is set), so every app instance shows
    the same figures and only one of them computes them per period.
    """
    from flask import current_app
    from flask_babel import get_locale

    from ..extensions import cache

    ttl = int(current_app.config.get("ADMIN_STATS_CACHE_SECONDS") or 0)
    key = f"admin-stats:{get_locale()}:{utcnow().date().isoformat()}"
    if ttl > 0 and not fresh:
        hit = cache.get(key)
        if hit is not None:
            return hit[1], hit[0]
    stats = statistics()
    computed_at = utcnow()
    if ttl > 0:
        cache.set(key, (computed_at, stats), timeout=ttl)
    return stats, computed_at


@dataclass
class Statistics:
    by_status: dict = field(default_factory=dict)
    by_district: list = field(default_factory=list)  # (district, {status: n}, total)
    adoption: dict = field(default_factory=dict)  # band -> n (approved clubs)
    approved: int = 0
    started: int = 0
    topic_averages: list = field(default_factory=list)  # (key, title, avg, n)
    open_items: list = field(default_factory=list)  # (key, question, topic title, n)
    meetings_per_week: list = field(default_factory=list)  # (monday date, n)


def _week_start(column, dialect: str):
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc("week", column), sa.Date)
    return sa.func.date(column, "weekday 0", "-6 days")


def statistics(today: date | None = None) -> Statistics:
    stats = Statistics()
    dialect = db.engine.dialect.name
    # 1. clubs by district and status (status totals derived from it)
    per_district: dict[str, dict] = {}
    for district, status, n in db.session.execute(
        sa.select(Club.district, Club.status, sa.func.count(Club.id)).group_by(Club.district, Club.status)
    ):
        per_district.setdefault(district, {})[status] = n
        stats.by_status[status] = stats.by_status.get(status, 0) + n
    stats.by_district = sorted(
        ((d, counts, sum(counts.values())) for d, counts in per_district.items()), key=lambda r: r[0]
    )
    # 2. adoption among approved clubs: not started / started without score / score bands
    band = sa.case(
        (Assessment.id.is_(None), "not_started"),
        (Assessment.started_at.is_(None), "not_started"),
        (Assessment.score.is_(None), "none"),
        (Assessment.score < 50, "low"),
        (Assessment.score < 80, "mid"),
        else_="high",
    )
    stats.adoption = dict(db.session.execute(
        sa.select(band, sa.func.count(Club.id)).select_from(Club).outerjoin(Assessment, Assessment.club_id == Club.id)
        .where(Club.status == ClubStatus.APPROVED).group_by(band)
    ).all())
    stats.approved = sum(stats.adoption.values())
    stats.started = stats.approved - stats.adoption.get("not_started", 0)
    # 3. average score per topic over every club that uses the self-check (JSON object per
    #    assessment, unnested in SQL). Only approved and suspended clubs can answer at all.
    table = Assessment.__table__.name
    if dialect == "postgresql":
        sql = (f"SELECT t.key, avg(t.value::numeric), count(*) FROM {table} a, "
               f"json_each_text(a.topic_scores::json) AS t GROUP BY t.key")
    else:
        sql = (f"SELECT t.key, avg(t.value), count(*) FROM {table} a, json_each(a.topic_scores) AS t "
               f"WHERE t.type IN ('integer', 'real') GROUP BY t.key")
    averages = {key: (float(avg), n) for key, avg, n in db.session.execute(sa.text(sql)) if avg is not None}
    titles = topic_titles()
    order = list(titles) + sorted(k for k in averages if k not in titles)
    stats.topic_averages = [(k, titles.get(k, k), round(averages[k][0]), averages[k][1])
                            for k in order if k in averages]
    # 4. the ten open Pflicht items ("Nein"/"Teilweise") most common across clubs; a covering
    #    index (item_key, status) on the answers keeps this one index range scan
    Item = ChecklistItem
    version = current_version_id()
    count = sa.func.count(Answer.id).label("n")
    rows = db.session.execute(
        sa.select(Item.key, Item.question_de, Item.question_en, Item.topic_key, count)
        .join(Answer, Answer.item_key == Item.key)
        .where(Item.version_id == version, Item.severity == "must", Answer.status.in_(("no", "partial")))
        .group_by(Item.key, Item.question_de, Item.question_en, Item.topic_key)
        .order_by(count.desc(), Item.key).limit(10)
    ).all()
    from flask_babel import get_locale

    english = str(get_locale() or "de").startswith("en")
    stats.open_items = [(key, (q_en if english and q_en else q_de), titles.get(topic, topic), n)
                        for key, q_de, q_en, topic, n in rows]
    today = today or utcnow().date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS - 1)
    week = _week_start(MeetingRun.started_at, dialect).label("week")
    since = datetime.combine(first, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
    counts = {}
    for value, n in db.session.execute(
        sa.select(week, sa.func.count(MeetingRun.id)).where(MeetingRun.started_at >= since).group_by(week)
    ):
        key = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        counts[key] = n
    stats.meetings_per_week = [(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0))
                               for i in range(WEEKS)]
    return stats


# --- audit log ---------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50

#: Readable names of common audit actions (unknown actions show their code).
AUDIT_LABELS = {
    "club.registered": _l("Verein angemeldet"),
    "club.approved": _l("Verein freigeschaltet"),
    "club.rejected": _l("Anmeldung abgelehnt"),
    "club.suspended": _l("Verein gesperrt"),
    "club.profile_updated": _l("Vereinsprofil geändert"),
    "club.renamed": _l("Verein umbenannt"),
    "member.role_changed": _l("Rolle geändert"),
    "member.removed": _l("Mitglied entfernt"),
    "invitation.created": _l("Einladung erstellt"),
    "invitation.revoked": _l("Einladung widerrufen"),
    "invitation.accepted": _l("Einladung angenommen"),
    "account.deleted": _l("Konto gelöscht"),
    "admin.note_added": _l("Interne Notiz angelegt"),
    "admin.note_deleted": _l("Interne Notiz gelöscht"),
    "admin.answers_viewed": _l("Geteilte Antworten angesehen"),
    "admin.statistics_exported": _l("Statistik exportiert"),
    "audit.pruned": _l("Protokoll bereinigt"),
}


@dataclass
class AuditFilters:
    action: str = ""
    club: str = ""
    club_id: int | None = None
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        f = cls(action=(args.get("aktion") or "").strip()[:64], club=(args.get("verein") or "").strip()[:100],
                actor=(args.get("person") or "").strip()[:100])
        try:
            f.club_id = int(args["verein_id"]) if args.get("verein_id") else None
            if f.club_id is not None and not 0 < f.club_id <= MAX_DB_INT:  # beyond INTEGER: 500 on PostgreSQL
                raise ValueError
        except ValueError:
            f.club_id = None
            f.errors["verein_id"] = _l("Unbekannter Verein.")
        for name, attr in (("von", "date_from"), ("bis", "date_to")):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    setattr(f, attr, date.fromisoformat(raw))
                except ValueError:
                    f.errors[name] = _l("Bitte geben Sie ein Datum im Format JJJJ-MM-TT an.")
        if f.date_from and f.date_to and f.date_from > f.date_to:
            f.errors["bis"] = _l("Das Enddatum liegt vor dem Startdatum.")
            f.date_to = None
        try:
            f.page = max(1, min(int(args.get("seite", 1)), 100_000))
        except (TypeError, ValueError):
            f.page = 1
        return f

    def args(self, **changes) -> dict:
        values = {"aktion": self.action, "verein": self.club, "verein_id": self.club_id, "person": self.actor,
                  "von": self.date_from.isoformat() if self.date_from else "",
                  "bis": self.date_to.isoformat() if self.date_to else "", "seite": self.page}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "seite" and v == 1)}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=local_tz())


def audit_page(f: AuditFilters):
    from ..auth.models import User

    Actor = so.aliased(User)
    conditions = []
    if f.action:
        conditions.append(AuditEntry.action == f.action)
    if f.club_id is not None:
        conditions.append(AuditEntry.club_id == f.club_id)
    if f.club:
        conditions.append(AuditEntry.club_id.in_(
            sa.select(Club.id).where(Club.name.ilike(_like_pattern(f.club), escape="\\"))))
    if f.actor:
        pattern = _like_pattern(f.actor)
        conditions.append(AuditEntry.actor_id.in_(sa.select(User.id).where(
            sa.or_(User.email.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\")))))
    if f.date_from:
        conditions.append(AuditEntry.created_at >= _day_start(f.date_from))
    if f.date_to:
        conditions.append(AuditEntry.created_at < _day_start(f.date_to + timedelta(days=1)))
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(*conditions)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(f.page, pages)
    rows = db.session.execute(
        sa.select(AuditEntry, Actor.name, Actor.email, Club.name)
        .outerjoin(Actor, Actor.id == AuditEntry.actor_id)
        .outerjoin(Club, Club.id == AuditEntry.club_id)
        .where(*conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_PAGE_SIZE).offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    actions = list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return rows, total, page, pages, actions


def prune_audit(days: int) -> int:
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(sa.delete(AuditEntry).where(AuditEntry.created_at < cutoff))
    return result.rowcount or 0
