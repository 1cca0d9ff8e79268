"""The record of processing activities as PDF (core/pdf.py, fpdf2) and as an editable DOCX (python-docx).

Both libraries are loaded only when a document is made.
"""

from __future__ import annotations

import io

from flask_babel import gettext as _

from ..core.i18n import local_tz
from .record import FIELDS


def _title(club) -> str:
    return _("Verzeichnis von Verarbeitungstätigkeiten – %(club)s", club=club.name)


def _meta(version) -> str:
    when = version.created_at.astimezone(local_tz()).strftime("%d.%m.%Y %H:%M")
    return _(
        "Fassung %(number)s vom %(when)s, erstellt von %(author)s",
        number=version.number,
        when=when,
        author=version.author_name or "–",
    )


def _header_lines(version) -> list[tuple[str, str]]:
    content = version.content
    lines = [
        (_("Verantwortlicher"), content.get("controller", "")),
        (_("Vertreten durch"), content.get("representative", "")),
    ]
    if content.get("dpo"):
        lines.append((_("Datenschutzbeauftragte Person"), content["dpo"]))
    return lines


def record_pdf(club, version) -> bytes:
    from ..core.pdf import ReportPDF, unicode_font_available  # fpdf is loaded only when a PDF is made

    pdf = ReportPDF(unicode_font_available(), _meta(version))
    pdf.set_title(pdf.t(_title(club)))
    pdf.set_creator("Vereinsraum")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading(_title(club), 15)
    pdf.para(_meta(version), 9)
    pdf.para(_("Nach Art. 30 Abs. 1 DSGVO."), 9)
    pdf.ln(2)
    for label, value in _header_lines(version):
        pdf.para(f"{label}: {value}")
    for number, activity in enumerate(version.content.get("activities", ()), 1):
        pdf.heading(f"{number}. {activity.get('name', '')}", 12)
        for key, label, _hint in FIELDS:
            pdf.para(str(label), 10, bold=True)
            pdf.para(activity.get(key) or "–", 10)
            pdf.ln(1)
    return bytes(pdf.output())


def record_docx(club, version) -> bytes:
    from docx import Document  # python-docx, loaded only when a document is made

    document = Document()
    document.core_properties.title = _title(club)
    document.core_properties.author = version.author_name or "Vereinsraum"
    document.add_heading(_title(club), level=1)
    document.add_paragraph(_meta(version))
    document.add_paragraph(_("Nach Art. 30 Abs. 1 DSGVO."))
    for label, value in _header_lines(version):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    for number, activity in enumerate(version.content.get("activities", ()), 1):
        document.add_heading(f"{number}. {activity.get('name', '')}", level=2)
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for key, label, _hint in FIELDS:
            cells = table.add_row().cells
            cells[0].text = str(label)
            cells[1].text = activity.get(key) or "–"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _notice_meta(notice) -> str:
    when = notice.created_at.astimezone(local_tz()).strftime("%d.%m.%Y")
    return _("Fassung %(number)s vom %(when)s", number=notice.number, when=when)


def notice_pdf(club, notice) -> bytes:
    from ..core.pdf import ReportPDF, unicode_font_available  # fpdf is loaded only when a PDF is made

    pdf = ReportPDF(unicode_font_available(), f"{club.name} – {_notice_meta(notice)}")
    pdf.set_title(pdf.t(str(notice.kind.label)))
    pdf.set_creator("Vereinsraum")
    pdf.alias_nb_pages()
    pdf.add_page()
    lines = notice.text.splitlines()
    pdf.heading(lines[0] if lines else str(notice.kind.label), 15)
    for line in lines[1:]:
        if line.strip():
            pdf.para(line, 10)
        else:
            pdf.ln(3)
    return bytes(pdf.output())


def notice_docx(club, notice) -> bytes:
    from docx import Document  # python-docx, loaded only when a document is made

    document = Document()
    document.core_properties.title = str(notice.kind.label)
    document.core_properties.author = notice.author_name or "Vereinsraum"
    lines = notice.text.splitlines()
    document.add_heading(lines[0] if lines else str(notice.kind.label), level=1)
    for line in lines[1:]:
        if line.strip():
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
