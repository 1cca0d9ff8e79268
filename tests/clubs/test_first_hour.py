"""Issue 16 items 2 and 6: registration a treasurer gets through; staff hear of it and find who registered."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.clubs.models import Club
from app.extensions import db

CLUB = {
    "name": "Gartenfreunde Lichtenberg",
    "legal_form": "ev",
    "district": "Lichtenberg",
    "contact_email": "kasse@gartenfreunde.example",
    "website": "",
    "description": "",
}


def _register(client, **changes):
    return client.post("/vereine/neu", data=dict(CLUB, **changes))


def test_website_without_scheme_gets_https(make_user, client_for):
    response = _register(client_for(make_user()), website="gartenfreunde-lichtenberg.de")
    assert response.status_code == 303
    club = db.session.scalar(sa.select(Club).where(Club.name == CLUB["name"]))
    assert club.website == "https://gartenfreunde-lichtenberg.de"


def test_each_error_is_its_own_sentence(make_user, client_for):
    response = _register(client_for(make_user()), website="mein verein", contact_email="kein-at", name="ab")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field_errors = re.findall(r'<span class="error-line">([^<]+)</span>', html)
    assert len(field_errors) == 3
    for message in field_errors:
        assert message.strip()[-1] in ".!?", message  # a whole sentence each, never run together
    summary = html.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    assert summary.count("<li>") == 3
    assert "https://https://" not in html and "Die Adresse muss mit" not in html  # one message for one mistake


def test_other_schemes_stay_refused_with_one_message(make_user, client_for):
    html = _register(client_for(make_user()), website="ftp://gartenfreunde.example").get_data(as_text=True)
    errors = re.findall(r'<span class="error-line">([^<]+)</span>', html)
    assert errors == ["Die Adresse muss mit https:// oder http:// beginnen."]


def test_staff_are_mailed_about_a_new_registration(make_user, client_for, mailbox, app):
    app.config["STAFF_NOTIFY_EMAILS"] = ("pruefung@plattform.example", "team@plattform.example")
    board = make_user(email="kasse@gartenfreunde.example", name="Karin Kasse")
    assert _register(client_for(board)).status_code == 303
    club = db.session.scalar(sa.select(Club).where(Club.name == CLUB["name"]))
    for address in app.config["STAFF_NOTIFY_EMAILS"]:
        (mail,) = mailbox.to(address)
        assert "Gartenfreunde Lichtenberg" in mail["Subject"]
        body = mailbox.body(mail)
        assert "Karin Kasse" in body and "kasse@gartenfreunde.example" in body
        assert f"http://localhost/admin/vereine/{club.id}" in body  # links from BASE_URL


def test_no_staff_mail_without_recipients(make_user, client_for, mailbox, app):
    app.config["STAFF_NOTIFY_EMAILS"] = ()
    assert _register(client_for(make_user())).status_code == 303
    assert mailbox.messages == []


def test_staff_land_on_the_clubs_waiting_for_review(make_user, client):
    from tests.conftest import PASSWORD
    from tests.helpers import totp_code

    staff = make_user(email="team@plattform.example", staff=True)
    response = client.post("/konto/anmelden", data={"email": "team@plattform.example", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/anmelden/code")
    response = client.post("/konto/anmelden/code", data={"code": totp_code(staff)})  # staff have a second factor
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/vereine?status=pending")


def test_others_still_land_on_their_clubs_and_next_wins(make_user, app):
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db
    from tests.conftest import PASSWORD
    from tests.helpers import totp_code

    make_user(email="kasse@verein.example")
    make_user(email="team@plattform.example", staff=True)
    response = app.test_client().post("/konto/anmelden", data={"email": "kasse@verein.example", "password": PASSWORD})
    assert response.headers["Location"].endswith("/vereine")
    client = app.test_client()
    client.post("/konto/anmelden?next=/admin/statistik", data={"email": "team@plattform.example", "password": PASSWORD})
    staff = db.session.scalar(sa.select(User).where(User.email == "team@plattform.example"))
    response = client.post("/konto/anmelden/code", data={"code": totp_code(staff)})
    assert response.headers["Location"].endswith("/admin/statistik")


def test_staff_club_page_shows_who_registered_the_club(roles, client_for):
    html = client_for(roles.staff).get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    registrant = html.split('id="registrant">', 1)[1].split("</dd>", 1)[0]
    assert "Vera Vorstand" in registrant and "vorstand@verein.example" in registrant
