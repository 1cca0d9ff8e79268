"""Datenschutz-Selbstcheck – reads and writes.

Other feature domains may use these functions (named in the import contracts in pyproject.toml):
- :func:`items_for_chapter` – checklist items of the current version linking a guide chapter (app.guide)
- :func:`open_chapter_ids` – guide chapters of a club's open applicable items, most urgent first (app.guide)
- :func:`open_topics` – topic keys of a club ordered by number of open items (app.workshops)
The club export's report PDF comes from :func:`report_context` (see ``personal_data.py``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..clubs.models import Club, Membership
from ..core.audit import audit_record
from ..core.db import WHOLE_TRANSACTION, as_loaded, one_row, utcnow
from ..core.pagecache import club_scope
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


# --- what one request has read ------------------------------------------------------------
#
# A workspace view asks for the club's checklist states three times (self-check panel, the guide's
# suggestions, the workshops panel), a save reads them, changes one answer and renders the score. Within one
# request they are read once: the memo lives in ``g`` and belongs to the request it was made for (outside a
# request, e.g. in CLI commands and jobs, nothing is kept). Every write in this module updates or forgets it.


def _memo() -> dict | None:
    if not has_request_context():
        return None
    current = request._get_current_object()
    entry = g.get("_privacy_memo")
    if entry is None or entry[0] is not current:
        entry = (current, {})
        g._privacy_memo = entry
    return entry[1]


def forget_request_memo() -> None:
    """Forget what this request has read (after publishing content, after a rollback)."""
    g.pop("_privacy_memo", None)


# --- content ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """One published content version: read-only, shared by every request of this process."""

    version: ChecklistVersion | None
    topics: tuple[ChecklistTopic, ...] = ()
    items: tuple[ChecklistItem, ...] = ()
    by_key: dict[str, ChecklistItem] = field(default_factory=dict)


_NO_CONTENT = Content(None)
#: Where each app keeps its content versions (``app.extensions``); a version never changes once published.
_CONTENT_STORE = "vereinsraum.privacy_content"
_CONTENT_VERSIONS_KEPT = 4


def _load_content(version_id: int) -> Content:
    """Read a version's topics and items into objects detached from any session (attributes all loaded)."""
    # A session of its own on the request's connection (so a version published in this transaction is
    # visible): closing it detaches the objects without expiring them, and db.session is left alone.
    with so.Session(bind=db.session.connection()) as session:
        version = session.get(ChecklistVersion, version_id)
        topics = tuple(
            session.scalars(
                sa.select(ChecklistTopic)
                .where(ChecklistTopic.version_id == version_id)
                .order_by(ChecklistTopic.position)
            )
        )
        items = tuple(
            session.scalars(
                sa.select(ChecklistItem)
                .join(
                    ChecklistTopic,
                    sa.and_(
                        ChecklistTopic.version_id == ChecklistItem.version_id,
                        ChecklistTopic.key == ChecklistItem.topic_key,
                    ),
                )
                .where(ChecklistItem.version_id == version_id)
                .order_by(ChecklistTopic.position, ChecklistItem.position)
            )
        )
    return Content(version, topics, items, {item.key: item for item in items})


@functools.cache
def _current_version_query():
    # (hot statements are built once: building one costs more than running it)
    return (
        sa.select(
            ChecklistVersion.id, ChecklistVersion.content_hash, ChecklistVersion.published_at, ChecklistVersion.revision
        )
        .order_by(ChecklistVersion.number.desc())
        .limit(1)
    )


def content() -> Content:
    """The current content version: one small statement per request to learn which version is current (none
    when the club's snapshot was read first: its statement brings the version along, :func:`_snapshot_query`);
    its topics and items are read from the database once per published version and process.

    Published versions change only in their review dates; such a change raises the version's ``revision``
    (:func:`content_revised`). The per-process copy is keyed by id, content hash, publication time (ids are
    reused when rows are deleted) and revision, so every process loads the changed version again.
    """
    memo = _memo()
    if memo is not None and "content" in memo:
        return memo["content"]
    row = db.session.execute(_current_version_query()).first()
    result = _content_of(None if row is None else tuple(row))
    if memo is not None:
        memo["content"] = result
    return result


