"""Deletion and export across the other domains' models (declared in declarations.py)."""

from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Club, Membership, Role
from app.core.db import utcnow
from app.dataprotection import retention
from app.dataprotection.closure import request_closure
from app.dataprotection.erasure import erase_user
from app.dataprotection.models import ClubDeletion
from app.dataprotection.services import user_data
from app.extensions import db

from .helpers import traces


def _content_of(person, club, staff):
    """One row per domain model that refers to the person, written the way the domains write them."""
    from app.admin.models import StaffNote
    from app.chat.models import ChatAccount
    from app.meetings.models import MeetingRun, Room, ScheduledMeeting
    from app.privacy.models import Answer, AnswerChange, ReminderSent
    from app.workshops.models import Registration, Workshop

    room = db.session.scalars(sa.select(Room).where(Room.club_id == club.id)).first()
    workshop = Workshop(
        title="Datenschutz für Vereine",
        topic="datenschutz",
        starts_at=utcnow() + timedelta(days=3),
        registration_deadline=utcnow() + timedelta(days=2),
        created_by_id=staff.id,
    )
    db.session.add(workshop)
    db.session.flush()
    rows = dict(
        answer=Answer(
            club_id=club.id,
            item_key="org-owner",
            status="yes",
            note="Vorstand kümmert sich",
            responsible_id=person.id,
            updated_by_id=person.id,
        ),
        history=AnswerChange(
            club_id=club.id,
            item_key="org-owner",
            user_id=person.id,
            user_name=person.name,
            changes={"responsible_id": ["–", person.name], "status": ["", "yes"]},
            new_responsible_id=person.id,
        ),
        reminder=ReminderSent(
            club_id=club.id, item_key="org-owner", due_date=utcnow().date(), kind="soon", recipient=person.email
        ),
        run=MeetingRun(club_id=club.id, room_id=room.id, started_by_id=person.id),
        meeting=ScheduledMeeting(
            club_id=club.id,
            room_id=room.id,
            title="Vorstandssitzung",
            starts_at=utcnow() + timedelta(days=1),
            created_by_id=person.id,
        ),
        chat=ChatAccount(user_id=person.id, mm_user_id=None, email=person.email),
        note=StaffNote(club_id=club.id, author_id=staff.id, body="Rückruf vereinbart"),
        registration=Registration(
            workshop_id=workshop.id,
            user_id=person.id,
            club_id=club.id,
            name=person.name,
            email=person.email,
            status="confirmed",
        ),
    )
    db.session.add_all(rows.values())
    db.session.commit()
    return rows


def test_personal_export_covers_the_domains(roles):
    _content_of(roles.member, roles.club, roles.staff)
    data = user_data(roles.member)
    assert data["checklist"]["privacy_answer_change"][0]["user_name"] == roles.member.name
    assert data["checklist"]["privacy_reminder"][0]["recipient"] == roles.member.email
    assert data["meetings"]["scheduled_meeting"][0]["title"] == "Vorstandssitzung"
    assert data["chat"]["chat_account"][0]["email"] == roles.member.email
    assert data["workshops"]["workshop_registration"][0]["email"] == roles.member.email


def test_account_deletion_across_domains_keeps_club_content_anonymous(roles):
    from app.meetings.models import ScheduledMeeting
    from app.privacy.models import Answer, AnswerChange

    person = db.session.get(User, roles.member.id)
    rows = _content_of(person, roles.club, roles.staff)
    uid, email, name = person.id, person.email, person.name
    answer_id, history_id, meeting_id = rows["answer"].id, rows["history"].id, rows["meeting"].id
    erase_user(person)
    assert traces(table_ref="user", ident=uid, needles=(email, name)) == []
    answer = db.session.get(Answer, answer_id)
    assert answer.note == "Vorstand kümmert sich" and answer.responsible_id is None
    history = db.session.get(AnswerChange, history_id)
    assert history.user_name == "ehemaliges Mitglied"
    assert history.changes["responsible_id"] == ["–", "ehemaliges Mitglied"]
    assert history.new_responsible_id is None
    assert db.session.get(ScheduledMeeting, meeting_id).created_by_id is None


def test_club_deletion_across_domains(roles):
    from app.workshops.models import Registration

    rows = _content_of(roles.member, roles.club, roles.staff)
    club = db.session.get(Club, roles.club.id)
    club_id, name, slug = club.id, club.name, club.slug
    registration_id = rows["registration"].id
    deletion = request_closure(club, by=roles.board)
    deletion.delete_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    retention.run()
    db.session.expire_all()
    assert db.session.scalars(sa.select(ClubDeletion)).one().completed_at is not None
    assert traces(table_ref="club", ident=club_id, needles=(name, slug)) == []
    # the person's workshop registration is theirs: it stays, without the club
    registration = db.session.get(Registration, registration_id)
    assert registration is not None and registration.club_id is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.role == Role.BOARD, Membership.club_id == club_id)
        )
        == 0
    )
