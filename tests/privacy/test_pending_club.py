"""A club waiting for approval (issue 16): the board prepares the self-check, and there is no dead end."""

from __future__ import annotations

import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus
from app.extensions import db
from app.privacy.models import Answer
from tests.conftest import PASSWORD
from tests.helpers import text

CLUB = {
    "name": "Kleingartenverein Sonnenschein",
    "legal_form": "ev",
    "district": "Pankow",
    "contact_email": "vorstand@sonnenschein.example",
}


def _register(client):
    response = client.post("/vereine/neu", data=CLUB, follow_redirects=True)
    assert response.status_code == 200
    club = db.session.scalar(sa.select(Club).where(Club.name == CLUB["name"]))
    assert club.status is ClubStatus.PENDING
    return club, text(response)


def test_pending_workspace_says_once_what_happens_next_and_offers_first_steps(client_for, make_user, content):
    client = client_for(make_user())
    club, page = _register(client)
    assert page.count("wird geprüft") == 1 and page.count("zwei Werktagen") == 1  # the message, once
    assert "E-Mail" in page and "einladen" in page  # what happens next
    html = client.get(f"/c/{club.slug}/").get_data(as_text=True)
    for href in (
        f"/c/{club.slug}/datenschutz/profil",
        f"/c/{club.slug}/datenschutz/selbstcheck",
        "/leitfaden/",
        "/sprechstunde",
    ):
        assert f'href="{href}' in html, href
    assert "Anmeldung zurückziehen" in html and "Export &amp; Schließung" not in html


def test_board_fills_profile_and_answers_while_pending(client_for, make_user, content):
    client = client_for(make_user())
    club, _page = _register(client)
    base = f"/c/{club.slug}/datenschutz"
    assert client.get(f"{base}/profil").status_code == 200
    assert client.post(f"{base}/profil", data={"website": "yes"}).status_code == 303
    checklist = client.get(f"{base}/selbstcheck")
    assert checklist.status_code == 200 and 'name="status"' in checklist.get_data(as_text=True)
    saved = client.post(f"{base}/punkt/mem-bcc", data={"status": "yes", "version": "0"})
    assert saved.status_code == 303
    answer = db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == "mem-bcc"))
    assert answer is not None and answer.status == "yes"
    # the rest of the workspace still waits for approval
    assert client.get(f"/c/{club.slug}/mitglieder/").status_code == 403


def test_withdrawing_a_pending_registration(client_for, make_user, content):
    client = client_for(make_user())
    club, _page = _register(client)
    page = client.get(f"/c/{club.slug}/daten/")
    html = page.get_data(as_text=True)
    assert "Anmeldung zurückziehen" in html and "Verein schließen" not in html
    response = client.post(
        f"/c/{club.slug}/daten/schliessen",
        data={"understood": "y", "current_password": PASSWORD},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Die Anmeldung von Kleingartenverein Sonnenschein ist zurückgezogen" in text(
        response
    )
    db.session.expire_all()
    assert db.session.get(Club, club.id).status is ClubStatus.CLOSED
