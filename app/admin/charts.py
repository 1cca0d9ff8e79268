"""The staff statistics' charts; the drawing (one scale, wrapped labels, empty state) is core/charts.py."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..clubs.models import ClubStatus
from ..core.charts import LABEL_CHARS, LABEL_WIDTH, bar_chart  # noqa: F401  (LABEL_*: re-exported)
from .queries import SCORE_BANDS


def dashboard(stats) -> dict:
    charts = {}
    charts["status"] = bar_chart(
        "chart-status",
        _l("Vereine nach Status"),
        _l(
            "Anzahl der Vereine je Status: %(parts)s.",
            parts=", ".join(f"{s.label}: {stats.by_status.get(s, 0)}" for s in ClubStatus),
        ),
        [(s.label, stats.by_status.get(s, 0)) for s in ClubStatus],
    )
    charts["district"] = bar_chart(
        "chart-district",
        _l("Vereine nach Bezirk"),
        _l("Anzahl der Vereine je Berliner Bezirk, alle Status zusammen."),
        [(d, total) for d, _counts, total in stats.by_district],
    )
    adoption_items = [(_l("nicht begonnen"), stats.adoption.get("not_started", 0))] + [
        (label, stats.adoption.get(band, 0)) for band, label in SCORE_BANDS.items()
    ]
    charts["adoption"] = bar_chart(
        "chart-adoption",
        _l("Selbstcheck: Nutzung und Ergebnis"),
        _l(
            "Von %(approved)s freigeschalteten Vereinen haben %(started)s den Selbstcheck begonnen. "
            "Verteilung nach Punktzahl-Bereich.",
            approved=stats.approved,
            started=stats.started,
        ),
        adoption_items,
    )
    charts["topics"] = bar_chart(
        "chart-topics",
        _l("Durchschnittliche Punktzahl je Thema"),
        _l("Durchschnitt der Themen-Punktzahlen (0 bis 100) über alle Vereine mit Selbstcheck."),
        [(title, avg) for _key, title, avg, _n in stats.topic_averages],
        max_value=100,
        value_label=_l("Durchschnitt (0–100)"),
    )
    charts["meetings"] = bar_chart(
        "chart-meetings",
        _l("Videokonferenzen pro Woche"),
        _l(
            "Gestartete Vereinskonferenzen in den letzten %(n)s Wochen, je Woche ab Montag.",
            n=len(stats.meetings_per_week),
        ),
        [(_l("Woche ab %(date)s", date=format_date(monday, "dd.MM.yyyy")), n) for monday, n in stats.meetings_per_week],
    )
    return charts


def topic_rows(facts):
    """The bar chart of one club's topic scores (club detail)."""
    assessment = facts.assessment
    if assessment is None or not assessment.topic_scores:
        return None
    scores = assessment.topic_scores
    order = list(facts.topics) + sorted(k for k in scores if k not in facts.topics)
    items = [(facts.topics.get(k, k), scores[k]) for k in order if k in scores]
    return bar_chart(
        "chart-club-topics",
        _l("Punktzahl je Thema"),
        _l("Ergebnis des Selbstchecks je Thema, 0 bis 100 Punkte."),
        items,
        max_value=100,
        value_label=_l("Punktzahl (0–100)"),
    )
