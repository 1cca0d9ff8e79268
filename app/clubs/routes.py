import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..auth.forms import RegisterForm
from ..auth.services import AccountError, create_user
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..core.tenancy import club_access
from ..extensions import db
from . import bp, members_bp
from .forms import ClubForm, InviteEmailForm, InviteLinkForm, RoleForm
from .models import Invitation, Membership, Role
from .services import accept_invitation as accept_invitation_service
from .services import (
    ClubError,
    club_members,
    create_invite_link,
    find_invitation,
    invite_by_email,
    is_last_board_member,
    memberships_of,
    open_invitations,
    register_club,
    remove_member,
    revoke_invitation,
)


@bp.get("/vereine")
@login_required
def mine():
    return render_template("clubs/mine.html", memberships=memberships_of(current_user), form=EmptyForm())


@bp.route("/vereine/neu", methods=["GET", "POST"])
@login_required
def register():
    form = ClubForm()
    if not current_user.is_confirmed:
        return render_template("clubs/register.html", form=form, unconfirmed=True), 403
    if form.validate_on_submit():
        try:
            club = register_club(
                current_user, name=form.name.data, legal_form=form.legal_form.data, district=form.district.data,
                contact_email=form.contact_email.data, website=form.website.data,
                description=form.description.data,
            )
        except ClubError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
            return render_template("clubs/register.html", form=form, unconfirmed=False), 422
        flash(_("Danke! %(name)s ist angemeldet. Unser Team prüft die Anmeldung, meist innerhalb von zwei "
                "Werktagen. Sie bekommen dann eine E-Mail.", name=club.name), "success")
        return redirect(url_for("workspace.index", slug=club.slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("clubs/register.html", form=form, unconfirmed=False), status


# --- invitations (platform level: the invitee is not a member yet) -------------

@bp.route("/einladung/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    invitation = find_invitation(token)
    if invitation is None:
        abort(404)
    accept_form = EmptyForm(prefix="accept")
    register_form = RegisterForm(prefix="reg")
    context = dict(invitation=invitation, accept_form=accept_form, register_form=register_form)
    if not invitation.is_usable or not invitation.club.is_active:
        return render_template("clubs/invitation.html", invalid=True, **context), 410

    if request.method == "GET":
        if invitation.email and not current_user.is_authenticated:
            register_form.email.data = invitation.email
        return render_template("clubs/invitation.html", **context)

    user = current_user if current_user.is_authenticated else None
    if user is None:
        if not register_form.validate_on_submit():
            return render_template("clubs/invitation.html", **context), 422
        try:
            user = create_user(register_form.email.data, register_form.name.data, register_form.password.data)
        except AccountError:
            register_form.email.errors.append(
                _("Für diese Adresse gibt es schon ein Konto. Bitte melden Sie sich an, um die Einladung anzunehmen.")
            )
            return render_template("clubs/invitation.html", **context), 422
    elif not accept_form.validate_on_submit():
        abort(400)
    try:
        membership = accept_invitation_service(invitation, user)
    except ClubError as exc:
        db.session.rollback()
        return render_template("clubs/invitation.html", error=str(exc), **context), 409
    if not current_user.is_authenticated:
        login_user(user)
        if not user.is_confirmed:
            from ..auth.services import send_confirmation

            send_confirmation(user)
    flash(_("Willkommen im Vereinsraum von %(name)s!", name=membership.club.name), "success")
    return redirect(url_for("workspace.index", slug=membership.club.slug), code=303)


# --- member administration (club-scoped) ----------------------------------------

def _members_page(status=200, **extra):
    context = dict(
        members=club_members(g.club),
        invitations=open_invitations(g.club),
        invite_form=extra.pop("invite_form", None) or InviteEmailForm(formdata=None),
        link_form=extra.pop("link_form", None) or InviteLinkForm(formdata=None),
        role_form=RoleForm(formdata=None),
        action_form=EmptyForm(formdata=None),
        **extra,
    )
    return render_page("clubs/members.html", "clubs/partials/_members_panel.html", status=status, **context)


@members_bp.get("/")
@club_access("board")
def index():
    return _members_page()


@members_bp.post("/einladen")
@club_access("board")
def invite():
    form = InviteEmailForm()
    if not form.validate_on_submit():
        return _members_page(422, invite_form=form)
    try:
        invitation = invite_by_email(g.club, form.email.data, Role(form.role.data), by=current_user)
    except ClubError as exc:
        db.session.rollback()
        form.email.errors.append(str(exc))
        return _members_page(422, invite_form=form)
    return _members_page(notice=_("Die Einladung an %(email)s ist verschickt.", email=invitation.email))


@members_bp.post("/einladungslink")
@club_access("board")
def invite_link():
    form = InviteLinkForm()
    if not form.validate_on_submit():
        return _members_page(422, link_form=form)
    try:
        invitation = create_invite_link(g.club, Role(form.role.data), days=form.days.data,
                                        multi_use=form.multi_use.data, by=current_user)
    except ClubError as exc:
        db.session.rollback()
        return _members_page(409, error=str(exc))
    return _members_page(new_link=url_for("clubs.accept_invitation", token=invitation.token, _external=True),
                         notice=_("Der Einladungslink ist erstellt. Kopieren Sie ihn und teilen Sie ihn."))


def _club_invitation(invitation_id) -> Invitation:
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.id == invitation_id, Invitation.club_id == g.club.id)
    )
    if invitation is None:
        abort(404)
    return invitation


def _club_membership(membership_id) -> Membership:
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.id == membership_id, Membership.club_id == g.club.id)
    )
    if membership is None:
        abort(404)
    return membership


