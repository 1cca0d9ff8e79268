"""Two-factor login (issue 21): enrolment, the second login step, recovery codes, removal, bad input."""

from __future__ import annotations

import re
from datetime import datetime

import pyotp
import pytest
import sqlalchemy as sa

from app.auth import twofactor
from app.auth.models import Passkey, RecoveryCode, TotpSecret, User
from app.core.audit import AuditEntry
from app.extensions import db
from tests.conftest import HX, PASSWORD, enrol_two_factor, login
from tests.helpers import assert_refused_cleanly, row_counts, text, totp_code

CODE_PAGE = "/konto/anmelden/code"
RECOVERY_PAGE = "/konto/anmelden/wiederherstellungscode"


def secret_on_page(body: str) -> str:
    match = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', body)
    assert match, body[:2000]
    return match.group(1).replace(" ", "")


def codes_on_page(body: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", body)


def password_step(client, user, **extra):
    return client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD, **extra})


def is_logged_in(client) -> bool:
    return client.get("/konto/").status_code == 200


def actions(user) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id))
    )


# --- enrolment -----------------------------------------------------------------------------------------------


def test_enrolment_confirmed_by_a_first_code_shows_ten_recovery_codes_once(app, make_user, client_for, mailbox):
    user = make_user()
    client = client_for(user)
    other_device = client_for(user)
    assert "Zwei-Faktor-Anmeldung einrichten" in text(client.get("/konto/"))

    response = client.post("/konto/zwei-faktor/einrichten")
    assert response.status_code == 303
    page = client.get("/konto/zwei-faktor")
    body = text(page)
    assert "no-store" in page.headers["Cache-Control"]
    secret = secret_on_page(body)
    # the QR code is inline SVG from our side: no style attribute or element, no script, no outside address
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg
    assert "style" not in svg and "<script" not in svg and "http" not in svg.replace("http://www.w3.org", "")
    # stored encrypted: neither the secret nor its base32 form is in the database
    stored = db.session.get(TotpSecret, user.id)
    assert stored.confirmed_at is None and secret not in stored.encrypted_secret
    assert twofactor.decrypt_secret(stored.encrypted_secret) == secret
    assert not db.session.get(User, user.id).has_two_factor

    token_before = db.session.get(User, user.id).session_token
    confirmed = client.post("/konto/zwei-faktor/bestaetigen", data={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200 and "no-store" in confirmed.headers["Cache-Control"]
    codes = codes_on_page(text(confirmed))
    assert len(codes) == len(set(codes)) == 10

    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.has_two_factor and user.session_token != token_before
    stored_hashes = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored_hashes) == 10
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in stored_hashes)
    # the page shows the codes only once
    assert not codes_on_page(text(client.get("/konto/zwei-faktor")))
    # this browser stays logged in, every other session ended
    assert is_logged_in(client) and not is_logged_in(other_device)
    assert "account.two_factor_enabled" in actions(user)
    assert "eingeschaltet" in mailbox.to(user.email)[-1]["Subject"]


def test_a_wrong_first_code_turns_nothing_on(app, make_user, client_for, mailbox):
    user = make_user()
    client = client_for(user)
    client.post("/konto/zwei-faktor/einrichten")
    secret = secret_on_page(text(client.get("/konto/zwei-faktor")))
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    before = row_counts()
    response = client.post("/konto/zwei-faktor/bestaetigen", data={"code": wrong})
    assert response.status_code == 422 and "Der Code stimmt nicht" in text(response)
    assert row_counts() == before and mailbox.messages == []
    assert not db.session.get(User, user.id).has_two_factor


def test_a_new_setup_replaces_an_unconfirmed_secret(app, make_user, client_for):
    user = make_user()
    client = client_for(user)
    client.post("/konto/zwei-faktor/einrichten")
    first = secret_on_page(text(client.get("/konto/zwei-faktor")))
    client.post("/konto/zwei-faktor/einrichten")
    second = secret_on_page(text(client.get("/konto/zwei-faktor")))
    assert first != second
    response = client.post("/konto/zwei-faktor/bestaetigen", data={"code": pyotp.TOTP(first).now()})
    assert response.status_code == 422  # the old secret's codes no longer count


# --- the login --------------------------------------------------------------------------------------------------


