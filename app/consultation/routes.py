"""The Digitale Sprechstunde: /sprechstunde (dates, booking a slot, the same-day queue)."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..auth.services import confirm_first_message
from ..clubs.forms import club_choices
from ..clubs.services import chosen_club
from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..core.i18n import format_when, local_tz
from ..core.tokens import load_cancel_token
from ..extensions import db
from . import bp
from . import services as svc
from .forms import BookingForm, QueueForm
from .models import ConsultationBooking, QueueEntry, QueueStatus


def require_confirmed_address():
    """Booking a slot needs a confirmed e-mail address (403, nothing written)."""
    if not current_user.is_confirmed:
        fail(403, confirm_first_message())


def start_page_section() -> str:
    """The start page's "Digitale Sprechstunde" (template hook "start-page")."""
    return render_template("consultation/partials/_start_section.html", consultation=svc.next_consultation_day())


def workshops_panel_section() -> str:
    """The next date in the club workspace's workshops panel (template hook "workshops-panel")."""
    return render_template("consultation/partials/_panel_section.html", consultation=svc.next_consultation_day())


def _consultation_page(status=200, form=None, queue_form=None):
    schedule = svc.current_schedule()
    at = svc.now()
    days = svc.bookable_days(at=at)
    if current_user.is_authenticated:
        clubs = club_choices(current_user, _("mich persönlich"))
        if form is None:
            form = BookingForm(formdata=None)
            form.club.choices = clubs
        form.slot.choices = [SelectChoice(slot.isoformat(), "") for day in days for slot, free in day.slots if free]
        if queue_form is None:
            queue_form = QueueForm(formdata=None, prefix="queue")
            queue_form.club.choices = clubs
    open_now = svc.queue_open(at)
    entry = svc.active_entry(current_user, open_now.day) if open_now and current_user.is_authenticated else None
    return render_template(
        "consultation/index.html",
        schedule=schedule,
        days=days,
        form=form,
        queue_form=queue_form,
        occurrences=svc.upcoming_occurrences(days=120, at=at)[:6],
        open_now=open_now,
        entry=entry,
        bookings=svc.bookings_of(current_user, at) if current_user.is_authenticated else [],
        action_form=EmptyForm(formdata=None),
        format_when=format_when,
        tz=local_tz(),
    ), status


@bp.get("/sprechstunde")
def index():
    return _consultation_page()


@bp.post("/sprechstunde/buchen")
@login_required
def book():
    require_confirmed_address()
    form = BookingForm()
    form.club.choices = club_choices(current_user, _("mich persönlich"))
    if not form.validate():
        return _consultation_page(422, form=form)
    slot = form.slot_datetime()
    if slot is None or slot.tzinfo is None:
        form.slot.errors = [_("Bitte wählen Sie einen Termin.")]
        return _consultation_page(422, form=form)
    try:
        svc.book_slot(
            current_user,
            slot,
            topic=form.topic.data,
            question=form.question.data,
            club=chosen_club(current_user, form.club.data),
        )
    except svc.ConsultationError as error:
        form.slot.errors = [str(error)]
        return _consultation_page(409, form=form)
    flash(_("Ihr Termin ist gebucht. Sie bekommen eine Bestätigung mit Kalendereintrag per E-Mail."), "success")
    return hx_redirect(url_for("consultation.index"))


@bp.post("/sprechstunde/termine/<int:booking_id>/absagen")
@login_required
def cancel_booking(booking_id):
    booking = db.session.get(ConsultationBooking, booking_id)
    if booking is None or booking.user_id != current_user.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    svc.cancel_booking(booking, by=current_user)
    flash(_("Ihr Termin ist abgesagt."), "success")
    return hx_redirect(url_for("consultation.index"))


@bp.route("/sprechstunde/absagen/<token>", methods=["GET", "POST"])
def cancel_booking_link(token):
    booking = load_cancel_token("consultation", ConsultationBooking, token)
    if booking is None:
        fail(404, _("Dieser Absage-Link ist ungültig oder abgelaufen."))
    done = False
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        done = svc.cancel_booking(booking)
    return render_template(
        "consultation/cancel_booking_link.html",
        booking=booking,
        form=EmptyForm(formdata=None),
        done=done or booking.cancelled_at is not None,
        when=format_when(booking.starts_at, booking.ends_at),
    )


@bp.post("/sprechstunde/warteschlange")
@login_required
def join_queue():
    form = QueueForm(prefix="queue")
    form.club.choices = club_choices(current_user, _("mich persönlich"))
    if not form.validate():
        return _consultation_page(422, queue_form=form)
    try:
        entry = svc.join_queue(
            current_user,
            topic=form.topic.data,
            question=form.question.data or "",
            club=chosen_club(current_user, form.club.data),
        )
    except svc.ConsultationError as error:
        fail(409, str(error))
    return hx_redirect(url_for("consultation.queue_status", entry_id=entry.id))


def _own_entry(entry_id) -> QueueEntry:
    entry = db.session.get(QueueEntry, entry_id)
    if entry is None or entry.user_id != current_user.id:
        abort(404)
    return entry


@bp.get("/sprechstunde/warteschlange/<int:entry_id>")
@login_required
def queue_status(entry_id):
    """The waiting page; htmx polls it. When admitted: stop polling (286) and go to the room."""
    entry = _own_entry(entry_id)
    join = url_for("consultation.queue_join", entry_id=entry.id)
    if request.headers.get("HX-Request") and entry.status != QueueStatus.WAITING:
        response = make_response(
            render_template(
                "consultation/partials/_queue_status.html",
                entry=entry,
                position=None,
                join_url=join,
                form=EmptyForm(formdata=None),
            ),
            286,
        )
        if entry.status == QueueStatus.ADMITTED:
            response.headers["HX-Redirect"] = join
        return response
    return render_page(
        "consultation/queue.html",
        "consultation/partials/_queue_status.html",
        entry=entry,
        position=svc.queue_position(entry),
        join_url=join,
        form=EmptyForm(formdata=None),
    )


@bp.get("/sprechstunde/warteschlange/<int:entry_id>/beitreten")
@login_required
def queue_join(entry_id):
    entry = _own_entry(entry_id)
    if entry.status == QueueStatus.WAITING:
        fail(403, _("Sie sind noch nicht an der Reihe. Bitte warten Sie, bis das Team Sie hereinholt."))
    if entry.status != QueueStatus.ADMITTED:
        fail(
            403, _("Ihr Gespräch ist beendet. Für eine neue Frage stellen Sie sich bitte wieder in die Warteschlange.")
        )
    try:
        # This consultation's own meeting: nobody else's, and closed when the consultation ends.
        url = svc.consultation_join_url(entry, current_user, moderator=False)
    except svc.ConsultationError as error:
        fail(503, str(error))
    return redirect(url, code=303)


@bp.post("/sprechstunde/warteschlange/<int:entry_id>/verlassen")
@login_required
def leave_queue(entry_id):
    entry = _own_entry(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    svc.finish_entry(entry, QueueStatus.LEFT)
    flash(_("Sie haben die Warteschlange verlassen."), "success")
    return hx_redirect(url_for("consultation.index"))
