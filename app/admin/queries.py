"""Admin read side: the club list and one club's facts (statistics: ``statistics.py``, audit log: ``audit.py``).

Every aggregate is one SQL statement (GROUP BY); the number of statements per
page does not depend on the number of clubs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..chat import services as chat
from ..chat.models import ChatLink
from ..clubs.models import DISTRICTS, LEGAL_FORMS, Club, ClubStatus, ClubStatusChange, Membership, Role
from ..clubs.services import board_has_two_factor
from ..core.audit import AuditEntry
from ..core.db import contains_pattern, utcnow
from ..extensions import db
from ..meetings.models import MeetingRun
from ..meetings.services import has_default_room
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
    def from_args(cls, args) -> ClubFilters:
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
        values = {
            "q": self.q,
            "status": self.status,
            "bezirk": self.district,
            "rechtsform": self.legal_form,
            "score": self.band,
            "sortierung": self.sort if self.sort != "review" else "",
            "seite": self.page if self.page != 1 else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "seite" and v == 1)}

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.district or self.legal_form or self.band)


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
        conditions.append(Club.name.ilike(contains_pattern(f.q), escape="\\"))
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

    count_stmt = sa.select(sa.func.count()).select_from(Club)
    if f.band:
        count_stmt = with_assessment(count_stmt)
    total = db.session.scalar(count_stmt.where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(f.page, pages)

    def role_count(role):
        return (
            sa.select(sa.func.count(Membership.id))
            .where(Membership.club_id == Club.id, Membership.role == role)
            .correlate(Club)
            .scalar_subquery()
        )

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
    stmt = sa.select(
        Club,
        role_count(Role.BOARD).label("board"),
        role_count(Role.MEMBER).label("members"),
        Assessment.score.label("score"),
    ).join(page_ids, page_ids.c.id == Club.id)
    stmt = with_assessment(stmt)
    rows = db.session.execute(stmt.order_by(*order, Club.id)).all()
    return ClubPage(rows=rows, total=total, page=page, pages=pages)


def status_counts() -> dict[ClubStatus, int]:
    return dict(db.session.execute(sa.select(Club.status, sa.func.count()).group_by(Club.status)).all())


# --- one club --------------------------------------------------------------------------------


def get_club(club_id: int) -> Club | None:
    return db.session.scalar(
        sa.select(Club)
        .where(Club.id == club_id)
        .options(so.selectinload(Club.status_changes).joinedload(ClubStatusChange.changed_by))
    )


def current_version_id():
    return sa.select(ChecklistVersion.id).order_by(ChecklistVersion.number.desc()).limit(1).scalar_subquery()


def topic_titles() -> dict[str, str]:
    """Topic key -> title of the current checklist version (ordered)."""
    topics = db.session.scalars(
        sa.select(ChecklistTopic)
        .where(ChecklistTopic.version_id == current_version_id())
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
    chat_ops: list = field(default_factory=list)
    board_two_factor: bool = False  # every board member has two-factor login (yes/no only)


def club_facts(club: Club) -> ClubFacts:
    facts = ClubFacts()
    roles = dict(
        db.session.execute(
            sa.select(Membership.role, sa.func.count(Membership.id))
            .where(Membership.club_id == club.id)
            .group_by(Membership.role)
        ).all()
    )
    facts.board, facts.members = roles.get(Role.BOARD, 0), roles.get(Role.MEMBER, 0)
    activity = [db.session.scalar(sa.select(sa.func.max(AuditEntry.created_at)).where(AuditEntry.club_id == club.id))]
    facts.assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club.id))
    if facts.assessment is not None:
        activity.append(facts.assessment.updated_at)
        facts.topics = topic_titles()
    since = utcnow() - timedelta(days=90)
    facts.meetings_90d, last_meeting = db.session.execute(
        sa.select(sa.func.count(MeetingRun.id), sa.func.max(MeetingRun.started_at)).where(
            MeetingRun.club_id == club.id, MeetingRun.started_at >= since
        )
    ).one()
    activity.append(last_meeting)
    facts.chat = db.session.scalar(sa.select(ChatLink).where(ChatLink.club_id == club.id).limit(1))
    facts.chat_ops = chat.open_ops(club)  # changes waiting for the chat server (or failed)
    activity = [a for a in activity if a is not None]
    facts.last_activity = max(activity) if activity else None
    facts.notes = list(
        db.session.scalars(
            sa.select(StaffNote)
            .where(StaffNote.club_id == club.id)
            .options(so.joinedload(StaffNote.author))
            .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())
        )
    )
    facts.renames = club_renames(club)
    facts.board_two_factor = board_has_two_factor(club)
    return facts


def club_note(club: Club, note_id: int) -> StaffNote | None:
    """A staff note on exactly this club (another club's note: None)."""
    note = db.session.get(StaffNote, note_id)
    return note if note is not None and note.club_id == club.id else None


def club_renames(club: Club) -> list:
    """The club's renames from the audit log (``club.renamed``), newest first, with who did it."""
    return db.session.execute(
        sa.select(AuditEntry, User.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
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


def status_consequences(club, new_status) -> list[str]:
    """What a status change will create or change besides the status (the confirmation page lists it)."""
    lines = []
    link = chat.link_for(club)
    if new_status is ClubStatus.APPROVED:
        if not has_default_room(club):
            lines.append(_("Ein Videokonferenz-Raum für den Verein wird angelegt."))
        if chat.will_provision(club):
            lines.append(
                _(
                    "Im Team-Chat (Team „%(team)s“) wird ein privater Kanal für den Verein angelegt; Mitglieder mit "
                    "einem Konto auf dem Chat-Server werden hinzugefügt. Ist der Chat-Server gerade nicht erreichbar, "
                    "wartet der Auftrag und wird nachgeholt (sichtbar unter „Team-Chat“).",
                    team=current_app.config.get("MATTERMOST_TEAM"),
                )
            )
        elif link is not None and link.is_provisioned and link.archived_at is not None:
            lines.append(_("Der archivierte Kanal des Vereins im Team-Chat wird wiederhergestellt."))
    elif link is not None and link.is_provisioned and link.archived_at is None:
        lines.append(_("Der Kanal des Vereins im Team-Chat wird archiviert (nicht gelöscht)."))
    return lines
