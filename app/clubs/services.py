"""Club operations: registration, status changes, members, invitations."""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..auth.models import TotpSecret, User, account_from, account_query
from ..core.audit import audit_record
from ..core.db import as_loaded, utcnow
from ..core.mail import send_mail, try_send_mail
from ..core.pagecache import access_scope, account_scope, keep, kept
from ..core.signals import (
    club_registered,
    club_renamed,
    club_status_changed,
    club_welcome_links,
    membership_changed,
    values_from,
)
from ..core.text import slugify
from ..core.urls import external_url  # links in mails come from BASE_URL only
from ..extensions import db
from .models import NAME_KEY_LENGTH, Club, ClubStatus, ClubStatusChange, Invitation, Membership, Role, club_name_key


class ClubError(Exception):
    """A user-facing problem with a club operation (German message)."""


class ClubNameTaken(ClubError):
    """The name (ignoring case, accents and spacing) belongs to another club."""


def ensure_active(club: Club) -> None:
    """Changes, invitations and mail only for an approved club (suspended clubs are read-only)."""
    if club.is_suspended:
        raise ClubError(
            _(
                "Dieser Verein ist gesperrt. Sie können die Daten ansehen und exportieren, aber nichts "
                "ändern, niemanden einladen und keine E-Mails verschicken."
            )
        )
    if not club.is_active:
        raise ClubError(_("Dieser Verein ist nicht freigeschaltet."))


def clean_club_name(name: str) -> str:
    """The name as stored: trimmed, runs of spaces collapsed."""
    return " ".join((name or "").split())


