"""Invitations by e-mail and by shareable link."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Invitation, Membership, Role
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import HX, PASSWORD
from tests.helpers import count, link_in, path_of, row_counts, text


def members_url(club, rest=""):
    return f"/c/{club.slug}/mitglieder/{rest}"


def invitations():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Invitation).order_by(Invitation.id)))


def role_of(club, email):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(Membership.club_id == club.id, User.email == email)
    )


def register_data(email, name="Ina Eingeladen", password=PASSWORD):
    return {"reg-name": name, "reg-email": email, "reg-password": password, "reg-password_repeat": password}


def invite_link(client, club, role="member", days=14, multi_use=False):
    data = {"role": role, "days": days}
    if multi_use:
        data["multi_use"] = "y"
    response = client.post(members_url(club, "einladungslink"), data=data)
    assert response.status_code == 200, text(response)
    return f"/einladung/{invitations()[-1].token}"


# --- by e-mail ---------------------------------------------------------------------------------


def test_invite_by_email_sends_a_link_and_a_new_person_registers(roles, client_for, client, mailbox):
    board = client_for(roles.board)
    response = board.post(
        members_url(roles.club, "einladen"), data={"email": " Neu@Example.org", "role": "member"}, headers=HX
    )
    assert response.status_code == 200 and "<html" not in text(response)
    assert "Die Einladung an neu@example.org ist verschickt." in text(response)
    assert "neu@example.org" in text(response)  # listed as open invitation
    mail = mailbox.to("neu@example.org")
    assert len(mail) == 1 and roles.club.name in mail[0]["Subject"]
    assert "Vera Vorstand" in mailbox.body(mail[0])
    link = path_of(link_in(mailbox, "neu@example.org", "/einladung/"))

    page = client.get(link)
    assert page.status_code == 200 and 'value="neu@example.org"' in text(page)
    response = client.post(link, data=register_data("neu@example.org"))
    # not logged in yet (that would tell a stranger that the address was free): "check your inbox"
    assert response.status_code == 303 and response.headers["Location"].startswith("/konto/anmelden?next=")
    assert "Bitte sehen Sie in Ihr Postfach" in text(client.get(response.headers["Location"]))
    user = db.session.scalar(sa.select(User).where(User.email == "neu@example.org"))
    assert user.is_confirmed  # the invitation reached this mailbox
    assert user.password_hash.startswith("scrypt:")
    assert role_of(roles.club, "neu@example.org") is Role.MEMBER
    welcome = mailbox.body(mailbox.to("neu@example.org")[-1])
    assert "Ihr Konto im Vereinsraum ist angelegt" in welcome and "Ina" not in welcome
    # logging in leads through the invitation link to the workspace
    response = client.post(response.headers["Location"], data={"email": "neu@example.org", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == link
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/c/{roles.club.slug}/")
    assert client.get(f"/c/{roles.club.slug}/").status_code == 200
    # single use: the link is dead now
    assert client_for(roles.outsider).get(link).status_code == 410


def test_email_invitation_links_an_existing_account(roles, client_for, make_user, mailbox):
    existing = make_user(email="da@example.org", name="Dana Da")
    client_for(roles.board).post(members_url(roles.club, "einladen"), data={"email": "da@example.org", "role": "board"})
    link = path_of(link_in(mailbox, "da@example.org", "/einladung/"))
    client = client_for(existing)
    page = client.get(link)
    assert "Sie sind angemeldet als Dana Da" in text(page)
    users_before = count(User)
    response = client.post(link)
    assert response.status_code == 303
    assert count(User) == users_before
    assert role_of(roles.club, "da@example.org") is Role.BOARD


def test_sign_up_with_an_existing_address_answers_as_usual_and_tells_the_owner(
    roles, client_for, app, make_user, mailbox
):
    """A shared link lets anyone try addresses: the answer must not tell which ones have an account."""
    make_user(email="da@example.org", name="Dana Da")
    link = invite_link(client_for(roles.board), roles.club, multi_use=True)
    before = row_counts()
    taken = app.test_client().post(link, data=register_data("DA@example.org", name="Mallory"))
    assert row_counts() == before  # no account, no membership, the link not used
    free = app.test_client().post(link, data=register_data("frei@example.org", name="Mallory"))
    assert taken.status_code == free.status_code == 303
    assert taken.headers["Location"] == free.headers["Location"]
    assert role_of(roles.club, "da@example.org") is None and role_of(roles.club, "frei@example.org") is Role.MEMBER
    notice = mailbox.body(mailbox.to("da@example.org")[-1])
    assert "um einer Einladung in den Vereinsraum zu folgen" in notice and "Mallory" not in notice
    assert link not in notice  # the owner is not handed someone else's invitation link
    assert "/konto/passwort-neu/" in notice
    # the owner logs in and opens the link: member as usual
    owner = client_for(db.session.scalar(sa.select(User).where(User.email == "da@example.org")))
    assert owner.post(link).status_code == 303
    assert role_of(roles.club, "da@example.org") is Role.MEMBER


def test_sign_up_for_an_email_invitation_with_an_existing_address(roles, client_for, client, make_user, mailbox):
    make_user(email="da@example.org")
    client_for(roles.board).post(
        members_url(roles.club, "einladen"), data={"email": "da@example.org", "role": "member"}
    )
    link = path_of(link_in(mailbox, "da@example.org", "/einladung/"))
    before = row_counts()
    response = client.post(link, data=register_data("da@example.org"))
    assert response.status_code == 303 and response.headers["Location"].startswith("/konto/anmelden?next=")
    assert "gibt es schon ein Konto" not in text(client.get(response.headers["Location"]))
    assert row_counts() == before
    assert "Melden Sie sich mit Ihrem Konto an" in mailbox.body(mailbox.to("da@example.org")[-1])


def test_email_invitation_for_another_address_is_refused(roles, client_for, mailbox, client):
    client_for(roles.board).post(
        members_url(roles.club, "einladen"), data={"email": "ziel@example.org", "role": "member"}
    )
    link = path_of(link_in(mailbox, "ziel@example.org", "/einladung/"))
    # a logged-in person with a different address
    response = client_for(roles.outsider).post(link)
    assert response.status_code == 409
    assert "gilt für eine andere E-Mail-Adresse (ziel@example.org)" in text(response)
    assert role_of(roles.club, roles.outsider.email) is None
    # a new account with a different address: nothing is created
    before = row_counts()
    response = client.post(link, data=register_data("falsch@example.org"))
    assert response.status_code == 409
    assert row_counts() == before
    assert invitations()[-1].use_count == 0


def test_inviting_an_existing_member_is_refused(roles, client_for, mailbox):
    before = row_counts()
    for headers in ({}, HX):
        response = client_for(roles.board).post(
            members_url(roles.club, "einladen"), data={"email": roles.member.email, "role": "member"}, headers=headers
        )
        assert response.status_code == 422
        assert "schon Mitglied" in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert row_counts() == before
    assert mailbox.messages == []


def test_invitation_keeps_the_higher_role(roles, client_for):
    link = invite_link(client_for(roles.board), roles.club, role="member")
    client_for(roles.board).post(link)  # board member opens a member link
    assert role_of(roles.club, roles.board.email) is Role.BOARD


# --- by link ------------------------------------------------------------------------------------


def test_single_use_link(roles, client_for, make_user):
    board = client_for(roles.board)
    response = board.post(members_url(roles.club, "einladungslink"), data={"role": "board", "days": 3})
    assert "Der Einladungslink ist erstellt" in text(response)
    link = f"/einladung/{invitations()[-1].token}"
    assert f"http://localhost{link}" in text(response)
    first, second = make_user(), make_user()
    assert client_for(first).post(link).status_code == 303
    assert role_of(roles.club, first.email) is Role.BOARD
    assert client_for(second).get(link).status_code == 410
    assert client_for(second).post(link).status_code == 410
    assert role_of(roles.club, second.email) is None


def test_multi_use_link_for_new_accounts(roles, client_for, app):
    link = invite_link(client_for(roles.board), roles.club, multi_use=True)
    for n in range(3):
        client = app.test_client()
        response = client.post(link, data=register_data(f"person{n}@example.org", name=f"Person {n}"))
        assert response.status_code == 303
        assert role_of(roles.club, f"person{n}@example.org") is Role.MEMBER
        user = db.session.scalar(sa.select(User).where(User.email == f"person{n}@example.org"))
        assert not user.is_confirmed  # a shared link proves nothing about the mailbox
    assert invitations()[-1].use_count == 3


def test_new_account_via_link_gets_a_confirmation_mail(roles, client_for, client, mailbox):
    link = invite_link(client_for(roles.board), roles.club)
    client.post(link, data=register_data("link@example.org"))
    assert link_in(mailbox, "link@example.org", "/konto/bestaetigen/")


def test_expired_link(roles, client_for, make_user):
    link = invite_link(client_for(roles.board), roles.club, days=1)
    invitation = invitations()[-1]
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    user = make_user()
    response = client_for(user).post(link)
    assert response.status_code == 410 and "nicht mehr gültig" in text(response)
    assert role_of(roles.club, user.email) is None


def test_revoked_link(roles, client_for, make_user):
    board = client_for(roles.board)
    link = invite_link(board, roles.club)
    invitation = invitations()[-1]
    response = board.post(members_url(roles.club, f"einladungen/{invitation.id}/widerrufen"), headers=HX)
    assert response.status_code == 200 and "Die Einladung ist widerrufen." in text(response)
    assert "<html" not in text(response)
    assert invitations()[-1].revoked_at is not None
    assert client_for(make_user()).post(link).status_code == 410
    # not listed any more
    assert invitation.token not in text(board.get(members_url(roles.club)))


def test_revoke_invitation_of_another_club_is_404(roles, client_for):
    link = invite_link(client_for(roles.outsider), roles.other_club)
    invitation = invitations()[-1]
    response = client_for(roles.board).post(members_url(roles.club, f"einladungen/{invitation.id}/widerrufen"))
    assert response.status_code == 404
    assert invitations()[-1].revoked_at is None
    assert link


def test_unknown_invitation_is_404(client):
    assert client.get("/einladung/gibt-es-nicht").status_code == 404


def test_invitation_to_a_pending_club_is_not_usable(make_club, make_user, client_for):
    import pytest

    from app.clubs.services import ClubError, create_invite_link

    board = make_user()
    club = make_club(status="pending", board=board)
    with pytest.raises(ClubError):  # the service makes none for a club that is not approved …
        create_invite_link(club, Role.MEMBER, days=3, multi_use=False, by=board)
    invitation = Invitation(
        club_id=club.id,
        role=Role.MEMBER,
        created_by_id=board.id,  # … and none is accepted
        expires_at=utcnow() + timedelta(days=3),
    )
    db.session.add(invitation)
    db.session.commit()
    assert client_for(make_user()).get(f"/einladung/{invitation.token}").status_code == 410


def test_invitation_page_offers_login_with_next(roles, client_for, client):
    link = invite_link(client_for(roles.board), roles.club)
    page = text(client.get(link))
    assert "/konto/anmelden?next=" in page and "Konto anlegen und beitreten" in page


def test_invitation_mail_contains_expiry_date(roles, client_for, mailbox):
    client_for(roles.board).post(members_url(roles.club, "einladen"), data={"email": "x@example.org", "role": "member"})
    body = mailbox.body(mailbox.to("x@example.org")[0])
    assert "Die Einladung gilt bis" in body and "(Rolle: Mitglied)" in body


def test_member_cannot_invite(roles, client_for):
    before = row_counts()
    client = client_for(roles.member)
    assert (
        client.post(members_url(roles.club, "einladen"), data={"email": "a@b.de", "role": "board"}).status_code == 403
    )
    assert client.post(members_url(roles.club, "einladungslink"), data={"role": "board", "days": 3}).status_code == 403
    assert row_counts() == before
