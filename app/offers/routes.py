"""The catalogue on /angebote (template hook) and the staff pages under /admin/angebote."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.tenancy import staff_required
from ..extensions import db
from . import bp
from . import services as svc
from .forms import OfferForm
from .models import STATUS_KINDS, Offer
from .tasks import refresh_offer_job


def catalogue_section(**_kwargs) -> str:
    """The list under the text of /angebote: what runs, with the last status check (cache only)."""
    items = svc.offers()
    return render_template(
        "offers/partials/_catalogue.html", offers=items, statuses=svc.cached_statuses(items), locale=svc.locale_code()
    )


def _page(new_form=None, edit_forms=None, status=200):
    items = svc.offers(active_only=False)
    forms = edit_forms or {}
    for offer in items:
        if offer.id not in forms:
            forms[offer.id] = OfferForm(formdata=None, obj=offer, prefix=f"o{offer.id}")
    return render_template(
        "offers/admin/index.html",
        offers=items,
        forms=forms,
        new_form=new_form or OfferForm(formdata=None, prefix="new"),
        statuses=svc.cached_statuses(items),
        kinds=STATUS_KINDS,
    ), status


@bp.get("/")
@staff_required
def index():
    return _page()


def _save(offer, form, on_error):
    if not form.validate():
        return on_error(form)
    try:
        saved = svc.save_offer(offer, by=current_user, **form.values())
    except svc.OfferError as exc:
        db.session.rollback()
        target = form.status_url if form.status_kind.data in ("url",) and "Kürzel" not in str(exc) else form.slug
        target.errors = [*target.errors, str(exc)]
        return on_error(form)
    refresh_offer_job(saved.id)  # the first status check, in the job queue (before the commit: app/core/jobs.py)
    db.session.commit()
    flash(_("Das Angebot ist gespeichert."), "success")
    return redirect(url_for("offers.index"), code=303)


@bp.post("/")
@staff_required
def create():
    return _save(None, OfferForm(prefix="new"), lambda form: _page(new_form=form, status=422))


@bp.post("/<int:offer_id>")
@staff_required
def update(offer_id):
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        abort(404)
    return _save(offer, OfferForm(prefix=f"o{offer.id}"), lambda form: _page(edit_forms={offer.id: form}, status=422))
