"""Links in mails come from BASE_URL alone; requests for unknown hosts are refused (issue 12, item 3).

Here the platform lives at https://vereinsraum.example, and the test client reaches it as "localhost"
(trusted through TRUSTED_HOSTS_EXTRA, as a proxy's internal name would be). A link built from the
request would say "localhost"; every link must say "vereinsraum.example".
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.conftest import HX, PASSWORD
from tests.helpers import link_in, row_counts, text
from tests.privacy.conftest import answer, content, set_profile  # noqa: F401 - fixtures for the reminder CLI

PUBLIC = "https://vereinsraum.example"
FORGED = {"Host": "attacker.example"}
REFUSED = "Diese Adresse kennt der Vereinsraum nicht"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.update(BASE_URL=PUBLIC, TRUSTED_HOSTS_EXTRA=("localhost",), DATA_EXPORT_DIR=str(tmp_path / "exports"))
    return app_config


def links(body: str) -> list[str]:
    return re.findall(r"https?://[^\s<>\"']+", body)


def assert_public_links_only(body: str) -> None:
    found = links(body)
    assert found, body
    for link in found:
        assert link.startswith(PUBLIC + "/"), f"{link} does not come from BASE_URL"


# --- unknown hosts --------------------------------------------------------------------------------------------


def test_trusted_hosts_come_from_base_url_and_the_extra_setting(app_config, make_app):
    assert make_app(app_config).config["TRUSTED_HOSTS"] == ["vereinsraum.example", "localhost"]
    plain = make_app({**app_config, "TRUSTED_HOSTS_EXTRA": (), "BASE_URL": "https://Verein.Example:8443/app"})
    assert plain.config["TRUSTED_HOSTS"] == ["verein.example"]


def test_a_forged_host_is_refused_with_a_german_page(client):
    for headers in (FORGED, {**FORGED, **HX}):
        response = client.get("/konto/anmelden", headers=headers)
        assert response.status_code == 400
        assert REFUSED in text(response)
        assert ("<html" in text(response)) == ("HX-Request" not in headers)
        assert "attacker.example" not in text(response)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # the known names pass, with any port
    assert client.get("/konto/anmelden").status_code == 200
    assert client.get("/konto/anmelden", headers={"Host": "vereinsraum.example"}).status_code == 200
    assert client.get("/konto/anmelden", headers={"Host": "localhost:8000"}).status_code == 200
    for host in ("vereinsraum.example.attacker.example", "evil-vereinsraum.example", "localhost@attacker.example"):
        assert client.get("/konto/anmelden", headers={"Host": host}).status_code == 400, host


def _filled(rule, slug):
    def value(match):
        converter, name = match.group(1), match.group(2)
        if name == "slug":
            return slug
        return "1" if converter in ("int", "float") else "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def test_every_form_refuses_a_forged_host(app, roles, client_for, make_user, mailbox):
    """Every POST route of the app, as a board member who is also staff: 400, no mail, nothing written."""
    staff_board = roles.board
    staff_board.is_staff = True
    from app.extensions import db

    db.session.commit()
    client = client_for(staff_board)
    data = {
        "email": roles.member.email,
        "name": "X",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        "current_password": PASSWORD,
        "role": "member",
        "reg-email": "neu@example.org",
    }
    before = row_counts()
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) > 40
    for rule in posts:
        url = _filled(rule, roles.club.slug)
        for headers in (FORGED, {**FORGED, **HX}):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 400, f"POST {url}: {response.status_code}"
            assert REFUSED in text(response), url
    assert mailbox.messages == []
    assert row_counts() == before
    # the same forms do work on the right host (the walk above would not prove much otherwise)
    response = client.post(
        f"/c/{roles.club.slug}/mitglieder/einladen", data={"email": "neu@example.org", "role": "member"}
    )
    assert response.status_code == 200 and mailbox.to("neu@example.org")


def test_x_forwarded_host_does_not_change_links_behind_a_proxy(app_config, make_app, make_user, mailbox):
    application = make_app({**app_config, "TRUSTED_PROXY_COUNT": 1})
    make_user(email="proxy@example.org")
    response = application.test_client().post(
        "/konto/passwort-vergessen",
        data={"email": "proxy@example.org"},
        headers={
            "X-Forwarded-Host": "attacker.example",
            "X-Forwarded-For": "198.51.100.7",
            "X-Forwarded-Proto": "http",
        },
    )
    assert response.status_code == 303
    assert_public_links_only(mailbox.body(mailbox.to("proxy@example.org")[0]))


# --- mails sent from a request -------------------------------------------------------------------------------


def test_reset_link_comes_from_base_url_not_from_the_request(client, make_user, mailbox):
    make_user(email="opfer@example.org")
    response = client.post("/konto/passwort-vergessen", data={"email": "opfer@example.org"})
    assert response.status_code == 303
    body = mailbox.body(mailbox.to("opfer@example.org")[0])
    assert_public_links_only(body)
    assert link_in(mailbox, "opfer@example.org", PUBLIC + "/konto/passwort-neu/")


def test_account_mails_from_requests_carry_base_url(client, client_for, make_user, mailbox):
    client.post(
        "/konto/registrieren",
        data={"name": "Neu", "email": "neu@example.org", "password": PASSWORD, "password_repeat": PASSWORD},
    )
    user = make_user(email="alt@example.org", confirmed=False)
    logged_in = client_for(user)
    logged_in.post("/konto/bestaetigen/erneut")
    logged_in.post("/konto/email", data={"email": "wechsel@example.org", "current_password": PASSWORD})
    make_user(email="da@example.org")
    client.post(
        "/konto/registrieren",
        data={"name": "Neu", "email": "da@example.org", "password": PASSWORD, "password_repeat": PASSWORD},
    )
    for address in ("neu@example.org", "alt@example.org", "wechsel@example.org", "da@example.org"):
        assert mailbox.to(address), address
        for mail in mailbox.to(address):
            assert_public_links_only(mailbox.body(mail))


def test_invitation_mail_and_shared_links_carry_base_url(roles, client_for, mailbox):
    board = client_for(roles.board)
    board.post(f"/c/{roles.club.slug}/mitglieder/einladen", data={"email": "gast@example.org", "role": "member"})
    assert_public_links_only(mailbox.body(mailbox.to("gast@example.org")[0]))
    # the link to copy and share is shown with the public address as well
    page = board.post(f"/c/{roles.club.slug}/mitglieder/einladungslink", data={"role": "member", "days": 3})
    assert re.search(re.escape(PUBLIC) + r"/einladung/[\w-]+", text(page))
    assert "http://localhost/einladung/" not in text(page)


def test_a_club_status_mail_from_a_staff_request_carries_base_url(make_user, make_club, client_for, mailbox):
    from tests.helpers import admin_action_url

    board = make_user(email="vorstand@neu.example")
    club = make_club(status="pending", board=board)
    staff = client_for(make_user(staff=True))
    response = staff.post(admin_action_url(staff.application, club.id, "freischalten"), data={"reason": ""})
    assert response.status_code in (200, 303)
    mail = mailbox.to("vorstand@neu.example")
    assert mail
    assert_public_links_only(mailbox.body(mail[-1]))


# --- mails sent from a background job and a CLI command -------------------------------------------------------


def test_export_mail_from_the_background_job_carries_base_url(roles, client_for, mailbox):
    """Huey runs in immediate mode in tests: the job runs inside the request that queued it."""
    response = client_for(roles.member).post("/konto/meine-daten/export")
    assert response.status_code in (200, 303)
    body = mailbox.body(mailbox.to(roles.member.email)[-1])
    assert_public_links_only(body)
    assert f"{PUBLIC}/konto/meine-daten/export/" in body


def test_export_job_outside_a_request_carries_base_url(roles, app, mailbox):
    from app.dataprotection.exports import request_export

    with app.app_context():
        request_export(roles.member)
    body = mailbox.body(mailbox.to(roles.member.email)[-1])
    assert_public_links_only(body)


def test_reminder_mail_from_the_cli_carries_base_url(
    roles,
    content,
    set_profile,
    answer,
    mailbox,
    runner,
):
    set_profile(roles.club)
    answer(roles.board, roles.club, "sec-backup", "partial", due_date=(date.today() - timedelta(days=1)).isoformat())
    result = runner.invoke(args=["privacy", "send-reminders"])
    assert result.exit_code == 0, result.output
    body = mailbox.body(mailbox.to(roles.board.email)[0])
    assert_public_links_only(body)
    assert f"{PUBLIC}/c/{roles.club.slug}/datenschutz/massnahmen" in body


def test_create_club_cli_prints_the_public_workspace_link(runner, make_user):
    make_user(email="cli@example.org")
    result = runner.invoke(args=["create-club", "CLI Verein", "--board", "cli@example.org"])
    assert result.exit_code == 0, result.output
    assert f"{PUBLIC}/c/cli-verein/" in result.output


def test_meeting_links_to_share_carry_base_url(roles, client_for):
    from app.extensions import db
    from app.meetings.services import ensure_default_room

    room = ensure_default_room(roles.club)
    room.guest_access = True
    db.session.commit()
    client = client_for(roles.board)
    page = text(client.get(f"/c/{roles.club.slug}/konferenzen/raum/{room.id}"))
    assert f'value="{PUBLIC}/c/{roles.club.slug}/konferenzen/raum/{room.id}"' in page
    assert f"{PUBLIC}/m/" in page  # the guest link
    assert "http://localhost/" not in page
    calendar = text(client.get(f"/c/{roles.club.slug}/konferenzen/kalender"))
    assert PUBLIC + "/" in calendar and "http://localhost/" not in calendar
