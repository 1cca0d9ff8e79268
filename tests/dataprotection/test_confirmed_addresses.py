"""Rows found by e-mail address belong to a person only once they have confirmed that address.

Issue 12, item 9: anyone can register an unconfirmed account with a club's contact address (or an
invited person's address) and then received the club row and the invitations in "Meine Daten";
deleting that account moved the club's contact address and deleted the invitations.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.clubs.models import Club, Invitation, Role
from app.clubs.services import invite_by_email, update_profile
from app.core.db import utcnow
from app.dataprotection.erasure import erase_user
from app.dataprotection.services import user_data
from app.extensions import db

CLUB_ADDRESS = "info@imkerverein.example"


def _club_with_contact_address(roles, mailbox):
    from app.privacy.models import ReminderSent

    club = roles.club
    update_profile(
        club,
        by=roles.board,
        name=club.name,
        legal_form=club.legal_form,
        district=club.district,
        contact_email=CLUB_ADDRESS,
    )
    invitation = invite_by_email(roles.other_club, CLUB_ADDRESS, Role.MEMBER, by=roles.outsider)
    db.session.add(
        ReminderSent(
            club_id=club.id, item_key="org-owner", due_date=utcnow().date(), kind="soon", recipient=CLUB_ADDRESS
        )
    )
    db.session.commit()
    return club, invitation


def _by_address(data) -> dict[str, list]:
    return {
        "club": data["clubs"]["club"],
        "invitation": data["invitations"]["invitation"],
        "reminder": data["checklist"]["privacy_reminder"],
    }


def test_unconfirmed_account_gets_nothing_matched_by_address(roles, make_user, mailbox):
    club, invitation = _club_with_contact_address(roles, mailbox)
    squatter = make_user(email=CLUB_ADDRESS, name="Niemand", confirmed=False)
    assert _by_address(user_data(squatter)) == {"club": [], "invitation": [], "reminder": []}

    # once the address is confirmed (the mailbox is theirs), the rows addressed to it are theirs
    squatter.confirm_email()
    db.session.commit()
    found = _by_address(user_data(squatter))
    assert [row["id"] for row in found["club"]] == [club.id]
    assert [row["id"] for row in found["invitation"]] == [invitation.id]
    assert len(found["reminder"]) == 1


def test_deleting_an_unconfirmed_account_leaves_rows_addressed_to_it_alone(roles, make_user, mailbox):
    from app.privacy.models import ReminderSent

    club, invitation = _club_with_contact_address(roles, mailbox)
    squatter = make_user(email=CLUB_ADDRESS, name="Niemand", confirmed=False)
    club_id, invitation_id = club.id, invitation.id
    erase_user(squatter)
    assert db.session.get(Club, club_id).contact_email == CLUB_ADDRESS
    assert db.session.get(Invitation, invitation_id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 1


def test_workshop_rows_follow_the_account_not_an_old_address(roles, make_user, mailbox):
    """A registration copies the address; a later account with that old address does not get it."""
    from app.auth.services import apply_email_change, make_token
    from app.workshops.models import Registration, Workshop
    from app.workshops.services import register

    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    workshop = Workshop(
        title="Sicher im Netz",
        description="",
        topic="online-sicherheit",
        starts_at=start,
        duration_minutes=90,
        online=True,
        capacity=5,
        registration_deadline=start - timedelta(hours=1),
    )
    db.session.add(workshop)
    db.session.commit()
    old_address = roles.member.email
    registration = register(workshop.id, roles.member)
    apply_email_change(make_token("change-email", roles.member, new="moritz@neu.example"))
    newcomer = make_user(email=old_address, name="Neu", confirmed=True)
    assert user_data(newcomer)["workshops"]["workshop_registration"] == []
    assert [r["id"] for r in user_data(roles.member)["workshops"]["workshop_registration"]] == [registration.id]
    erase_user(newcomer)
    assert db.session.get(Registration, registration.id) is not None
