"""Workshops: the public pages under /workshops, the start page's section and the club workspace's panel."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.services import confirm_first_message
from ..clubs.forms import club_choices
from ..clubs.services import chosen_club
from ..core.errors import fail
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..core.i18n import format_when
from ..core.tenancy import club_access
from ..core.tokens import load_cancel_token
from ..extensions import db
from . import bp, club_bp
from . import services as svc
from .forms import RegisterForm
from .models import TOPICS, Registration, RegistrationStatus, Workshop

JOIN_OPENS_BEFORE = timedelta(minutes=15)


def require_confirmed_address():
    """Booking a place needs a confirmed e-mail address (403, nothing written)."""
    if not current_user.is_confirmed:
        fail(403, confirm_first_message())


def get_workshop_or_404(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        abort(404)
    return workshop


# --- workshops ----------------------------------------------------------------------------------


def start_page_section() -> str:
    """The start page's "Nächste Workshops" (template hook "start-page")."""
    return render_template("workshops/partials/_start_section.html", workshops=svc.upcoming_workshops(limit=3))


def article_section(related=None, **_kwargs) -> str:
    """Workshops on the topics a knowledge article names (template hook "knowledge-article")."""
    topics = [t for t in (related or {}).get("workshops", ()) if t in TOPICS]
    if not topics:
        return ""
    return render_template(
        "workshops/partials/_article_section.html",
        topics=[TOPICS[t] for t in topics],
        workshops=svc.upcoming_workshops(limit=3, topics=topics),
    )


@bp.get("/workshops")
def index():
    workshops = svc.upcoming_workshops()
    return render_template(
        "workshops/index.html", workshops=workshops, counts=svc.place_counts(w.id for w in workshops)
    )


def _workshop_page(workshop, status=200, form=None):
    registration = svc.registration_of(workshop, current_user)
    confirmed, waiting = svc.place_counts([workshop.id])[workshop.id]
    at = svc.now()
    if form is None and current_user.is_authenticated:
        form = RegisterForm(formdata=None)
        form.club.choices = club_choices(current_user, _("nur für mich persönlich"))
    can_join = bool(
        registration
        and registration.status == RegistrationStatus.CONFIRMED
        and workshop.online
        and workshop.cancelled_at is None
        and workshop.starts_at - JOIN_OPENS_BEFORE <= at < workshop.ends_at
    )
    return render_template(
        "workshops/show.html",
        workshop=workshop,
        registration=registration,
        confirmed=confirmed,
        waiting=waiting,
        form=form,
        action_form=EmptyForm(formdata=None),
        now=at,
        can_join=can_join,
        position=svc.waiting_position(registration) if registration else None,
        when=format_when(workshop.starts_at, workshop.ends_at),
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
        flash(
            _(
                "Der Workshop ist ausgebucht. Sie stehen auf der Warteliste und bekommen eine E-Mail, "
                "sobald ein Platz frei wird."
            ),
            "success",
        )
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
    registration = load_cancel_token("workshop", Registration, token)
    if registration is None:
        fail(404, _("Dieser Abmelde-Link ist ungültig oder abgelaufen."))
    form = EmptyForm()
    done = False
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        svc.cancel_registration(registration)
        done = True
    return render_template(
        "workshops/cancel_link.html",
        registration=registration,
        workshop=registration.workshop,
        form=EmptyForm(formdata=None),
        done=done or not registration.is_active,
        when=format_when(registration.workshop.starts_at, registration.workshop.ends_at),
    )


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


# --- the club workspace's panel (/c/<slug>/workshops) ----------------------------------------------------


def panel_context() -> dict:
    """The workspace panel's context (the workspace page renders the panel inline with it)."""
    topics = svc.workshop_topics_for(svc.open_checklist_topics(g.club))
    upcoming = svc.upcoming_workshops(limit=20)
    if topics:
        rank = {t: i for i, t in enumerate(topics)}
        matching = sorted([w for w in upcoming if w.topic in rank], key=lambda w: (rank[w.topic], w.starts_at))
        workshops = matching[:3] or upcoming[:3]
    else:
        matching, workshops = [], upcoming[:3]
    return {"workshops": workshops, "matched": bool(matching)}


@club_bp.get("/")
@club_access("member")
def panel():
    # The consultation hour adds its next date through the "workshops-panel" template hook.
    return render_page("workshops/club_panel.html", "workshops/partials/_club_panel.html", **panel_context())