def _content_of(key: tuple | None) -> Content:
    """The content of the current version's (id, content hash, publication time, revision); None: no version."""
    if key is None or key[0] is None:
        return _NO_CONTENT
    store = current_app.extensions.setdefault(_CONTENT_STORE, {})
    result = store.get(key)
    if result is None:
        result = _load_content(key[0])
        if len(store) >= _CONTENT_VERSIONS_KEPT:
            store.clear()
        store[key] = result
    return result


def content_revised(version_id: int) -> None:
    """A published version's items were changed in place (review dates): every process reloads it."""
    db.session.execute(
        sa.update(ChecklistVersion)
        .where(ChecklistVersion.id == version_id)
        .values(revision=ChecklistVersion.revision + 1)
    )
    memo = _memo()
    if memo is not None:
        memo.pop("content", None)


def current_version() -> ChecklistVersion | None:
    return content().version


def current_topics() -> list[ChecklistTopic]:
    """Topics of the current content version, in order (``.key``, ``.title``)."""
    return list(content().topics)


def current_items() -> list[ChecklistItem]:
    """Items of the current version ordered by topic and position."""
    return list(content().items)


def current_item(key: str) -> ChecklistItem | None:
    return content().by_key.get(key)


def items_for_chapter(chapter_id: str) -> list[ChecklistItem]:
    """Current checklist items that link the guide chapter ``chapter_id``."""
    return [item for item in current_items() if chapter_id in (item.chapters or [])]


# --- per club -------------------------------------------------------------------------------


class AnswerRow(NamedTuple):
    """A club's answer as the checklist reads it: a copy of the row, not a session object (reading forty
    answers this way costs a third of loading them as objects). Changes go through :func:`save_answer`.

    A named tuple: immutable like a frozen dataclass, and built four times faster (every click reads them all).
    """

    id: int
    club_id: int
    item_key: str
    status: Status | None
    note: str | None
    responsible_id: int | None
    due_date: date | None
    item_hash: str | None
    version: int
    updated_at: datetime | None
    updated_by_id: int | None


@functools.cache
def _snapshot_query(dialect: str):
    """The club's assessment (or None), the current content version's key and all the club's answers, in one row.

    The version check of :func:`content` rides along. The answers come as one JSON array of arrays (PostgreSQL's
    ``json_agg``, SQLite's ``json_group_array``): a second statement cost more than the whole aggregate, and a
    join would repeat the assessment's columns on every answer's row.
    """
    version = _current_version_query().subquery("current_version")
    columns = [Answer.__table__.c[name] for name in AnswerRow._fields]
    if dialect == "postgresql":
        aggregate = sa.func.json_agg(sa.func.json_build_array(*columns))
    else:
        aggregate = sa.func.json_group_array(sa.func.json_array(*columns))
    answers = sa.select(aggregate).where(Answer.club_id == sa.bindparam("club_id")).scalar_subquery()
    return (
        sa.select(*(column for _key, column in _assessment_columns()), *version.c, answers)
        .select_from(one_row())
        .outerjoin(version, sa.true())
        .outerjoin(Assessment, Assessment.club_id == sa.bindparam("club_id"))
    )


@functools.cache
def _assessment_columns() -> tuple:
    """(attribute, column) of the assessment, primary key first: the snapshot reads them as plain columns."""
    columns = [(attr.key, attr.columns[0]) for attr in sa.inspect(Assessment).column_attrs]
    return tuple(sorted(columns, key=lambda pair: not pair[1].primary_key))


def _answer_rows(aggregate) -> dict[str, AnswerRow]:
    """``{item key: AnswerRow}`` from the snapshot statement's JSON array (None or "[]" when nothing is answered).

    JSON has no dates: ``due_date`` comes as ``YYYY-MM-DD`` and ``updated_at`` as the stored naive UTC time.
    """
    if aggregate is None:
        return {}
    if isinstance(aggregate, str):  # SQLite's JSON is text; psycopg decodes PostgreSQL's
        aggregate = json.loads(aggregate)
    rows = {}
    statuses, utc = _STATUSES, timezone.utc
    for answer_id, club_id, key, status, note, responsible, due, item_hash, version, updated, updated_by in aggregate:
        rows[key] = AnswerRow(
            answer_id,
            club_id,
            key,
            statuses[status] if status else None,
            note,
            responsible,
            date.fromisoformat(due) if due else None,
            item_hash,
            version,
            datetime.fromisoformat(updated).replace(tzinfo=utc) if updated else None,
            updated_by,
        )
    return rows


_STATUSES = {status.value: status for status in Status}


