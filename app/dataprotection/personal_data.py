"""Personal data of the base domains (accounts, clubs, the audit log) and of this package.

They sit below app.dataprotection, so it declares them; every feature domain declares its own
models in its ``personal_data.py`` (see registry.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import Passkey, RecoveryCode, TotpSecret, User
from ..clubs.models import Club, ClubStatusChange, Invitation, Membership, Role
from ..core.audit import AuditEntry
from ..extensions import db
from .erasure import audit_clause, audit_club_clause, pseudonymise_audit_for_club, pseudonymise_audit_for_user
from .exports import delete_exports_of_user
from .models import ClubDeletion, DataExport
from .registry import declare, email_clause


def declare_base_domains() -> None:
    declare(
        User,
        category="account",
        on_user_delete="self",
        on_club_delete="keep",
        club_rows=lambda model, club: model.id.in_(sa.select(Membership.user_id).where(Membership.club_id == club.id)),
        club_export=_club_members_export,
    )
    # Two-factor login: the person's own rows, deleted with the account. Secrets never leave: the encrypted
    # TOTP secret (a "…secret" column), the recovery code hashes and the passkeys' credential ids and keys.
    declare(TotpSecret, category="two_factor", on_user_delete="delete", on_club_delete="keep")
    declare(RecoveryCode, category="two_factor", on_user_delete="delete", on_club_delete="keep", exclude=("code_hash",))
    declare(
        Passkey,
        category="two_factor",
        on_user_delete="delete",
        on_club_delete="keep",
        exclude=("credential_id", "public_key"),
    )
    declare(
        Membership,
        category="memberships",
        on_user_delete="delete",
        on_club_delete="delete",
        user_export=_my_memberships,
    )
    declare(
        Club,
        category="clubs",
        on_user_delete=_club_without_person,
        on_club_delete="self",
        user_rows=lambda model, user: sa.or_(model.created_by_id == user.id, email_clause(model.contact_email, user)),
    )
    declare(ClubStatusChange, category="clubs", on_user_delete="keep-with-club", on_club_delete="delete")

    def invitations_of(model, user):
        return sa.or_(model.created_by_id == user.id, email_clause(model.email, user))

    def erase_invitations(user, _pid):
        # Invitations addressed to the person's confirmed address go; those they sent stay with the
        # club without their name.
        db.session.execute(
            sa.delete(Invitation)
            .where(email_clause(Invitation.email, user))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.update(Invitation)
            .where(Invitation.created_by_id == user.id)
            .values(created_by_id=None)
            .execution_options(synchronize_session=False)
        )

    declare(
        Invitation,
        category="invitations",
        user_rows=invitations_of,
        on_user_delete=erase_invitations,
        on_club_delete="delete",
    )
    declare(
        AuditEntry,
        category="audit",
        user_rows=audit_clause,
        club_rows=audit_club_clause,
        on_user_delete=pseudonymise_audit_for_user,
        on_club_delete=pseudonymise_audit_for_club,
    )
    declare(DataExport, category="exports", on_user_delete=delete_exports_of_user, on_club_delete="keep")

    def keep_deletion_record(club, _pid):
        db.session.execute(
            sa.update(ClubDeletion)
            .where(ClubDeletion.club_id == club.id)
            .values(club_id=None)
            .execution_options(synchronize_session=False)
        )

    declare(ClubDeletion, category="clubs", on_user_delete="keep-with-club", on_club_delete=keep_deletion_record)


def _club_without_person(user, _pid) -> None:
    """Clubs stay; "created by" goes, a contact address that is the person's moves to another board member.

    The contact address counts as the person's only if they confirmed it: deleting an unconfirmed
    account registered with a club's address changes nothing at that club.
    """
    db.session.execute(
        sa.update(Club)
        .where(Club.created_by_id == user.id)
        .values(created_by_id=None)
        .execution_options(synchronize_session=False)
    )
    for club in db.session.scalars(sa.select(Club).where(email_clause(Club.contact_email, user))):
        other = db.session.scalar(
            sa.select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.club_id == club.id, Membership.role == Role.BOARD, User.id != user.id)
            .order_by(Membership.created_at)
        )
        club.contact_email = other or ""
    db.session.flush()


def _my_memberships(user) -> list[dict]:
    rows = db.session.execute(
        sa.select(Membership, Club.name, Club.slug)
        .join(Club, Club.id == Membership.club_id)
        .where(Membership.user_id == user.id)
        .order_by(Club.name)
    ).all()
    return [
        {
            "id": m.id,
            "club_id": m.club_id,
            "club": name,
            "club_slug": slug,
            "role": m.role.value,
            "created_at": m.created_at.isoformat(),
        }
        for m, name, slug in rows
    ]


def _club_members_export(club) -> list[dict]:
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.club_id == club.id)
        .order_by(User.name)
    ).all()
    return [{"id": uid, "name": name, "email": email, "role": role.value} for uid, name, email, role in rows]


def register() -> None:
    declare_base_domains()