def check_name_free(name: str, *, club: Club | None = None) -> None:
    """Raise :class:`ClubNameTaken` when another club has this name (ignoring case, accents, spacing)."""
    key = club_name_key(name)
    if len(key) > NAME_KEY_LENGTH:
        raise ClubError(_("Der Name ist zu lang."))
    query = sa.select(Club.id).where(Club.name_key == key)
    if club is not None and club.id is not None:
        query = query.where(Club.id != club.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ClubNameTaken(_name_taken_message())


def _name_taken_message() -> str:
    return _(
        "Diesen Namen trägt schon ein anderer Verein im Vereinsraum (Groß- und Kleinschreibung, Akzente "
        "und Leerzeichen zählen dabei nicht). Bitte wählen Sie einen unterscheidbaren Namen, z. B. mit "
        "dem Ortsteil."
    )


def _is_name_conflict(exc: sa.exc.IntegrityError) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "name_key" in text


def club_slug(name: str) -> str:
    """The club's URL part from its name (``/c/<slug>/``)."""
    return slugify(name, fallback="verein", max_length=48)


def unique_slug(name: str) -> str:
    base = club_slug(name)
    taken = set(db.session.scalars(sa.select(Club.slug).where(Club.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- queries -----------------------------------------------------------------


def club_and_membership(slug: str, user) -> tuple[Club | None, Membership | None]:
    """The club with this slug and the user's membership in it (None for anonymous visitors and non-members).

    One statement: the club, outer-joined with the user's membership (the tenancy loader runs on every club
    request). The membership comes with its ``club`` and ``user`` already set, so neither is loaded again.
    """
    if user is None or not user.is_authenticated:
        return db.session.scalar(sa.select(Club).where(Club.slug == slug)), None
    row = db.session.execute(
        sa.select(Club, Membership)
        .outerjoin(Membership, sa.and_(Membership.club_id == Club.id, Membership.user_id == user.id))
        .where(Club.slug == slug)
        .limit(1)
    ).first()
    if row is None:
        return None, None
    club, membership = row
    account = user._get_current_object() if hasattr(user, "_get_current_object") else user  # not the proxy
    _attach(membership, club, account if isinstance(account, User) else None)
    return club, membership


def _attach(membership: Membership | None, club: Club, account: User | None) -> None:
    """Give the loaded membership its club and account, so neither is loaded again."""
    if membership is None:
        return
    so.attributes.set_committed_value(membership, "club", club)
    if account is not None and account.id == membership.user_id:
        so.attributes.set_committed_value(membership, "user", account)


@functools.cache
def _account_club_query():
    return (
        account_query()
        .add_columns(Club, Membership)
        .outerjoin(Club, Club.slug == sa.bindparam("slug"))
        .outerjoin(Membership, sa.and_(Membership.club_id == Club.id, Membership.user_id == User.id))
        .limit(1)
    )


def account_club_and_membership(token: str, slug: str):
    """``(account, club, membership)`` for a session token on a club page; None when no account has that token.
    The club is None for an unknown slug, the membership None for a non-member.

    From the kept copy when its scopes are unchanged (:func:`_kept_access`), else in one statement (the tenancy
    loader's and the user loader's queries together), which is then kept.
    """
    found = _kept_access(token, slug)
    if found is not None:
        return found
    row = db.session.execute(_account_club_query(), {"token": token, "slug": slug}).first()
    if row is None:
        return None
    account, totp, club, membership = row
    _attach(membership, club, account_from(account, totp))
    if club is not None:
        _keep_access(token, slug, account, totp, club, membership)
    return account, club, membership


# --- the kept copy of account, club and membership ------------------------------------------------------
#
# Every club page starts with the statement above; a kept copy in the page store (Redis, or files on this
# machine) spares it. It is used only while the tokens of its scopes are those it was read under
# (core/pagecache.py, ``kept``): the account's scope renews with any change to the account or its second
# factor (a new session token after a password change, "Überall abmelden", 2FA), the club's ``access``
# scope with any change to the club row or its memberships, ``site`` with deletions of accounts and bulk
# changes. It is found by a digest of session token and slug and holds no credential: no session token (set
# again from the request's), no password hash, no second-factor secret (left unloaded: read from the
# database if ever used). tests/clubs/test_kept_access.py walks every way to lose access.

_NOT_KEPT = {User: ("session_token", "password_hash"), TotpSecret: ("encrypted_secret",)}


@functools.cache
def _kept_columns(model) -> tuple[str, ...]:
    skip = _NOT_KEPT.get(model, ())
    return tuple(attr.key for attr in sa.inspect(model).column_attrs if attr.key not in skip)


@functools.cache
def _kept_shape() -> str:
    """The kept copy's layout: a copy made by a release with other columns is never read."""
    return ",".join(":".join(_kept_columns(model)) for model in (User, TotpSecret, Club, Membership))


def _access_name(token: str, slug: str) -> str:
    digest = hashlib.sha256(f"{token}\x1f{slug}\x1f{_kept_shape()}".encode()).hexdigest()
    return f"club-access:{digest}"


def _copy(obj) -> dict | None:
    if obj is None:
        return None
    loaded = obj.__dict__
    return {key: loaded[key] for key in _kept_columns(type(obj)) if key in loaded}


def _keep_access(token, slug, account, totp, club, membership) -> None:
    scopes = (account_scope(account.id), access_scope(club.id))
    keep(_access_name(token, slug), scopes, (_copy(account), _copy(totp), _copy(club), _copy(membership)))


def _kept_access(token: str, slug: str):
    copy = kept(_access_name(token, slug))
    if copy is None:
        return None
    account_values, totp_values, club_values, membership_values = copy
    account = as_loaded(db.session, User, dict(account_values, session_token=token))
    if account.session_token != token:  # (the session's own object, changed in this request)
        return None
    club, membership = as_loaded(db.session, Club, club_values), as_loaded(db.session, Membership, membership_values)
    _attach(membership, club, account_from(account, as_loaded(db.session, TotpSecret, totp_values)))
    return account, club, membership


def memberships_of(user) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.user_id == user.id)
            .options(so.joinedload(Membership.club))
            .join(Membership.club)
            .order_by(Club.name)
        )
    )


def chosen_club(user, value) -> Club | None:
    """The club picked in a form (see ``forms.club_choices``), only if the user is a member of it and it is active."""
    if not value:
        return None
    for membership in memberships_of(user):
        if str(membership.club_id) == str(value) and membership.club.is_active:
            return membership.club
    return None


def club_members(club: Club) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.club_id == club.id)
            .join(Membership.user)
            .options(so.contains_eager(Membership.user))
            .order_by(sa.case((Membership.role == Role.BOARD, 0), else_=1), sa.func.lower(User.name))
        )
    )