@dataclass
class ClubSnapshot:
    """A club's assessment (a session object: saves change it) and its answers (:class:`AnswerRow`), read in one
    statement (:func:`_snapshot_query`); its states are computed on first use."""

    assessment: Assessment | None
    answers: dict[str, AnswerRow | Answer]
    states: list[ItemState] | None = None
    #: (states, score_summary(states)): the score of these states, computed once (the save stores it, the
    #: checklist page's score block shows it)
    summary: tuple | None = None


def _read_snapshot(club_id: int) -> ClubSnapshot:
    """The statement runs on the session's connection as plain columns, and the assessment becomes the session's
    object afterwards (:func:`~app.core.db.as_loaded`): the ORM's loading cost more than the statement."""
    connection = db.session.connection()
    row = connection.execute(_snapshot_query(connection.dialect.name), {"club_id": club_id}).one()
    keys = _assessment_columns()
    count = len(keys)
    assessment = None
    if row[0] is not None:  # (the primary key: no assessment yet)
        assessment = as_loaded(db.session, Assessment, {key: row[i] for i, (key, _column) in enumerate(keys)})
    *version, answers = row[count:]
    memo = _memo()
    if memo is not None and "content" not in memo:
        memo["content"] = _content_of(tuple(version))
    return ClubSnapshot(assessment, _answer_rows(answers))


def club_snapshot(club) -> ClubSnapshot:
    """The club's assessment and answers, read once per request (see ``_memo``)."""
    memo = _memo()
    if memo is None:
        return _read_snapshot(club.id)
    key = ("club", club.id)
    if key not in memo:
        memo[key] = _read_snapshot(club.id)
    return memo[key]


def _forget_club(club) -> None:
    memo = _memo()
    if memo is not None:
        memo.pop(("club", club.id), None)
        memo.pop(("members", club.id), None)


def _forget_states(club) -> None:
    memo = _memo()
    snapshot = memo.get(("club", club.id)) if memo is not None else None
    if snapshot is not None:
        snapshot.states = None


def club_assessment(club, create: bool = True) -> Assessment | None:
    """The club's Assessment row (created on first use unless ``create=False``)."""
    snapshot = club_snapshot(club)
    assessment = snapshot.assessment
    if assessment is None and create:
        assessment = Assessment(club_id=club.id, profile={}, topic_scores={})
        db.session.add(assessment)
        try:
            db.session.flush()
        except IntegrityError:  # created concurrently
            db.session.rollback()
            _forget_club(club)
            assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club.id))
            snapshot = club_snapshot(club)
        snapshot.assessment = assessment
        snapshot.states = None
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


@dataclass(slots=True)
class ItemState:
    """One item with the club's answer; the derived flags are computed when the state is made (a state is rebuilt
    when its answer changes; a checklist view reads each flag many times, a lazily computed property cost more
    than the score itself)."""

    item: ChecklistItem
    answer: Answer | AnswerRow | None
    applicable: bool
    reason: str | None
    today: date = field(default_factory=date.today)
    #: the item's text changed since this answer was given
    stale: bool = field(init=False)
    #: the status used for scoring: a stale answer counts as open until confirmed
    effective_status: str | None = field(init=False)
    #: counts for the score: applies by profile and not answered "Nicht zutreffend"
    counted: bool = field(init=False)
    is_open: bool = field(init=False)

    def __post_init__(self):
        answer = self.answer
        status = answer.status if answer else None
        self.stale = bool(status and answer.item_hash != self.item.content_hash)
        self.effective_status = None if self.stale else status
        self.counted = self.applicable and self.effective_status != Status.NA.value
        self.is_open = self.counted and self.effective_status != Status.YES.value

    @property
    def status(self) -> str | None:
        return self.answer.status if self.answer else None

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
    answer = club_snapshot(club).answers.get(key)
    return {key: answer} if answer else {}


def load_answers(club) -> dict[str, Answer]:
    return dict(club_snapshot(club).answers)


def club_states(club, assessment: Assessment | None = None, items=None, answers=None) -> list[ItemState]:
    """Every current item with the club's answer and applicability (constant number of queries).

    Without ``items`` and ``answers`` (the club's current state) the result is computed once per request.
    """
    if items is None and answers is None:
        snapshot = club_snapshot(club)
        if assessment is None or assessment is snapshot.assessment:
            if snapshot.states is None:
                snapshot.states = _states(snapshot.assessment, current_items(), snapshot.answers)
            return snapshot.states
    if assessment is None:
        assessment = club_assessment(club, create=False)
    items = current_items() if items is None else items
    answers = load_answers(club) if answers is None else answers
    return _states(assessment, items, answers)


