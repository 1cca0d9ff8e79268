"""Declarations of every model that holds personal data (see registry.py).

Foundation models and this package's own models are declared here, and – where
their packages exist – the other domains' models. A model with a FK to ``user``
or ``club`` that is missing here makes ``tests/dataprotection`` fail.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .registry import declare, declare_staff_only_audit, email_clause


def declare_foundation() -> None:
    from ..auth.models import User
    from ..clubs.models import Club, ClubStatusChange, Invitation, Membership
    from ..core.audit import AuditEntry
    from .models import ClubDeletion, DataExport
    from .services import (
        audit_clause,
        audit_club_clause,
        delete_exports_of_user,
        pseudonymise_audit_for_club,
        pseudonymise_audit_for_user,
    )

    declare(User, category="account", on_user_delete="self", on_club_delete="keep",
            club_rows=lambda model, club: model.id.in_(
                sa.select(Membership.user_id).where(Membership.club_id == club.id)),
            club_export=_club_members_export)
    declare(Membership, category="memberships", on_user_delete="delete", on_club_delete="delete",
            user_export=_my_memberships)
    declare(Club, category="clubs", on_user_delete=_club_without_person, on_club_delete="self",
            user_rows=lambda model, user: sa.or_(model.created_by_id == user.id,
                                                 email_clause(model.contact_email, user)))
    declare(ClubStatusChange, category="clubs", on_user_delete="keep-with-club", on_club_delete="delete")

    def invitations_of(model, user):
        return sa.or_(model.created_by_id == user.id, email_clause(model.email, user))

    def erase_invitations(user, _pid):
        # Invitations addressed to the person's confirmed address go; those they sent stay with the
        # club without their name.
        db.session.execute(sa.delete(Invitation).where(email_clause(Invitation.email, user))
                           .execution_options(synchronize_session=False))
        db.session.execute(sa.update(Invitation).where(Invitation.created_by_id == user.id)
                           .values(created_by_id=None).execution_options(synchronize_session=False))

    declare(Invitation, category="invitations", user_rows=invitations_of, on_user_delete=erase_invitations,
            on_club_delete="delete")
    declare(AuditEntry, category="audit", user_rows=audit_clause, club_rows=audit_club_clause,
            on_user_delete=pseudonymise_audit_for_user, on_club_delete=pseudonymise_audit_for_club)
    declare(DataExport, category="exports", on_user_delete=delete_exports_of_user, on_club_delete="keep")

    def keep_deletion_record(club, _pid):
        db.session.execute(sa.update(ClubDeletion).where(ClubDeletion.club_id == club.id)
                           .values(club_id=None).execution_options(synchronize_session=False))

    declare(ClubDeletion, category="clubs", on_user_delete="keep-with-club", on_club_delete=keep_deletion_record)


def _club_without_person(user, _pid) -> None:
    """Clubs stay; "created by" goes, a contact address that is the person's moves to another board member.

    The contact address counts as the person's only if they confirmed it: deleting an unconfirmed
    account registered with a club's address changes nothing at that club.
    """
    from ..auth.models import User
    from ..clubs.models import Club, Membership, Role

    db.session.execute(sa.update(Club).where(Club.created_by_id == user.id).values(created_by_id=None)
                       .execution_options(synchronize_session=False))
    for club in db.session.scalars(sa.select(Club).where(email_clause(Club.contact_email, user))):
        other = db.session.scalar(
            sa.select(User.email).join(Membership, Membership.user_id == User.id)
            .where(Membership.club_id == club.id, Membership.role == Role.BOARD, User.id != user.id)
            .order_by(Membership.created_at)
        )
        club.contact_email = other or ""
    db.session.flush()


def _my_memberships(user) -> list[dict]:
    from ..clubs.models import Club, Membership

    rows = db.session.execute(
        sa.select(Membership, Club.name, Club.slug).join(Club, Club.id == Membership.club_id)
        .where(Membership.user_id == user.id).order_by(Club.name)
    ).all()
    return [{"id": m.id, "club_id": m.club_id, "club": name, "club_slug": slug, "role": m.role.value,
             "created_at": m.created_at.isoformat()} for m, name, slug in rows]


def _club_members_export(club) -> list[dict]:
    from ..auth.models import User
    from ..clubs.models import Membership

    rows = db.session.execute(
        sa.select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id).where(Membership.club_id == club.id).order_by(User.name)
    ).all()
    return [{"id": uid, "name": name, "email": email, "role": role.value} for uid, name, email, role in rows]


# --- other domains -----------------------------------------------------------------------
# Declared when their packages exist, so this file works while they are being built. The
# generic code works on the FK columns; callables handle copies of names and e-mail addresses.

def _former_member_history(user, pid) -> None:
    """Checklist history stays with the club: "ehemaliges Mitglied" instead of the name.

    Only entries that reference the person by id: as author (``user_id``) or as the responsible person
    before/after the change (``old_/new_responsible_id``). Answers and notes are never searched for the
    name: another club's answer "Ja" is not the person "Ja".
    """
    from ..privacy.models import AnswerChange
    from .services import former_member

    label = former_member()
    uid = user.id
    for change in db.session.scalars(sa.select(AnswerChange).where(sa.or_(
            AnswerChange.user_id == uid, AnswerChange.old_responsible_id == uid,
            AnswerChange.new_responsible_id == uid))):
        if change.user_id == uid:
            change.user_id = None
            change.user_name = label
        changes = dict(change.changes or {})
        responsible = list(changes.get("responsible_id") or ())
        for position, column in enumerate(("old_responsible_id", "new_responsible_id")):
            if getattr(change, column) == uid:
                setattr(change, column, None)
                if position < len(responsible):
                    responsible[position] = label
        if "responsible_id" in changes:
            changes["responsible_id"] = responsible
        change.changes = changes
    db.session.flush()


def declare_privacy() -> None:
    from ..privacy.models import Answer, AnswerChange, Assessment, ReminderSent

    declare(Assessment, category="checklist", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(Answer, category="checklist", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(AnswerChange, category="checklist", on_user_delete=_former_member_history, on_club_delete="delete")
    declare(ReminderSent, category="checklist", on_user_delete="delete", on_club_delete="delete",
            user_rows=lambda model, user: email_clause(model.recipient, user))


def declare_meetings() -> None:
    from ..meetings.models import CalendarFeed, MeetingRun, Room, ScheduledMeeting

    declare(Room, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete",
            exclude=("guest_token", "access_code"))
    declare(MeetingRun, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(ScheduledMeeting, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(CalendarFeed, category="meetings", on_user_delete="keep-with-club", on_club_delete="delete")


def declare_chat() -> None:
    from ..chat.models import ChatAccount, ChatLink, ChatOp

    declare(ChatLink, category="chat", on_user_delete="keep-with-club", on_club_delete="delete",
            exclude=("webhook_url",))
    declare(ChatAccount, category="chat", on_user_delete="delete", on_club_delete="keep")
    # Queued Mattermost changes (e.g. removing the person from the channel) must still run after an
    # account deletion; they carry no FK to the person and are deleted with the club.
    declare(ChatOp, category="chat", on_user_delete="keep-with-club", on_club_delete="delete")


def declare_admin() -> None:
    from ..admin.models import StaffNote

    # Never shown to the club: not in its export, nor are the audit entries that tell a note exists.
    declare(StaffNote, category="admin", on_user_delete="keep-with-club", on_club_delete="delete", staff_only=True)
    declare_staff_only_audit("admin.note_added", "admin.note_deleted")


def declare_content() -> None:
    from ..guide.models import ContentRevision

    declare(ContentRevision, category="admin", on_user_delete="keep-with-club", on_club_delete="keep")


def declare_pages() -> None:
    from ..pages.models import Page

    declare(Page, category="admin", on_user_delete="keep-with-club", on_club_delete="keep")


def declare_workshops() -> None:
    from ..workshops.models import ConsultationBooking, QueueEntry, Registration, Workshop

    declare(Workshop, category="workshops", on_user_delete="keep-with-club", on_club_delete="keep")
    # Registrations and bookings belong to the person (the club is only context): deleted with the
    # account, kept without the club reference when the club is deleted.
    # Found by the user id they always carry, not by the e-mail address copied into them.
    declare(Registration, category="workshops", on_user_delete="delete", on_club_delete="pseudonymise")
    declare(ConsultationBooking, category="workshops", on_user_delete="delete", on_club_delete="pseudonymise")
    declare(QueueEntry, category="workshops", on_user_delete="delete", on_club_delete="pseudonymise")


OTHER_DOMAINS = (declare_privacy, declare_meetings, declare_chat, declare_admin, declare_content, declare_pages,
                 declare_workshops)


def declare_other_domains() -> None:
    for declare_domain in OTHER_DOMAINS:
        declare_domain()


def declare_all() -> None:
    declare_foundation()
    declare_other_domains()
