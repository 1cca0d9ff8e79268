"""Platform statistics for staff: clubs by district and status, self-check adoption and scores, meetings.

Every figure is one SQL statement (GROUP BY); the result is shared by every app instance for
``ADMIN_STATS_CACHE_SECONDS`` (Flask-Caching).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale

from ..clubs.models import Club, ClubStatus
from ..core import csvout
from ..core.db import utcnow
from ..extensions import cache, db
from ..meetings.models import MeetingRun
from ..privacy.models import Answer, Assessment, ChecklistItem
from ..toolkit.services import request_counts
from .queries import SCORE_BANDS, current_version_id, topic_titles

# --- statistics --------------------------------------------------------------------------------

WEEKS = 12


def cached_statistics(fresh: bool = False):
    """The statistics and when they were computed, reused for ADMIN_STATS_CACHE_SECONDS.

    Kept in the shared cache (Flask-Caching: Redis when REDIS_URL is set), so every app instance shows
    the same figures and only one of them computes them per period.
    """
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
    toolkit: dict = field(default_factory=dict)  # counts only: requests open/closed/overdue, breaches


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
        sa.select(Club.district, Club.status, sa.func.count()).group_by(Club.district, Club.status)
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
    stats.adoption = dict(
        db.session.execute(
            sa.select(band, sa.func.count(Club.id))
            .select_from(Club)
            .outerjoin(Assessment, Assessment.club_id == Club.id)
            .where(Club.status == ClubStatus.APPROVED)
            .group_by(band)
        ).all()
    )
    stats.approved = sum(stats.adoption.values())
    stats.started = stats.approved - stats.adoption.get("not_started", 0)
    # 3. average score per topic of the current checklist over every club that uses the self-check (only
    #    approved and suspended clubs can answer at all): one pass over the assessments, one average and count
    #    per topic key. On PostgreSQL the scores are JSONB (migration 0926), so each lookup reads the stored
    #    binary form instead of parsing text (about a third of the time of unnesting every object).
    titles = topic_titles()
    averages = {}
    if titles:
        columns = []
        for key in titles:
            value = Assessment.topic_scores[key].as_float()
            columns += [sa.func.avg(value), sa.func.count(value)]
        row = db.session.execute(sa.select(*columns)).one()
        for i, key in enumerate(titles):
            average, n = row[2 * i], row[2 * i + 1]
            if n:
                averages[key] = (float(average), n)
    stats.topic_averages = [(k, titles[k], round(averages[k][0]), averages[k][1]) for k in titles if k in averages]
    # 4. the ten open Pflicht items ("Nein"/"Teilweise") most common across clubs: per Pflicht item of the
    #    current version one count over the covering index (item_key, status), an index range each (measured:
    #    2.5 ms on PostgreSQL at 10,000 clubs, against 12 ms for grouping every open answer first)
    Item = ChecklistItem
    version = current_version_id()
    open_count = (
        sa.select(sa.func.count())
        .where(Answer.item_key == Item.key, Answer.status.in_(("no", "partial")))
        .correlate(Item)
        .scalar_subquery()
        .label("n")
    )
    rows = db.session.execute(
        sa.select(Item.key, Item.question_de, Item.question_en, Item.topic_key, open_count)
        .where(Item.version_id == version, Item.severity == "must")
        .order_by(open_count.desc(), Item.key)
    ).all()
    rows = [row for row in rows if row.n][:10]
    english = str(get_locale() or "de").startswith("en")
    stats.open_items = [
        (key, (q_en if english and q_en else q_de), titles.get(topic, topic), n) for key, q_de, q_en, topic, n in rows
    ]
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
    stats.meetings_per_week = [
        (first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0)) for i in range(WEEKS)
    ]
    # 5. the toolkit: numbers only – staff never see a request or a breach (issue 18)
    stats.toolkit = request_counts()
    return stats


def as_csv(stats: Statistics) -> str:
    """The statistics as one CSV table (bereich, schluessel, wert) for spreadsheets."""
    buffer = io.StringIO()
    writer = csvout.writer(buffer, lineterminator="\r\n")
    writer.writerow(["bereich", "schluessel", "wert"])
    for status in ClubStatus:
        writer.writerow(["vereine_nach_status", status.value, stats.by_status.get(status, 0)])
    for district, counts, total in stats.by_district:
        writer.writerow(["vereine_nach_bezirk", district, total])
        for status in ClubStatus:
            writer.writerow(["vereine_nach_bezirk_und_status", f"{district}/{status.value}", counts.get(status, 0)])
    writer.writerow(["selbstcheck", "freigeschaltete_vereine", stats.approved])
    writer.writerow(["selbstcheck", "begonnen", stats.started])
    for band in ("not_started", *SCORE_BANDS):
        writer.writerow(["selbstcheck_score_band", band, stats.adoption.get(band, 0)])
    for key, _title, average, _n in stats.topic_averages:
        writer.writerow(["durchschnitt_je_thema", key, average])
    for key, _question, _topic, n in stats.open_items:
        writer.writerow(["offene_pflichtpunkte", key, n])
    for monday, n in stats.meetings_per_week:
        writer.writerow(["konferenzen_pro_woche", monday.isoformat(), n])
    for key, n in stats.toolkit.items():
        writer.writerow(["datenschutz_werkzeuge", key, n])
    return buffer.getvalue()