def _states(assessment: Assessment | None, items, answers: dict[str, Answer]) -> list[ItemState]:
    profile = (assessment.profile if assessment else None) or {}
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
    score, topic_scores, _answered, _applicable = _tally(states)
    return score, topic_scores


def _tally(states: list[ItemState]) -> tuple[int | None, dict[str, int], int, int]:
    """(score, topic scores, answered, applicable) in one pass over the states (every save computes them)."""
    total_w = total_c = 0.0
    per_topic: dict[str, list[float]] = {}
    answered = applicable = 0
    no, must, weights, credits = Status.NO.value, Severity.MUST.value, WEIGHTS, CREDIT
    for state in states:
        if state.applicable:
            applicable += 1
            if state.effective_status:
                answered += 1
        if not state.counted:
            continue
        status = state.effective_status
        item = state.item
        severity = item.severity
        weight = NO_ON_MUST_WEIGHT if status == no and severity == must else weights[severity]
        credit = credits.get(status, 0.0) if status else 0.0
        total_w += weight
        total_c += weight * credit
        bucket = per_topic.get(item.topic_key)
        if bucket is None:
            bucket = per_topic[item.topic_key] = [0.0, 0.0]
        bucket[0] += weight
        bucket[1] += weight * credit
    score = round(100 * total_c / total_w) if total_w else None
    topics = {key: round(100 * c / w) for key, (w, c) in per_topic.items() if w}
    return score, topics, answered, applicable


def score_summary(states: list[ItemState]) -> dict:
    """Score (None until something is answered), per-topic scores and the answered/applicable counts."""
    score, topic_scores, answered, applicable = _tally(states)
    return {
        "score": score if answered else None,
        "topic_scores": topic_scores,
        "answered": answered,
        "applicable": applicable,
    }


def club_summary(club, assessment: Assessment | None = None) -> dict:
    """:func:`score_summary` of the club's current states, computed once per request and state."""
    states = club_states(club, assessment)
    snapshot = club_snapshot(club)
    if snapshot.summary is not None and snapshot.summary[0] is states:
        return snapshot.summary[1]
    summary = score_summary(states)
    if states is snapshot.states:
        snapshot.summary = (states, summary)
    return summary


def _score_values(assessment: Assessment, summary: dict) -> dict:
    answered = summary["answered"]
    now = utcnow()
    return {
        "answered_count": answered,
        "applicable_count": summary["applicable"],
        "score": summary["score"],
        "topic_scores": summary["topic_scores"] if answered else {},
        "updated_at": now,
        "started_at": assessment.started_at or (now if answered else None),
    }


def refresh_assessment(club, assessment: Assessment | None = None, states=None) -> Assessment:
    """Recompute the club's score and set it on the assessment (written with the caller's commit)."""
    assessment = assessment or club_assessment(club)
    summary = club_summary(club, assessment) if states is None else score_summary(states)
    for name, value in _score_values(assessment, summary).items():
        setattr(assessment, name, value)
    return assessment


@functools.cache
def _score_update(prefix: str = "new_"):
    """``UPDATE privacy_assessment SET <score columns> WHERE id = :<prefix>assessment_id`` (built once)."""
    table = Assessment.__table__  # a Core UPDATE: the ORM's bulk-update path costs more than the statement
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam(f"{prefix}assessment_id"))
        .values(**{name: sa.bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in _SCORE_FIELDS})
    )


#: What a save writes into the club's assessment row.
_SCORE_FIELDS = ("answered_count", "applicable_count", "score", "topic_scores", "updated_at", "started_at")


def _score_parameters(club, assessment: Assessment, prefix: str = "new_") -> tuple[dict, dict]:
    """The score of the club's current states: (its values, the parameters of :func:`_score_update`)."""
    values = _score_values(assessment, club_summary(club, assessment))
    parameters = {f"{prefix}assessment_id": assessment.id, **{f"{prefix}{k}": v for k, v in values.items()}}
    return values, parameters


def _keep_score(assessment: Assessment, values: dict) -> None:
    for name, value in values.items():
        so.attributes.set_committed_value(assessment, name, value)


