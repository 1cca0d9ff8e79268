"""Personal data of the processing agreement (app/dataprotection/registry.py): who accepted it, for which club."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..dataprotection.registry import declare, declare_club_file
from .models import AgreementAcceptance


def _accepted_pdf(club):
    from .document import accepted_pdf  # fpdf is loaded only when a PDF is made

    return accepted_pdf(club)


def register() -> None:
    # An acceptance is a record of the club: it goes with the club; when the person who clicked deletes
    # their account, the record stays and names nobody (accepted_by_id becomes NULL).
    declare(AgreementAcceptance, category="clubs", on_user_delete="keep-with-club", on_club_delete="delete")
    declare_club_file(
        "auftragsverarbeitungsvertrag.pdf",
        _l("Der Auftragsverarbeitungsvertrag mit dem Betreiber, in der zuletzt angenommenen Fassung (PDF)."),
        _accepted_pdf,
    )
