"""Datenschutz-Selbstcheck – reads and writes.

Other feature domains may use these functions (named in the import contracts in pyproject.toml):
- :func:`items_for_chapter` – checklist items of the current version linking a guide chapter (app.guide)
- :func:`open_chapter_ids` – guide chapters of a club's open applicable items, most urgent first (app.guide)
- :func:`open_topics` – topic keys of a club ordered by number of open items (app.workshops)
The club export's report PDF comes from :func:`report_context` (see ``personal_data.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..clubs.models import Club, Membership
from ..core.audit import audit_record
from ..core.db import utcnow
from ..extensions import db
from .models import (
    STATUS_LABELS,
    Answer,
    AnswerChange,
    Assessment,
    ChecklistItem,
    ChecklistTopic,
    ChecklistVersion,
    Severity,
    Status,
)

#: Profile questions, asked before the checklist: (flag, question, reason shown when "no").
PROFILE_QUESTIONS = (
    ("website", _l("Hat Ihr Verein eine eigene Website?"), _l("Ihr Verein hat keine eigene Website.")),
    (
        "newsletter",
        _l("Verschicken Sie einen Newsletter oder Rundbriefe an Menschen außerhalb des Vereins?"),
        _l("Ihr Verein verschickt keinen Newsletter an Außenstehende."),
    ),
    (
        "social",
        _l("Hat Ihr Verein Seiten oder Konten in sozialen Netzwerken?"),
        _l("Ihr Verein ist nicht in sozialen Netzwerken vertreten."),
    ),
    (
        "photos",
        _l("Veröffentlichen Sie Fotos, auf denen Menschen zu erkennen sind?"),
        _l("Ihr Verein veröffentlicht keine Fotos von Personen."),
    ),
    (
        "news",
        _l("Veröffentlichen Sie persönliche Nachrichten wie Geburtstage oder Jubiläen (Aushang, Vereinszeitung)?"),
        _l("Ihr Verein veröffentlicht keine persönlichen Nachrichten über Mitglieder."),
    ),
    (
        "employees",
        _l("Beschäftigt Ihr Verein bezahlte Kräfte (auch Minijobs oder Honorar-Trainer)?"),
        _l("Ihr Verein beschäftigt keine bezahlten Kräfte."),
    ),
    # "under18" replaced "minors" (under 16), whose "no" did not mean "no minors": answers to the old
    # question are not carried over, so the consent-for-minors question applies until this one is answered.
    (
        "under18",
        _l("Haben Sie Mitglieder oder Teilnehmende unter 18 Jahren?"),
        _l("Ihr Verein hat keine Mitglieder oder Teilnehmenden unter 18 Jahren."),
    ),
    (
        "youth72a",
        _l("Arbeiten Sie in der Kinder- und Jugendarbeit mit Führungszeugnissen (§ 72a SGB VIII)?"),
        _l("Ihr Verein sieht keine Führungszeugnisse ein."),
    ),
    (
        "art9",
        _l("Verarbeiten Sie Gesundheitsdaten oder andere besonders geschützte Daten (z. B. Religion, Selbsthilfe)?"),
        _l("Ihr Verein verarbeitet keine besonders geschützten Daten."),
    ),
    (
        "cctv",
        _l("Überwachen Sie Vereinsräume oder Gelände mit Kameras?"),
        _l("Ihr Verein setzt keine Videoüberwachung ein."),
    ),
    (
        "umbrella",
        _l("Ist Ihr Verein Mitglied in einem Dachverband oder Landessportbund?"),
        _l("Ihr Verein ist in keinem Dachverband."),
    ),
    (
        "tools",
        _l("Nutzen Sie Online-Werkzeuge wie Vereinssoftware, Cloud-Speicher, Video- oder Chat-Dienste?"),
        _l("Ihr Verein nutzt keine Online-Werkzeuge."),
    ),
    (
        "video",
        _l("Halten Sie Videokonferenzen oder Online-Versammlungen ab?"),
        _l("Ihr Verein hält keine Videokonferenzen ab."),
    ),
    (
        "nonEU",
        _l("Nutzen Sie Dienste von Anbietern außerhalb der EU (z. B. aus den USA)?"),
        _l("Ihr Verein nutzt keine Anbieter außerhalb der EU."),
    ),
    (
        "messenger",
        _l("Nutzen Sie Messenger-Gruppen (z. B. WhatsApp, Signal) für Vereinsthemen?"),
        _l("Ihr Verein nutzt keine Messenger-Gruppen."),
    ),
    (
        "paper",
        _l("Bewahren Sie Mitgliederdaten auch auf Papier auf (Anträge, Listen, Lastschriftmandate)?"),
        _l("Ihr Verein bewahrt keine Daten auf Papier auf."),
    ),
    (
        "events",
        _l("Veranstalten Sie Kurse, Veranstaltungen oder Reisen mit Anmeldung?"),
        _l("Ihr Verein hat keine Veranstaltungen mit Anmeldung."),
    ),
    (
        "dpo20",
        _l("Gehen 20 oder mehr Personen regelmäßig mit Mitgliederdaten am Computer um (Ehrenamtliche zählen mit)?"),
        _l("Bei Ihnen gehen weniger als 20 Personen regelmäßig mit Mitgliederdaten um."),
    ),
    # § 38 Abs. 1 S. 2 BDSG and Art. 37 Abs. 1 lit. c DSGVO: a DPO is required regardless of the 20 persons
    (
        "dpia",
        _l(
            "Hat Ihre Prüfung ergeben, dass Sie für eine Verarbeitung eine Datenschutz-Folgenabschätzung "
            "(eine vorgeschriebene Risikoprüfung, z. B. bei umfangreicher Videoüberwachung) machen müssen?"
        ),
        _l("Ihr Verein muss keine Datenschutz-Folgenabschätzung machen."),
    ),
    (
        "art9core",
        _l(
            "Ist der Umgang mit Gesundheitsdaten oder anderen besonders geschützten Daten in großem "
            "Umfang der Kern Ihrer Vereinsarbeit (z. B. ein großer Selbsthilfe- oder Rehasportverband)?"
        ),
        _l("Besonders geschützte Daten in großem Umfang sind nicht der Kern Ihrer Vereinsarbeit."),
    ),
)
PROFILE_FLAGS = tuple(key for key, _q, _r in PROFILE_QUESTIONS)
PROFILE_REASONS = {key: reason for key, _q, reason in PROFILE_QUESTIONS}

#: Scoring weights (see :func:`compute_scores`).
WEIGHTS = {Severity.MUST.value: 3, Severity.SHOULD.value: 2, Severity.TIP.value: 1}
NO_ON_MUST_WEIGHT = 4
CREDIT = {Status.YES.value: 1.0, Status.PARTIAL.value: 0.5, Status.NO.value: 0.0}
STATUS_RANK = {Status.NO.value: 0, Status.PARTIAL.value: 1, None: 2}


class Conflict(Exception):
    """A save named an answer version that is no longer current."""

    def __init__(self, current: Answer | None):
        super().__init__("stale answer")
        self.current = current


class InvalidAnswer(ValueError):
    pass


# --- content ------------------------------------------------------------------------------


def current_version() -> ChecklistVersion | None:
    return db.session.scalar(sa.select(ChecklistVersion).order_by(ChecklistVersion.number.desc()).limit(1))


def _version_subquery():
    return sa.select(sa.func.max(ChecklistVersion.id)).scalar_subquery()


def current_topics() -> list[ChecklistTopic]:
    """Topics of the current content version, in order (``.key``, ``.title``)."""
    return list(
        db.session.scalars(
            sa.select(ChecklistTopic)
            .where(ChecklistTopic.version_id == _version_subquery())
            .order_by(ChecklistTopic.position)
        )
    )


def current_items() -> list[ChecklistItem]:
    """Items of the current version ordered by topic and position (one query)."""
    return list(
        db.session.scalars(
            sa.select(ChecklistItem)
            .join(
                ChecklistTopic,
                sa.and_(
                    ChecklistTopic.version_id == ChecklistItem.version_id, ChecklistTopic.key == ChecklistItem.topic_key
                ),
            )
            .where(ChecklistItem.version_id == _version_subquery())
            .order_by(ChecklistTopic.position, ChecklistItem.position)
        )
    )


def current_item(key: str) -> ChecklistItem | None:
    return db.session.scalar(
        sa.select(ChecklistItem).where(ChecklistItem.version_id == _version_subquery(), ChecklistItem.key == key)
    )


def items_for_chapter(chapter_id: str) -> list[ChecklistItem]:
    """Current checklist items that link the guide chapter ``chapter_id``."""
    return [item for item in current_items() if chapter_id in (item.chapters or [])]


# --- per club -------------------------------------------------------------------------------


def club_assessment(club, create: bool = True) -> Assessment | None:
    """The club's Assessment row (created on first use unless ``create=False``)."""
    assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club.id))
    if assessment is None and create:
        assessment = Assessment(club_id=club.id, profile={}, topic_scores={})
        db.session.add(assessment)
        try:
            db.session.flush()
        except IntegrityError:  # created concurrently
            db.session.rollback()
            assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club.id))
    return assessment