@members_bp.post("/einladungen/<int:invitation_id>/widerrufen")
@club_access("board")
def revoke(invitation_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    revoke_invitation(_club_invitation(invitation_id), by=current_user)
    return _members_page(notice=_("Die Einladung ist widerrufen."))


@members_bp.post("/<int:membership_id>/rolle")
@club_access("board")
def change_role(membership_id):
    from .services import change_role as change_role_service

    membership = _club_membership(membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _members_page(422, error=_("Bitte wählen Sie eine gültige Rolle."))
    try:
        change_role_service(membership, Role(form.role.data), by=current_user)
    except ClubError as exc:
        db.session.rollback()
        return _members_page(409, error=str(exc))
    if membership.user_id == current_user.id and not membership.is_board:
        flash(_("Sie sind jetzt Mitglied ohne Vorstandsrechte."), "success")
        return hx_redirect(url_for("workspace.index"))
    return _members_page(notice=_("Die Rolle von %(name)s ist geändert.", name=membership.user.name))


@members_bp.post("/<int:membership_id>/entfernen")
@club_access("board")
def remove(membership_id):
    membership = _club_membership(membership_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = membership.user.name
    try:
        remove_member(membership, by=current_user)
    except ClubError as exc:
        db.session.rollback()
        return _members_page(409, error=str(exc))
    if membership.user_id == current_user.id:
        flash(_("Sie haben den Verein verlassen."), "success")
        return hx_redirect(url_for("clubs.mine"))
    return _members_page(notice=_("%(name)s ist nicht mehr Mitglied.", name=name))


@members_bp.route("/austreten", methods=["GET", "POST"])
@club_access("member", inactive_ok=True, suspended_ok=True)
def leave():
    form = EmptyForm()
    last_board = is_last_board_member(g.membership)
    if request.method == "POST" and form.validate_on_submit():
        try:
            remove_member(g.membership, by=current_user)
        except ClubError as exc:
            db.session.rollback()
            return render_template("clubs/leave.html", form=form, last_board=True, error=str(exc)), 409
        flash(_("Sie haben %(name)s verlassen.", name=g.club.name), "success")
        return redirect(url_for("clubs.mine"), code=303)
    return render_template("clubs/leave.html", form=form, last_board=last_board)