def test_login_asks_for_the_code_on_a_second_page(app, make_user):
    user = make_user(two_factor=True)
    client = app.test_client()
    response = password_step(client, user)
    assert response.status_code == 303 and response.headers["Location"].endswith(CODE_PAGE)
    assert not is_logged_in(client)
    page = client.get(CODE_PAGE)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in text(page)
    response = client.post(CODE_PAGE, data={"code": totp_code(user)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/vereine")
    assert is_logged_in(client)
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_keeps_the_next_page_and_remember_me(app, make_user, make_club):
    user = make_user(two_factor=True)
    club = make_club(board=user)
    client = app.test_client()
    response = client.post(
        f"/konto/anmelden?next=/c/{club.slug}/",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
    )
    assert response.headers["Location"].endswith(CODE_PAGE)
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    response = client.post(CODE_PAGE, data={"code": totp_code(user)})
    assert response.headers["Location"] == f"/c/{club.slug}/"
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_wrong_code_is_refused(app, make_user):
    user = make_user(two_factor=True)
    client = app.test_client()
    password_step(client, user)
    good = totp_code(user)
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    response = client.post(CODE_PAGE, data={"code": wrong})
    assert response.status_code == 422 and "Der Code stimmt nicht" in text(response)
    assert not is_logged_in(client)


def test_a_code_is_never_taken_twice(app, make_user):
    user = make_user(two_factor=True)
    first = app.test_client()
    password_step(first, user)
    code = totp_code(user)
    assert first.post(CODE_PAGE, data={"code": code}).status_code == 303

    second = app.test_client()  # someone who watched the code being typed
    password_step(second, user)
    response = second.post(CODE_PAGE, data={"code": code})
    assert response.status_code == 422 and "schon benutzt" in text(response)
    assert not is_logged_in(second)


def test_a_code_older_than_the_last_one_used_is_refused(app, make_user):
    user = make_user(two_factor=True)
    totp = pyotp.TOTP(twofactor.decrypt_secret(user.totp.encrypted_secret))
    now = totp.timecode(datetime.now())
    client = app.test_client()
    password_step(client, user)
    assert client.post(CODE_PAGE, data={"code": totp.generate_otp(now + 1)}).status_code == 303
    other = app.test_client()
    password_step(other, user)
    response = other.post(CODE_PAGE, data={"code": totp.generate_otp(now)})  # still in the window, but older
    assert response.status_code == 422


def test_codes_one_step_either_side_are_accepted_two_are_not(app, make_user):
    user = make_user(two_factor=False)
    enrol_two_factor(user)
    secret = twofactor.decrypt_secret(db.session.get(TotpSecret, user.id).encrypted_secret)
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now())
    assert twofactor._matching_step(secret, totp.generate_otp(now + 1)) == now + 1
    assert twofactor._matching_step(secret, totp.generate_otp(now - 1)) == now - 1
    assert twofactor._matching_step(secret, totp.generate_otp(now + 2)) is None
    assert twofactor._matching_step(secret, totp.generate_otp(now - 2)) is None


def test_the_second_step_without_the_first_goes_back_to_the_login(app, make_user):
    client = app.test_client()
    response = client.get(CODE_PAGE)
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/anmelden")
    response = client.post(CODE_PAGE, data={"code": "123456"})
    assert response.status_code == 303


def test_the_marker_expires_within_minutes(app, make_user):
    user = make_user(two_factor=True)
    client = app.test_client()
    password_step(client, user)
    app.config["TWO_FACTOR_LOGIN_MAX_AGE"] = -1  # as if the minutes had passed
    response = client.post(CODE_PAGE, data={"code": totp_code(user)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/anmelden")
    assert not is_logged_in(client)


def test_the_marker_dies_when_the_password_changes(app, make_user):
    user = make_user(two_factor=True)
    client = app.test_client()
    password_step(client, user)
    user.set_password("ein-ganz-neues-passwort")
    db.session.commit()
    response = client.post(CODE_PAGE, data={"code": totp_code(user)})
    assert response.status_code == 303 and not is_logged_in(client)


def _get_paths(app, slug):
    """Every GET route of the app with concrete values (ids 1, the test club's slug, "x" for the rest)."""

    def value(match):
        converter, name = match.group(1), match.group(2)
        if name == "slug":
            return slug
        return "1" if converter in ("int", "float") else "x"

    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in ("static", "auth.login_code", "auth.login_recovery"):
            yield re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def test_the_half_logged_in_state_grants_nothing(app, roles, make_club):
    """Between password and code, every page answers exactly as it does to an anonymous visitor."""
    enrol_two_factor(roles.board)
    half = app.test_client()
    assert password_step(half, roles.board).headers["Location"].endswith(CODE_PAGE)
    anonymous = app.test_client()
    checked = 0
    for path in _get_paths(app, roles.club.slug):
        for headers in ({}, HX):
            got, expected = half.get(path, headers=headers), anonymous.get(path, headers=headers)
            assert got.status_code == expected.status_code, path
            assert got.headers.get("Location") == expected.headers.get("Location"), path
            if got.status_code == 200:
                assert "Abmelden" not in text(got), path
        checked += 1
    assert checked > 50
    assert half.get(CODE_PAGE).status_code == 200  # the marker is still there: only the code page uses it


# --- recovery codes -------------------------------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once(app, make_user, mailbox):
    user = make_user(two_factor=False)
    codes = enrol_two_factor(user)
    client = app.test_client()
    password_step(client, user)
    response = client.post(RECOVERY_PAGE, data={"code": codes[3].upper()})  # case does not matter
    assert response.status_code == 303
    assert "Es bleiben 9 Codes" in text(client.get("/vereine"))
    assert is_logged_in(client)

    other = app.test_client()
    password_step(other, user)
    response = other.post(RECOVERY_PAGE, data={"code": codes[3]})
    assert response.status_code == 422 and "schon benutzt" in text(response)
    assert not is_logged_in(other)
    assert other.post(RECOVERY_PAGE, data={"code": codes[4].replace("-", "")}).status_code == 303
    assert "account.recovery_code_used" in actions(user)


def test_regenerating_recovery_codes_needs_the_password_and_voids_the_old_ones(app, make_user, client_for, mailbox):
    user = make_user(two_factor=False)
    old = enrol_two_factor(user)
    client = client_for(user)
    mailbox.clear()
    response = client.post("/konto/zwei-faktor/wiederherstellungscodes", data={"current_password": "falsch-falsch"})
    assert response.status_code == 422 and "Das aktuelle Passwort ist falsch" in text(response)
    response = client.post("/konto/zwei-faktor/wiederherstellungscodes", data={"current_password": PASSWORD})
    new = codes_on_page(text(response))
    assert response.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert "account.recovery_codes_regenerated" in actions(user)
    assert "Wiederherstellungscodes" in mailbox.to(user.email)[-1]["Subject"]

    login_client = app.test_client()
    password_step(login_client, user)
    assert login_client.post(RECOVERY_PAGE, data={"code": old[0]}).status_code == 422
    assert login_client.post(RECOVERY_PAGE, data={"code": new[0]}).status_code == 303


# --- turning it off ----------------------------------------------------------------------------------------------------


def test_turning_it_off_needs_password_and_a_current_code(app, make_user, client_for, mailbox):
    user = make_user(two_factor=True)
    db.session.add(Passkey(user_id=user.id, name="Laptop", credential_id=b"cred", public_key=b"key"))
    db.session.commit()
    client = client_for(user)
    other_device = client_for(user)
    mailbox.clear()
    before = row_counts()
    wrong_password = client.post(
        "/konto/zwei-faktor/ausschalten", data={"current_password": "falsch-falsch", "code": totp_code(user)}
    )
    assert wrong_password.status_code == 422 and "Das aktuelle Passwort ist falsch" in text(wrong_password)
    code = totp_code(user)
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"
    wrong_code = client.post("/konto/zwei-faktor/ausschalten", data={"current_password": PASSWORD, "code": wrong})
    assert wrong_code.status_code == 422 and "Der Code stimmt nicht" in text(wrong_code)
    assert row_counts() == before and mailbox.messages == []

    response = client.post("/konto/zwei-faktor/ausschalten", data={"current_password": PASSWORD, "code": code})
    assert response.status_code == 303
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert not user.has_two_factor
    for model in (TotpSecret, RecoveryCode, Passkey):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.user_id == user.id)) == 0
    assert is_logged_in(client) and not is_logged_in(other_device)
    assert "account.two_factor_disabled" in actions(user)
    assert "ausgeschaltet" in mailbox.to(user.email)[-1]["Subject"]
    # the password alone logs in again
    fresh = app.test_client()
    assert password_step(fresh, user).headers["Location"].endswith("/vereine")


def test_turning_it_off_with_a_recovery_code(app, make_user, client_for):
    user = make_user(two_factor=False)
    codes = enrol_two_factor(user)
    client = client_for(db.session.get(User, user.id))
    response = client.post("/konto/zwei-faktor/ausschalten", data={"current_password": PASSWORD, "code": codes[0]})
    assert response.status_code == 303
    assert not db.session.get(User, user.id).has_two_factor


# --- bad input --------------------------------------------------------------------------------------------------------

BAD_CODES = [
    ("abcdef", "Der Code besteht nur aus Ziffern."),
    ("12345", "Der Code hat genau sechs Ziffern."),
    ("1234567", "Der Code hat genau sechs Ziffern."),
    ("123 456", "Bitte geben Sie den Code ohne Leerzeichen ein."),
    (" 123456", "Bitte geben Sie den Code ohne Leerzeichen ein."),
    ("      ", "Bitte geben Sie den Code ohne Leerzeichen ein."),
    ("", "Bitte geben Sie den sechsstelligen Code aus Ihrer App ein."),
    ("١٢٣٤٥٦", "Der Code besteht nur aus Ziffern."),  # Arabic-Indic digits are digits to Python, not to us
]


@pytest.mark.parametrize(("code", "message"), BAD_CODES)
def test_bad_codes_at_login_get_a_clear_message(app, make_user, mailbox, code, message):
    user = make_user(two_factor=True)
    client = app.test_client()
    password_step(client, user)
    mailbox.clear()
    assert_refused_cleanly(client, CODE_PAGE, {"code": code}, message, mailbox)
    assert not is_logged_in(client)


@pytest.mark.parametrize(("code", "message"), BAD_CODES)
def test_bad_codes_at_enrolment_get_a_clear_message(app, make_user, client_for, mailbox, code, message):
    user = make_user()
    client = client_for(user)
    client.post("/konto/zwei-faktor/einrichten")
    assert_refused_cleanly(client, "/konto/zwei-faktor/bestaetigen", {"code": code}, message, mailbox)
    assert not db.session.get(User, user.id).has_two_factor


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("abcd-efgh", "Ein Wiederherstellungscode hat zehn Zeichen"),
        ("abcde-fghjkm", "Ein Wiederherstellungscode hat zehn Zeichen"),
        ("abcde fghjk", "Bitte geben Sie den Code ohne Leerzeichen ein."),
        ("abcde-fgh0k", "Ein Wiederherstellungscode hat zehn Zeichen"),  # 0 is not in the alphabet
        ("", "Bitte geben Sie einen Ihrer Wiederherstellungscodes ein."),
    ],
)
def test_bad_recovery_codes_get_a_clear_message(app, make_user, mailbox, code, message):
    user = make_user(two_factor=True)
    client = app.test_client()
    password_step(client, user)
    mailbox.clear()
    assert_refused_cleanly(client, RECOVERY_PAGE, {"code": code}, message, mailbox)


