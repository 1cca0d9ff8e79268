"""Staff pages under /admin/workshops: workshops, participants, consultation hour and queue."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..core.tenancy import staff_required
from ..extensions import db
from . import admin_bp
from . import services as svc
from .forms import ExceptionForm, MessageForm, ScheduleForm, WorkshopForm
from .models import ConsultationBooking, ConsultationException, QueueEntry, QueueStatus
from .routes import get_workshop_or_404


def _local(value: datetime | None):
    return value.astimezone(svc.local_tz()).replace(tzinfo=None) if value else None


def _aware(value: datetime):
    return value.replace(tzinfo=svc.local_tz())


@admin_bp.get("/")
@staff_required
def index():
    workshops = svc.all_workshops()
    return render_template("workshops/admin/index.html", workshops=workshops, now=svc.now(),
                           counts=svc.place_counts(w.id for w in workshops))


def _form_data(form: WorkshopForm) -> dict:
    online = form.mode.data == "online"
    return {
        "title": form.title.data.strip(), "description": (form.description.data or "").strip(),
        "topic": form.topic.data, "starts_at": _aware(form.starts_at.data),
        "duration_minutes": form.duration_minutes.data, "online": online,
        "address": None if online else form.address.data.strip(), "capacity": form.capacity.data,
        "registration_deadline": _aware(form.registration_deadline.data),
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
        form = WorkshopForm(formdata=None, data={
            "title": workshop.title, "description": workshop.description, "topic": workshop.topic,
            "starts_at": _local(workshop.starts_at), "duration_minutes": workshop.duration_minutes,
            "mode": "online" if workshop.online else "onsite", "address": workshop.address,
            "capacity": workshop.capacity, "registration_deadline": _local(workshop.registration_deadline),
            "materials_url": workshop.materials_url})
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
        "workshops/admin/detail.html", workshop=workshop, people=people, action_form=EmptyForm(formdata=None),
        message_form=message_form or MessageForm(formdata=None), now=svc.now(),
        when=svc.format_when(workshop.starts_at, workshop.ends_at),
        confirmed=sum(1 for p in people if p.status == "confirmed"),
        waiting=sum(1 for p in people if p.status == "waiting"),
    ), status


@admin_bp.get("/<int:workshop_id>/teilnehmende.csv")
@staff_required
def export(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    filename = f"workshop-{workshop.id}-teilnehmende.csv"
    return Response(svc.participants_csv(workshop), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@admin_bp.post("/<int:workshop_id>/nachricht")
@staff_required
def message(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    form = MessageForm()
    if not form.validate():
        return detail(workshop_id, message_form=form, status=422)
    sent = svc.message_participants(workshop, form.subject.data.strip(), form.body.data,
                                    include_waiting=form.include_waiting.data, by=current_user)
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


# --- consultation hour ------------------------------------------------------------------------------

def _consultation_page(schedule_form=None, exception_form=None, status=200):
    schedule = svc.current_schedule()
    if schedule_form is None:
        schedule_form = ScheduleForm(formdata=None, obj=schedule) if schedule else ScheduleForm(formdata=None)
        if schedule is None:
            schedule_form.starts_on.data = svc.today_local()
    preview, preview_error = [], None
    if schedule is not None:
        try:
            preview = svc.upcoming_occurrences(days=400)[:8]
        except ValueError as error:
            preview_error = str(error)
    return render_template(
        "workshops/admin/consultation.html", schedule=schedule, schedule_form=schedule_form,
        exception_form=exception_form or ExceptionForm(formdata=None), exceptions=svc.exceptions(),
        preview=preview, preview_error=preview_error, bookings=svc.upcoming_bookings(),
        action_form=EmptyForm(formdata=None), format_when=svc.format_when,
    ), status


@admin_bp.get("/sprechstunde")
@staff_required
def consultation():
    return _consultation_page()


@admin_bp.post("/sprechstunde")
@staff_required
def save_schedule():
    form = ScheduleForm()
    if form.validate():
        try:
            svc.save_schedule(rrule=form.rrule.data, starts_on=form.starts_on.data, start_time=form.start_time.data,
                              end_time=form.end_time.data, slot_minutes=form.slot_minutes.data,
                              note=(form.note.data or "").strip(), by=current_user)
        except ValueError as error:
            form.rrule.errors = [str(error)]
            return _consultation_page(schedule_form=form, status=422)
        flash(_("Die Sprechstunde wurde gespeichert."), "success")
        return redirect(url_for("workshops_admin.consultation"), code=303)
    return _consultation_page(schedule_form=form, status=422)


@admin_bp.post("/sprechstunde/ausnahmen")
@staff_required
def add_exception():
    form = ExceptionForm()
    if not form.validate():
        return _consultation_page(exception_form=form, status=422)
    try:
        cancelled = svc.add_exception(form.day.data, form.reason.data, by=current_user)
    except svc.WorkshopError as error:
        form.day.errors = [str(error)]
        return _consultation_page(exception_form=form, status=409)
    flash(_("Der Tag ist als Ausnahme eingetragen. Abgesagte Termine: %(count)d.", count=cancelled), "success")
    return redirect(url_for("workshops_admin.consultation"), code=303)


@admin_bp.post("/sprechstunde/ausnahmen/<int:exception_id>/loeschen")
@staff_required
def remove_exception(exception_id):
    exception = db.session.get(ConsultationException, exception_id)
    if exception is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    svc.remove_exception(exception, by=current_user)
    flash(_("Die Ausnahme wurde gelöscht."), "success")
    return redirect(url_for("workshops_admin.consultation"), code=303)


@admin_bp.post("/sprechstunde/termine/<int:booking_id>/absagen")
@staff_required
def cancel_booking(booking_id):
    booking = db.session.get(ConsultationBooking, booking_id)
    if booking is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    svc.cancel_booking(booking, by=current_user)
    flash(_("Der Termin wurde abgesagt; die Person wurde benachrichtigt."), "success")
    return redirect(url_for("workshops_admin.consultation"), code=303)


def _queue_context():
    day = svc.today_local()
    return {"occurrence": svc.todays_occurrence(), "open_now": svc.queue_open(), "day": day,
            "waiting": svc.waiting_entries(day), "admitted": svc.admitted_entries(day),
            "form": EmptyForm(formdata=None), "tz": svc.local_tz()}


@admin_bp.get("/sprechstunde/warteschlange")
@staff_required
def queue():
    return render_page("workshops/admin/queue.html", "workshops/admin/_queue.html", **_queue_context())


@admin_bp.post("/sprechstunde/warteschlange/weiter")
@staff_required
def admit_next():
    if not EmptyForm().validate_on_submit():
        abort(400)
    admission = svc.admit_next(svc.today_local(), by=current_user)
    _warn_rooms_left_open(admission.rooms_left_open)
    if admission.entry is None:
        flash(_("Niemand wartet gerade."), "success")
    else:
        flash(_("%(name)s wird in den Raum geholt.", name=admission.entry.name), "success")
    return hx_redirect(url_for("workshops_admin.queue"))


def _warn_rooms_left_open(count: int) -> None:
    if count:
        flash(_("Der Konferenzserver hat das vorige Gespräch nicht beendet. Es endet von selbst, sobald der Raum "
                "leer ist; der Vereinsraum gibt dafür keine Links mehr aus."), "error")


def _admitted_entry(entry_id) -> QueueEntry:
    entry = db.session.get(QueueEntry, entry_id)
    if entry is None:
        abort(404)
    if entry.status != QueueStatus.ADMITTED:
        fail(409, _("Dieses Gespräch ist beendet."))
    return entry


@admin_bp.post("/sprechstunde/warteschlange/<int:entry_id>/raum")
@staff_required
def consultation_room(entry_id):
    """Staff join this consultation's own meeting as moderators."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    entry = _admitted_entry(entry_id)
    try:
        url = svc.consultation_join_url(entry, current_user, moderator=True)
    except svc.WorkshopError as error:
        fail(503, str(error))
    return redirect(url, code=303)


@admin_bp.post("/sprechstunde/warteschlange/<int:entry_id>/beenden")
@staff_required
def finish_consultation(entry_id):
    """End one consultation without letting the next person in (e.g. the last one of the day)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    entry = _admitted_entry(entry_id)
    _warn_rooms_left_open(0 if svc.finish_entry(entry) else 1)
    flash(_("Das Gespräch mit %(name)s ist beendet.", name=entry.name), "success")
    return hx_redirect(url_for("workshops_admin.queue"))
