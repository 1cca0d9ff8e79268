"""Clubs as tenants: registration, approval, slugs, my clubs, roles, the last board member."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus, Membership, Role
from app.clubs.services import board_count, slugify, unique_slug
from app.extensions import db
from tests.conftest import HX, PASSWORD

from .helpers import admin_action_url, row_counts, text

CLUB = {"name": "Bürgerverein Schöneberg", "legal_form": "ev", "district": "Tempelhof-Schöneberg",
        "contact_email": "info@buergerverein.example", "website": "https://buergerverein.example",
        "description": "Wir kümmern uns um den Kiez."}


def club_by_name(name) -> Club:
    db.session.expire_all()
    return db.session.scalar(sa.select(Club).where(Club.name == name))


def membership(club, user) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Membership).where(Membership.club_id == club.id,
                                                         Membership.user_id == user.id))


# --- registration -------------------------------------------------------------------------

def test_register_club_makes_a_pending_club_with_the_user_on_the_board(client_for, make_user):
    user = make_user()
    client = client_for(user)
    assert client.get("/vereine/neu").status_code == 200
    response = client.post("/vereine/neu", data=CLUB)
    assert response.status_code == 303
    club = club_by_name("Bürgerverein Schöneberg")
    assert club.status is ClubStatus.PENDING
    assert club.slug == "buergerverein-schoeneberg"
    assert response.headers["Location"].endswith(f"/c/{club.slug}/")
    assert membership(club, user).role is Role.BOARD
    home = client.get(f"/c/{club.slug}/")
    assert "Ihre Anmeldung wird geprüft" in text(home)


def test_unconfirmed_user_cannot_register_a_club(client_for, make_user):
    client = client_for(make_user(confirmed=False))
    before = row_counts()
    assert client.get("/vereine/neu").status_code == 403
    response = client.post("/vereine/neu", data=CLUB)
    assert response.status_code == 403
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in text(response)
    assert row_counts() == before


def test_anonymous_is_sent_to_login(client):
    response = client.get("/vereine/neu")
    assert response.status_code == 302 and "/konto/anmelden" in response.headers["Location"]
    htmx = client.get("/vereine/neu", headers=HX)
    assert htmx.status_code == 401 and "/konto/anmelden" in htmx.headers["HX-Redirect"]


@pytest.mark.parametrize(("name", "slug"), [
    ("Bürgerverein Schöneberg", "buergerverein-schoeneberg"),
    ("Straßenfest Neukölln e. V.", "strassenfest-neukoelln-e-v"),
    ("ÄÖÜ äöü ß", "aeoeue-aeoeue-ss"),
    ("Café Crème & Co.", "cafe-creme-co"),
    ("!!!", "verein"),
    ("x" * 80, "x" * 48),
])
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_slugs_are_unique(make_club):
    first = make_club(name="Imkerei Pankow")
    second = make_club(name="Imkerei  Pankow!")
    third = make_club(name="Imkerei-Pankow")
    assert (first.slug, second.slug, third.slug) == ("imkerei-pankow", "imkerei-pankow-2", "imkerei-pankow-3")
    assert unique_slug("Imkerei Pankow") == "imkerei-pankow-4"
    assert unique_slug("Imkerei") == "imkerei"


# --- approval by staff --------------------------------------------------------------------------

def test_staff_approves_a_pending_club_and_the_board_gets_mail(app, make_user, make_club, client_for, mailbox):
    board = make_user(email="chefin@verein.example")
    staff = make_user(staff=True)
    club = make_club(name="Gartenfreunde Lichtenberg", status="pending", board=board)
    client = client_for(staff)
    assert client.get("/admin/vereine").status_code == 200
    response = client.post(admin_action_url(app, club.id, "freischalten"))
    assert response.status_code == 303
    club = club_by_name("Gartenfreunde Lichtenberg")
    assert club.status is ClubStatus.APPROVED and club.approved_at is not None
    mail = mailbox.to("chefin@verein.example")
    assert len(mail) == 1 and "freigeschaltet" in mail[0]["Subject"]
    assert f"/c/{club.slug}/" in mailbox.body(mail[0])
    # the workspace now shows the panels
    assert text(client_for(board).get(f"/c/{club.slug}/")).count('hx-trigger="load"') == 4


def test_staff_rejects_with_a_reason(app, make_user, make_club, client_for, mailbox):
    board = make_user(email="chef@verein.example")
    club = make_club(name="Zweifelhaft", status="pending", board=board)
    client = client_for(make_user(staff=True))
    response = client.post(admin_action_url(app, club.id, "ablehnen"), data={"reason": "Kein Bezug zu Berlin."})
    assert response.status_code == 303
    club = club_by_name("Zweifelhaft")
    assert club.status is ClubStatus.REJECTED and club.status_reason == "Kein Bezug zu Berlin."
    mail = mailbox.to("chef@verein.example")
    assert len(mail) == 1 and "Kein Bezug zu Berlin." in mailbox.body(mail[0])
    home = client_for(board).get(f"/c/{club.slug}/")
    assert "abgelehnt" in text(home) and "Kein Bezug zu Berlin." in text(home)
    assert client_for(board).get(f"/c/{club.slug}/mitglieder/").status_code == 403


def test_rejection_needs_a_reason(app, make_user, make_club, client_for, mailbox):
    club = make_club(name="Ohne Grund", status="pending")
    client = client_for(make_user(staff=True))
    before = row_counts()
    response = client.post(admin_action_url(app, club.id, "ablehnen"), data={"reason": "   "})
    assert response.status_code == 422
    assert "Bitte geben Sie eine Begründung an." in text(response)
    assert row_counts() == before
    assert club_by_name("Ohne Grund").status is ClubStatus.PENDING
    assert mailbox.messages == []


def test_only_staff_may_approve(app, make_club, roles, client_for):
    club = make_club(name="Wartet", status="pending")
    for user in (roles.board, roles.member, roles.outsider):
        assert client_for(user).post(admin_action_url(app, club.id, "freischalten")).status_code == 403
    assert client_for(None).post(admin_action_url(app, club.id, "freischalten")).status_code == 302
    assert club_by_name("Wartet").status is ClubStatus.PENDING


def test_status_changes_follow_the_rules(make_club, make_user):
    from app.clubs.services import ClubError, change_status

    club = make_club(status="approved")
    with pytest.raises(ClubError):
        change_status(club, ClubStatus.REJECTED, by=None, reason="zu spät")
    with pytest.raises(ClubError):
        change_status(club, ClubStatus.SUSPENDED, by=None, reason="")


def test_suspension_mail_and_read_only_workspace(make_user, make_club, client_for, mailbox):
    from app.clubs.services import change_status

    board = make_user(email="gesperrt@verein.example")
    club = make_club(name="Gesperrt e. V.", board=board)
    # outside a request (as from a CLI command or a job): the link is built from BASE_URL
    change_status(club, ClubStatus.SUSPENDED, by=None, reason="Beschwerde wird geprüft")
    body = mailbox.body(mailbox.to("gesperrt@verein.example")[0])
    assert "Beschwerde wird geprüft" in body
    client = client_for(board)
    home = client.get(f"/c/{club.slug}/")
    assert home.status_code == 200 and "gesperrt" in text(home)
    assert client.get(f"/c/{club.slug}/mitglieder/").status_code == 200  # board still sees members


# --- my clubs and switching ---------------------------------------------------------------------

def test_my_clubs_lists_every_club_with_role_and_allows_switching(make_user, make_club, client_for):
    user = make_user()
    own = make_club(name="Alpha Verein", board=user)
    other = make_club(name="Beta Verein", members=[user])
    pending = make_club(name="Gamma Verein", status="pending", board=user)
    make_club(name="Fremder Verein")
    client = client_for(user)
    page = text(client.get("/vereine"))
    assert page.index("Alpha Verein") < page.index("Beta Verein") < page.index("Gamma Verein")
    assert "Fremder Verein" not in page
    assert "wird geprüft" in page
    for club, role in ((own, "Vorstand"), (other, "Mitglied")):
        assert f'href="/c/{club.slug}/"' in page
        home = text(client.get(f"/c/{club.slug}/"))
        assert club.name in home and role in home
    assert client.get(f"/c/{pending.slug}/").status_code == 200


def test_empty_my_clubs_explains_next_steps(client_for, make_user):
    page = text(client_for(make_user()).get("/vereine"))
    assert "Sie sind noch in keinem Verein" in page and 'href="/vereine/neu"' in page


def test_index_redirects_logged_in_users(client_for, make_user, client):
    assert client.get("/").status_code == 200
    assert client_for(make_user()).get("/").headers["Location"].endswith("/vereine")


# --- roles and removal ------------------------------------------------------------------------

def test_board_promotes_and_demotes(roles, client_for):
    client = client_for(roles.board)
    m = membership(roles.club, roles.member)
    response = client.post(f"/c/{roles.club.slug}/mitglieder/{m.id}/rolle", data={"role": "board"})
    assert response.status_code == 200 and "<html" in text(response)
    assert membership(roles.club, roles.member).role is Role.BOARD
    other = membership(roles.club, roles.member)
    response = client.post(f"/c/{roles.club.slug}/mitglieder/{other.id}/rolle", data={"role": "member"}, headers=HX)
    assert response.status_code == 200 and "<html" not in text(response)
    assert 'id="members-panel"' in text(response) and "Die Rolle von Moritz Mitglied ist geändert." in text(response)
    assert membership(roles.club, roles.member).role is Role.MEMBER


def test_board_member_steps_down_and_leaves_the_members_page(roles, client_for):
    membership(roles.club, roles.member).role = Role.BOARD
    db.session.commit()
    own = membership(roles.club, roles.board)
    client = client_for(roles.board)
    response = client.post(f"/c/{roles.club.slug}/mitglieder/{own.id}/rolle", data={"role": "member"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"/c/{roles.club.slug}/")
    assert membership(roles.club, roles.board).role is Role.MEMBER
    assert client.get(f"/c/{roles.club.slug}/mitglieder/").status_code == 403


def test_last_board_member_cannot_be_demoted(roles, client_for):
    own = membership(roles.club, roles.board)
    for headers in ({}, HX):
        response = client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{own.id}/rolle",
                                                data={"role": "member"}, headers=headers)
        assert response.status_code == 409
        assert "mindestens ein Vorstandsmitglied" in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert membership(roles.club, roles.board).role is Role.BOARD


def test_invalid_role_is_refused(roles, client_for):
    m = membership(roles.club, roles.member)
    before = row_counts()
    for headers in ({}, HX):
        response = client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{m.id}/rolle",
                                                data={"role": "king"}, headers=headers)
        assert response.status_code == 422
        assert "Bitte wählen Sie eine gültige Rolle." in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert row_counts() == before


def test_member_of_another_club_cannot_be_touched(roles, client_for):
    foreign = membership(roles.other_club, roles.outsider)
    client = client_for(roles.board)
    assert client.post(f"/c/{roles.club.slug}/mitglieder/{foreign.id}/rolle", data={"role": "member"}).status_code == 404
    assert client.post(f"/c/{roles.club.slug}/mitglieder/{foreign.id}/entfernen").status_code == 404
    assert membership(roles.other_club, roles.outsider) is not None


def test_board_removes_a_member(roles, client_for):
    m = membership(roles.club, roles.member)
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{m.id}/entfernen", headers=HX)
    assert response.status_code == 200 and "<html" not in text(response)
    assert "Moritz Mitglied ist nicht mehr Mitglied" in text(response)
    assert membership(roles.club, roles.member) is None
    # the removed member loses access
    assert client_for(roles.member).get(f"/c/{roles.club.slug}/").status_code == 404


def test_last_board_member_cannot_be_removed(roles, client_for):
    own = membership(roles.club, roles.board)
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{own.id}/entfernen")
    assert response.status_code == 409 and "Ernennen Sie zuerst eine andere Person" in text(response)
    assert membership(roles.club, roles.board) is not None


def test_board_member_removes_themself_when_a_colleague_remains(roles, client_for):
    membership(roles.club, roles.member).role = Role.BOARD
    db.session.commit()
    own = membership(roles.club, roles.board)
    client = client_for(roles.board)
    htmx = client.post(f"/c/{roles.club.slug}/mitglieder/{own.id}/entfernen", headers=HX)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].endswith("/vereine")
    assert board_count(roles.club.id) == 1


def test_member_leaves_a_club(roles, client_for):
    client = client_for(roles.member)
    page = client.get(f"/c/{roles.club.slug}/mitglieder/austreten")
    assert page.status_code == 200 and "Verein verlassen" in text(page)
    response = client.post(f"/c/{roles.club.slug}/mitglieder/austreten")
    assert response.status_code == 303 and response.headers["Location"].endswith("/vereine")
    assert membership(roles.club, roles.member) is None


def test_last_board_member_cannot_leave(roles, client_for):
    client = client_for(roles.board)
    page = client.get(f"/c/{roles.club.slug}/mitglieder/austreten")
    assert "Sie sind das einzige Vorstandsmitglied" in text(page)
    response = client.post(f"/c/{roles.club.slug}/mitglieder/austreten")
    assert response.status_code == 409
    assert membership(roles.club, roles.board) is not None
    assert board_count(roles.club.id) == 1


def test_pending_club_board_may_leave_page_but_not_orphan(make_user, make_club, client_for):
    board = make_user()
    club = make_club(status="pending", board=board)
    client = client_for(board)
    assert client.get(f"/c/{club.slug}/mitglieder/austreten").status_code == 200
    assert client.post(f"/c/{club.slug}/mitglieder/austreten").status_code == 409
    assert board_count(club.id) == 1


def test_members_page_full_and_partial(roles, client_for):
    client = client_for(roles.board)
    page = client.get(f"/c/{roles.club.slug}/mitglieder/")
    partial = client.get(f"/c/{roles.club.slug}/mitglieder/", headers=HX)
    assert "<html" in text(page) and "<html" not in text(partial)
    for response in (page, partial):
        assert "Moritz Mitglied" in text(response) and "Vera Vorstand" in text(response)
    assert "HX-Request" in partial.headers["Vary"]


def test_members_page_is_for_the_board_only(roles, client_for):
    assert client_for(roles.member).get(f"/c/{roles.club.slug}/mitglieder/").status_code == 403


def test_membership_signals_are_sent(roles, client_for):
    from app.clubs.signals import membership_changed

    received = []

    def listener(club, **kwargs):
        received.append((club.id, kwargs))

    membership_changed.connect(listener)
    try:
        m = membership(roles.club, roles.member)
        client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{m.id}/rolle", data={"role": "board"})
        client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{m.id}/entfernen")
    finally:
        membership_changed.disconnect(listener)
    assert received == [(roles.club.id, {"user_id": roles.member.id, "role": Role.BOARD}),
                        (roles.club.id, {"user_id": roles.member.id, "role": None})]


def test_audit_log_records_security_relevant_actions(roles, client_for):
    from app.core.models import AuditEntry

    m = membership(roles.club, roles.member)
    client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{m.id}/entfernen")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.removed"))
    assert entry.actor_id == roles.board.id and entry.club_id == roles.club.id
    assert entry.details["user_id"] == roles.member.id
    assert PASSWORD not in str(entry.details)
