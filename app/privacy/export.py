"""Report exports: PDF (fpdf2) and CSV.

The layout and fonts are the house PDF helper's (app/core/pdf.py).
"""

from __future__ import annotations

import io
from datetime import date

from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _

from ..core import csvout
from ..core.db import utcnow
from ..core.pdf import ReportPDF, latin1_safe, unicode_font_available  # noqa: F401  (re-exported)
from .evidence import evidence_lines


def build_pdf(club, ctx, unicode_font: bool | None = None) -> bytes:
    """The dated report for the club's records (club, date, version, score, answers, notes, open actions)."""
    if unicode_font is None:
        unicode_font = unicode_font_available()
    version = ctx.get("version")
    now = utcnow()
    pdf = ReportPDF(
        unicode_font,
        _("Datenschutz-Selbstcheck %(club)s, Stand %(date)s", club=club.name, date=format_date(now, "medium")),
    )
    pdf.set_title(pdf.t(_("Datenschutz-Selbstcheck – %(club)s", club=club.name)))
    pdf.set_creator("Vereinsraum")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading(_("Bericht: Datenschutz-Selbstcheck"), 16)
    names = ctx["names"]
    labels = ctx["status_labels"]
    score = ctx["score"]
    lines = [
        (_("Verein"), club.name),
        (_("Stand"), format_datetime(now, "short")),
        (_("Inhaltsversion"), str(version.number) if version else "–"),
        (_("Wertung"), _("%(n)d von 100 Punkten", n=score) if score is not None else _("noch keine")),
        (_("Beantwortet"), _("%(a)d von %(b)d zutreffenden Punkten", a=ctx["answered"], b=ctx["applicable"])),
    ]
    for label, value in lines:
        pdf.para(f"{label}: {value}")
    if score is not None:
        pdf.score_bar(score, _("%(n)d von 100", n=score))
    pdf.ln(2)
    pdf.para(
        _(
            "Dieser Bericht dokumentiert die Selbsteinschätzung des Vereins (Rechenschaftspflicht, "
            "Art. 5 Abs. 2 DSGVO). Er ist keine Rechtsberatung."
        ),
        9,
    )
    if ctx["topic_scores"]:
        pdf.heading(_("Wertung nach Themen"))
        for topic in ctx["topics"]:
            if topic.key in ctx["topic_scores"]:
                pdf.para(topic.title)
                pdf.score_bar(ctx["topic_scores"][topic.key], f"{ctx['topic_scores'][topic.key]} / 100")
    pdf.section(_("Offene Maßnahmen"))
    # as in the action plan: measures from the questions answered "Nein" or "Teilweise", as actions;
    # questions without an answer yet as one line
    measures = [s for s in ctx["open"] if s.effective_status in ("no", "partial")]
    unanswered = sum(1 for s in ctx["states"] if s.counted and s.effective_status is None)
    if unanswered:
        pdf.para(
            ngettext("%(num)d Frage noch nicht beantwortet.", "%(num)d Fragen noch nicht beantwortet.", unanswered),
            10,
            bold=True,
        )
    if not measures:
        pdf.para(_("Keine."))
    for number, state in enumerate(measures, 1):
        parts = [state.item.sev.label]
        answer = state.answer
        if answer and answer.responsible_id:
            parts.append(_("verantwortlich: %(name)s", name=names.get(answer.responsible_id, "–")))
        if answer and answer.due_date:
            due = _("Frist: %(date)s", date=format_date(answer.due_date, "medium"))
            parts.append(due + (f" ({_('überfällig')})" if state.overdue else ""))
        pdf.para(f"{number}. {state.item.action or state.item.question}", 10, bold=True)
        pdf.para("    " + _("Frage: %(question)s", question=state.item.question), 9)
        pdf.para("    " + "; ".join(str(p) for p in parts), 9)
    pdf.section(_("Alle Antworten"))
    for topic in ctx["topics"]:
        pdf.heading(topic.title, 11)
        for state in ctx["by_topic"].get(topic.key, []):
            pdf.para(state.item.question, 10, bold=True)
            pdf.para(f"{state.item.sev.label} · {_('Antwort')}: {_answer_label(state, labels)}", 9)
            if state.answer and state.answer.note:
                pdf.para(f"{_('Notiz')}: {state.answer.note}", 9)
            for line in evidence_lines(club, state.item.key, ctx.get("evidence")):
                pdf.para(f"{_('Nachweis')}: {line}", 9)
            pdf.ln(1)
    return bytes(pdf.output())


def _answer_label(state, labels) -> str:
    if not state.applicable:
        return f"{_('trifft nicht zu')} ({state.reason})"
    if state.stale:
        return _("bitte prüfen (Frage geändert)")
    if state.status:
        return str(labels[state.status])
    return _("noch offen")


def build_csv(ctx, club=None) -> bytes:
    """All answers, one row per current item (semicolon-separated, UTF-8 with BOM for spreadsheet apps)."""
    buffer = io.StringIO()
    writer = csvout.writer(buffer, delimiter=";")
    writer.writerow(
        [
            _("Thema"),
            _("ID"),
            _("Frage"),
            _("Gewichtung"),
            _("Trifft zu"),
            _("Antwort"),
            _("Notiz"),
            _("Verantwortlich"),
            _("Frist"),
            _("Zuletzt geändert"),
            _("Nachweise"),
        ]
    )
    titles = {t.key: t.title for t in ctx["topics"]}
    names = ctx["names"]
    for state in ctx["states"]:
        answer = state.answer
        writer.writerow(
            (
                titles.get(state.item.topic_key, state.item.topic_key),
                state.item.key,
                state.item.question,
                state.item.sev.label,
                _("ja") if state.applicable else _("nein"),
                _answer_label(state, ctx["status_labels"]) if (state.status or not state.applicable) else "",
                answer.note if answer else "",
                names.get(answer.responsible_id, "") if answer and answer.responsible_id else "",
                answer.due_date.isoformat() if answer and isinstance(answer.due_date, date) else "",
                answer.updated_at.isoformat(timespec="minutes") if answer and answer.updated_at else "",
                " | ".join(evidence_lines(club, state.item.key, ctx.get("evidence"))) if club is not None else "",
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
