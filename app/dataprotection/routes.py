import io

from flask import abort, flash, g, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.services import clubs_blocking_deletion
from ..core.db import utcnow
from ..core.forms import EmptyForm
from ..core.htmx import render_page
from ..core.tenancy import club_access
from ..extensions import db
from . import bp, club_bp
from .closure import active_closure, request_closure
from .exports import export_club, export_path, export_token, exports_of, read_export_token, request_export
from .forms import CloseClubForm
from .retention import period
from .services import DataProtectionError, user_overview

# --- Meine Daten ------------------------------------------------------------------------


def _my_data_page(status=200, **extra):
    return render_page(
        "dataprotection/my_data.html",
        "dataprotection/partials/_exports.html",
        status=status,
        overview=user_overview(current_user),
        exports=exports_of(current_user),
        form=EmptyForm(formdata=None),
        blocking=clubs_blocking_deletion(current_user),
        hours=period("DATA_EXPORT_EXPIRY_HOURS"),
        export_token=export_token,
        **extra,
    )


@bp.get("/konto/meine-daten")
@login_required
def my_data():
    return _my_data_page()


@bp.post("/konto/meine-daten/export")
@login_required
def request_user_export():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        request_export(current_user)
    except DataProtectionError as exc:
        db.session.rollback()
        return _my_data_page(409, error=str(exc))
    return _my_data_page(
        notice=_("Ihr Export wird vorbereitet. Sie bekommen eine E-Mail mit dem Download-Link, sobald er fertig ist.")
    )


@bp.get("/konto/meine-daten/export/<token>")
@login_required
def download_export(token):
    try:
        export = read_export_token(token, current_user)
    except DataProtectionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("dataprotection.my_data"), code=303)
    name = f"vereinsraum-meine-daten-{export.created_at:%Y-%m-%d}.zip"
    with open(export_path(export), "rb") as fh:
        data = io.BytesIO(fh.read())
    response = send_file(data, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/datenschutz/verarbeitung")
def processing():
    return render_template("dataprotection/processing.html")


# --- club data (board) --------------------------------------------------------------------


def _club_page(status=200, form=None, **extra):
    return render_template(
        "dataprotection/club.html",
        closure=active_closure(g.club),
        form=EmptyForm(formdata=None),
        close_form=form or CloseClubForm(formdata=None),
        grace=period("CLUB_DELETION_GRACE_DAYS"),
        **extra,
    ), status


@club_bp.get("/")
@club_access("board", inactive_ok=True)
def index():
    return _club_page()


@club_bp.post("/export")
@club_access("board", inactive_ok=True, suspended_ok=True)
def export():
    if not EmptyForm().validate_on_submit():
        abort(400)
    data = export_club(g.club, by=current_user)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{g.club.slug}-export-{utcnow():%Y-%m-%d}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@club_bp.post("/schliessen")
@club_access("board", inactive_ok=True, suspended_ok=True)
def close():
    form = CloseClubForm()
    if not form.validate_on_submit():
        return _club_page(422, form=form)
    if not current_user.check_password(form.current_password.data):
        form.current_password.errors.append(_("Das Passwort ist falsch."))
        return _club_page(422, form=form)
    was_pending = g.club.is_pending
    try:
        deletion = request_closure(g.club, by=current_user)
    except DataProtectionError as exc:
        db.session.rollback()
        return _club_page(409, error=str(exc))
    if was_pending:
        flash(_("Die Anmeldung von %(name)s ist zurückgezogen.", name=g.club.name), "success")
        return redirect(url_for("clubdata.index"), code=303)
    flash(
        _(
            "%(name)s ist geschlossen. Alle Daten werden am %(date)s gelöscht. Bis dahin kann das Plattform-Team "
            "den Verein wiederherstellen.",
            name=g.club.name,
            date=deletion.delete_after.strftime("%d.%m.%Y"),
        ),
        "success",
    )
    return redirect(url_for("clubdata.index"), code=303)
