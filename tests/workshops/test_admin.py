import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.workshops.models import Workshop
from tests.conftest import HX

STAFF_URLS = (
    "/admin/workshops/",
    "/admin/workshops/neu",
    "/admin/workshops/sprechstunde",
    "/admin/workshops/sprechstunde/warteschlange",
    "/admin/seiten/",
    "/admin/seiten/datenschutz",
)


@pytest.mark.parametrize("who", ["anonymous", "member", "board"])
def test_staff_pages_are_closed_to_others(roles, client_for, make_workshop, who):
    workshop = make_workshop()
    client = client_for(None if who == "anonymous" else getattr(roles, who))
    urls = STAFF_URLS + (f"/admin/workshops/{workshop.id}", f"/admin/workshops/{workshop.id}/teilnehmende.csv")
    for url in urls:
        response = client.get(url)
        assert response.status_code == (302 if who == "anonymous" else 403), url
    for url in (
        "/admin/workshops/neu",
        f"/admin/workshops/{workshop.id}/nachricht",
        f"/admin/workshops/{workshop.id}/absagen",
        "/admin/workshops/sprechstunde/warteschlange/weiter",
    ):
        response = client.post(url, data={"subject": "x", "body": "y"})
        assert response.status_code == (302 if who == "anonymous" else 403), url
    htmx = client.get("/admin/workshops/sprechstunde/warteschlange", headers=HX)
    assert htmx.status_code == (401 if who == "anonymous" else 403)
    assert db.session.get(Workshop, workshop.id).cancelled_at is None


def _form(**changes):
    data = {
        "title": "Social Media im Verein",
        "description": "Instagram, Mastodon & Co.",
        "topic": "social-media",
        "starts_at": "2030-05-05T18:00",
        "duration_minutes": "120",
        "mode": "onsite",
        "address": "Rathaus Pankow, Breite Str. 24a",
        "capacity": "12",
        "registration_deadline": "2030-05-04T12:00",
        "materials_url": "https://example.org/folien.pdf",
    }
    data.update(changes)
    return data


