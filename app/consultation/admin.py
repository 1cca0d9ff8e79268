"""Staff pages of the consultation hour under /admin/workshops/sprechstunde: schedule, exceptions, the queue."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..core.i18n import format_when, local_tz
from ..core.tenancy import staff_required
from ..extensions import db
from . import admin_bp
from . import services as svc
from .forms import ExceptionForm, ScheduleForm
from .models import ConsultationBooking, ConsultationException, QueueEntry, QueueStatus


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
        "consultation/admin/index.html",
        schedule=schedule,
        schedule_form=schedule_form,
        exception_form=exception_form or ExceptionForm(formdata=None),
        exceptions=svc.exceptions(),
        preview=preview,
        preview_error=preview_error,
        bookings=svc.upcoming_bookings(),
        action_form=EmptyForm(formdata=None),
        format_when=format_when,
    ), status


@admin_bp.get("/sprechstunde")
@staff_required
def index():
    return _consultation_page()


@admin_bp.post("/sprechstunde")
@staff_required
def save_schedule():
    form = ScheduleForm()
    if form.validate():
        try:
            svc.save_schedule(
                rrule=form.rrule.data,
                starts_on=form.starts_on.data,
                start_time=form.start_time.data,
                end_time=form.end_time.data,
                slot_minutes=form.slot_minutes.data,
                note=(form.note.data or "").strip(),
                by=current_user,
            )
        except ValueError as error:
            form.rrule.errors = [str(error)]
            return _consultation_page(schedule_form=form, status=422)
        flash(_("Die Sprechstunde wurde gespeichert."), "success")
        return redirect(url_for("consultation_admin.index"), code=303)
    return _consultation_page(schedule_form=form, status=422)


@admin_bp.post("/sprechstunde/ausnahmen")
@staff_required
def add_exception():
    form = ExceptionForm()
    if not form.validate():
        return _consultation_page(exception_form=form, status=422)
    try:
        cancelled = svc.add_exception(form.day.data, form.reason.data, by=current_user)
    except svc.ConsultationError as error:
        form.day.errors = [str(error)]
        return _consultation_page(exception_form=form, status=409)
    flash(_("Der Tag ist als Ausnahme eingetragen. Abgesagte Termine: %(count)d.", count=cancelled), "success")
    return redirect(url_for("consultation_admin.index"), code=303)


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
    return redirect(url_for("consultation_admin.index"), code=303)


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
    return redirect(url_for("consultation_admin.index"), code=303)


def _queue_context():
    day = svc.today_local()
    return {
        "occurrence": svc.todays_occurrence(),
        "open_now": svc.queue_open(),
        "day": day,
        "waiting": svc.waiting_entries(day),
        "admitted": svc.admitted_entries(day),
        "form": EmptyForm(formdata=None),
        "tz": local_tz(),
    }


@admin_bp.get("/sprechstunde/warteschlange")
@staff_required
def queue():
    return render_page("consultation/admin/queue.html", "consultation/admin/_queue.html", **_queue_context())


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
    return hx_redirect(url_for("consultation_admin.queue"))


def _warn_rooms_left_open(count: int) -> None:
    if count:
        flash(
            _(
                "Der Konferenzserver hat das vorige Gespräch nicht beendet. Es endet von selbst, sobald der Raum "
                "leer ist; der Vereinsraum gibt dafür keine Links mehr aus."
            ),
            "error",
        )


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
    except svc.ConsultationError as error:
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
    return hx_redirect(url_for("consultation_admin.queue"))
