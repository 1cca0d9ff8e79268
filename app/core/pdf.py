"""PDF documents (fpdf2), one helper for every domain: the self-check report, the record of processing, ….

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


def unicode_font_available() -> bool:
    return os.path.exists(FONT_REGULAR)


class DocumentPDF(FPDF):
    """A4 with margins, a footer line with page numbers, ``heading`` and ``para``; text made printable."""

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
