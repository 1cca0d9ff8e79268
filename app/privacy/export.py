"""Report exports: PDF (fpdf2) and CSV.

The PDF embeds DejaVu Sans (Debian package ``fonts-dejavu-core``) when it is
installed, so every character prints. Without it, the PDF uses the built-in
Helvetica (Latin-1: German umlauts and ß work) and replaces the few characters
outside Latin-1 (dashes, quotes, arrows) with safe equivalents.
"""

from __future__ import annotations

import io
import os
import unicodedata
from datetime import date

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from fpdf import FPDF

from ..core import csvout
from ..core.db import utcnow

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_REGULAR = os.path.join(FONT_DIR, "DejaVuSans.ttf")
FONT_BOLD = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")

_REPLACEMENTS = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u201e": '"',
    "\u201c": '"',
    "\u201d": '"',
    "\u201a": "'",
    "\u2018": "'",
    "\u2019": "'",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2026": "...",
    "\u2022": "*",
    "\u20ac": "EUR",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2713": "x",
    "\u00b7": "-",
}


def latin1_safe(text: str) -> str:
    """Map text to Latin-1 for the core fonts (umlauts stay, the rest is transliterated)."""
    out = []
    for char in str(text):
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
            continue
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(decomposed or "?")
    return "".join(out)


class _ReportPDF(FPDF):
    def __init__(self, unicode_font: bool, footer_text: str):
        super().__init__(format="A4")
        self.unicode_font = unicode_font
        self.footer_text = footer_text
        self.family = "DejaVu" if unicode_font else "Helvetica"
        if unicode_font:
            self.add_font("DejaVu", "", FONT_REGULAR)
            self.add_font("DejaVu", "B", FONT_BOLD if os.path.exists(FONT_BOLD) else FONT_REGULAR)
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 18, 18)

    def t(self, text) -> str:
        return str(text) if self.unicode_font else latin1_safe(text)

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.t(f"{self.footer_text} – {self.page_no()}/{{nb}}"), align="C")

    def heading(self, text, size=13):
        self.ln(2)
        self.set_font(self.family, "B", size)
        self.multi_cell(0, size * 0.55, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, text, size=10, bold=False):
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, self.t(text), new_x="LMARGIN", new_y="NEXT")


def unicode_font_available() -> bool:
    return os.path.exists(FONT_REGULAR)


def report_pdf(footer_text: str, unicode_font: bool | None = None) -> _ReportPDF:
    """An empty A4 report with this project's fonts, footer and ``heading``/``para`` helpers (add pages)."""
    pdf = _ReportPDF(unicode_font_available() if unicode_font is None else unicode_font, footer_text)
    pdf.set_title(pdf.t(footer_text))
    pdf.set_creator("Vereinsraum")
    pdf.alias_nb_pages()
    return pdf


def build_pdf(club, ctx, unicode_font: bool | None = None) -> bytes:
    """The dated report for the club's records (club, date, version, score, answers, notes, open actions)."""
    if unicode_font is None:
        unicode_font = unicode_font_available()
    version = ctx.get("version")
    now = utcnow()
    pdf = _ReportPDF(
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
                pdf.para(f"{topic.title}: {ctx['topic_scores'][topic.key]} / 100")
    pdf.heading(_("Offene Maßnahmen"))
    if not ctx["open"]:
        pdf.para(_("Keine."))
    for number, state in enumerate(ctx["open"], 1):
        parts = [state.item.sev.label]
        answer = state.answer
        if answer and answer.responsible_id:
            parts.append(_("verantwortlich: %(name)s", name=names.get(answer.responsible_id, "–")))
        if answer and answer.due_date:
            due = _("Frist: %(date)s", date=format_date(answer.due_date, "medium"))
            parts.append(due + (f" ({_('überfällig')})" if state.overdue else ""))
        pdf.para(f"{number}. {state.item.question}", 10, bold=True)
        pdf.para("    " + "; ".join(str(p) for p in parts), 9)
    pdf.heading(_("Alle Antworten"))
    for topic in ctx["topics"]:
        pdf.heading(topic.title, 11)
        for state in ctx["by_topic"].get(topic.key, []):
            pdf.para(state.item.question, 10, bold=True)
            pdf.para(f"{state.item.sev.label} · {_('Antwort')}: {_answer_label(state, labels)}", 9)
            if state.answer and state.answer.note:
                pdf.para(f"{_('Notiz')}: {state.answer.note}", 9)
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


def build_csv(ctx) -> bytes:
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
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
