"""PDF documents (fpdf2): the house layout for the self-check report and the processing agreement.

The PDF embeds DejaVu Sans (Debian package ``fonts-dejavu-core``) when it is
installed, so every character prints. Without it, the PDF uses the built-in
Helvetica (Latin-1: German umlauts and ß work) and replaces the few characters
outside Latin-1 (dashes, quotes, arrows) with safe equivalents.
"""

from __future__ import annotations

import os
import unicodedata

from fpdf import FPDF

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


class ReportPDF(FPDF):
    """A4, house margins, a footer line with page numbers, ``heading`` and ``para``."""

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
        """A main part of a document (measures, answers): a rule and a shaded band, so parts stand apart."""
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
        """A score drawn as a bar (0 to 100), with the number beside it."""
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


def new_document(footer_text: str, unicode_font: bool | None = None) -> ReportPDF:
    """An empty A4 document with the house fonts, footer and ``heading``/``para`` helpers (add pages)."""
    pdf = ReportPDF(unicode_font_available() if unicode_font is None else unicode_font, footer_text)
    pdf.set_title(pdf.t(footer_text))
    pdf.set_creator("Vereinsraum")
    pdf.alias_nb_pages()
    return pdf