def _store_score(club, assessment: Assessment) -> None:
    """:func:`refresh_assessment` for a save: one prepared ``UPDATE`` right away, the object keeps the values
    (no unit of work at the commit)."""
    values, parameters = _score_parameters(club, assessment)
    db.session.execute(_score_update(), parameters, execution_options={"revision_scopes": (club_scope(club.id),)})
    _keep_score(assessment, values)


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


@functools.cache
def _member_names_query():
    return (
        sa.select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.club_id == sa.bindparam("club_id"))
        .order_by(User.name)
    )


class MemberNames(Mapping):
    """``{user id: name}`` of the club's members, read on first use (:func:`club_member_names`). ``known``
    answers without reading: a checklist click by the person saving, naming nobody else, needs no member list.
    ``pairs``: the ``(id, name)`` list for the form's select, also read on first use."""

    def __init__(self, club, known: dict[int, str] | None = None):
        self.club = club
        self.known = dict(known or {})
        self._names: dict[int, str] | None = None

    def _all(self) -> dict[int, str]:
        if self._names is None:
            self._names = dict(club_member_names(self.club))
        return self._names

    def __getitem__(self, user_id):
        if user_id in self.known:
            return self.known[user_id]
        return self._all()[user_id]

    def __contains__(self, user_id) -> bool:
        return user_id in self.known or user_id in self._all()

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    @property
    def pairs(self) -> Sequence:
        return _Later(lambda: list(self._all().items()))


class _Later(Sequence):
    """A list made on first use (a template that never shows it costs nothing)."""

    def __init__(self, make):
        self._make = make
        self._items = None

    def _list(self) -> list:
        if self._items is None:
            self._items = self._make()
        return self._items

    def __getitem__(self, index):
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())


def club_member_names(club) -> list[tuple[int, str]]:
    """(user id, name) of the club's members, by name – one query (once per request)."""
    memo = _memo()
    key = ("members", club.id)
    if memo is not None and key in memo:
        return list(memo[key])
    rows = db.session.execute(_member_names_query(), {"club_id": club.id}).all()
    names = [(row.id, row.name) for row in rows]
    if memo is not None:
        memo[key] = names
    return list(names)


def report_context(club, membership=None, assessment=None, *, with_members: bool = True) -> dict:
    """Everything a checklist-like page (and the report PDF) needs, in a fixed number of queries.

    ``membership``: the viewer's, for ``may_answer`` (None: nobody may answer, e.g. the club export).
    ``with_members=False``: without the member list (``members``/``names`` empty), for the workspace panel.
    """
    assessment = assessment if assessment is not None else club_assessment(club, create=False)
    topics = current_topics()
    items = current_items()
    states = club_states(club, assessment)
    summary = score_summary(states)
    by_topic = {t.key: [] for t in topics}
    for state in states:
        by_topic.setdefault(state.item.topic_key, []).append(state)
    members = club_member_names(club) if with_members else []
    return {
        "assessment": assessment,
        "profile": (assessment.profile if assessment else None) or {},
        "topics": topics,
        "states": states,
        "by_topic": by_topic,
        **summary,
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


def save_answer(
    club,
    item: ChecklistItem,
    user,
    data: dict,
    expected_version: int,
    member_names: dict[int, str],
    assessment: Assessment | None = None,
):
    """Save one answer with optimistic locking and write the history (and, given ``assessment``, the score).

    ``data`` holds validated ``status``, ``note``, ``responsible_id``, ``due_date``.
    ``expected_version`` is the version the person read (0 = there was no answer).
    Raises :class:`Conflict` when someone else saved in between. The caller commits.

    Statements: the answer comes from the club's snapshot (read once per request, shared with the score), then
    one ``UPDATE … WHERE version = expected`` (the compare-and-set: a save by someone else between our read and
    this write makes it match no row) or one ``INSERT`` (the unique key refuses a parallel first answer), the
    history row and the score. On PostgreSQL a changed answer is written by one statement (:func:`_save_at_once`).
    """
    snapshot = club_snapshot(club)
    answer = snapshot.answers.get(item.key)
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
    if confirming and not changes:
        changes = {"status": [_display("status", data["status"], member_names)] * 2}
    responsible = (
        {"old_responsible_id": old["responsible_id"] or None, "new_responsible_id": data["responsible_id"] or None}
        if "responsible_id" in changes
        else {}
    )
    history = {
        "club_id": club.id,
        "item_key": item.key,
        "user_id": user.id,
        "user_name": user.name,
        "created_at": now,
        "changes": changes,
        "old_responsible_id": responsible.get("old_responsible_id"),
        "new_responsible_id": responsible.get("new_responsible_id"),
    }
    scopes = {"revision_scopes": (club_scope(club.id),)}
    if answer is None:  # the first answer: the unique key refuses a parallel first answer
        answer = Answer(club_id=club.id, item_key=item.key, version=1, **values)
        db.session.add(answer)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            _forget_club(club)
            raise Conflict(
                db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == item.key))
            ) from None
        snapshot.answers[item.key] = answer
        snapshot.states = None
        db.session.execute(_history_insert(), history, execution_options=scopes)
        if assessment is not None:
            db.session.flush()  # a new assessment gets its row before the score goes into it
            _store_score(club, assessment)
        return answer, True

    # The row will hold exactly these values: the snapshot keeps them instead of reading the row again (and the
    # score is computed from them). A conflict rolls back and forgets the snapshot.
    answer_id = answer.id
    if isinstance(answer, AnswerRow):
        status = Status(values["status"]) if values["status"] else None
        answer = answer._replace(**dict(values, status=status, version=expected_version + 1))
    else:
        for name, value in dict(values, version=expected_version + 1).items():
            so.attributes.set_committed_value(answer, name, value)
        db.session.expire(answer, ["responsible", "updated_by"])
    snapshot.answers[item.key] = answer
    snapshot.states = None
    cas = {"answer_id": answer_id, "expected": expected_version, **{f"new_{k}": v for k, v in values.items()}}
    if assessment is not None and assessment.id is not None and _one_statement_saves():
        score, score_parameters = _score_parameters(club, assessment, prefix="score_")
        written = db.session.execute(
            _save_at_once(asynchronous=bool(current_app.config.get("CHECKLIST_ASYNC_COMMIT"))),
            {**cas, **{f"history_{k}": v for k, v in history.items()}, **score_parameters},
            execution_options={**scopes, WHOLE_TRANSACTION: True},
        ).first()[0]
        if written != 1:
            _conflict(club, answer_id)
        _keep_score(assessment, score)
        return answer, True
    if db.session.execute(_compare_and_set(), cas, execution_options=scopes).rowcount != 1:
        _conflict(club, answer_id)
    db.session.execute(_history_insert(), history, execution_options=scopes)
    if assessment is not None:
        _store_score(club, assessment)
    return answer, True


