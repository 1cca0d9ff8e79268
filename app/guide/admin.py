"""Staff editor: pages, live preview, drafts, publishing, revisions and diffs."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.forms import EmptyForm
from ..core.tenancy import staff_required
from ..extensions import db
from . import content_admin, services
from .forms import NewPageForm, PageForm
from .models import ContentPage, ContentRevision
from .rendering import render_markdown


def _page_or_404(page_id: int) -> ContentPage:
    page = db.session.get(ContentPage, page_id)
    if page is None:
        abort(404)
    return page


def _form_data(form) -> dict:
    return {field: getattr(form, field).data or "" for field in ContentRevision.FIELDS}


def _preview(form):
    return {
        "de": render_markdown(form.body.data or ""),
        "en": render_markdown(form.body_en.data or "") if form.body_en.data else None,
    }


@content_admin.get("/")
@staff_required
def index():
    pages = services.all_pages()
    groups = [
        (kind, label, [p for p in pages if p.kind == kind])
        for kind, label in (
            ("chapter", _("Leitfaden-Kapitel")),
            ("article", _("Wissensartikel")),
            ("template", _("Musterformulierungen")),
        )
    ]
    return render_template("guide/admin/index.html", groups=groups)


@content_admin.route("/neu", methods=["GET", "POST"])
@staff_required
def create():
    form = NewPageForm()
    status = 200
    if form.validate_on_submit():
        if services.page_exists(form.kind.data, form.slug.data):
            form.slug.errors.append(_("Diesen Kurznamen gibt es schon."))
        elif form.action.data != "preview":
            publish = form.action.data == "publish"
            page = services.staff_create(
                form.kind.data,
                form.slug.data,
                form.position.data or 0,
                _form_data(form),
                by=current_user,
                publish=publish,
                note=form.note.data,
            )
            flash(_("Veröffentlicht.") if publish else _("Entwurf gespeichert."), "success")
            return redirect(url_for(".edit", page_id=page.id), code=303)
    if request.method == "POST" and (form.errors or form.slug.errors):
        status = 422
    return render_template(
        "guide/admin/edit.html", form=form, page=None, preview=_preview(form), withdraw_form=EmptyForm()
    ), status


@content_admin.route("/<int:page_id>", methods=["GET", "POST"])
@staff_required
def edit(page_id):
    page = _page_or_404(page_id)
    if request.method == "GET":
        form = PageForm(obj=services.working_copy(page))
        form.note.data = ""
        return render_template(
            "guide/admin/edit.html", form=form, page=page, preview=_preview(form), withdraw_form=EmptyForm()
        )
    form = PageForm()
    if form.validate_on_submit() and form.action.data != "preview":
        publish = form.action.data == "publish"
        revision = services.staff_save(page, _form_data(form), by=current_user, publish=publish, note=form.note.data)
        flash(
            _("Version %(n)s veröffentlicht.", n=revision.number)
            if publish
            else _(
                "Entwurf (Version %(n)s) gespeichert. Die veröffentlichte Fassung bleibt unverändert.",
                n=revision.number,
            ),
            "success",
        )
        return redirect(url_for(".edit", page_id=page.id), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "guide/admin/edit.html", form=form, page=page, preview=_preview(form), withdraw_form=EmptyForm()
    ), status


@content_admin.post("/vorschau")
@staff_required
def preview():
    form = PageForm()
    form.validate()  # only to read the data; the preview shows whatever was typed
    return render_template("guide/admin/partials/_preview.html", preview=_preview(form), form=form)


@content_admin.post("/<int:page_id>/zurueckziehen")
@staff_required
def withdraw(page_id):
    page = _page_or_404(page_id)
    if EmptyForm().validate_on_submit():
        services.staff_withdraw(page, by=current_user)
        flash(_("Die Seite ist nicht mehr öffentlich."), "success")
    return redirect(url_for(".edit", page_id=page.id), code=303)


@content_admin.get("/<int:page_id>/versionen")
@staff_required
def history(page_id):
    page = _page_or_404(page_id)
    return render_template("guide/admin/history.html", page=page, revisions=list(reversed(page.revisions)))


@content_admin.get("/<int:page_id>/versionen/<int:number>")
@staff_required
def diff(page_id, number):
    page = _page_or_404(page_id)
    by_number = {r.number: r for r in page.revisions}
    new = by_number.get(number)
    if new is None:
        abort(404)
    against = request.args.get("mit", type=int)
    old = by_number.get(against) if against is not None else by_number.get(number - 1)
    if against is not None and old is None:
        abort(404)
    return render_template(
        "guide/admin/diff.html",
        page=page,
        new=new,
        old=old,
        lines=services.diff_lines(old, new),
        revisions=page.revisions,
    )
