"""Rate limits on the invitation forms (issue 12, item 8); the account forms' limits are in tests/auth."""

from __future__ import annotations

import pytest

from app.auth.models import User
from app.clubs.models import Invitation, Role
from app.extensions import limiter
from tests.conftest import HX, PASSWORD, login
from tests.helpers import count, row_counts, text

TOO_MANY = "Zu viele Versuche"


@pytest.fixture
def build(app, app_config, make_app):
    """``build(**settings)``: a fresh app with changed settings (same database, empty limiter)."""

    def make(**settings):
        application = make_app({**app_config, **settings})
        limiter.reset()
        return application

    return make


def test_invitations_by_email_are_limited_per_account(build, roles, mailbox):
    application = build(INVITATION_RATE_LIMIT="2 per hour")
    client = login(application.test_client(), roles.board)
    url = f"/c/{roles.club.slug}/mitglieder/einladen"
    for n in range(2):
        response = client.post(url, data={"email": f"gast{n}@example.org", "role": "member"}, headers=HX)
        assert response.status_code == 200
    before = row_counts()
    for headers in (HX, {}):
        response = client.post(url, data={"email": "gast9@example.org", "role": "member"}, headers=headers)
        assert response.status_code == 429 and TOO_MANY in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert row_counts() == before and count(Invitation) == 2
    assert not mailbox.to("gast9@example.org")


def test_invitations_by_email_are_limited_per_address(build, roles, mailbox):
    """Two boards of two clubs behind one client address (via the proxy) share that address's budget."""
    application = build(INVITATION_RATE_LIMIT="2 per hour", TRUSTED_PROXY_COUNT=1)
    shared, elsewhere, proxy = "203.0.113.7", "203.0.113.8", "10.0.0.1"

    def invite(user, n, address):
        client = login(application.test_client(), user)
        return client.post(
            f"/c/{user.memberships[0].club.slug}/mitglieder/einladen",
            data={"email": f"gast{n}@example.org", "role": "member"},
            headers={**HX, "X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": proxy},
        )

    assert invite(roles.board, 1, shared).status_code == 200
    assert invite(roles.outsider, 2, shared).status_code == 200  # the other club's board: its first invitation
    before = row_counts()
    # each account has sent one of its two: it is the address that has used up its budget
    response = invite(roles.outsider, 3, shared)
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert row_counts() == before and count(Invitation) == 2
    assert not mailbox.to("gast3@example.org")
    assert invite(roles.board, 4, elsewhere).status_code == 200  # from another address: the account's second
    assert mailbox.to("gast4@example.org")


def test_invitation_sign_up_is_limited_per_address(build, roles, mailbox):
    from app.clubs.services import create_invite_link

    application = build(REGISTER_RATE_LIMIT="2 per hour")
    invitation = create_invite_link(roles.club, Role.MEMBER, days=3, multi_use=True, by=roles.board)
    client = application.test_client()
    link = f"/einladung/{invitation.token}"

    def sign_up(email):
        return client.post(
            link, data={"reg-name": "W", "reg-email": email, "reg-password": PASSWORD, "reg-password_repeat": PASSWORD}
        )

    assert sign_up("s1@example.org").status_code == 303
    assert sign_up("s2@example.org").status_code == 303
    users = count(User)
    response = sign_up("s3@example.org")
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert count(User) == users and not mailbox.to("s3@example.org")
