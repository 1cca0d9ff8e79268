"""Accounts: registration, confirmation, login/logout, reset, settings, deletion."""

from __future__ import annotations

import re
import time

import itsdangerous.timed
import pytest
import sqlalchemy as sa

from app.auth import routes as auth_routes
from app.auth import services as auth_services
from app.auth.models import User
from app.clubs.models import Membership, Role
from app.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import link_in, path_of, row_counts, text

NEW_PASSWORD = "ein-ganz-neues-passwort"


def register(client, email="neu@example.org", name="Nele Neu", password=PASSWORD, **extra):
    data = {"name": name, "email": email, "password": password, "password_repeat": password, **extra}
    return client.post("/konto/registrieren", data=data)


def login(client, email, password=PASSWORD, **extra):
    return client.post("/konto/anmelden", data={"email": email, "password": password, **extra})


def user_by_email(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def normalised(response, address="@@"):
    """The page without its CSRF tokens (they carry a timestamp) and with ``address`` blanked."""
    return re.sub(r'(X-CSRFToken": "|name="csrf_token" value=")[^"]+', "TOKEN", text(response).replace(address, "X@"))


def in_the_future(monkeypatch, seconds):
    """Let itsdangerous believe that ``seconds`` have passed."""
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(time.time()) + seconds)


# --- registration and confirmation ------------------------------------------------------


def test_register_hashes_password_with_scrypt_and_sends_confirmation(client, mailbox):
    response = register(client, email="  Nele@Example.ORG ")
    assert response.status_code == 303 and "/konto/anmelden" in response.headers["Location"]
    user = user_by_email("nele@example.org")
    assert user is not None and user.name == "Nele Neu"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert not user.is_confirmed
    mail = mailbox.to("nele@example.org")
    assert len(mail) == 1
    assert "bestätigen" in mail[0]["Subject"]
    # registration does not log in (a login would tell that the address was free); the login page says
    # to check the inbox, and the person logs in with the new password
    assert client.get("/vereine").status_code == 302
    assert "Bitte sehen Sie in Ihr Postfach" in text(client.get(response.headers["Location"]))
    assert login(client, "nele@example.org").status_code == 303
    assert client.get("/vereine").status_code == 200


def test_outside_the_tests_passwords_get_werkzeugs_full_scrypt_cost(full_password_cost, client, mailbox):
    """The suite hashes cheaply (tests/conftest.py); the app itself never picks a cost of its own."""
    register(client, email="voll@example.org")
    user = user_by_email("voll@example.org")
    assert user.password_hash.startswith("scrypt:32768:8:1$") and user.check_password(PASSWORD)


