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

BRAND = (11, 94, 85)  # the site's --brand colour
SOFT = (232, 240, 238)

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

    # fpdf2 justifies multi_cell text by default; for headings and short lines that leaves wide gaps
    # between words, so every text here is left-aligned.

    def heading(self, text, size=13):
        self.ln(2)
        self.set_font(self.family, "B", size)
        self.multi_cell(0, size * 0.55, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, text, size=10, bold=False):
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def section(self, text):
        """A main part of the report (measures, answers): a rule and a shaded band, so parts stand apart."""
        self.ln(4)
        self.set_draw_color(*BRAND)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_fill_color(*SOFT)
        self.set_font(self.family, "B", 14)
        self.multi_cell(0, 9, self.t(text), align="L", fill=True, padding=(0, 2), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def score_bar(self, score: int | None, label: str):
        """The score drawn as a bar (0 to 100), with the number beside it."""
        width, height = 100, 6
        x, y = self.l_margin, self.get_y() + 1
        self.set_draw_color(*BRAND)
        self.set_line_width(0.3)
        self.set_fill_color(*SOFT)
        self.rect(x, y, width, height, style="DF")
        if score:
            self.set_fill_color(*BRAND)
            self.rect(x, y, width * max(0, min(score, 100)) / 100, height, style="F")
        self.set_xy(x + width + 3, y - 0.5)
        self.set_font(self.family, "B", 11)
        self.cell(0, height + 1, self.t(label), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


def unicode_font_available() -> bool:
    return os.path.exists(FONT_REGULAR)


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
    pdf.section(_("Alle Antworten"))
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