def _conflict(club, answer_id: int):
    """Someone else saved the answer since it was read: nothing of this save is kept."""
    db.session.rollback()
    _forget_club(club)
    raise Conflict(db.session.get(Answer, answer_id))


def _one_statement_saves() -> bool:
    """PostgreSQL writes answer, history and score in one statement (SQLite has no data-modifying WITH)."""
    return db.session.get_bind().dialect.name == "postgresql"


@functools.cache
def _save_at_once(asynchronous: bool = False):
    """The whole save in one statement (PostgreSQL), atomic by itself, in one round trip::

        WITH cas AS (UPDATE privacy_answer SET … WHERE id = :answer_id AND version = :expected RETURNING id),
             history AS (INSERT INTO privacy_answer_change (…) SELECT :history_… FROM cas),
             score AS (UPDATE privacy_assessment SET … WHERE id = … AND EXISTS (SELECT id FROM cas))
        SELECT count(*) FROM cas

    The compare-and-set decides for all three: when someone else saved in between, ``cas`` matches no row and
    nothing is written (the result is 0).

    ``asynchronous`` (setting ``CHECKLIST_ASYNC_COMMIT``): the statement also selects
    ``set_config('synchronous_commit', 'off', true)``, which holds for its own transaction only. The commit then
    does not wait for the WAL's flush to disk (about 0.2 ms here, nearly a third of the statement's time). A
    crash of the database server, not of the app, may lose the saves of its last fraction of a second (at most
    three times ``wal_writer_delay``), each whole or not at all: the guarantee SQLite's ``synchronous=NORMAL`` gives
    every write of the embedded setup. Nothing else commits this way.
    """
    answers, changes = Answer.__table__, AnswerChange.__table__
    cas = _compare_and_set().returning(answers.c.id).cte("cas")
    columns = (
        "club_id",
        "item_key",
        "user_id",
        "user_name",
        "created_at",
        "changes",
        "old_responsible_id",
        "new_responsible_id",
    )
    history = (
        sa.insert(changes)
        .from_select(
            columns,
            sa.select(*(sa.bindparam(f"history_{c}", type_=changes.c[c].type) for c in columns)).select_from(cas),
        )
        .cte("history")
    )
    score = _score_update("score_").where(sa.exists(sa.select(cas.c.id))).cte("score")
    statement = sa.select(sa.func.count()).select_from(cas).add_cte(history, score)
    if asynchronous:
        statement = statement.add_columns(sa.func.set_config("synchronous_commit", "off", True))
    return statement


