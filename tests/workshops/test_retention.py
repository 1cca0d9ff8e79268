from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from app.consultation import services as consultation
from app.consultation.models import ConsultationBooking, QueueEntry
from app.extensions import db
from app.workshops import services
from app.workshops.models import Registration, Workshop

from .conftest import berlin

UTC = timezone.utc


def purge_both(**kwargs) -> int:
    """The retention run's purges of both domains (workshop registrations; bookings and queue places)."""
    return services.purge_expired_participants(**kwargs) + consultation.purge_expired_participants(**kwargs)


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_reminder_and_materials_mails_are_sent_once(roles, client_for, make_workshop, mailbox):
    workshop = make_workshop(starts_in=timedelta(hours=20), materials_url="https://example.org/unterlagen")
    client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden")
    mailbox.clear()
    assert services.send_due_mails()["reminders"] == 1
    assert services.send_due_mails()["reminders"] == 0
    [reminder] = mailbox.to(roles.member.email)
    assert "Erinnerung: Sicher im Netz" in reminder["Subject"]
    assert "BEGIN:VCALENDAR" in reminder.get_payload()[1].get_payload(decode=True).decode()
    mailbox.clear()

    assert services.send_due_mails(workshop.ends_at - timedelta(minutes=1))["materials"] == 0
    after = workshop.ends_at + timedelta(minutes=5)
    assert services.send_due_mails(after)["materials"] == 1
    assert services.send_due_mails(after)["materials"] == 0
    [materials] = mailbox.to(roles.member.email)
    assert "https://example.org/unterlagen" in mailbox.body(materials)


def test_materials_link_shown_to_participants_after_the_date(roles, client_for, make_workshop, clock):
    workshop = make_workshop(materials_url="https://example.org/unterlagen")
    member = client_for(roles.member)
    member.post(f"/workshops/{workshop.id}/anmelden")
    assert "https://example.org/unterlagen" not in member.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    clock.set(workshop.ends_at + timedelta(hours=1))
    assert "https://example.org/unterlagen" in member.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "https://example.org/unterlagen" not in client_for(roles.board).get(f"/workshops/{workshop.id}").get_data(
        as_text=True
    )


def test_personal_data_is_deleted_after_the_retention_period(
    app, roles, client_for, make_workshop, make_schedule, clock
):
    app.config["WORKSHOP_RETENTION_DAYS"] = 30
    old = make_workshop(title="Alt")
    recent = make_workshop(title="Neu", starts_in=timedelta(days=20))
    for workshop in (old, recent):
        client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden")
        client_for(roles.board).post(f"/workshops/{workshop.id}/anmelden")
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    client_for(roles.member).post(
        "/sprechstunde/buchen",
        data={
            "slot": datetime(2026, 3, 17, 16, 0, tzinfo=UTC).isoformat(),
            "topic": "datenschutz",
            "question": "Frage",
        },
    )
    clock.set(berlin(2026, 3, 17, 17, 5))
    client_for(roles.board).post(
        "/sprechstunde/warteschlange", data={"queue-topic": "sonstiges", "queue-question": "?"}
    )
    assert (_count(Registration), _count(ConsultationBooking), _count(QueueEntry)) == (4, 1, 1)

    # 31 days after the old workshop ended, but only 11 after the recent one.
    now = old.ends_at + timedelta(days=31)
    assert purge_both(now=now, dry_run=True) == 2 + 1 + 1
    assert _count(Registration) == 4
    assert purge_both(now=now) == 4
    remaining = db.session.scalars(sa.select(Registration)).all()
    assert {r.workshop_id for r in remaining} == {recent.id}
    assert (_count(ConsultationBooking), _count(QueueEntry)) == (0, 0)
    db.session.refresh(old)
    assert old.participants_purged_at is not None and old.participant_count == 2
    assert purge_both(now=now) == 0
    staff_view = client_for(roles.staff).get(f"/admin/workshops/{old.id}").get_data(as_text=True)
    assert "Personendaten wurden am" in staff_view and roles.member.email not in staff_view


def test_purge_command(app, runner, roles, client_for, make_workshop):
    app.config["WORKSHOP_RETENTION_DAYS"] = 0
    workshop = make_workshop(starts_in=timedelta(days=-2))
    db.session.add(
        Registration(
            workshop_id=workshop.id,
            user_id=roles.member.id,
            name="Moritz",
            email=roles.member.email,
            status="confirmed",
        )
    )
    db.session.commit()
    result = runner.invoke(args=["workshops", "purge", "--dry-run"])
    assert result.exit_code == 0 and "1 Datensätze würden gelöscht" in result.output
    result = runner.invoke(args=["workshops", "purge"])
    assert result.exit_code == 0 and "1 Datensätze gelöscht" in result.output
    assert _count(Registration) == 0
    assert db.session.get(Workshop, workshop.id) is not None


def test_queue_entries_of_old_days_are_purged(app, roles):
    app.config["WORKSHOP_RETENTION_DAYS"] = 7
    db.session.add(
        QueueEntry(
            day=date(2026, 1, 20),
            user_id=roles.member.id,
            name="M",
            topic="sonstiges",
            question="",
            priority_at=berlin(2026, 1, 20, 17),
        )
    )
    db.session.commit()
    assert consultation.purge_expired_participants(now=berlin(2026, 1, 25, 12)) == 0
    assert consultation.purge_expired_participants(now=berlin(2026, 1, 28, 12)) == 1


def test_a_consultations_own_room_is_purged_with_its_queue_entry(app, roles):
    from app.meetings.models import Room

    app.config["WORKSHOP_RETENTION_DAYS"] = 7
    workshop_room = Room(club_id=None, name="Workshop")
    consultation_room = Room(club_id=None, name="Digitale Sprechstunde")
    db.session.add_all([workshop_room, consultation_room])
    db.session.flush()
    db.session.add(
        QueueEntry(
            day=date(2026, 1, 20),
            user_id=roles.member.id,
            name="M",
            topic="sonstiges",
            question="",
            priority_at=berlin(2026, 1, 20, 17),
            status="done",
            room_id=consultation_room.id,
        )
    )
    db.session.commit()
    kept, purged = workshop_room.id, consultation_room.id
    assert consultation.purge_expired_participants(now=berlin(2026, 1, 28, 12)) == 1
    db.session.expire_all()
    assert db.session.get(Room, purged) is None
    assert db.session.get(Room, kept) is not None