# --- rate limits ------------------------------------------------------------------------------------------------------


def test_failed_codes_are_limited_per_account(app, make_user):
    app.config.update(TWO_FACTOR_ACCOUNT_RATE_LIMIT="3 per minute", TWO_FACTOR_RATE_LIMIT="100 per minute")
    user = make_user(two_factor=True)
    client = app.test_client()
    password_step(client, user)
    good = totp_code(user)
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    for _ in range(3):
        assert client.post(CODE_PAGE, data={"code": wrong}).status_code == 422
    # another address, the same account: still limited, even with the right code (and the recovery page too)
    other = app.test_client()
    password_step(other, user)
    response = other.post(CODE_PAGE, data={"code": good}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 429 and not is_logged_in(other)
    assert other.post(RECOVERY_PAGE, data={"code": "abcde-fghjk"}).status_code == 429
    assert other.post("/konto/anmelden/passkey", data={"credential": "{}"}).status_code == 429  # one budget
    # another account is not affected
    someone = make_user(two_factor=True)
    third = app.test_client()
    password_step(third, someone)
    assert third.post(CODE_PAGE, data={"code": totp_code(someone)}).status_code == 303


def test_second_steps_are_limited_per_client_address(app, make_user):
    app.config.update(TWO_FACTOR_RATE_LIMIT="2 per minute", TWO_FACTOR_ACCOUNT_RATE_LIMIT="100 per minute")
    users = [make_user(two_factor=True) for _ in range(3)]
    for n, user in enumerate(users):
        client = app.test_client()
        password_step(client, user)
        response = client.post(CODE_PAGE, data={"code": "000000"})
        assert response.status_code == (429 if n == 2 else 422)


def test_the_pending_account_cannot_be_chosen_by_the_client(app, make_user):
    """The per-account key comes from the signed marker: a forged one counts as none."""
    user = make_user(two_factor=True)
    client = app.test_client()
    with client.session_transaction() as session:
        session[twofactor.MARKER_KEY] = f'{{"uid": {user.id}}}'
    response = client.post(CODE_PAGE, data={"code": totp_code(user)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/anmelden")
    assert not is_logged_in(client)


def test_an_account_without_two_factor_logs_in_with_the_password_alone(app, make_user):
    user = make_user()
    client = app.test_client()
    assert password_step(client, user).headers["Location"].endswith("/vereine")
    assert is_logged_in(client)
    assert client.get(CODE_PAGE).status_code == 302  # logged in already: to "Meine Vereine"


def test_staff_fixture_enrols_for_real(app, roles):
    """The staff fixtures go through the real enrolment (no switch that production could use)."""
    stored = db.session.get(TotpSecret, roles.staff.id)
    assert stored is not None and stored.confirmed_at is not None
    assert roles.staff.has_two_factor and not roles.board.has_two_factor
    # the session helper stands for a finished login: the staff client reaches the admin area
    assert login(app.test_client(), roles.staff).get("/admin/vereine").status_code == 200


# --- passkeys: the server side (the browser journey uses a real authenticator) ---------------------------------------


def _with_passkey(make_user):
    user = make_user(two_factor=True)
    db.session.add(Passkey(user_id=user.id, name="Laptop", credential_id=b"credential-1", public_key=b"key"))
    db.session.commit()
    return user


def test_without_javascript_the_passkey_forms_stay_hidden_and_the_code_works(app, make_user):
    user = _with_passkey(make_user)
    client = app.test_client()
    password_step(client, user)
    body = text(client.get(CODE_PAGE))
    assert re.search(r'<form id="passkey-login"\s+hidden', body)
    assert re.search(r'<script src="/static/js/passkeys(\.[0-9a-f]+)?\.js" defer></script>', body)  # hashed when built
    assert "<script>" not in body
    assert client.post(CODE_PAGE, data={"code": totp_code(user)}).status_code == 303


def test_passkey_login_needs_the_password_step_and_a_matching_answer(app, make_user):
    app.config.update(TWO_FACTOR_RATE_LIMIT="100 per minute", TWO_FACTOR_ACCOUNT_RATE_LIMIT="100 per minute")
    user = _with_passkey(make_user)
    client = app.test_client()
    assert client.post("/konto/anmelden/passkey/optionen").status_code == 400  # no password step
    assert client.post("/konto/anmelden/passkey", data={"credential": "{}"}).status_code == 400
    password_step(client, user)
    options = client.post("/konto/anmelden/passkey/optionen")
    assert options.status_code == 200 and "no-store" in options.headers["Cache-Control"]
    data = options.get_json()
    assert data["rpId"] == "localhost" and data["allowCredentials"][0]["id"] == "Y3JlZGVudGlhbC0x"
    for bad in ("", "kein json", "[]", '{"id": "Y3JlZGVudGlhbC0x", "rawId": "Y3JlZGVudGlhbC0x", "response": {}}'):
        client.post("/konto/anmelden/passkey/optionen")
        response = client.post("/konto/anmelden/passkey", data={"credential": bad})
        assert response.status_code in (400, 422) and response.get_json()["error"], bad
        assert not is_logged_in(client)
    # the challenge is used once: a second answer to it is refused
    response = client.post("/konto/anmelden/passkey", data={"credential": "{}"})
    assert response.status_code == 422 and "abgelaufen" in response.get_json()["error"]


def test_passkeys_need_two_factor_first_and_belong_to_their_owner(app, make_user, client_for):
    plain = client_for(make_user())
    response = plain.post("/konto/zwei-faktor/passkeys/optionen")
    assert response.status_code == 400 and "zuerst" in response.get_json()["error"]
    owner = _with_passkey(make_user)
    other = client_for(make_user(two_factor=True))
    passkey_id = db.session.scalar(sa.select(Passkey.id).where(Passkey.user_id == owner.id))
    assert other.post(f"/konto/zwei-faktor/passkeys/{passkey_id}/entfernen").status_code == 404
    assert db.session.get(Passkey, passkey_id) is not None
    options = client_for(owner).post("/konto/zwei-faktor/passkeys/optionen").get_json()
    assert options["excludeCredentials"][0]["id"] == "Y3JlZGVudGlhbC0x"  # no second registration of one key
    assert options["rp"]["id"] == "localhost" and owner.email not in options["user"]["id"]


def test_operators_can_reset_two_factor_login(app, runner, make_user, mailbox):
    user = make_user(two_factor=True)
    result = runner.invoke(args=["reset-two-factor", user.email.upper()])
    assert result.exit_code == 0 and "ausgeschaltet" in result.output
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor
    assert "ausgeschaltet" in mailbox.to(user.email)[-1]["Subject"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "account.two_factor_disabled"))
    assert entry.details == {"user_id": user.id, "by": "operator"} and entry.actor_id is None
    result = runner.invoke(args=["reset-two-factor", "niemand@example.org"])
    assert result.exit_code != 0 and "Kein Konto mit Zwei-Faktor-Anmeldung" in result.output