def board_count(club_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(Membership.club_id == club_id, Membership.role == Role.BOARD)
    )


def is_last_board_member(membership: Membership) -> bool:
    return membership.role is Role.BOARD and board_count(membership.club_id) <= 1


def board_has_two_factor(club: Club) -> bool:
    """Every board member of the club has two-factor login on (staff see this as yes/no only). One query."""
    board, enrolled = db.session.execute(
        sa.select(sa.func.count(Membership.id), sa.func.count(TotpSecret.user_id))
        .outerjoin(TotpSecret, sa.and_(TotpSecret.user_id == Membership.user_id, TotpSecret.confirmed_at.is_not(None)))
        .where(Membership.club_id == club.id, Membership.role == Role.BOARD)
    ).one()
    return board > 0 and enrolled == board


def set_board_two_factor(club: Club, required: bool, *, by) -> None:
    """The club setting "2FA für den Vorstand verpflichtend". Whoever turns it on must have it already
    (otherwise the next board action would send them to the enrolment page)."""
    ensure_active(club)
    if required and not by.has_two_factor:
        raise ClubError(
            _(
                "Bitte richten Sie zuerst selbst die Zwei-Faktor-Anmeldung ein (unter „Mein Konto“). Dann können "
                "Sie sie für den ganzen Vorstand verlangen."
            )
        )
    if club.board_two_factor_required == required:
        return
    club.board_two_factor_required = required
    audit_record("club.board_two_factor_changed", actor=by, club=club, required=required)
    db.session.commit()


def board_emails(club: Club) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.club_id == club.id, Membership.role == Role.BOARD)
        )
    )


def open_invitations(club: Club) -> list[Invitation]:
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.club_id == club.id, Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow())
            .order_by(Invitation.created_at.desc())
        )
    )


def _lock_club(club: Club) -> None:
    """Serialise role changes per club (PostgreSQL row lock; SQLite locks on write)."""
    db.session.execute(sa.select(Club.id).where(Club.id == club.id).with_for_update())


# --- registration and status ---------------------------------------------------


def register_club(user, *, name, legal_form, district, contact_email, website=None, description=None) -> Club:
    """Raises :class:`ClubNameTaken` when the name is taken (also when a parallel registration wins)."""
    name = clean_club_name(name)
    check_name_free(name)
    club = Club(
        slug=unique_slug(name),
        name=name,
        legal_form=legal_form,
        district=district,
        contact_email=contact_email.strip().lower(),
        website=(website or None),
        description=(description or None),
        status=ClubStatus.PENDING,
        created_by_id=user.id,
    )
    try:
        db.session.add(club)
        db.session.flush()
        db.session.add(Membership(club_id=club.id, user_id=user.id, role=Role.BOARD))
        db.session.add(
            ClubStatusChange(club_id=club.id, old_status=None, new_status=ClubStatus.PENDING, changed_by_id=user.id)
        )
        audit_record("club.registered", actor=user, club=club, name=club.name)
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if _is_name_conflict(exc):
            raise ClubNameTaken(_name_taken_message()) from None
        raise
    club_registered.send(club, by=user)  # staff are told (app.admin); the registration is saved either way
    return club


STATUS_MAIL = {
    ClubStatus.APPROVED: ("clubs/email/approved", lambda c: _("Ihr Verein %(name)s ist freigeschaltet", name=c.name)),
    ClubStatus.REJECTED: ("clubs/email/rejected", lambda c: _("Ihre Anmeldung von %(name)s", name=c.name)),
    ClubStatus.SUSPENDED: ("clubs/email/suspended", lambda c: _("Ihr Verein %(name)s wurde gesperrt", name=c.name)),
}

