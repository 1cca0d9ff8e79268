"""The agreement as PDF (the house PDF helper, app/core/pdf.py)."""

from __future__ import annotations

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from ..core.pdf import ReportPDF, unicode_font_available
from . import services
from .models import AgreementAcceptance, AgreementVersion


def build_pdf(club, version: AgreementVersion, acceptance: AgreementAcceptance | None, english: bool = False) -> bytes:
    """The agreement text of ``version`` for ``club``, with who accepted it and when (if they did)."""
    pdf = ReportPDF(
        unicode_font_available(),
        _(
            "Auftragsverarbeitungsvertrag %(club)s, Fassung %(number)s (%(hash)s)",
            club=club.name,
            number=version.number,
            hash=version.short_hash,
        ),
    )
    pdf.set_title(pdf.t(_("Auftragsverarbeitungsvertrag – %(club)s", club=club.name)))
    pdf.set_creator("Vereinsraum")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading(_("Vertrag zur Auftragsverarbeitung (Art. 28 DSGVO)"), 16)
    pdf.para(f"{_('Verein')}: {club.name}")
    pdf.para(
        _(
            "Fassung %(number)s vom %(date)s, Prüfsumme %(hash)s",
            number=version.number,
            date=format_date(version.created_at, "medium"),
            hash=version.short_hash,
        )
    )
    if acceptance is not None:
        who = acceptance.accepted_by.name if acceptance.accepted_by is not None else _("ehemaliges Mitglied")
        pdf.para(
            _(
                "Angenommen am %(date)s von %(name)s für den Verein.",
                date=format_datetime(acceptance.accepted_at, "short"),
                name=who,
            ),
            bold=True,
        )
    else:
        pdf.para(_("Diese Fassung hat der Verein noch nicht angenommen."), bold=True)
    if english:
        pdf.para(_("Verbindlich ist die deutsche Fassung."), 9)
    for section in services.localized(version, english):
        pdf.heading(section["title"], 12)
        for paragraph in section["paragraphs"]:
            pdf.para(paragraph)
            pdf.ln(1)
    return bytes(pdf.output())


def accepted_pdf(club) -> bytes | None:
    """For the club export: the version the club accepted last (None if it never accepted one)."""
    acceptance = services.latest_acceptance(club)
    if acceptance is None:
        return None
    return build_pdf(club, acceptance.version, acceptance)