def applicability(item: ChecklistItem, profile: dict) -> tuple[bool, str | None]:
    """An item applies when it has no conditions or any of its profile flags is not "no".

    Unanswered profile flags count as "applies" (better one question too many).
    Returns ``(applies, reason)``; reason explains why it does not apply.
    """
    conditions = item.applies_if or []
    if not conditions:
        return True, None
    if any(profile.get(flag) is not False for flag in conditions):
        return True, None
    return False, " ".join(str(PROFILE_REASONS.get(flag, flag)) for flag in conditions)


@dataclass
class ItemState:
    item: ChecklistItem
    answer: Answer | None
    applicable: bool
    reason: str | None
    today: date = field(default_factory=date.today)

    @property
    def status(self) -> str | None:
        return self.answer.status if self.answer else None

    @property
    def stale(self) -> bool:
        """The item's text changed since this answer was given."""
        return bool(self.answer and self.answer.status and self.answer.item_hash != self.item.content_hash)

    @property
    def effective_status(self) -> str | None:
        """The status used for scoring: a stale answer counts as open until confirmed."""
        return None if self.stale else self.status

    @property
    def counted(self) -> bool:
        """Counts for the score: applies by profile and not answered 'Nicht zutreffend'."""
        return self.applicable and self.effective_status != Status.NA.value

    @property
    def is_open(self) -> bool:
        return self.counted and self.effective_status != Status.YES.value

    @property
    def overdue(self) -> bool:
        return bool(self.is_open and self.answer and self.answer.due_date and self.answer.due_date < self.today)

    @property
    def is_new(self) -> bool:
        return self.item.change == "new" and not (self.answer and self.answer.status)

    def urgency(self):
        due = self.answer.due_date if self.answer and self.answer.due_date else date.max
        return (self.item.sev.rank, due, STATUS_RANK.get(self.effective_status, 2), self.item.position)


