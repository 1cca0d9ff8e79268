"""Clubs as tenants: registration, approval, slugs, my clubs, roles, the last board member."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus, Membership, Role
from app.clubs.services import board_count, unique_slug
from app.clubs.services import club_slug as slugify
from app.extensions import db
from tests.conftest import HX, PASSWORD
from tests.helpers import admin_action_url, row_counts, text

CLUB = {
    "name": "Bürgerverein Schöneberg",
    "legal_form": "ev",
    "district": "Tempelhof-Schöneberg",
    "contact_email": "info@buergerverein.example",
    "website": "https://buergerverein.example",
    "description": "Wir kümmern uns um den Kiez.",
}


def club_by_name(name) -> Club:
    db.session.expire_all()
    return db.session.scalar(sa.select(Club).where(Club.name == name))


def membership(club, user) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Membership).where(Membership.club_id == club.id, Membership.user_id == user.id))


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


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Bürgerverein Schöneberg", "buergerverein-schoeneberg"),
        ("Straßenfest Neukölln e. V.", "strassenfest-neukoelln-e-v"),
        ("ÄÖÜ äöü ß", "aeoeue-aeoeue-ss"),
        ("Café Crème & Co.", "cafe-creme-co"),
        ("!!!", "verein"),
        ("x" * 80, "x" * 48),
    ],
)
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
    html = text(client_for(board).get(f"/c/{club.slug}/"))
    assert html.count('hx-trigger="load"') == 2 and 'id="privacy-panel" aria-labelledby' in html


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
        response = client_for(roles.board).post(
            f"/c/{roles.club.slug}/mitglieder/{own.id}/rolle", data={"role": "member"}, headers=headers
        )
        assert response.status_code == 409
        assert "mindestens ein Vorstandsmitglied" in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert membership(roles.club, roles.board).role is Role.BOARD


def test_invalid_role_is_refused(roles, client_for):
    m = membership(roles.club, roles.member)
    before = row_counts()
    for headers in ({}, HX):
        response = client_for(roles.board).post(
            f"/c/{roles.club.slug}/mitglieder/{m.id}/rolle", data={"role": "king"}, headers=headers
        )
        assert response.status_code == 422
        assert "Bitte wählen Sie eine gültige Rolle." in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert row_counts() == before


def test_member_of_another_club_cannot_be_touched(roles, client_for):
    foreign = membership(roles.other_club, roles.outsider)
    client = client_for(roles.board)
    assert (
        client.post(f"/c/{roles.club.slug}/mitglieder/{foreign.id}/rolle", data={"role": "member"}).status_code == 404
    )
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
    from app.core.signals import membership_changed

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
    assert received == [
        (roles.club.id, {"user_id": roles.member.id, "role": Role.BOARD}),
        (roles.club.id, {"user_id": roles.member.id, "role": None}),
    ]


def test_audit_log_records_security_relevant_actions(roles, client_for):
    from app.core.audit import AuditEntry

    m = membership(roles.club, roles.member)
    client_for(roles.board).post(f"/c/{roles.club.slug}/mitglieder/{m.id}/entfernen")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.removed"))
    assert entry.actor_id == roles.board.id and entry.club_id == roles.club.id
    assert entry.details["user_id"] == roles.member.id
    assert PASSWORD not in str(entry.details)


# --- a suspended club: read and export, nothing more (issue 12) ---------------------------------------


def _suspend(club):
    from app.clubs.services import change_status

    change_status(club, ClubStatus.SUSPENDED, by=None, reason="Spam-Verdacht", notify=False)


def test_club_is_active_only_when_approved(app):
    from app.clubs.models import Club as ClubModel

    states = {status: ClubModel(status=status) for status in ClubStatus}
    assert [s for s, club in states.items() if club.is_active] == [ClubStatus.APPROVED]
    assert {s for s, club in states.items() if club.is_readable} == {ClubStatus.APPROVED, ClubStatus.SUSPENDED}


def test_suspended_club_sends_no_invitation_mail(roles, client_for, mailbox):
    from app.clubs.services import ClubError, invite_by_email

    _suspend(roles.club)
    before = row_counts()
    for headers in ({}, HX):
        response = client_for(roles.board).post(
            f"/c/{roles.club.slug}/mitglieder/einladen",
            data={"email": "opfer@example.org", "role": "board"},
            headers=headers,
        )
        assert response.status_code == 403 and "Dieser Verein ist gesperrt" in text(response)
    with pytest.raises(ClubError, match="gesperrt"):
        invite_by_email(roles.club, "opfer@example.org", Role.MEMBER, by=roles.board)
    db.session.rollback()
    assert mailbox.messages == [] and row_counts() == before


def test_suspended_club_creates_no_invitation_link(roles, client_for):
    from app.clubs.services import ClubError, create_invite_link

    _suspend(roles.club)
    before = row_counts()
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/mitglieder/einladungslink", data={"role": "board", "days": "90", "multi_use": "y"}
    )
    assert response.status_code == 403 and "Dieser Verein ist gesperrt" in text(response)
    with pytest.raises(ClubError):
        create_invite_link(roles.club, Role.BOARD, days=90, multi_use=True, by=roles.board)
    db.session.rollback()
    assert row_counts() == before


def test_invitations_of_a_suspended_club_are_not_accepted(roles, client_for, make_user, client):
    """Links made before the suspension stop working: outside /c/<slug>, so the page and the service check."""
    from app.clubs.services import ClubError, accept_invitation, create_invite_link

    link = create_invite_link(roles.club, Role.BOARD, days=14, multi_use=True, by=roles.board)
    _suspend(roles.club)
    newcomer = make_user(email="neu@example.org")
    before = row_counts()
    assert client_for(newcomer).get(f"/einladung/{link.token}").status_code == 410
    assert client_for(newcomer).post(f"/einladung/{link.token}", data={}).status_code == 410
    registering = client.post(
        f"/einladung/{link.token}",
        data={"reg-name": "Neue Person", "reg-email": "ganz-neu@example.org", "reg-password": PASSWORD},
    )
    assert registering.status_code == 410
    with pytest.raises(ClubError):
        accept_invitation(link, newcomer)
    db.session.rollback()
    assert row_counts() == before
    assert membership(roles.club, newcomer) is None


def test_suspended_club_schedules_no_meeting_and_sends_no_mail(roles, client_for, mailbox):
    from datetime import datetime, timedelta, timezone

    from app.meetings import calendar
    from app.meetings.models import Room, ScheduledMeeting
    from app.meetings.services import ensure_default_room
    from app.meetings.tasks import deliver_mail

    room = ensure_default_room(roles.club)
    db.session.commit()
    _suspend(roles.club)
    before = row_counts()
    starts = (datetime.now(timezone.utc) + timedelta(days=7)).strftime("%Y-%m-%dT19:30")
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/konferenzen/termine/neu",
        data={
            "room_id": room.id,
            "title": "Werbung",
            "starts_at": starts,
            "duration_minutes": "60",
            "agenda": "Kauft!",
            "notify": "y",
        },
    )
    assert response.status_code == 403 and "Dieser Verein ist gesperrt" in text(response)
    assert row_counts() == before
    # The service sends nothing either (e.g. a job or CLI that schedules for the club) …
    meeting = calendar.schedule(
        roles.club,
        room=db.session.get(Room, room.id),
        title="Werbung",
        starts_at=datetime.now(timezone.utc) + timedelta(days=7),
        duration_minutes=60,
        agenda="",
        by=roles.board,
        notify=True,
    )
    assert isinstance(meeting, ScheduledMeeting)
    # … and a mail queued before the suspension is dropped when the worker gets to it.
    deliver_mail("mitglied@verein.example", "Einladung", "Text", "BEGIN:VCALENDAR", club_id=roles.club.id)
    assert mailbox.messages == []


def test_suspended_club_posts_no_chat_notice(roles):
    from app.chat import notices, queue
    from app.chat.models import ChatLink, ChatOp

    link = ChatLink(
        club_id=roles.club.id,
        kind="linked",
        site_url="https://chat.example",
        team_name="t",
        channel_name="c",
        channel_id="c" * 26,
        webhook_url="https://chat.example/hooks/x",
        notices_enabled=True,
    )
    db.session.add(link)
    db.session.commit()
    queued = queue.enqueue(roles.club, "notice", "notice:vorher", {"text": "Konferenz!"})
    _suspend(roles.club)
    assert notices.post_meeting_notice(roles.club, "Vereinsraum") is None

    class Recorder:
        calls = []

        def __getattr__(self, name):
            return lambda *args, **kwargs: self.calls.append(name)

    recorder = Recorder()
    notices._do_notice(db.session.get(ChatOp, queued.id), recorder)  # queued before the suspension
    assert recorder.calls == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatOp)) == 1


def test_suspended_club_cannot_be_renamed(roles, client_for):
    from app.clubs.services import ClubError, update_profile

    _suspend(roles.club)
    before = row_counts()
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/einstellungen", data=dict(CLUB, name="Billige Uhren kaufen")
    )
    assert response.status_code == 403 and "Dieser Verein ist gesperrt" in text(response)
    with pytest.raises(ClubError):
        update_profile(
            roles.club,
            by=roles.board,
            name="Billige Uhren kaufen",
            legal_form="ev",
            district="Pankow",
            contact_email="x@example.org",
        )
    db.session.rollback()
    assert row_counts() == before
    assert club_by_name("Imkerverein Pankow") is not None


def test_suspended_club_can_still_be_read_exported_and_left(roles, client_for):
    _suspend(roles.club)
    board, member = client_for(roles.board), client_for(roles.member)
    members_page = board.get(f"/c/{roles.club.slug}/mitglieder/")
    assert members_page.status_code == 200 and "Moritz Mitglied" in text(members_page)
    assert "Einladung senden" not in text(members_page)  # no forms that would be refused
    export = board.post(f"/c/{roles.club.slug}/daten/export")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert member.post(f"/c/{roles.club.slug}/mitglieder/austreten").status_code == 303
    assert membership(roles.club, roles.member) is None


# --- club names: unique ignoring case, accents and spacing ------------------------------------------------


@pytest.mark.parametrize(
    "taken",
    [
        "Imkerverein Pankow",
        "imkerverein  pankow",
        "Ímkerverein Pankow",
        " IMKERVEREIN PANKOW ",
        "Imkerverein\u00a0Pankow",
        "Ｉｍｋｅｒｖｅｒｅｉｎ Pankow",
    ],
)
def test_registration_refuses_a_taken_name(roles, client_for, taken):
    before = row_counts()
    response = client_for(roles.member).post("/vereine/neu", data=dict(CLUB, name=taken))
    assert response.status_code == 422
    assert "Diesen Namen trägt schon ein anderer Verein" in text(response)
    assert row_counts() == before


def test_rename_to_a_taken_name_is_refused(roles, client_for):
    before = row_counts()
    for name in ("anderer verein", "Ánderer Verein"):
        response = client_for(roles.board).post(f"/c/{roles.club.slug}/einstellungen", data=dict(CLUB, name=name))
        assert response.status_code == 422
        assert "Diesen Namen trägt schon ein anderer Verein" in text(response)
    assert row_counts() == before
    assert club_by_name("Imkerverein Pankow").id == roles.club.id


def test_own_name_in_another_spelling_is_fine(roles, client_for):
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/einstellungen", data=dict(CLUB, name="IMKERVEREIN   Pankow")
    )
    assert response.status_code == 303
    assert club_by_name("IMKERVEREIN Pankow").id == roles.club.id  # stored with single spaces


def test_the_database_refuses_a_second_club_with_the_same_name(roles):
    db.session.add(
        Club(
            slug="zweiter-imkerverein",
            name="IMKERVEREIN PANKÖW",
            legal_form="ev",
            district="Pankow",
            contact_email="x@example.org",
            status=ClubStatus.APPROVED,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_parallel_registration_or_rename_with_the_same_name_is_a_form_error(roles, client_for, monkeypatch):
    """The check before saving can lose a race; the unique constraint then answers with the form error."""
    from app.clubs import services

    monkeypatch.setattr(services, "check_name_free", lambda *args, **kwargs: None, raising=False)
    before = row_counts()
    registering = client_for(roles.member).post("/vereine/neu", data=dict(CLUB, name="imkerverein pankow"))
    renaming = client_for(roles.board).post(
        f"/c/{roles.club.slug}/einstellungen", data=dict(CLUB, name="Anderer  Verein")
    )
    for response in (registering, renaming):
        assert response.status_code == 422
        assert "Diesen Namen trägt schon ein anderer Verein" in text(response)
    assert row_counts() == before


def test_rename_of_an_approved_club_is_shown_to_staff(roles, client_for):
    from app.core.audit import AuditEntry

    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/einstellungen", data=dict(CLUB, name="Imkerei am Mauerpark")
    )
    assert response.status_code == 303
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "club.renamed"))
    assert entry.club_id == roles.club.id and entry.actor_id == roles.board.id
    assert entry.details == {"old_name": "Imkerverein Pankow", "new_name": "Imkerei am Mauerpark"}
    staff = client_for(roles.staff)
    audit = text(staff.get("/admin/protokoll?aktion=club.renamed"))
    assert "Verein umbenannt" in audit and "Imkerverein Pankow" in audit and "Imkerei am Mauerpark" in audit
    detail = text(staff.get(f"/admin/vereine/{roles.club.id}"))
    assert "Umbenennungen" in detail and "„Imkerverein Pankow“ → „Imkerei am Mauerpark“" in detail
    assert "Vera Vorstand" in detail
    # a save without a new name is no rename
    client_for(roles.board).post(f"/c/{roles.club.slug}/einstellungen", data=dict(CLUB, name="Imkerei am Mauerpark"))
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "club.renamed"))
        == 1
    )


def test_migration_fills_name_keys_and_keeps_legacy_duplicates(database_url, tmp_path):
    """0820 on a database with clubs that already share a name (SQLite file, or a scratch schema on PostgreSQL)."""
    from flask_migrate import upgrade

    from app import create_app
    from tests.conftest import _base_config

    if database_url.startswith("postgresql"):
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS mig0820 CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA mig0820"))
        engine.dispose()
        url = database_url + ("&" if "?" in database_url else "?") + "options=-csearch_path%3Dmig0820"
    else:
        url = "sqlite:///" + str(tmp_path / "mig.db")
    scratch = create_app(_base_config(url, tmp_path))
    try:
        with scratch.app_context():
            upgrade(revision="0700")
            rows = [(1, "Imkerverein Pankow"), (2, "imkerverein  pankow"), (3, "Ímkerverein Pankow"), (4, "Chor Mitte")]
            with db.engine.begin() as conn:
                for club_id, name in rows:
                    conn.execute(
                        sa.text(
                            "INSERT INTO club (id, slug, name, legal_form, district, contact_email, status, created_at) "
                            "VALUES (:id, :slug, :name, 'ev', 'Pankow', 'x@example.org', 'approved', :now)"
                        ),
                        {"id": club_id, "slug": f"c{club_id}", "name": name, "now": "2026-01-01 00:00:00"},
                    )
            upgrade(revision="0820")
            with db.engine.connect() as conn:
                keys = dict(conn.execute(sa.text("SELECT id, name_key FROM club ORDER BY id")).all())
                names = dict(conn.execute(sa.text("SELECT id, name FROM club ORDER BY id")).all())
            assert keys == {
                1: "imkerverein pankow",
                2: "imkerverein pankow #2",
                3: "imkerverein pankow #3",
                4: "chor mitte",
            }
            assert names == dict(rows)  # nobody's name changed
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
                conn.execute(sa.text("UPDATE club SET name_key = 'chor mitte' WHERE id = 1"))
            db.session.remove()
            db.engine.dispose()
    finally:
        if database_url.startswith("postgresql"):
            engine = sa.create_engine(database_url)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS mig0820 CASCADE"))
            engine.dispose()


def test_cli_create_club_refuses_a_taken_name(roles, runner):
    before = row_counts()
    result = runner.invoke(args=["create-club", "IMKERVEREIN  PANKOW", "--board", roles.board.email])
    assert result.exit_code != 0 and "Diesen Namen trägt schon ein anderer Verein" in result.output
    assert row_counts() == before


def test_closing_a_suspended_club_keeps_the_suspension_for_a_restore(roles, client_for):
    """Closing is allowed while suspended (the club's data, its deletion); staff restoring it get it suspended."""
    from app.dataprotection.closure import restore_closure
    from app.dataprotection.models import ClubDeletion

    _suspend(roles.club)
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/daten/schliessen", data={"current_password": PASSWORD, "understood": "y"}
    )
    assert response.status_code == 303
    assert club_by_name("Imkerverein Pankow").status is ClubStatus.CLOSED
    restore_closure(db.session.scalar(sa.select(ClubDeletion)), by=roles.staff)
    assert club_by_name("Imkerverein Pankow").status is ClubStatus.SUSPENDED