#: What a save writes into the answer's row (besides the version).
_SAVED_FIELDS = ("status", "note", "responsible_id", "due_date", "item_hash", "updated_at", "updated_by_id")


@functools.cache
def _compare_and_set():
    """``UPDATE … SET …, version = version + 1 WHERE id = :answer_id AND version = :expected`` (built once)."""
    table = Answer.__table__  # a Core UPDATE: the ORM's bulk-update path costs more than the statement
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("answer_id"), table.c.version == sa.bindparam("expected"))
        .values(
            version=table.c.version + 1,
            **{name: sa.bindparam(f"new_{name}", type_=table.c[name].type) for name in _SAVED_FIELDS},
        )
    )


@functools.cache
def _history_insert():
    """The history row of a save, written right away (not by the session's flush: no unit of work for it)."""
    return sa.insert(AnswerChange.__table__)


def answer_item(
    club,
    item: ChecklistItem,
    user,
    data: dict,
    expected_version: int,
    member_names: dict[int, str],
    assessment: Assessment,
) -> tuple[Answer, bool]:
    """Save one answer with the club's score (:func:`save_answer`), and commit."""
    answer, changed = save_answer(club, item, user, data, expected_version, member_names, assessment)
    _commit_keeping_state()
    return answer, changed


def _commit_keeping_state() -> None:
    """Commit without expiring the session's objects: they hold what this request read and just wrote, so
    rendering the answer afterwards needs no statement to load them again."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def save_profile(club, answers: dict[str, bool], *, by) -> Assessment:
    """The profile questions (which items apply); recomputes the score."""
    assessment = club_assessment(club)
    old = dict(assessment.profile or {})
    assessment.profile = answers
    assessment.profile_done_at = utcnow()
    _forget_states(club)
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
    if has_request_context():
        forget_request_memo()  # the content and states this request read are those of the previous version
    count = 0
    items = current_items()
    rows = db.session.execute(sa.select(Assessment, Club).join(Club, Club.id == Assessment.club_id)).all()
    for assessment, club in rows:
        answers = {a.item_key: a for a in db.session.scalars(sa.select(Answer).where(Answer.club_id == club.id))}
        refresh_assessment(club, assessment, club_states(club, assessment, items=items, answers=answers))
        count += 1
    if has_request_context():
        forget_request_memo()
    return count


# --- public functions for other domains (named in the import-linter contract) --------------------------


def profile_flags(club) -> dict[str, bool]:
    """The club's answers to the profile questions, {flag: bool}; {} before the profile is answered."""
    assessment = club_assessment(club, create=False)
    return {key: bool(value) for key, value in ((assessment.profile if assessment else None) or {}).items()}


def mark_answered_by_document(club, item_key: str, *, by, drop_note_lines: str = "") -> bool:
    """Answer ``item_key`` "Ja" because a document proves it (the document itself is the item's evidence
    through the core's provider hook, app/core/evidence.py).

    Note lines that start with ``drop_note_lines`` (what an earlier release wrote there about the document) are
    removed; the rest of the board's note, the responsible person and the due date stay. Saved like an answer in
    the checklist (history, score) and committed. False when the item is not in the current checklist.
    """
    item = current_item(item_key)
    if item is None:
        return False
    for _attempt in range(2):
        answer = load_answer(club, item_key).get(item_key)
        lines = [line for line in (answer.note if answer and answer.note else "").splitlines() if line.strip()]
        if drop_note_lines:
            lines = [line for line in lines if not line.startswith(drop_note_lines)]
        data = {
            "status": Status.YES.value,
            "note": "\n".join(lines) or None,
            "responsible_id": answer.responsible_id if answer else None,
            "due_date": answer.due_date if answer else None,
        }
        try:
            answer_item(
                club,
                item,
                by,
                data,
                answer.version if answer else 0,
                dict(club_member_names(club)),
                club_assessment(club),
            )
            return True
        except Conflict:  # saved by someone else in between (save_answer rolled back): read again, apply once more
            continue
    return False
