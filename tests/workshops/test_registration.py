from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.core.tokens import cancel_token
from app.extensions import db
from app.workshops import services
from app.workshops.models import Registration
from tests.conftest import HX

from .conftest import ics_of


def _status(workshop, user):
    return db.session.scalar(
        sa.select(Registration.status).where(Registration.workshop_id == workshop.id, Registration.user_id == user.id)
    )


def test_anonymous_sees_workshop_and_is_sent_to_login(client, make_workshop):
    workshop = make_workshop()
    page = client.get(f"/workshops/{workshop.id}")
    assert page.status_code == 200
    assert "Sicher im Netz" in page.get_data(as_text=True)
    assert "Anmelden und teilnehmen" in page.get_data(as_text=True)
    response = client.post(f"/workshops/{workshop.id}/anmelden")
    assert response.status_code == 302 and "/konto/anmelden" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_register_confirms_and_mails_ics(roles, client_for, make_workshop, mailbox):
    workshop = make_workshop(online=True)
    response = client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden", data={"club": str(roles.club.id)})
    assert response.status_code == 303
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status == "confirmed" and registration.club_id == roles.club.id
    [msg] = mailbox.to(roles.member.email)
    assert "Anmeldung bestätigt: Sicher im Netz" in msg["Subject"]
    body = mailbox.body(msg)
    assert "für Imkerverein Pankow" in body
    assert "/workshops/abmelden/" in body
    cal = Calendar.from_ical(ics_of(msg))
    [event] = cal.walk("VEVENT")
    assert str(event["summary"]) == "Workshop: Sicher im Netz"
    assert event.decoded("dtstart") == workshop.starts_at
    assert event.decoded("dtend") == workshop.starts_at + timedelta(minutes=90)
    assert str(event["uid"]) == f"workshop-{workshop.id}@vereinsraum"
    assert str(event["status"]) == "CONFIRMED"
    assert f"/workshops/{workshop.id}" in str(event["location"])


