import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.forms import RegisterForm
from ..auth.models import User
from ..auth.services import check_your_inbox, register_account
from ..core.forms import EmptyForm
from ..core.htmx import hx_redirect, render_page
from ..core.ratelimit import email_in_form, mail_limits
from ..core.tenancy import club_access
from ..core.urls import external_url
from ..extensions import db
from . import bp, members_bp
from .forms import ClubForm, InviteEmailForm, InviteLinkForm, RoleForm
from .models import Invitation, Membership, Role
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
from .services import accept_invitation as accept_invitation_service
from .services import change_role as change_role_service


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
                current_user,
                name=form.name.data,
                legal_form=form.legal_form.data,
                district=form.district.data,
                contact_email=form.contact_email.data,
                website=form.website.data,
                description=form.description.data,
            )
        except ClubError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
            return render_template("clubs/register.html", form=form, unconfirmed=False), 422
        # no flash: the workspace of a pending club says once what happens next (clubs/_pending_notice.html)
        return redirect(url_for("workspace.index", slug=club.slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("clubs/register.html", form=form, unconfirmed=False), status


# --- invitations (platform level: the invitee is not a member yet) -------------


@bp.route("/einladung/<token>", methods=["GET", "POST"])
@mail_limits(
    recipient=email_in_form("reg-email"),
    per_client="REGISTER_RATE_LIMIT",
    exempt_when=lambda: current_user.is_authenticated,
)  # signing up sends mail; accepting does not
def accept_invitation(token):
    invitation = find_invitation(token)
    if invitation is None:
        abort(404)
    accept_form = EmptyForm(prefix="accept")
    register_form = RegisterForm(prefix="reg")
    context = dict(invitation=invitation, accept_form=accept_form, register_form=register_form)
    if (
        current_user.is_authenticated
        and request.method == "GET"
        and db.session.scalar(
            sa.select(Membership.id).where(
                Membership.club_id == invitation.club_id, Membership.user_id == current_user.id
            )
        )
    ):
        # e.g. signed up through this link, confirmed the address and logged in: straight to the workspace
        flash(_("Willkommen im Vereinsraum von %(name)s!", name=invitation.club.name), "success")
        return redirect(url_for("workspace.index", slug=invitation.club.slug))
    if not invitation.is_usable or not invitation.club.is_active:
        return render_template("clubs/invitation.html", invalid=True, **context), 410

    if request.method == "GET":
        if invitation.email and not current_user.is_authenticated:
            register_form.email.data = invitation.email
        return render_template("clubs/invitation.html", **context)

    if not current_user.is_authenticated:
        return _sign_up_for_invitation(invitation, register_form, context)
    if not accept_form.validate_on_submit():
        abort(400)
    try:
        membership = accept_invitation_service(invitation, current_user)
    except ClubError as exc:
        db.session.rollback()
        return render_template("clubs/invitation.html", error=str(exc), **context), 409
    flash(_("Willkommen im Vereinsraum von %(name)s!", name=membership.club.name), "success")
    return redirect(url_for("workspace.index", slug=membership.club.slug), code=303)


def _sign_up_for_invitation(invitation, register_form, context):
    """A new account through an invitation. Whether the address already had an account is never shown:
    the answer is always "check your inbox", and the mailbox learns which it was (no enumeration)."""
    if not register_form.validate_on_submit():
        return render_template("clubs/invitation.html", **context), 422
    email = User.normalise_email(register_form.email.data)
    if invitation.email and invitation.email != email:
        # Depends only on what was typed, not on which accounts exist.
        return render_template(
            "clubs/invitation.html",
            error=_(
                "Diese Einladung gilt für eine andere E-Mail-Adresse (%(email)s). Bitte melden Sie sich mit dieser "
                "Adresse an.",
                email=invitation.email,
            ),
            **context,
        ), 409
    user = register_account(
        email,
        register_form.name.data,
        register_form.password.data,
        reason="invitation",
        address_proven=invitation.email == email,
        commit=False,
    )
    if user is not None:
        try:
            accept_invitation_service(invitation, user)  # commits the new account with its membership
        except ClubError as exc:
            db.session.rollback()
            return render_template("clubs/invitation.html", error=str(exc), **context), 409
    flash(check_your_inbox(), "success")
    return redirect(url_for("auth.login", next=url_for("clubs.accept_invitation", token=invitation.token)), code=303)


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
@mail_limits(recipient=email_in_form("email"), per_client="INVITATION_RATE_LIMIT", per_account="INVITATION_RATE_LIMIT")
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
        invitation = create_invite_link(
            g.club, Role(form.role.data), days=form.days.data, multi_use=form.multi_use.data, by=current_user
        )
    except ClubError as exc:
        db.session.rollback()
        return _members_page(409, error=str(exc))
    return _members_page(
        new_link=external_url("clubs.accept_invitation", token=invitation.token),
        notice=_("Der Einladungslink ist erstellt. Kopieren Sie ihn und teilen Sie ihn."),
    )


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
