"""CSRF protection (switched on here, as in production)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import HX, PASSWORD
from tests.helpers import row_counts, text


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def token_from(html: str) -> str:
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


REGISTER = {"name": "Nele Neu", "email": "neu@example.org", "password": PASSWORD, "password_repeat": PASSWORD}


def test_post_without_token_is_refused_and_writes_nothing(client, mailbox):
    client.get("/konto/registrieren")
    before = row_counts()
    response = client.post("/konto/registrieren", data=REGISTER)
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in text(response) and "<html" in text(response)
    assert row_counts() == before
    assert mailbox.messages == []


def test_post_with_wrong_token_is_refused(client):
    client.get("/konto/registrieren")
    before = row_counts()
    response = client.post("/konto/registrieren", data={**REGISTER, "csrf_token": "gefälscht"})
    assert response.status_code == 400
    assert row_counts() == before


def test_form_with_token_works(client):
    token = token_from(text(client.get("/konto/registrieren")))
    response = client.post("/konto/registrieren", data={**REGISTER, "csrf_token": token})
    assert response.status_code == 303


def test_htmx_post_without_header_is_refused_in_place(roles, client_for, mailbox):
    client = client_for(roles.board)
    client.get(f"/c/{roles.club.slug}/mitglieder/")
    before = row_counts()
    response = client.post(
        f"/c/{roles.club.slug}/mitglieder/einladen", data={"email": "a@example.org", "role": "member"}, headers=HX
    )
    assert response.status_code == 400
    assert "<html" not in text(response) and "Das Formular ist abgelaufen" in text(response)
    assert row_counts() == before
    assert mailbox.messages == []


def test_htmx_post_with_the_header_succeeds(roles, client_for, mailbox):
    client = client_for(roles.board)
    token = token_from(text(client.get(f"/c/{roles.club.slug}/mitglieder/")))
    response = client.post(
        f"/c/{roles.club.slug}/mitglieder/einladen",
        data={"email": "a@example.org", "role": "member"},
        headers={**HX, "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert "Die Einladung an a@example.org ist verschickt." in text(response)
    assert mailbox.to("a@example.org")


def test_logout_needs_the_token(roles, client_for):
    client = client_for(roles.member)
    token = token_from(text(client.get("/vereine")))
    assert client.post("/konto/abmelden").status_code == 400
    assert client.get("/vereine").status_code == 200  # still logged in
    assert client.post("/konto/abmelden", data={"csrf_token": token}).status_code == 303
    assert client.get("/vereine").status_code == 302


def test_login_form_carries_a_token(client, make_user):
    make_user(email="l@example.org")
    html = text(client.get("/konto/anmelden"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        "/konto/anmelden", data={"email": "l@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
