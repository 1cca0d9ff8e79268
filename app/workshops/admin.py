"""Staff pages under /admin/workshops: workshops and their participants."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.i18n import format_when, to_local_naive, to_utc
from ..core.tenancy import staff_required
from . import admin_bp
from . import services as svc
from .forms import MessageForm, WorkshopForm
from .routes import get_workshop_or_404


def _local(value: datetime | None):
    return to_local_naive(value) if value else None


@admin_bp.get("/")
@staff_required
def index():
    workshops = svc.all_workshops()
    return render_template(
        "workshops/admin/index.html",
        workshops=workshops,
        now=svc.now(),
        counts=svc.place_counts(w.id for w in workshops),
    )


def _form_data(form: WorkshopForm) -> dict:
    online = form.mode.data == "online"
    return {
        "title": form.title.data.strip(),
        "description": (form.description.data or "").strip(),
        "topic": form.topic.data,
        "starts_at": to_utc(form.starts_at.data),
        "duration_minutes": form.duration_minutes.data,
        "online": online,
        "address": None if online else form.address.data.strip(),
        "capacity": form.capacity.data,
        "registration_deadline": to_utc(form.registration_deadline.data),
        "materials_url": (form.materials_url.data or "").strip() or None,
    }


@admin_bp.route("/neu", methods=["GET", "POST"])
@staff_required
def create():
    form = WorkshopForm()
    if form.validate_on_submit():
        workshop = svc.save_workshop(None, _form_data(form), by=current_user)
        flash(_("Der Workshop wurde angelegt."), "success")
        return redirect(url_for("workshops_admin.detail", workshop_id=workshop.id), code=303)
    return render_template("workshops/admin/form.html", form=form, workshop=None), 422 if form.errors else 200


@admin_bp.route("/<int:workshop_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def edit(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    if request.method == "GET":
        form = WorkshopForm(
            formdata=None,
            data={
                "title": workshop.title,
                "description": workshop.description,
                "topic": workshop.topic,
                "starts_at": _local(workshop.starts_at),
                "duration_minutes": workshop.duration_minutes,
                "mode": "online" if workshop.online else "onsite",
                "address": workshop.address,
                "capacity": workshop.capacity,
                "registration_deadline": _local(workshop.registration_deadline),
                "materials_url": workshop.materials_url,
            },
        )
    else:
        form = WorkshopForm()
        if form.validate():
            svc.save_workshop(workshop, _form_data(form), by=current_user)
            flash(_("Die Änderungen wurden gespeichert."), "success")
            return redirect(url_for("workshops_admin.detail", workshop_id=workshop.id), code=303)
    return render_template("workshops/admin/form.html", form=form, workshop=workshop), 422 if form.errors else 200


@admin_bp.get("/<int:workshop_id>")
@staff_required
def detail(workshop_id, message_form=None, status=200):
    workshop = get_workshop_or_404(workshop_id)
    people = svc.participants(workshop)
    return render_template(
        "workshops/admin/detail.html",
        workshop=workshop,
        people=people,
        action_form=EmptyForm(formdata=None),
        message_form=message_form or MessageForm(formdata=None),
        now=svc.now(),
        when=format_when(workshop.starts_at, workshop.ends_at),
        confirmed=sum(1 for p in people if p.status == "confirmed"),
        waiting=sum(1 for p in people if p.status == "waiting"),
    ), status


@admin_bp.get("/<int:workshop_id>/teilnehmende.csv")
@staff_required
def export(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    filename = f"workshop-{workshop.id}-teilnehmende.csv"
    return Response(
        svc.participants_csv(workshop),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@admin_bp.post("/<int:workshop_id>/nachricht")
@staff_required
def message(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    form = MessageForm()
    if not form.validate():
        return detail(workshop_id, message_form=form, status=422)
    sent = svc.message_participants(
        workshop, form.subject.data.strip(), form.body.data, include_waiting=form.include_waiting.data, by=current_user
    )
    flash(_("Die Nachricht wurde an %(count)d Personen geschickt.", count=sent), "success")
    return redirect(url_for("workshops_admin.detail", workshop_id=workshop.id), code=303)


@admin_bp.post("/<int:workshop_id>/absagen")
@staff_required
def cancel(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if workshop.cancelled_at is not None:
        fail(409, _("Der Workshop ist schon abgesagt."))
    count = svc.cancel_workshop(workshop, by=current_user)
    flash(_("Der Workshop ist abgesagt; %(count)d Personen wurden benachrichtigt.", count=count), "success")
    return redirect(url_for("workshops_admin.detail", workshop_id=workshop.id), code=303)


@admin_bp.post("/<int:workshop_id>/anmeldungen/<int:registration_id>/abmelden")
@staff_required
def remove_registration(workshop_id, registration_id):
    workshop = get_workshop_or_404(workshop_id)
    registration = next((r for r in svc.participants(workshop) if r.id == registration_id), None)
    if registration is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    svc.cancel_registration(registration, by=current_user)
    flash(_("%(name)s wurde abgemeldet.", name=registration.name), "success")
    return redirect(url_for("workshops_admin.detail", workshop_id=workshop.id), code=303)


@admin_bp.post("/<int:workshop_id>/raum")
@staff_required
def open_room(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        url = svc.join_url(workshop.room_id, current_user, moderator=True)
    except svc.WorkshopError as error:
        fail(503, str(error))
    return redirect(url, code=303)
