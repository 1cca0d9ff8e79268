"""Rate limits that hold behind a proxy (issue 12, item 8).

Logins are limited per client address and per account; every form that sends mail per client address
and per account or recipient. The client address is the socket's peer, unless TRUSTED_PROXY_COUNT says
how many proxies' X-Forwarded-For entries to believe (werkzeug's ProxyFix).
"""

from __future__ import annotations

import pytest

from app.extensions import limiter
from tests.conftest import PASSWORD, login
from tests.helpers import row_counts, text

TOO_MANY = "Zu viele Versuche"
PROXY = "10.0.0.1"  # nginx on the same network


@pytest.fixture
def build(app, app_config, make_app):
    """``build(**settings)``: a fresh app with changed settings (same database, empty limiter)."""

    def make(**settings):
        application = make_app({**app_config, **settings})
        limiter.reset()
        return application

    return make


def via(client, method, url, *, peer="127.0.0.1", forwarded=None, **kwargs):
    headers = dict(kwargs.pop("headers", {}))
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return getattr(client, method)(url, headers=headers, environ_base={"REMOTE_ADDR": peer}, **kwargs)


def bad_login(client, email="x@example.org", **kwargs):
    return via(client, "post", "/konto/anmelden", data={"email": email, "password": "falsches-passwort"}, **kwargs)


# --- login ------------------------------------------------------------------------------------------------------


def test_directly_served_a_forged_x_forwarded_for_does_not_escape_the_limit(build):
    application = build(
        LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100 per minute", TRUSTED_PROXY_COUNT=0
    )
    client = application.test_client()
    for n in range(3):
        assert (
            bad_login(client, f"a{n}@example.org", peer="203.0.113.9", forwarded=f"198.51.100.{n}").status_code == 422
        )
    response = bad_login(client, "a9@example.org", peer="203.0.113.9", forwarded="198.51.100.99")
    assert response.status_code == 429 and TOO_MANY in text(response)
    # another real client is not affected
    assert bad_login(client, "b@example.org", peer="203.0.113.10").status_code == 422


def test_behind_one_proxy_two_clients_are_limited_separately(build):
    application = build(
        LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100 per minute", TRUSTED_PROXY_COUNT=1
    )
    client = application.test_client()
    for n in range(3):
        assert bad_login(client, f"a{n}@example.org", peer=PROXY, forwarded="198.51.100.1").status_code == 422
    assert bad_login(client, "a@example.org", peer=PROXY, forwarded="198.51.100.1").status_code == 429
    # the second visitor behind the same proxy still gets in
    assert bad_login(client, "b@example.org", peer=PROXY, forwarded="198.51.100.2").status_code == 422
    # what the first visitor writes into X-Forwarded-For themselves comes first; nginx appends the real address
    for n in range(3):
        response = bad_login(client, "a@example.org", peer=PROXY, forwarded=f"192.0.2.{n}, 198.51.100.1")
        assert response.status_code == 429