def load_answer(club, key: str) -> dict[str, Answer]:
    """{key: answer} for one item of the club, or {} when it has no answer yet."""
    answer = db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == key))
    return {key: answer} if answer else {}


def load_answers(club) -> dict[str, Answer]:
    return {a.item_key: a for a in db.session.scalars(sa.select(Answer).where(Answer.club_id == club.id))}


def club_states(club, assessment: Assessment | None = None, items=None, answers=None) -> list[ItemState]:
    """Every current item with the club's answer and applicability (constant number of queries)."""
    if assessment is None:
        assessment = club_assessment(club, create=False)
    profile = (assessment.profile if assessment else None) or {}
    items = current_items() if items is None else items
    answers = load_answers(club) if answers is None else answers
    today = date.today()
    states = []
    for item in items:
        applies, reason = applicability(item, profile)
        states.append(ItemState(item, answers.get(item.key), applies, reason, today))
    return states


def compute_scores(states: list[ItemState]) -> tuple[int | None, dict[str, int]]:
    """Score 0–100 overall and per topic, weighted by severity.

    Formula, over the items that *count* (they apply to the club's profile and
    were not answered "Nicht zutreffend")::

        score = round(100 * Σ weight(i) · credit(i) / Σ weight(i))

    - ``weight``: Pflicht 3, Empfehlung 2, Tipp 1 – except a "Nein" on a Pflicht
      item, which weighs 4: a known gap in a legal duty costs the most.
    - ``credit``: Ja 1, Teilweise 0.5, Nein 0, not yet answered 0. An answer
      given to an older wording of the question (content version changed it)
      counts as not yet answered until someone confirms it.
    - A topic without counted items has no score (left out of ``topic_scores``);
      with no counted item at all, the overall score is ``None``.
    """
    total_w = total_c = 0.0
    per_topic: dict[str, list[float]] = {}
    for state in states:
        if not state.counted:
            continue
        status = state.effective_status
        weight = WEIGHTS[state.item.severity]
        if status == Status.NO.value and state.item.severity == Severity.MUST.value:
            weight = NO_ON_MUST_WEIGHT
        credit = CREDIT.get(status, 0.0) if status else 0.0
        total_w += weight
        total_c += weight * credit
        bucket = per_topic.setdefault(state.item.topic_key, [0.0, 0.0])
        bucket[0] += weight
        bucket[1] += weight * credit
    score = round(100 * total_c / total_w) if total_w else None
    topics = {key: round(100 * c / w) for key, (w, c) in per_topic.items() if w}
    return score, topics


