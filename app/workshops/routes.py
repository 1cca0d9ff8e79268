"""Public and personal pages: /workshops and /sprechstunde."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..extensions import db
from . import bp
from . import services as svc
from .forms import BookingForm, QueueForm, RegisterForm
from .models import ConsultationBooking, QueueEntry, QueueStatus, RegistrationStatus, Workshop

JOIN_OPENS_BEFORE = timedelta(minutes=15)


def club_choices(user, blank_label):
    from ..clubs.services import memberships_of

    choices = [SelectChoice("", blank_label)]
    for membership in memberships_of(user):
        if membership.club.is_active:
            choices.append(SelectChoice(str(membership.club_id), membership.club.name))
    return choices


def chosen_club(user, value):
    """The club picked in a form, only if the user is a member of it (else None)."""
    if not value:
        return None
    from ..clubs.services import memberships_of

    for membership in memberships_of(user):
        if str(membership.club_id) == str(value) and membership.club.is_active:
            return membership.club
    return None


def require_confirmed_address():
    """Booking a place or a slot needs a confirmed e-mail address (403, nothing written)."""
    if not current_user.is_confirmed:
        fail(403, svc.unconfirmed_message())


def get_workshop_or_404(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        abort(404)
    return workshop


# --- workshops ----------------------------------------------------------------------------------

def start_page_section() -> str:
    """The start page's "Nächste Workshops" (template hook "start-page")."""
    return render_template("workshops/partials/_start_section.html", workshops=svc.upcoming_workshops(limit=3))


def start_page_consultation() -> str:
    """The start page's "Digitale Sprechstunde" (template hook "start-page")."""
    return render_template("workshops/partials/_start_consultation.html", consultation=svc.next_consultation_day())


@bp.get("/workshops")
def index():
    workshops = svc.upcoming_workshops()
    return render_template("workshops/index.html", workshops=workshops,
                           counts=svc.place_counts(w.id for w in workshops))


def _workshop_page(workshop, status=200, form=None):
    registration = svc.registration_of(workshop, current_user)
    confirmed, waiting = svc.place_counts([workshop.id])[workshop.id]
    at = svc.now()
    if form is None and current_user.is_authenticated:
        form = RegisterForm(formdata=None)
        form.club.choices = club_choices(current_user, _("nur für mich persönlich"))
    can_join = bool(registration and registration.status == RegistrationStatus.CONFIRMED and workshop.online
                    and workshop.cancelled_at is None
                    and workshop.starts_at - JOIN_OPENS_BEFORE <= at < workshop.ends_at)
    return render_template(
        "workshops/show.html", workshop=workshop, registration=registration, confirmed=confirmed, waiting=waiting,
        form=form, action_form=EmptyForm(formdata=None), now=at, can_join=can_join,
        position=svc.waiting_position(registration) if registration else None,
        when=svc.format_when(workshop.starts_at, workshop.ends_at),
    ), status


@bp.get("/workshops/<int:workshop_id>")
def show(workshop_id):
    return _workshop_page(get_workshop_or_404(workshop_id))


