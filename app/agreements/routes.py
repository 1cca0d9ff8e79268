"""The club's processing agreement: read (members), accept (board), download as PDF."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..core.downloads import attachment
from ..core.htmx import render_page
from ..core.tenancy import club_access, require_board
from ..extensions import db
from . import bp, services
from .forms import AcceptForm


def _english() -> bool:
    return str(get_locale() or "de").startswith("en")


def _page(form=None, status=200, error=None):
    version = services.current_version()
    english = _english()
    latest = services.latest_acceptance(g.club)
    accepted = services.acceptance_of(g.club, version)
    changes = []
    if version is not None and latest is not None and accepted is None:
        changes = services.section_changes(latest.version, version, english)
    if form is None and version is not None and accepted is None and g.membership.is_board:
        form = AcceptForm(formdata=None, content_hash=version.content_hash)
    return render_page(
        "agreements/show.html",
        "agreements/partials/_agreement.html",
        status=status,
        version=version,
        sections=services.localized(version, english) if version else [],
        accepted=accepted,
        latest=latest,
        changes=changes,
        form=form,
        error=error,
    )


@bp.get("/")
@club_access("member")
def show():
    return _page()


@bp.post("/annehmen")
@club_access("board")
def accept():
    require_board()
    form = AcceptForm()
    if not form.validate_on_submit():
        return _page(form=form, status=422)
    try:
        acceptance = services.accept(g.club, current_user, form.content_hash.data)
    except services.AgreementError as exc:
        db.session.rollback()
        return _page(status=409, error=str(exc))
    db.session.commit()
    flash(
        _(
            "Sie haben den Auftragsverarbeitungsvertrag (Fassung %(number)s) angenommen.",
            number=acceptance.version.number,
        ),
        "success",
    )
    return redirect(url_for("agreements.show"), code=303)


@bp.get("/vertrag.pdf")
@club_access("member")
def pdf():
    current = services.current_version()
    raw = request.args.get("fassung", "")
    if raw:
        if not raw.isdigit() or len(raw) > 6:
            abort(404)
        version = services.version_by_number(int(raw))
        # a club sees the current text and the versions it accepted, no others
        if version is None or (version != current and services.acceptance_of(g.club, version) is None):
            abort(404)
    else:
        version = current
    if version is None:
        return _page(status=409, error=_("Der Vertrag ist noch nicht vollständig eingerichtet."))
    from .document import build_pdf  # fpdf is loaded only when a PDF is made

    data = build_pdf(g.club, version, services.acceptance_of(g.club, version), english=_english())
    filename = f"auftragsverarbeitungsvertrag-{g.club.slug}-fassung-{version.number}.pdf"
    return attachment(data, "application/pdf", filename)