ALLOWED_TRANSITIONS = {
    ClubStatus.PENDING: {ClubStatus.APPROVED, ClubStatus.REJECTED},
    ClubStatus.REJECTED: {ClubStatus.APPROVED},
    ClubStatus.APPROVED: {ClubStatus.SUSPENDED},
    ClubStatus.SUSPENDED: {ClubStatus.APPROVED},
}


def change_status(club: Club, new_status: ClubStatus, *, by, reason: str | None = None, notify: bool = True) -> bool:
    """Save the new status, then mail the board. False when that mail failed (logged; the status stays)."""
    if new_status not in ALLOWED_TRANSITIONS.get(club.status, set()):
        raise ClubError(_("Dieser Statuswechsel ist nicht möglich."))
    if new_status in (ClubStatus.REJECTED, ClubStatus.SUSPENDED) and not (reason or "").strip():
        raise ClubError(_("Bitte geben Sie eine Begründung an."))
    old = club.status
    club.status = new_status
    club.status_reason = reason.strip() if reason else None
    if new_status is ClubStatus.APPROVED and club.approved_at is None:
        club.approved_at = utcnow()
    db.session.add(
        ClubStatusChange(
            club_id=club.id,
            old_status=old,
            new_status=new_status,
            reason=club.status_reason,
            changed_by_id=getattr(by, "id", None),
        )
    )
    audit_record(f"club.{new_status.value}", actor=by, club=club, old=old.value, reason=club.status_reason)
    db.session.commit()
    club_status_changed.send(club, old=old, new=new_status)
    if notify and new_status in STATUS_MAIL:
        template, subject = STATUS_MAIL[new_status]
        recipients = board_emails(club)
        if recipients:
            with force_locale("de"):
                # What approval created for the club (default room, chat channel), each a link under BASE_URL.
                extra = values_from(club_welcome_links, club) if new_status is ClubStatus.APPROVED else []
                return try_send_mail(
                    recipients,
                    subject(club),
                    template,
                    club=club,
                    link=external_url("workspace.index", slug=club.slug),
                    links=extra,
                )
    return True


def update_profile(
    club: Club, *, by, name, legal_form, district, contact_email, website=None, description=None
) -> None:
    """Save the profile. Raises :class:`ClubError` for a suspended club, :class:`ClubNameTaken` for a taken name.

    A rename is recorded as its own audit entry (``club.renamed``, old and new name) so staff see it in the
    audit log and on the club's page.
    """
    ensure_active(club)
    old_name = club.name
    name = clean_club_name(name)
    renamed = name != old_name
    if renamed:
        check_name_free(name, club=club)
        club.name = name  # only on a real change: a legacy duplicate can still save its other fields
    club.legal_form = legal_form
    club.district = district
    club.contact_email = contact_email.strip().lower()
    club.website = website or None
    club.description = description or None
    audit_record("club.profile_updated", actor=by, club=club)
    if renamed:
        audit_record("club.renamed", actor=by, club=club, old_name=old_name, new_name=club.name)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if _is_name_conflict(exc):
            raise ClubNameTaken(_name_taken_message()) from None
        raise
    if renamed:
        club_renamed.send(club, old_name=old_name)


# --- members -------------------------------------------------------------------


def change_role(membership: Membership, role: Role, *, by) -> None:
    _lock_club(membership.club)
    if membership.role is Role.BOARD and role is not Role.BOARD and is_last_board_member(membership):
        raise ClubError(
            _(
                "Der Verein braucht mindestens ein Vorstandsmitglied. Ernennen Sie zuerst eine andere "
                "Person zum Vorstand."
            )
        )
    old = membership.role
    membership.role = role
    audit_record(
        "member.role_changed", actor=by, club=membership.club, user_id=membership.user_id, old=old.value, new=role.value
    )
    db.session.commit()
    membership_changed.send(membership.club, user_id=membership.user_id, role=role)


def remove_member(membership: Membership, *, by) -> None:
    _lock_club(membership.club)
    if is_last_board_member(membership):
        raise ClubError(
            _(
                "Das letzte Vorstandsmitglied kann den Verein nicht verlassen. Ernennen Sie zuerst eine "
                "andere Person zum Vorstand."
            )
        )
    club, user_id = membership.club, membership.user_id
    audit_record("member.removed", actor=by, club=club, user_id=user_id, role=membership.role.value)
    db.session.delete(membership)
    db.session.commit()
    membership_changed.send(club, user_id=user_id, role=None)