@bp.post("/workshops/<int:workshop_id>/anmelden")
@login_required
def register(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    require_confirmed_address()
    form = RegisterForm()
    form.club.choices = club_choices(current_user, _("nur für mich persönlich"))
    if not form.validate():
        return _workshop_page(workshop, 422, form)
    try:
        registration = svc.register(workshop.id, current_user, chosen_club(current_user, form.club.data))
    except svc.WorkshopError as error:
        fail(409, str(error))
    if registration.status == RegistrationStatus.CONFIRMED:
        flash(_("Sie sind angemeldet. Wir haben Ihnen eine Bestätigung mit Kalendereintrag geschickt."), "success")
    else:
        flash(_("Der Workshop ist ausgebucht. Sie stehen auf der Warteliste und bekommen eine E-Mail, "
                "sobald ein Platz frei wird."), "success")
    return hx_redirect(url_for("workshops.show", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/abmelden")
@login_required
def cancel(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    registration = svc.registration_of(workshop, current_user)
    if registration is None or not registration.is_active:
        fail(409, _("Sie sind für diesen Workshop nicht angemeldet."))
    svc.cancel_registration(registration, by=current_user)
    flash(_("Sie sind abgemeldet."), "success")
    return hx_redirect(url_for("workshops.show", workshop_id=workshop.id))


@bp.route("/workshops/abmelden/<token>", methods=["GET", "POST"])
def cancel_link(token):
    """Cancel by the signed link from the e-mail (GET asks, POST cancels: link checkers must not cancel)."""
    registration = svc.load_cancel_token("workshop", token)
    if registration is None:
        fail(404, _("Dieser Abmelde-Link ist ungültig oder abgelaufen."))
    form = EmptyForm()
    done = False
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        svc.cancel_registration(registration)
        done = True
    return render_template("workshops/cancel_link.html", registration=registration, workshop=registration.workshop,
                           form=EmptyForm(formdata=None), done=done or not registration.is_active,
                           when=svc.format_when(registration.workshop.starts_at, registration.workshop.ends_at))


@bp.post("/workshops/<int:workshop_id>/teilnehmen")
@login_required
def join(workshop_id):
    workshop = get_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    registration = svc.registration_of(workshop, current_user)
    at = svc.now()
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        fail(403, _("Nur angemeldete Teilnehmende können dem Workshop beitreten."))
    if not workshop.online or not (workshop.starts_at - JOIN_OPENS_BEFORE <= at < workshop.ends_at):
        fail(409, _("Der Konferenzraum öffnet 15 Minuten vor Beginn."))
    try:
        url = svc.join_url(workshop.room_id, current_user, moderator=False)
    except svc.WorkshopError as error:
        fail(503, str(error))
    return redirect(url, code=303)


# --- consultation hour ----------------------------------------------------------------------------

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
        "workshops/consultation.html", schedule=schedule, days=days, form=form, queue_form=queue_form,
        occurrences=svc.upcoming_occurrences(days=120, at=at)[:6], open_now=open_now, entry=entry,
        bookings=svc.bookings_of(current_user, at) if current_user.is_authenticated else [],
        action_form=EmptyForm(formdata=None), format_when=svc.format_when, tz=svc.local_tz(),
    ), status


@bp.get("/sprechstunde")
def consultation():
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
        svc.book_slot(current_user, slot, topic=form.topic.data, question=form.question.data,
                      club=chosen_club(current_user, form.club.data))
    except svc.WorkshopError as error:
        form.slot.errors = [str(error)]
        return _consultation_page(409, form=form)
    flash(_("Ihr Termin ist gebucht. Sie bekommen eine Bestätigung mit Kalendereintrag per E-Mail."), "success")
    return hx_redirect(url_for("workshops.consultation"))


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
    return hx_redirect(url_for("workshops.consultation"))


@bp.route("/sprechstunde/absagen/<token>", methods=["GET", "POST"])
def cancel_booking_link(token):
    booking = svc.load_cancel_token("consultation", token)
    if booking is None:
        fail(404, _("Dieser Absage-Link ist ungültig oder abgelaufen."))
    done = False
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        done = svc.cancel_booking(booking)
    return render_template("workshops/cancel_booking_link.html", booking=booking, form=EmptyForm(formdata=None),
                           done=done or booking.cancelled_at is not None,
                           when=svc.format_when(booking.starts_at, booking.ends_at))


@bp.post("/sprechstunde/warteschlange")
@login_required
def join_queue():
    form = QueueForm(prefix="queue")
    form.club.choices = club_choices(current_user, _("mich persönlich"))
    if not form.validate():
        return _consultation_page(422, queue_form=form)
    try:
        entry = svc.join_queue(current_user, topic=form.topic.data, question=form.question.data or "",
                               club=chosen_club(current_user, form.club.data))
    except svc.WorkshopError as error:
        fail(409, str(error))
    return hx_redirect(url_for("workshops.queue_status", entry_id=entry.id))


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
    join = url_for("workshops.queue_join", entry_id=entry.id)
    if request.headers.get("HX-Request") and entry.status != QueueStatus.WAITING:
        response = make_response(render_template("workshops/partials/_queue_status.html", entry=entry,
                                                 position=None, join_url=join, form=EmptyForm(formdata=None)), 286)
        if entry.status == QueueStatus.ADMITTED:
            response.headers["HX-Redirect"] = join
        return response
    return render_page("workshops/queue.html", "workshops/partials/_queue_status.html", entry=entry,
                       position=svc.queue_position(entry), join_url=join, form=EmptyForm(formdata=None))


@bp.get("/sprechstunde/warteschlange/<int:entry_id>/beitreten")
@login_required
def queue_join(entry_id):
    entry = _own_entry(entry_id)
    if entry.status == QueueStatus.WAITING:
        fail(403, _("Sie sind noch nicht an der Reihe. Bitte warten Sie, bis das Team Sie hereinholt."))
    if entry.status != QueueStatus.ADMITTED:
        fail(403, _("Ihr Gespräch ist beendet. Für eine neue Frage stellen Sie sich bitte wieder in die "
                    "Warteschlange."))
    try:
        # This consultation's own meeting: nobody else's, and closed when the consultation ends.
        url = svc.consultation_join_url(entry, current_user, moderator=False)
    except svc.WorkshopError as error:
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
    return hx_redirect(url_for("workshops.consultation"))