def refresh_assessment(club, assessment: Assessment | None = None, states=None) -> Assessment:
    """Recompute and store the club's score (called on every save)."""
    assessment = assessment or club_assessment(club)
    states = club_states(club, assessment) if states is None else states
    score, topics = compute_scores(states)
    answered = sum(1 for s in states if s.applicable and s.effective_status)
    assessment.answered_count = answered
    assessment.applicable_count = sum(1 for s in states if s.applicable)
    assessment.score = score if answered else None
    assessment.topic_scores = topics if answered else {}
    assessment.updated_at = utcnow()
    if answered and assessment.started_at is None:
        assessment.started_at = utcnow()
    return assessment


def open_states(states: list[ItemState]) -> list[ItemState]:
    """Open applicable items, most urgent first (severity, due date, Nein before Teilweise)."""
    return sorted((s for s in states if s.is_open), key=ItemState.urgency)


def open_chapter_ids(club) -> list[str]:
    """Guide chapter ids of the club's open applicable items, most urgent first, no duplicates."""
    seen: list[str] = []
    for state in open_states(club_states(club)):
        for chapter in state.item.chapters or []:
            if chapter not in seen:
                seen.append(chapter)
    return seen


def open_topics(club) -> list[str]:
    """Topic keys with open items, most open items first (ties: checklist order)."""
    states = club_states(club)
    order = {t.key: i for i, t in enumerate(current_topics())}
    counts: dict[str, int] = {}
    for state in states:
        if state.is_open:
            counts[state.item.topic_key] = counts.get(state.item.topic_key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], order.get(k, 99)))


def can_answer(club, membership, assessment: Assessment | None) -> bool:
    """Approved clubs, and a club waiting for approval (its board prepares); never suspended or closed ones."""
    if membership is None or not (club.is_active or club.is_pending):
        return False
    return membership.is_board or bool(assessment and assessment.members_may_answer)