def test_register_keeps_a_local_next_for_the_login(client, mailbox):
    data = {"name": "N", "email": "n@example.org", "password": PASSWORD, "password_repeat": PASSWORD}
    response = client.post("/konto/registrieren?next=/vereine/neu", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("next=/vereine/neu")
    evil = client.post("/konto/registrieren?next=//evil.example/", data={**data, "email": "m@example.org"})
    assert evil.status_code == 303 and "evil" not in evil.headers["Location"]


def test_confirmation_mail_carries_no_text_chosen_by_the_registrant(client, mailbox):
    """Anyone can register any address: the mail to it must not carry the registrant's text."""
    bait = "Ihr Konto wird gesperrt! Jetzt hier entsperren: https://phish.example/login"
    register(client, email="opfer@example.org", name=bait[:120])
    mail = mailbox.to("opfer@example.org")
    assert len(mail) == 1
    body = mailbox.body(mail[0])
    assert "phish.example" not in body and "gesperrt" not in body and "/konto/bestaetigen/" in body
    assert "phish" not in mail[0]["Subject"]


def test_confirmation_link_confirms_the_address(client, mailbox):
    register(client)
    link = link_in(mailbox, "neu@example.org", "/konto/bestaetigen/")
    response = client.get(path_of(link), follow_redirects=True)
    assert "Ihre E-Mail-Adresse ist bestätigt" in text(response)
    assert user_by_email("neu@example.org").is_confirmed


def test_confirmation_link_works_without_being_logged_in(app, mailbox):
    register(app.test_client())
    link = link_in(mailbox, "neu@example.org", "/konto/bestaetigen/")
    response = app.test_client().get(path_of(link))
    assert response.status_code == 302 and "/konto/anmelden" in response.headers["Location"]
    assert user_by_email("neu@example.org").is_confirmed


def test_confirmation_link_expires(client, mailbox, monkeypatch, app):
    register(client)
    link = link_in(mailbox, "neu@example.org", "/konto/bestaetigen/")
    in_the_future(monkeypatch, app.config["CONFIRM_TOKEN_MAX_AGE"] + 60)
    response = client.get(path_of(link), follow_redirects=True)
    assert "Der Link ist abgelaufen" in text(response)
    assert not user_by_email("neu@example.org").is_confirmed


def test_tampered_confirmation_link_is_refused(client, mailbox):
    register(client)
    link = link_in(mailbox, "neu@example.org", "/konto/bestaetigen/")
    response = client.get(path_of(link)[:-3] + "xyz", follow_redirects=True)
    assert "Der Link ist ungültig" in text(response)
    assert not user_by_email("neu@example.org").is_confirmed


def test_confirmation_token_of_another_purpose_is_refused(app, client, make_user):
    from app.auth.services import make_token

    user = make_user(confirmed=False)
    token = make_token("reset", user)
    response = client.get(f"/konto/bestaetigen/{token}", follow_redirects=True)
    assert "ungültig" in text(response)
    assert not user_by_email(user.email).is_confirmed


def test_resend_confirmation(client_for, make_user, mailbox):
    user = make_user(confirmed=False)
    response = client_for(user).post("/konto/bestaetigen/erneut")
    assert response.status_code == 303
    assert link_in(mailbox, user.email, "/konto/bestaetigen/")


def test_registration_never_tells_whether_the_address_has_an_account(client, make_user, mailbox):
    owner = make_user(email="da@example.org", name="Dana Da")
    before = row_counts()
    taken = register(client, email="DA@example.org", name="Mallory")
    assert row_counts() == before  # nothing written, the owner's account untouched
    assert user_by_email("da@example.org").check_password(PASSWORD)
    free = register(client, email="frei@example.org", name="Mallory")
    # the same answer: a redirect to the login page that says "check your inbox"
    assert taken.status_code == free.status_code == 303
    assert taken.headers["Location"] == free.headers["Location"]
    assert [c for c in taken.headers.getlist("Set-Cookie") if "remember" in c] == []
    assert client.get("/vereine").status_code == 302  # neither logged anybody in
    assert "gibt es schon" not in text(client.get(taken.headers["Location"]))
    # the owner gets a notice with a reset link (and nothing the registrant typed) instead
    notice = mailbox.to("da@example.org")
    assert len(notice) == 1
    body = mailbox.body(notice[0])
    assert "gibt es aber schon ein Konto" in body and "Mallory" not in body and "Dana" not in body
    reset = path_of(link_in(mailbox, "da@example.org", "/konto/passwort-neu/"))
    assert client.get(reset).status_code == 200
    assert link_in(mailbox, "da@example.org", "/konto/anmelden")
    assert owner.id == user_by_email("da@example.org").id


def test_logged_in_user_is_sent_away_from_register_and_login(client_for, make_user):
    client = client_for(make_user())
    assert client.get("/konto/registrieren").status_code == 302
    assert client.get("/konto/anmelden").status_code == 302


# --- login / logout -----------------------------------------------------------------------


def test_login_and_logout(client, make_user):
    user = make_user(email="login@example.org")
    response = login(client, "Login@Example.org ")
    assert response.status_code == 303
    assert client.get("/vereine").status_code == 200
    assert user_by_email("login@example.org").last_login_at is not None
    response = client.post("/konto/abmelden", follow_redirects=True)
    assert "Sie sind abgemeldet" in text(response)
    assert client.get("/vereine").status_code == 302
    assert user.id


def test_login_redirects_to_local_next_only(client, make_user):
    make_user(email="next@example.org")
    response = client.post("/konto/anmelden?next=/konto/", data={"email": "next@example.org", "password": PASSWORD})
    assert response.headers["Location"].endswith("/konto/")
    client.post("/konto/abmelden")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"):
        response = client.post(
            "/konto/anmelden", query_string={"next": evil}, data={"email": "next@example.org", "password": PASSWORD}
        )
        assert response.status_code == 303
        assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]
        client.post("/konto/abmelden")