def test_staff_creates_and_edits_a_workshop(roles, client_for, client):
    staff = client_for(roles.staff)
    response = staff.post("/admin/workshops/neu", data=_form())
    assert response.status_code == 303
    workshop = db.session.scalar(sa.select(Workshop))
    assert workshop.title == "Social Media im Verein" and workshop.capacity == 12 and not workshop.online
    # Entered in Berlin time (summer time: UTC+2).
    assert workshop.starts_at.hour == 16 and workshop.starts_at.tzinfo is not None
    assert "Social Media im Verein" in client.get("/workshops").get_data(as_text=True)
    assert "Social Media im Verein" in client.get("/").get_data(as_text=True)

    edit = staff.get(f"/admin/workshops/{workshop.id}/bearbeiten").get_data(as_text=True)
    assert 'value="2030-05-05T18:00"' in edit
    assert (
        staff.post(
            f"/admin/workshops/{workshop.id}/bearbeiten",
            data=_form(title="Social Media sicher nutzen", mode="online", address=""),
        ).status_code
        == 303
    )
    db.session.refresh(workshop)
    assert workshop.title == "Social Media sicher nutzen" and workshop.online and workshop.address is None
    assert workshop.room_id is not None


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "Bitte geben Sie einen Titel ein."),
        ({"address": ""}, "Adresse"),
        ({"registration_deadline": "2030-05-06T12:00"}, "Der Anmeldeschluss muss vor dem Beginn liegen."),
        ({"capacity": "0"}, "zwischen 1 und 1000"),
        ({"materials_url": "javascript:alert(1)"}, "Link"),
        ({"topic": "astrologie"}, "Keine gültige Auswahl"),
    ],
)
def test_invalid_workshop_form_is_422_without_write(roles, client_for, changes, message):
    response = client_for(roles.staff).post("/admin/workshops/neu", data=_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 0


def test_participant_list_csv_and_mail(roles, make_user, client_for, make_workshop, mailbox):
    workshop = make_workshop(capacity=1)
    evil = make_user(name='=HYPERLINK("http://x")')
    client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden", data={"club": str(roles.club.id)})
    client_for(evil).post(f"/workshops/{workshop.id}/anmelden")
    staff = client_for(roles.staff)
    detail = staff.get(f"/admin/workshops/{workshop.id}").get_data(as_text=True)
    assert "Moritz Mitglied" in detail and "Imkerverein Pankow" in detail

    export = staff.get(f"/admin/workshops/{workshop.id}/teilnehmende.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Name", "E-Mail", "Verein", "Status", "Angemeldet am"]
    assert rows[1][:4] == ["Moritz Mitglied", roles.member.email, "Imkerverein Pankow", "bestätigt"]
    assert rows[2][0].startswith("'=") and rows[2][3] == "Warteliste"

    mailbox.clear()
    assert (
        staff.post(
            f"/admin/workshops/{workshop.id}/nachricht",
            data={"subject": "Raumänderung", "body": "Wir treffen uns im Raum 2."},
        ).status_code
        == 303
    )
    assert len(mailbox.messages) == 1
    [msg] = mailbox.to(roles.member.email)
    assert msg["Subject"] == "Raumänderung" and "Raum 2" in mailbox.body(msg)
    assert msg["To"] == roles.member.email  # one mail per person, no shared recipient list
    mailbox.clear()
    staff.post(
        f"/admin/workshops/{workshop.id}/nachricht", data={"subject": "Info", "body": "Hallo", "include_waiting": "y"}
    )
    assert len(mailbox.messages) == 2
    empty = staff.post(f"/admin/workshops/{workshop.id}/nachricht", data={"subject": "", "body": ""})
    assert empty.status_code == 422


def test_staff_cancels_workshop_and_everyone_gets_ics_cancel(roles, client_for, make_workshop, mailbox):
    workshop = make_workshop()
    client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden")
    mailbox.clear()
    assert client_for(roles.staff).post(f"/admin/workshops/{workshop.id}/absagen").status_code == 303
    [msg] = mailbox.to(roles.member.email)
    assert "abgesagt" in msg["Subject"]
    assert "METHOD:CANCEL" in msg.get_payload()[1].get_payload(decode=True).decode()
    assert client_for(roles.board).post(f"/workshops/{workshop.id}/anmelden").status_code == 409
    assert "Sicher im Netz" not in client_for(None).get("/workshops").get_data(as_text=True)


def test_changed_date_is_announced(roles, client_for, make_workshop, mailbox):
    workshop = make_workshop()
    client_for(roles.member).post(f"/workshops/{workshop.id}/anmelden")
    mailbox.clear()
    new_start = workshop.starts_at + timedelta(days=1)
    from app.workshops import services

    services.save_workshop(workshop, {"starts_at": new_start}, by=roles.staff)
    [msg] = mailbox.to(roles.member.email)
    assert "Geänderter Termin" in msg["Subject"]


def test_content_sync_creates_the_default_consultation_hour_once(runner, roles, client_for):
    from app.consultation import services

    result = runner.invoke(args=["content-sync"])
    assert "Sprechstunde: angelegt" in result.output
    schedule = services.current_schedule()
    assert schedule.rrule == "FREQ=MONTHLY;BYDAY=+3TU"
    client_for(roles.staff).post(
        "/admin/workshops/sprechstunde",
        data={
            "rrule": "FREQ=WEEKLY;BYDAY=WE",
            "starts_on": "2026-01-01",
            "start_time": "10:00",
            "end_time": "12:00",
            "slot_minutes": "30",
        },
    )
    assert "Sprechstunde: vorhanden" in runner.invoke(args=["content-sync"]).output
    db.session.expire_all()
    assert services.current_schedule().rrule == "FREQ=WEEKLY;BYDAY=WE"