def club_member_names(club) -> list[tuple[int, str]]:
    """(user id, name) of the club's members, by name – one query."""
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.club_id == club.id)
        .order_by(User.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def report_context(club, membership=None, assessment=None) -> dict:
    """Everything a checklist-like page (and the report PDF) needs, in a fixed number of queries.

    ``membership``: the viewer's, for ``may_answer`` (None: nobody may answer, e.g. the club export).
    """
    assessment = assessment if assessment is not None else club_assessment(club, create=False)
    topics = current_topics()
    items = current_items()
    answers = load_answers(club)
    states = club_states(club, assessment, items=items, answers=answers)
    score, topic_scores = compute_scores(states)
    answered = sum(1 for s in states if s.applicable and s.effective_status)
    applicable = sum(1 for s in states if s.applicable)
    by_topic = {t.key: [] for t in topics}
    for state in states:
        by_topic.setdefault(state.item.topic_key, []).append(state)
    members = club_member_names(club)
    return {
        "assessment": assessment,
        "profile": (assessment.profile if assessment else None) or {},
        "topics": topics,
        "states": states,
        "by_topic": by_topic,
        "score": score if answered else None,
        "topic_scores": topic_scores,
        "answered": answered,
        "applicable": applicable,
        "open_count": sum(1 for s in states if s.is_open),
        "review_count": sum(1 for s in states if s.applicable and (s.is_new or s.stale)),
        "members": members,
        "names": dict(members),
        "may_answer": can_answer(club, membership, assessment),
        "version": current_version() if items else None,
        "status_labels": STATUS_LABELS,
        "profile_questions": PROFILE_QUESTIONS,
        "today": date.today(),
        "errors": {},
        "form_values": None,
    }


# --- saving -----------------------------------------------------------------------------


def _display(field_name: str, value, names: dict[int, str]) -> str:
    if value in (None, ""):
        return "–"
    if field_name == "status":
        return str(Status(value).label)
    if field_name == "responsible_id":
        return names.get(value, "?")
    if field_name == "due_date":
        return value.strftime("%d.%m.%Y")
    return str(value)


def save_answer(club, item: ChecklistItem, user, data: dict, expected_version: int, member_names: dict[int, str]):
    """Save one answer with optimistic locking and write the history.

    ``data`` holds validated ``status``, ``note``, ``responsible_id``, ``due_date``.
    ``expected_version`` is the version the person read (0 = there was no answer).
    Raises :class:`Conflict` when someone else saved in between. The caller commits.
    """
    answer = db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == item.key))
    current_version_no = answer.version if answer else 0
    if current_version_no != expected_version:
        raise Conflict(answer)
    fields = ("status", "note", "responsible_id", "due_date")
    old = {f: getattr(answer, f) if answer else None for f in fields}
    changes = {
        f: [_display(f, old[f], member_names), _display(f, data[f], member_names)]
        for f in fields
        if (old[f] or None) != (data[f] or None)
    }
    confirming = bool(answer and answer.status and answer.item_hash != item.content_hash and data["status"])
    if not changes and not confirming:
        return answer, False
    now = utcnow()
    values = dict(data, item_hash=item.content_hash, updated_at=now, updated_by_id=user.id)
    if answer is None:
        answer = Answer(club_id=club.id, item_key=item.key, version=1, **values)
        db.session.add(answer)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise Conflict(
                db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == item.key))
            ) from None
    else:
        result = db.session.execute(
            sa.update(Answer)
            .where(Answer.id == answer.id, Answer.version == expected_version)
            .values(version=Answer.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise Conflict(db.session.get(Answer, answer.id))
        db.session.refresh(answer)
    if confirming and not changes:
        changes = {"status": [_display("status", data["status"], member_names)] * 2}
    responsible = (
        {"old_responsible_id": old["responsible_id"] or None, "new_responsible_id": data["responsible_id"] or None}
        if "responsible_id" in changes
        else {}
    )
    db.session.add(
        AnswerChange(
            club_id=club.id,
            item_key=item.key,
            user_id=user.id,
            user_name=user.name,
            created_at=now,
            changes=changes,
            **responsible,
        )
    )
    return answer, True


def answer_item(
    club,
    item: ChecklistItem,
    user,
    data: dict,
    expected_version: int,
    member_names: dict[int, str],
    assessment: Assessment,
) -> tuple[Answer, bool]:
    """Save one answer (:func:`save_answer`), then the club's score when it changed, and commit."""
    answer, changed = save_answer(club, item, user, data, expected_version, member_names)
    if changed:
        refresh_assessment(club, assessment)
    db.session.commit()
    return answer, changed


def save_profile(club, answers: dict[str, bool], *, by) -> Assessment:
    """The profile questions (which items apply); recomputes the score."""
    assessment = club_assessment(club)
    old = dict(assessment.profile or {})
    assessment.profile = answers
    assessment.profile_done_at = utcnow()
    refresh_assessment(club, assessment)
    audit_record("privacy.profile", actor=by, club=club, changed=sorted(k for k in answers if old.get(k) != answers[k]))
    db.session.commit()
    return assessment


def save_settings(club, *, members_may_answer: bool, consultation_wanted: bool, by) -> Assessment:
    assessment = club_assessment(club)
    before = (assessment.members_may_answer, assessment.consultation_wanted)
    assessment.members_may_answer = members_may_answer
    assessment.consultation_wanted = consultation_wanted
    if before != (members_may_answer, consultation_wanted):
        audit_record(
            "privacy.settings",
            actor=by,
            club=club,
            members_may_answer=members_may_answer,
            consultation_wanted=consultation_wanted,
        )
    db.session.commit()
    return assessment


def record_export(club, kind: str, *, by) -> None:
    """Exports of the club's answers are security-relevant: they go to the audit log."""
    audit_record("privacy.exported", actor=by, club=club, format=kind)
    db.session.commit()


def history(club, item_key: str) -> list[AnswerChange]:
    return list(
        db.session.scalars(
            sa.select(AnswerChange)
            .where(AnswerChange.club_id == club.id, AnswerChange.item_key == item_key)
            .order_by(AnswerChange.created_at.desc(), AnswerChange.id.desc())
        )
    )


def refresh_all_assessments() -> int:
    """After publishing content: recompute every club's stored score."""
    count = 0
    items = current_items()
    rows = db.session.execute(sa.select(Assessment, Club).join(Club, Club.id == Assessment.club_id)).all()
    for assessment, club in rows:
        refresh_assessment(club, assessment, club_states(club, assessment, items=items))
        count += 1
    return count
