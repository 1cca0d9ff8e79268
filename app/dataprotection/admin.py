"""Staff pages under /admin/datenschutz: closed clubs – restore one, or run its deletion again."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.forms import EmptyForm
from ..core.tenancy import staff_required
from ..extensions import db
from . import admin_bp
from .closure import closures, execute_deletion, restore_closure
from .models import ClubDeletion
from .services import DataProtectionError


def _deletion(deletion_id) -> ClubDeletion:
    deletion = db.session.scalar(sa.select(ClubDeletion).where(ClubDeletion.id == deletion_id))
    if deletion is None:
        abort(404)
    return deletion


@admin_bp.get("/")
@staff_required
def closures_page():
    return render_template("dataprotection/admin_closures.html", closures=closures(), form=EmptyForm())


@admin_bp.post("/schliessungen/<int:deletion_id>/wiederherstellen")
@staff_required
def restore(deletion_id):
    deletion = _deletion(deletion_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        restore_closure(deletion, by=current_user)
    except DataProtectionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dataprotection_admin.closures_page"), code=303)
    flash(_("Der Verein ist wiederhergestellt."), "success")
    return redirect(url_for("dataprotection_admin.closures_page"), code=303)


@admin_bp.post("/schliessungen/<int:deletion_id>/ausfuehren")
@staff_required
def retry(deletion_id):
    deletion = _deletion(deletion_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if deletion.state not in ("due", "failed"):
        flash(_("Die Frist läuft noch; gelöscht wird erst danach."), "error")
    elif execute_deletion(deletion):
        flash(_("Alle Löschschritte sind erledigt."), "success")
    else:
        flash(_("Ein Löschschritt ist fehlgeschlagen; er wird automatisch erneut versucht."), "error")
    return redirect(url_for("dataprotection_admin.closures_page"), code=303)
