import os

import sqlalchemy as sa
from flask import render_template_string

from app.auth.models import User
from app.clubs.models import Invitation, Membership, Role
from app.clubs.services import create_invite_link, invite_by_email
from app.core.audit import AuditEntry, audit_record
from app.dataprotection.services import pseudonym
from app.extensions import db
from tests.conftest import PASSWORD

from .helpers import traces


def _second_board(roles):
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == roles.member.id))
    membership.role = Role.BOARD
    db.session.commit()


def test_account_deletion_leaves_no_trace_of_the_person(roles, client_for, mailbox):
    _second_board(roles)  # the member is now a second board member and may leave
    person = roles.member
    uid, email, name = person.id, person.email, person.name
    invite_link = create_invite_link(roles.club, Role.MEMBER, days=7, multi_use=True, by=person)
    invite_by_email(roles.club, "neu@example.org", Role.MEMBER, by=person)
    invite_by_email(roles.other_club, email, Role.MEMBER, by=roles.outsider)  # addressed to the person
    audit_record("test.something", actor=roles.board, club=roles.club, user_id=uid, email=email)
    db.session.commit()
    client = client_for(person)
    client.post("/konto/meine-daten/export")  # an export file exists, too
    from app.dataprotection.exports import export_dir

    assert os.listdir(export_dir())

    response = client.post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 303

    assert db.session.get(User, uid) is None
    assert os.listdir(export_dir()) == []
    assert traces(table_ref="user", ident=uid, needles=(email, name)) == []
    # what the person did for the club stays with the club, without the name
    kept = db.session.get(Invitation, invite_link.id)
    assert kept is not None and kept.created_by_id is None
    # the audit log keeps the events, pseudonymised
    pid = pseudonym("user", uid)
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert any(e.details.get("actor") == pid for e in entries)
    assert any(e.details.get("user_id") == pid for e in entries)
    assert any(e.action == "account.deleted" and e.details.get("pseudonym") == pid for e in entries)
    # the club still has its board
    assert db.session.get(User, roles.board.id) is not None


def test_last_board_member_cannot_delete_and_is_told_why(roles, client_for):
    response = client_for(roles.board).post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "einzige Vorstand" in text and roles.club.name in text
    assert db.session.get(User, roles.board.id) is not None


def test_deletion_needs_the_password(roles, client_for):
    response = client_for(roles.member).post("/konto/loeschen", data={"current_password": "falsch-falsch-falsch"})
    assert response.status_code == 422
    assert db.session.get(User, roles.member.id) is not None


def test_handing_over_the_board_role_unblocks_deletion(roles, client_for):
    _second_board(roles)
    response = client_for(roles.board).post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 303
    club = roles.club
    db.session.refresh(club)
    assert club.created_by_id is None
    assert club.contact_email == roles.member.email  # the contact address moved to the remaining board member


def test_former_member_label(app):
    assert render_template_string("{{ none|author_label }}") == "ehemaliges Mitglied"
    assert render_template_string("{{ user|author_label }}", user=User(name="Ada")) == "Ada"