def test_a_real_login_behind_the_proxy_works(build, make_user):
    application = build(TRUSTED_PROXY_COUNT=1)
    make_user(email="echt@example.org")
    client = application.test_client()
    response = via(
        client,
        "post",
        "/konto/anmelden",
        data={"email": "echt@example.org", "password": PASSWORD},
        peer=PROXY,
        forwarded="198.51.100.1",
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 303
    assert via(client, "get", "/konto/", peer=PROXY, forwarded="198.51.100.1").status_code == 200


def test_guessing_one_account_from_many_addresses_is_slowed(build, make_user):
    application = build(
        LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute", TRUSTED_PROXY_COUNT=1
    )
    make_user(email="ziel@example.org")
    client = application.test_client()
    for n in range(3):
        assert bad_login(client, "ziel@example.org", peer=PROXY, forwarded=f"198.51.100.{n}").status_code == 422
    for spelling in ("ziel@example.org", " ZIEL@Example.org "):  # one account, however it is typed
        response = bad_login(client, spelling, peer=PROXY, forwarded="198.51.100.77")
        assert response.status_code == 429 and TOO_MANY in text(response)
    # the right password does not get through either while the account is limited
    response = via(
        client,
        "post",
        "/konto/anmelden",
        data={"email": "ziel@example.org", "password": PASSWORD},
        peer=PROXY,
        forwarded="198.51.100.78",
    )
    assert response.status_code == 429
    # other accounts are not affected
    assert bad_login(client, "andere@example.org", peer=PROXY, forwarded="198.51.100.77").status_code == 422


def test_successful_logins_do_not_count_against_the_account(build, make_user):
    application = build(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    make_user(email="oft@example.org")
    for _ in range(4):
        client = application.test_client()
        response = client.post("/konto/anmelden", data={"email": "oft@example.org", "password": PASSWORD})
        assert response.status_code == 303


# --- forms that send mail -------------------------------------------------------------------------------------


def test_password_reset_per_recipient_and_per_address(build, make_user, mailbox):
    application = build(MAIL_RATE_LIMIT="3 per hour", MAIL_ACCOUNT_RATE_LIMIT="2 per hour", TRUSTED_PROXY_COUNT=1)
    make_user(email="opfer@example.org")
    client = application.test_client()
    # one mailbox, from changing addresses: two mails, then 429
    for n in range(2):
        response = via(
            client,
            "post",
            "/konto/passwort-vergessen",
            data={"email": "opfer@example.org"},
            peer=PROXY,
            forwarded=f"198.51.100.{n}",
        )
        assert response.status_code == 303
    response = via(
        client,
        "post",
        "/konto/passwort-vergessen",
        data={"email": "Opfer@example.org"},
        peer=PROXY,
        forwarded="198.51.100.50",
    )
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert len(mailbox.to("opfer@example.org")) == 2
    # one address, changing recipients: three requests, then 429
    for n in range(3):
        response = via(
            client,
            "post",
            "/konto/passwort-vergessen",
            data={"email": f"x{n}@example.org"},
            peer=PROXY,
            forwarded="198.51.100.60",
        )
        assert response.status_code == 303
    assert (
        via(
            client,
            "post",
            "/konto/passwort-vergessen",
            data={"email": "x9@example.org"},
            peer=PROXY,
            forwarded="198.51.100.60",
        ).status_code
        == 429
    )


def test_registration_is_limited_per_address_and_writes_nothing_over_the_limit(build, mailbox):
    application = build(REGISTER_RATE_LIMIT="2 per hour", TRUSTED_PROXY_COUNT=1)
    client = application.test_client()

    def register(email, forwarded):
        return via(
            client,
            "post",
            "/konto/registrieren",
            data={"name": "Wegwerf", "email": email, "password": PASSWORD, "password_repeat": PASSWORD},
            peer=PROXY,
            forwarded=forwarded,
        )

    assert register("w1@example.org", "198.51.100.1").status_code == 303
    assert register("w2@example.org", "198.51.100.1").status_code == 303
    before = row_counts()
    response = register("w3@example.org", "198.51.100.1")
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert row_counts() == before and not mailbox.to("w3@example.org")
    assert register("w4@example.org", "198.51.100.2").status_code == 303  # someone else behind the proxy


def test_one_mailbox_has_one_budget_across_all_forms(build, make_user, mailbox):
    """Registration, reset and resend all mail the same address: together they are limited."""
    application = build(MAIL_ACCOUNT_RATE_LIMIT="2 per hour")
    make_user(email="ziel@example.org", confirmed=False)
    client = application.test_client()
    assert (
        client.post(
            "/konto/registrieren",
            data={"name": "X", "email": "ziel@example.org", "password": PASSWORD, "password_repeat": PASSWORD},
        ).status_code
        == 303
    )
    assert client.post("/konto/passwort-vergessen", data={"email": "ziel@example.org"}).status_code == 303
    before = len(mailbox.messages)
    assert client.post("/konto/passwort-vergessen", data={"email": "ziel@example.org"}).status_code == 429
    owner = application.test_client()
    owner.post("/konto/anmelden", data={"email": "ziel@example.org", "password": PASSWORD})
    assert owner.post("/konto/bestaetigen/erneut").status_code == 429
    assert len(mailbox.messages) == before


def test_resend_confirmation_is_limited(build, make_user, mailbox):
    application = build(MAIL_ACCOUNT_RATE_LIMIT="2 per hour")
    user = make_user(confirmed=False)
    client = login(application.test_client(), user)
    assert client.post("/konto/bestaetigen/erneut").status_code == 303
    assert client.post("/konto/bestaetigen/erneut").status_code == 303
    response = client.post("/konto/bestaetigen/erneut")
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert len(mailbox.to(user.email)) == 2


def test_email_change_is_limited_per_account(build, make_user, mailbox):
    application = build(MAIL_ACCOUNT_RATE_LIMIT="2 per hour", MAIL_RATE_LIMIT="100 per hour")
    user = make_user(email="wechsler@example.org")
    client = login(application.test_client(), user)
    for n in range(2):
        response = client.post("/konto/email", data={"email": f"neu{n}@example.org", "current_password": PASSWORD})
        assert response.status_code == 303
    response = client.post("/konto/email", data={"email": "neu9@example.org", "current_password": PASSWORD})
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert not mailbox.to("neu9@example.org")
