"""Staff pages under /admin/seiten: edit the public texts, or go back to the shipped ones."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.forms import EmptyForm
from ..core.tenancy import staff_required
from . import admin_bp
from .forms import PageForm
from .services import PAGES, get_page, reset_page, update_page

PUBLIC_ENDPOINTS = {
    "start": "pages.index",
    "leichte-sprache": "pages.easy_language",
    "angebote": "pages.services",
    "barrierefreiheit": "pages.accessibility",
    "datenschutz": "pages.privacy",
}


@admin_bp.get("/")
@staff_required
def index():
    pages = [(slug, label, get_page(slug, "de"), PUBLIC_ENDPOINTS[slug]) for slug, label in PAGES.items()]
    return render_template("pages/admin/index.html", pages=pages)


@admin_bp.route("/<slug>", methods=["GET", "POST"])
@staff_required
def edit(slug):
    if slug not in PAGES:
        abort(404)
    page = get_page(slug, "de")
    form = PageForm(data={"title": page.title, "body": page.body})
    status = 200
    if form.is_submitted():
        form = PageForm()
        if form.validate():
            update_page(slug, title=form.title.data, body=form.body.data or "", by=current_user)
            flash(_("Die Seite wurde gespeichert."), "success")
            return redirect(url_for("pages_admin.edit", slug=slug), code=303)
        status = 422
    return render_template(
        "pages/admin/edit.html",
        form=form,
        page=page,
        slug=slug,
        label=PAGES[slug],
        public_endpoint=PUBLIC_ENDPOINTS[slug],
        reset_form=EmptyForm(formdata=None),
    ), status


@admin_bp.post("/<slug>/zuruecksetzen")
@staff_required
def reset(slug):
    if slug not in PAGES:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    reset_page(slug, by=current_user)
    flash(_("Der mitgelieferte Text wurde wiederhergestellt."), "success")
    return redirect(url_for("pages_admin.edit", slug=slug), code=303)
