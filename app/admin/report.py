"""The quarterly report to the administration (issue 20 item 6): PDF and CSV, no personal data.

Only counts, and no published count describes fewer than :data:`MIN_CELL` clubs (or people, for
workshop registrations): in every table the categories with 1 to 4 are merged into one row "Übrige";
if that row is still under 5, the next smallest categories join it until it reaches 5; a table whose
total is under 5 is left out as a whole. Categories without any club are not listed. So every number
in the report is 5 or more, and no small number can be worked out by subtracting shown numbers from a
shown total. The report states the rule and which tables were merged or left out.

Stock figures (clubs, self-check) are the state when the report is made, for clubs registered before
the quarter's end; flow figures (new clubs, meetings, workshops) count what happened in the quarter.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from ..clubs.models import Club, ClubStatus
from ..core import csvout
from ..core.db import utcnow
from ..core.pdf import new_document
from ..extensions import db
from ..meetings.models import MeetingRun
from ..privacy.models import Answer, Assessment, ChecklistItem
from ..workshops.models import TOPICS as WORKSHOP_TOPICS
from ..workshops.models import Registration, RegistrationStatus, Workshop
from .queries import current_version_id, topic_titles

#: The smallest number the report publishes.
MIN_CELL = 5
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, value: str | None) -> Quarter:
        """``2026-Q3``; raises ValueError for anything else."""
        match = QUARTER.match((value or "").strip())
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise ValueError(value)
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def last_complete(cls, today: date | None = None) -> Quarter:
        today = today or utcnow().date()
        number = (today.month - 1) // 3 + 1
        return cls(today.year - 1, 4) if number == 1 else cls(today.year, number - 1)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> datetime:
        return datetime.combine(date(self.year, 3 * self.number - 2, 1), time.min, tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:
        """The first moment after the quarter."""
        if self.number == 4:
            return datetime.combine(date(self.year + 1, 1, 1), time.min, tzinfo=timezone.utc)
        return datetime.combine(date(self.year, 3 * self.number + 1, 1), time.min, tzinfo=timezone.utc)

    def months(self) -> list[tuple[datetime, datetime]]:
        starts = [date(self.year, 3 * self.number - 2 + i, 1) for i in range(3)]
        bounds = [datetime.combine(d, time.min, tzinfo=timezone.utc) for d in starts] + [self.end]
        return list(zip(bounds, bounds[1:], strict=False))


@dataclass
class Table:
    """One published table: rows of (label, count); every count is at least MIN_CELL."""

    key: str
    title: str
    unit: str  # what the numbers count ("Vereine", "Anmeldungen", …)
    rows: list[tuple[str, int]] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # labels that went into the "Übrige" row
    suppressed: bool = False  # the whole table is left out (total under MIN_CELL)
    explanation: str = ""  # a note of its own instead of the usual one

    @property
    def note(self) -> str:
        if self.explanation:
            return self.explanation
        if self.suppressed:
            return _("Weggelassen: insgesamt weniger als %(n)s.", n=MIN_CELL)
        if self.merged:
            return _("Zusammengefasst unter „Übrige“: %(labels)s.", labels=", ".join(self.merged))
        return ""


def protect(key, title, unit, items, rest_label=None) -> Table:
    """The table for ``items`` [(label, count)] under the publication rule (see the module docstring)."""
    table = Table(key, str(title), str(unit))
    items = [(str(label), int(n)) for label, n in items if n]
    total = sum(n for _label, n in items)
    if total == 0:
        return table
    if total < MIN_CELL:
        table.suppressed = True
        return table
    shown = sorted((item for item in items if item[1] >= MIN_CELL), key=lambda item: -item[1])
    small = [item for item in items if item[1] < MIN_CELL]
    rest = sum(n for _label, n in small)
    while small and rest < MIN_CELL and shown:
        label, n = shown.pop()  # the smallest shown category joins the rest
        small.append((label, n))
        rest += n
    table.rows = shown
    if small:
        table.merged = [label for label, _n in small]
        table.rows.append((str(rest_label or _("Übrige")), rest))
    return table


def published_numbers(tables: list[Table]) -> list[int]:
    return [n for table in tables for _label, n in table.rows]


# --- figures ---------------------------------------------------------------------------------------


def _registered_before(quarter: Quarter):
    return Club.created_at < quarter.end


def clubs_by_district(quarter: Quarter) -> Table:
    rows = db.session.execute(
        sa.select(Club.district, sa.func.count(Club.id))
        .where(_registered_before(quarter), Club.status.in_((ClubStatus.APPROVED, ClubStatus.SUSPENDED)))
        .group_by(Club.district)
    ).all()
    return protect("clubs_by_district", _("Freigeschaltete Vereine nach Bezirk"), _("Vereine"), rows)


def clubs_by_status(quarter: Quarter) -> Table:
    rows = db.session.execute(
        sa.select(Club.status, sa.func.count(Club.id)).where(_registered_before(quarter)).group_by(Club.status)
    ).all()
    return protect(
        "clubs_by_status", _("Vereine nach Status"), _("Vereine"), [(ClubStatus(s).label, n) for s, n in rows]
    )


def new_clubs(quarter: Quarter) -> Table:
    n = db.session.scalar(
        sa.select(sa.func.count(Club.id)).where(Club.created_at >= quarter.start, Club.created_at < quarter.end)
    )
    return protect("new_clubs", _("Neu angemeldete Vereine im Quartal"), _("Vereine"), [(_("Anmeldungen"), n or 0)])


def _approved_in(quarter: Quarter):
    return sa.and_(Club.status == ClubStatus.APPROVED, _registered_before(quarter))


def self_check_usage(quarter: Quarter) -> Table:
    started = sa.case((Assessment.started_at.is_not(None), "started"), else_="not_started")
    rows = dict(
        db.session.execute(
            sa.select(started, sa.func.count(Club.id))
            .select_from(Club)
            .outerjoin(Assessment, Assessment.club_id == Club.id)
            .where(_approved_in(quarter))
            .group_by(started)
        ).all()
    )
    return protect(
        "self_check_usage",
        _("Datenschutz-Selbstcheck: Nutzung (freigeschaltete Vereine)"),
        _("Vereine"),
        [(_("begonnen"), rows.get("started", 0)), (_("nicht begonnen"), rows.get("not_started", 0))],
    )


def _band(score) -> str:
    if score < 50:
        return _("unter 50 Punkte")
    if score < 80:
        return _("50 bis 79 Punkte")
    return _("80 bis 100 Punkte")


def score_bands_by_topic(quarter: Quarter) -> list[Table]:
    """Per checklist topic: clubs per score band (from each club's cached topic scores)."""
    rows = db.session.execute(
        sa.select(Assessment.topic_scores)
        .join(Club, Club.id == Assessment.club_id)
        .where(_approved_in(quarter), Assessment.started_at.is_not(None))
    ).scalars()
    counts: dict[str, dict[str, int]] = {}
    for scores in rows:
        for key, value in (scores or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                band = _band(value)
                counts.setdefault(key, {}).setdefault(band, 0)
                counts[key][band] += 1
    titles = topic_titles()
    order = [k for k in titles if k in counts] + sorted(k for k in counts if k not in titles)
    bands = (_("unter 50 Punkte"), _("50 bis 79 Punkte"), _("80 bis 100 Punkte"))
    return [
        protect(
            f"score_bands:{key}",
            _("Selbstcheck-Ergebnis im Thema „%(topic)s“", topic=titles.get(key, key)),
            _("Vereine"),
            [(band, counts[key].get(band, 0)) for band in bands],
        )
        for key in order
    ]


def open_duties(quarter: Quarter, limit: int = 10) -> Table:
    """The Pflicht items most often open ("Nein"/"Teilweise"): clubs per item, only items with 5 or more."""
    english = str(get_locale() or "de").startswith("en")
    clubs = sa.func.count(sa.distinct(Answer.club_id)).label("n")
    rows = db.session.execute(
        sa.select(ChecklistItem.question_de, ChecklistItem.question_en, clubs)
        .join(Answer, Answer.item_key == ChecklistItem.key)
        .join(Club, Club.id == Answer.club_id)
        .where(
            ChecklistItem.version_id == current_version_id(),
            ChecklistItem.severity == "must",
            Answer.status.in_(("no", "partial")),
            _approved_in(quarter),
        )
        .group_by(ChecklistItem.key, ChecklistItem.question_de, ChecklistItem.question_en)
        .having(clubs >= MIN_CELL)
        .order_by(clubs.desc(), ChecklistItem.key)
        .limit(limit)
    ).all()
    table = Table("open_duties", _("Häufigste offene Pflichtpunkte"), _("Vereine"))
    table.explanation = _("Nur Pflichtpunkte, die bei mindestens %(n)s Vereinen offen sind.", n=MIN_CELL)
    table.rows = [((q_en if english and q_en else q_de), n) for q_de, q_en, n in rows]
    return table


def meetings_held(quarter: Quarter) -> Table:
    """Meetings started per month, published only for months in which at least 5 clubs met."""
    table = Table("meetings", _("Videokonferenzen der Vereine"), _("Konferenzen"))
    low = []
    for start, end in quarter.months():
        meetings, clubs = db.session.execute(
            sa.select(sa.func.count(MeetingRun.id), sa.func.count(sa.distinct(MeetingRun.club_id))).where(
                MeetingRun.started_at >= start, MeetingRun.started_at < end, MeetingRun.club_id.is_not(None)
            )
        ).one()
        label = format_date(start.date(), "MMMM yyyy")
        if clubs >= MIN_CELL:
            table.rows.append((label, meetings))
        elif clubs:
            low.append(label)
    if low:
        table.explanation = _("Weggelassen (weniger als %(n)s Vereine): %(months)s.", n=MIN_CELL, months=", ".join(low))
    return table


def workshop_demand(quarter: Quarter) -> Table:
    """Registrations (confirmed or waiting) for workshops in the quarter, by topic."""
    rows = db.session.execute(
        sa.select(Workshop.topic, sa.func.count(Registration.id))
        .join(Registration, Registration.workshop_id == Workshop.id)
        .where(
            Workshop.starts_at >= quarter.start,
            Workshop.starts_at < quarter.end,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .group_by(Workshop.topic)
    ).all()
    return protect(
        "workshops",
        _("Nachfrage nach Workshops (Anmeldungen nach Thema)"),
        _("Anmeldungen"),
        [(WORKSHOP_TOPICS.get(topic, topic), n) for topic, n in rows],
        rest_label=_("Übrige Themen"),
    )


@dataclass
class Report:
    quarter: Quarter
    created_at: datetime
    tables: list[Table]


def build(quarter: Quarter) -> Report:
    tables = [
        clubs_by_status(quarter),
        clubs_by_district(quarter),
        new_clubs(quarter),
        self_check_usage(quarter),
        *score_bands_by_topic(quarter),
        open_duties(quarter),
        meetings_held(quarter),
        workshop_demand(quarter),
    ]
    return Report(quarter, utcnow(), tables)


def rule_text() -> str:
    return _(
        "Der Bericht enthält keine personenbezogenen Daten, nur Anzahlen. Keine Zahl beschreibt weniger als "
        "%(n)s Vereine (bei Workshops: Anmeldungen): Kleinere Gruppen sind unter „Übrige“ zusammengefasst – "
        "notfalls mit der nächstkleineren Gruppe, bis „Übrige“ mindestens %(n)s zählt –, oder weggelassen. "
        "Gruppen ohne Vereine sind nicht aufgeführt. Bestand (Vereine, Selbstcheck): Stand bei Erstellung, für "
        "Vereine, die bis zum Quartalsende angemeldet waren; Vorgänge (Anmeldungen, Konferenzen, Workshops): im "
        "Quartal.",
        n=MIN_CELL,
    )


# --- output ----------------------------------------------------------------------------------------


def as_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csvout.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Quartal"), _("Tabelle"), _("Gruppe"), _("Anzahl"), _("Einheit")])
    for table in report.tables:
        for label, n in table.rows:
            writer.writerow([report.quarter.key, table.title, label, n, table.unit])
        note = table.note
        if note:
            writer.writerow([report.quarter.key, table.title, _("Hinweis"), note, ""])
    writer.writerow([report.quarter.key, _("Regel"), _("Hinweis"), rule_text(), ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_pdf(report: Report) -> bytes:
    title = _("Vereinsraum: Bericht an die Verwaltung, %(quarter)s", quarter=report.quarter.key)
    pdf = new_document(title)
    pdf.add_page()
    pdf.heading(title, 15)
    pdf.para(_("Erstellt am %(date)s", date=format_date(report.created_at, "long")), 9)
    pdf.para(rule_text(), 9)
    for table in report.tables:
        pdf.heading(table.title, 12)
        if not table.rows and not table.note:
            pdf.para(_("Keine Daten."), 10)
        for label, n in table.rows:
            pdf.para(f"{label}: {n} {table.unit}", 10)
        note = table.note
        if note:
            pdf.para(note, 9)
    return bytes(pdf.output())