def test_register_for_foreign_club_is_ignored(roles, client_for, make_workshop):
    workshop = make_workshop()
    response = client_for(roles.member).post(
        f"/workshops/{workshop.id}/anmelden", data={"club": str(roles.other_club.id)}
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_full_workshop_puts_people_on_waiting_list_and_moves_up(make_user, client_for, make_workshop, mailbox):
    workshop = make_workshop(capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    for user in (first, second, third):
        assert client_for(user).post(f"/workshops/{workshop.id}/anmelden").status_code == 303
    assert [_status(workshop, u) for u in (first, second, third)] == ["confirmed", "waiting", "waiting"]
    waiting_mail = mailbox.to(second.email)[0]
    assert "Warteliste" in waiting_mail["Subject"] and "Platz 1" in mailbox.body(waiting_mail)
    assert "Platz 2" in mailbox.body(mailbox.to(third.email)[0])
    page = client_for(third).get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Warteliste (Platz 2)" in page
    mailbox.clear()

    assert client_for(first).post(f"/workshops/{workshop.id}/abmelden").status_code == 303
    assert [_status(workshop, u) for u in (first, second, third)] == ["cancelled", "confirmed", "waiting"]
    [moved] = mailbox.to(second.email)
    assert "nachgerückt" in moved["Subject"]
    assert "METHOD:PUBLISH" in ics_of(moved)
    [cancelled] = mailbox.to(first.email)
    assert "METHOD:CANCEL" in ics_of(cancelled) and "STATUS:CANCELLED" in ics_of(cancelled)
    assert mailbox.to(third.email) == []


def test_cancelled_person_can_register_again_at_the_end_of_the_line(make_user, client_for, make_workshop):
    workshop = make_workshop(capacity=1)
    first, second = make_user(), make_user()
    client_for(first).post(f"/workshops/{workshop.id}/anmelden")
    client_for(first).post(f"/workshops/{workshop.id}/abmelden")
    client_for(second).post(f"/workshops/{workshop.id}/anmelden")
    client_for(first).post(f"/workshops/{workshop.id}/anmelden")
    assert (_status(workshop, first), _status(workshop, second)) == ("waiting", "confirmed")


def test_double_registration_and_closed_registration_are_refused(roles, client_for, make_workshop):
    workshop = make_workshop()
    client = client_for(roles.member)
    assert client.post(f"/workshops/{workshop.id}/anmelden").status_code == 303
    again = client.post(f"/workshops/{workshop.id}/anmelden")
    assert again.status_code == 409 and "schon angemeldet" in again.get_data(as_text=True)
    closed = make_workshop(registration_deadline=make_workshop().starts_at - timedelta(days=30))
    response = client.post(f"/workshops/{closed.id}/anmelden")
    assert response.status_code == 409 and "geschlossen" in response.get_data(as_text=True)


def test_cancel_by_signed_link(roles, client, client_for, make_workshop, make_user, mailbox):
    workshop = make_workshop(capacity=1)
    waiting = make_user()
    client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden")
    client_for(waiting).post(f"/workshops/{workshop.id}/anmelden")
    registration = db.session.scalar(sa.select(Registration).where(Registration.user_id == roles.member.id))
    link = "/workshops/abmelden/" + cancel_token("workshop", registration)
    assert link in mailbox.body(mailbox.to(roles.member.email)[0])

    # GET only asks (mail scanners must not cancel); an anonymous browser is enough.
    asked = client.get(link)
    assert asked.status_code == 200 and "Ja, abmelden" in asked.get_data(as_text=True)
    assert _status(workshop, roles.member) == "confirmed"
    done = client.post(link)
    assert done.status_code == 200 and "Sie sind abgemeldet" in done.get_data(as_text=True)
    assert _status(workshop, roles.member) == "cancelled"
    assert _status(workshop, waiting) == "confirmed"

    assert client.get(link[:-3] + "xyz").status_code == 404
    assert client.get("/workshops/abmelden/kaputt").status_code == 404


def test_staff_capacity_increase_moves_people_up(roles, make_user, client_for, make_workshop, mailbox):
    workshop = make_workshop(capacity=1)
    users = [make_user() for _ in range(3)]
    for user in users:
        client_for(user).post(f"/workshops/{workshop.id}/anmelden")
    mailbox.clear()
    services.save_workshop(workshop, {"capacity": 2}, by=roles.staff)
    assert [_status(workshop, u) for u in users] == ["confirmed", "confirmed", "waiting"]
    assert len(mailbox.to(users[1].email)) == 1 and mailbox.to(users[2].email) == []


def test_join_online_workshop_through_meetings_service(bbb_standin, roles, client_for, make_workshop, clock):
    workshop = services.save_workshop(
        None,
        dict(
            title="Videokonferenzen leiten",
            description="",
            topic="digitale-werkzeuge",
            starts_at=make_workshop().starts_at,
            duration_minutes=60,
            online=True,
            address=None,
            capacity=5,
            registration_deadline=make_workshop().starts_at - timedelta(hours=2),
            materials_url=None,
        ),
        by=roles.staff,
    )
    assert workshop.room_id is not None
    member = client_for(roles.member)
    member.post(f"/workshops/{workshop.id}/anmelden")
    too_early = member.post(f"/workshops/{workshop.id}/teilnehmen")
    assert too_early.status_code == 409
    clock.set(workshop.starts_at - timedelta(minutes=5))
    assert "Jetzt teilnehmen" in member.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    joined = member.post(f"/workshops/{workshop.id}/teilnehmen")
    assert joined.status_code == 303
    assert joined.headers["Location"].startswith(bbb_standin.api_url + "join?")
    assert "role=VIEWER" in joined.headers["Location"]
    outsider = client_for(roles.outsider).post(f"/workshops/{workshop.id}/teilnehmen")
    assert outsider.status_code == 403
    moderator = client_for(roles.staff).post(f"/admin/workshops/{workshop.id}/raum")
    assert moderator.status_code == 303 and "role=MODERATOR" in moderator.headers["Location"]


def test_a_workshop_place_needs_a_confirmed_address(make_user, client_for, make_workshop, mailbox):
    """Throwaway accounts cannot book a workshop out (issue 12)."""
    workshop = make_workshop(capacity=1)
    throwaway = make_user(email="wegwerf@example.org", confirmed=False)
    client = client_for(throwaway)
    for headers in ({}, HX):
        response = client.post(f"/workshops/{workshop.id}/anmelden", headers=headers)
        assert response.status_code == 403
        assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in response.get_data(as_text=True)
    with pytest.raises(services.WorkshopError, match="bestätigen"):
        services.register(workshop.id, throwaway)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    assert mailbox.messages == []
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in page and "Verbindlich anmelden" not in page