@pytest.mark.parametrize("target", ["/\\evil.example", "/\t/evil.example", "https://x", "//x", "x", ""])
def test_safe_next_refuses_foreign_targets(target):
    from app.core.routes import safe_next

    assert safe_next(target, "/fallback") == "/fallback"


def test_remember_me_cookie_only_when_asked(app, make_user):
    make_user(email="r@example.org")
    plain = login(app.test_client(), "r@example.org")
    assert not any("remember_token" in c for c in plain.headers.getlist("Set-Cookie"))
    remembered = login(app.test_client(), "r@example.org", remember="y")
    cookies = [c for c in remembered.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cookies and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]


def test_session_cookie_flags(client, make_user):
    make_user(email="c@example.org")
    response = login(client, "c@example.org")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("vr_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_secure_when_served_over_https(app_config, make_user, make_app):
    app_config["BASE_URL"] = "https://vereinsraum.example"
    application = make_app(app_config)
    with application.app_context():
        make_user(email="s@example.org")
        response = login(application.test_client(), "s@example.org")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("vr_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_no_user_enumeration_on_login(client, make_user):
    make_user(email="echt@example.org")
    wrong_password = login(client, "echt@example.org", password="falsches-passwort")
    unknown = login(client, "gibtsnicht@example.org", password="falsches-passwort")
    assert wrong_password.status_code == unknown.status_code == 422
    message = "E-Mail-Adresse oder Passwort ist falsch."
    assert message in text(wrong_password) and message in text(unknown)
    assert normalised(wrong_password, "echt@") == normalised(unknown, "gibtsnicht@")


def test_unknown_address_costs_a_password_check_too(client, monkeypatch):
    checked = []
    real = auth_services.equalise_timing
    monkeypatch.setattr(auth_routes, "equalise_timing", lambda pw: checked.append(pw) or real(pw))
    login(client, "gibtsnicht@example.org", password="irgendwas-langes")
    assert checked == ["irgendwas-langes"]


def test_no_user_enumeration_on_password_reset(client, make_user, mailbox):
    make_user(email="echt@example.org")
    known = client.post("/konto/passwort-vergessen", data={"email": "echt@example.org"}, follow_redirects=True)
    unknown = client.post("/konto/passwort-vergessen", data={"email": "nein@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert normalised(known) == normalised(unknown)
    assert mailbox.to("echt@example.org") and not mailbox.to("nein@example.org")


def test_login_is_rate_limited(app_config, app_config_rebuild):
    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    application, client = app_config_rebuild(app_config)
    for _ in range(3):
        assert login(client, "x@example.org", "falsches-passwort").status_code == 422
    response = login(client, "x@example.org", "falsches-passwort")
    assert response.status_code == 429
    assert "Zu viele Versuche" in text(response)
    assert "<html" in text(response)
    # GET stays available
    assert client.get("/konto/anmelden").status_code == 200


@pytest.fixture
def app_config_rebuild(app, make_app):
    """A second app with a changed config, sharing the test database."""
    from app.extensions import limiter

    def build(config):
        application = make_app(config)
        limiter.reset()
        return application, application.test_client()

    return build


# --- password reset -------------------------------------------------------------------------


def test_password_reset_is_single_use(client, make_user, mailbox):
    make_user(email="vergessen@example.org")
    client.post("/konto/passwort-vergessen", data={"email": "Vergessen@example.org"})
    link = path_of(link_in(mailbox, "vergessen@example.org", "/konto/passwort-neu/"))
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 303
    assert login(client, "vergessen@example.org", NEW_PASSWORD).status_code == 303
    client.post("/konto/abmelden")
    # the link is dead now
    again = client.get(link, follow_redirects=True)
    assert "ungültig oder wurde schon benutzt" in text(again)
    response = client.post(link, data={"password": "noch-ein-passwort-x", "password_repeat": "noch-ein-passwort-x"})
    assert response.status_code == 302
    assert login(client, "vergessen@example.org", "noch-ein-passwort-x").status_code == 422


def test_password_reset_link_expires(client, make_user, mailbox, monkeypatch, app):
    make_user(email="spaet@example.org")
    client.post("/konto/passwort-vergessen", data={"email": "spaet@example.org"})
    link = path_of(link_in(mailbox, "spaet@example.org", "/konto/passwort-neu/"))
    in_the_future(monkeypatch, app.config["RESET_TOKEN_MAX_AGE"] + 1)
    assert "abgelaufen" in text(client.get(link, follow_redirects=True))


def test_reset_confirms_an_unconfirmed_address(client, make_user, mailbox):
    make_user(email="unbest@example.org", confirmed=False)
    client.post("/konto/passwort-vergessen", data={"email": "unbest@example.org"})
    link = path_of(link_in(mailbox, "unbest@example.org", "/konto/passwort-neu/"))
    client.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert user_by_email("unbest@example.org").is_confirmed


# --- account settings -------------------------------------------------------------------------


def test_settings_page(client_for, make_user):
    response = client_for(make_user(email="me@example.org")).get("/konto/")
    assert response.status_code == 200
    assert "me@example.org" in text(response)


def test_change_name(client_for, make_user):
    user = make_user()
    response = client_for(user).post("/konto/profil", data={"name": "  Neuer Name "})
    assert response.status_code == 303
    assert user_by_email(user.email).name == "Neuer Name"


def test_change_password(client_for, make_user, app):
    user = make_user(email="pw@example.org")
    client = client_for(user)
    response = client.post(
        "/konto/passwort",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert user_by_email("pw@example.org").check_password(NEW_PASSWORD)


def test_change_password_needs_the_current_one(client_for, make_user):
    user = make_user(email="pw2@example.org")
    response = client_for(user).post(
        "/konto/passwort",
        data={"current_password": "falsch-falsch", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "Das aktuelle Passwort ist falsch" in text(response)
    assert user_by_email("pw2@example.org").check_password(PASSWORD)


def test_change_email_goes_through_the_new_address(client_for, make_user, mailbox):
    user = make_user(email="alt@example.org")
    client = client_for(user)
    response = client.post("/konto/email", data={"email": "Neu@Example.org", "current_password": PASSWORD})
    assert response.status_code == 303
    assert user_by_email("alt@example.org") is not None  # nothing changes before the click
    assert not mailbox.to("alt@example.org")
    link = path_of(link_in(mailbox, "neu@example.org", "/konto/email/"))
    response = client.get(link, follow_redirects=True)
    assert "Ihre neue E-Mail-Adresse ist bestätigt" in text(response)
    assert user_by_email("neu@example.org").id == user.id
    assert user_by_email("alt@example.org") is None
    # a second click changes nothing and says so
    assert "Ihre neue E-Mail-Adresse ist bestätigt" in text(client.get(link, follow_redirects=True))


def test_change_email_to_a_taken_address_answers_as_usual_and_tells_its_owner(client_for, make_user, mailbox):
    make_user(email="besetzt@example.org", name="Bea Besetzt")
    user = make_user(email="ich@example.org", name="Ida Ich")
    client = client_for(user)
    before = row_counts()
    taken = client.post(
        "/konto/email", data={"email": "besetzt@example.org", "current_password": PASSWORD}, follow_redirects=True
    )
    free = client.post(
        "/konto/email", data={"email": "frei@example.org", "current_password": PASSWORD}, follow_redirects=True
    )
    assert taken.status_code == free.status_code == 200
    assert "Wir haben einen Bestätigungslink an die neue Adresse geschickt" in text(taken)
    assert normalised(taken, "besetzt@") == normalised(free, "frei@")
    assert "schon für ein anderes Konto" not in text(taken)
    assert row_counts() == before
    notice = mailbox.body(mailbox.to("besetzt@example.org")[0])
    assert "Zu dieser Adresse gehört aber schon Ihr Konto" in notice and "Ida" not in notice
    assert "/konto/email/" not in notice  # no link that could move the address
    assert user_by_email("ich@example.org") is not None and user_by_email("besetzt@example.org").name == "Bea Besetzt"


def test_change_email_needs_the_current_password(client_for, make_user, mailbox):
    client = client_for(make_user(email="ich@example.org"))
    wrong = client.post("/konto/email", data={"email": "frei@example.org", "current_password": "falsch-falsch"})
    assert wrong.status_code == 422 and "Das aktuelle Passwort ist falsch" in text(wrong)
    assert mailbox.messages == []


def test_change_email_mail_carries_no_text_of_the_account(client_for, make_user, mailbox):
    """The new address is not confirmed yet: the account's name must not reach it."""
    client = client_for(make_user(email="ich@example.org", name="Gewinnspiel: Antworten Sie mit Ihrer IBAN"))
    client.post("/konto/email", data={"email": "ziel@example.org", "current_password": PASSWORD})
    body = mailbox.body(mailbox.to("ziel@example.org")[0])
    assert "IBAN" not in body and "Gewinnspiel" not in body and "/konto/email/" in body


def test_change_email_to_the_same_address(client_for, make_user, mailbox):
    client = client_for(make_user(email="ich@example.org"))
    response = client.post("/konto/email", data={"email": "ICH@example.org", "current_password": PASSWORD})
    assert response.status_code == 422 and "Das ist schon Ihre E-Mail-Adresse." in text(response)
    assert mailbox.messages == []


def test_email_change_link_refused_when_address_was_taken_meanwhile(client_for, make_user, mailbox):
    user = make_user(email="ich@example.org")
    client = client_for(user)
    client.post("/konto/email", data={"email": "ziel@example.org", "current_password": PASSWORD})
    link = path_of(link_in(mailbox, "ziel@example.org", "/konto/email/"))
    make_user(email="ziel@example.org")
    response = client.get(link, follow_redirects=True)
    assert "schon für ein anderes Konto" in text(response)
    assert user_by_email("ich@example.org") is not None


def test_delete_account_blocked_for_the_last_board_member(roles, client_for):
    client = client_for(roles.board)
    page = client.get("/konto/")
    assert "Sie sind der einzige Vorstand von:" in text(page) and roles.club.name in text(page)
    response = client.post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 422
    assert "einzige Vorstand" in text(response) and roles.club.name in text(response)
    assert user_by_email(roles.board.email) is not None


def test_delete_account_works_for_a_member(roles, client_for):
    client = client_for(roles.member)
    member_id = roles.member.id
    response = client.post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 303
    assert user_by_email("mitglied@verein.example") is None
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(Membership.user_id == member_id))
        == 0
    )
    assert client.get("/vereine").status_code == 302  # logged out


def test_delete_account_works_for_a_board_member_with_a_colleague(roles, client_for, make_user):
    from app.clubs.services import board_count

    colleague = make_user()
    db.session.add(Membership(club_id=roles.club.id, user_id=colleague.id, role=Role.BOARD))
    db.session.commit()
    # the outsider's own club still has them as the only board member
    response = client_for(roles.board).post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 303
    assert board_count(roles.club.id) == 1


def test_delete_account_needs_the_password(client_for, make_user):
    user = make_user(email="bleibt@example.org")
    response = client_for(user).post("/konto/loeschen", data={"current_password": "falsch-falsch"})
    assert response.status_code == 422 and "Das Passwort ist falsch" in text(response)
    assert user_by_email("bleibt@example.org") is not None