# --- invitations ----------------------------------------------------------------


def invitation_default_days() -> int:
    """How long an invitation is valid unless the board says otherwise (INVITATION_DEFAULT_DAYS)."""
    return int(current_app.config.get("INVITATION_DEFAULT_DAYS") or 14)


def invite_by_email(club: Club, email: str, role: Role, *, by) -> Invitation:
    ensure_active(club)
    email = User.normalise_email(email)
    already = db.session.scalar(
        sa.select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.club_id == club.id, User.email == email)
    )
    if already:
        raise ClubError(_("Diese Person ist schon Mitglied im Verein."))
    invitation = Invitation(
        club_id=club.id,
        email=email,
        role=role,
        multi_use=False,
        created_by_id=by.id,
        expires_at=utcnow() + timedelta(days=invitation_default_days()),
    )
    db.session.add(invitation)
    db.session.flush()
    # The invitee by id when they have an account with this (confirmed) address: export and deletion
    # find entries by id only, never by the address.
    invitee_id = db.session.scalar(sa.select(User.id).where(User.email == email, User.email_confirmed_at.is_not(None)))
    audit_record(
        "invitation.created",
        actor=by,
        club=club,
        email=email,
        role=role.value,
        kind="email",
        invitation_id=invitation.id,
        **({"invitee_user_id": invitee_id} if invitee_id else {}),
    )
    link = external_url("clubs.accept_invitation", token=invitation.token)
    # Mail first, then commit: if the mail server fails, no invitation is left behind.
    send_mail(
        email,
        _("Einladung in den Vereinsraum von %(name)s", name=club.name),
        "clubs/email/invitation",
        club=club,
        inviter=by,
        link=link,
        role=role,
        invitation=invitation,
    )
    db.session.commit()
    return invitation


def create_invite_link(club: Club, role: Role, *, days: int, multi_use: bool, by) -> Invitation:
    ensure_active(club)
    invitation = Invitation(
        club_id=club.id,
        email=None,
        role=role,
        multi_use=multi_use,
        created_by_id=by.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    audit_record("invitation.created", actor=by, club=club, role=role.value, kind="link", multi_use=multi_use)
    db.session.commit()
    return invitation


def revoke_invitation(invitation: Invitation, *, by) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit_record("invitation.revoked", actor=by, club=invitation.club, invitation_id=invitation.id)
        db.session.commit()


def find_invitation(token: str) -> Invitation | None:
    return db.session.scalar(sa.select(Invitation).where(Invitation.token == token))


def accept_invitation(invitation: Invitation, user) -> Membership:
    """Add the user to the club. Existing members keep the higher role."""
    # Re-read under a lock so a single-use link cannot be used twice concurrently.
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.id == invitation.id).with_for_update())
    if not invitation.is_usable or not invitation.club.is_active:
        raise ClubError(_("Diese Einladung ist nicht mehr gültig. Bitte fragen Sie im Vorstand nach einer neuen."))
    if invitation.email and invitation.email != user.email:
        raise ClubError(
            _(
                "Diese Einladung gilt für eine andere E-Mail-Adresse (%(email)s). Bitte melden Sie sich "
                "mit dieser Adresse an.",
                email=invitation.email,
            )
        )
    if invitation.email:
        user.confirm_email()  # the invitation reached this mailbox
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.club_id == invitation.club_id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(club_id=invitation.club_id, user_id=user.id, role=invitation.role)
        db.session.add(membership)
    elif invitation.role.rank > membership.role.rank:
        membership.role = invitation.role
    invitation.use_count += 1
    audit_record(
        "invitation.accepted", actor=user, club=invitation.club, invitation_id=invitation.id, role=membership.role.value
    )
    db.session.commit()
    membership_changed.send(invitation.club, user_id=user.id, role=membership.role)
    return membership
