"""A club's channel through the club's whole life (issue 19), against the stand-in, every request checked
against the OpenAPI subset: approval provisions it (with the default room), suspension and closing
archive it, reactivation restores it, after the grace period it may be deleted for good, and
``flask chat reconcile`` also looks at channels a club linked itself."""

from datetime import timedelta

import pytest

from app.chat import provisioning, queue, services
from app.chat.models import ChatLink, ChatOp
from app.clubs.models import ClubStatus, Membership, Role
from app.clubs.services import change_status
from app.core.db import utcnow
from app.extensions import db
from app.meetings.models import Room


@pytest.fixture
def auto(app, mm):
    """The default: MATTERMOST_AUTO_PROVISION unset, so on because MATTERMOST_URL is set."""
    app.config["MATTERMOST_AUTO_PROVISION"] = None
    return mm


def pending_club(make_user, make_club, mm, email="vorsitz@bienen.example"):
    board = make_user(email=email, name="Bea Biene")
    mm.account(board)
    club = make_club(name="Bienenfreunde Weißensee", status="pending", board=board)
    return club, board


def ops(club, kind=None):
    query = db.select(ChatOp).where(ChatOp.club_id == club.id)
    if kind:
        query = query.where(ChatOp.kind == kind)
    return list(db.session.scalars(query.order_by(ChatOp.id)))


# --- approval -----------------------------------------------------------------------------------------


def test_auto_provision_defaults_to_on_when_a_chat_server_is_configured(app, mm):
    with app.test_request_context():
        app.config["MATTERMOST_AUTO_PROVISION"] = None
        assert services.auto_provision() is True
        app.config["MATTERMOST_AUTO_PROVISION"] = False
        assert services.auto_provision() is False
        app.config.update(MATTERMOST_AUTO_PROVISION=None, MATTERMOST_URL=None)
        assert services.auto_provision() is False


def test_approval_creates_room_and_channel_and_the_mail_links_both(auto, make_user, make_club, mailbox):
    club, board = pending_club(make_user, make_club, auto)
    assert services.link_for(club) is None
    change_status(club, ClubStatus.APPROVED, by=None)
    link = services.link_for(club)
    assert link.is_provisioned and link.channel_id in auto.standin.channels
    assert auto.standin.channels[link.channel_id]["type"] == "P"
    assert board.email and len(auto.standin.members_of(link.channel_id)) == 2  # bot + board
    room = db.session.scalar(db.select(Room).where(Room.club_id == club.id, Room.is_default.is_(True)))
    assert room is not None
    body = mailbox.body(mailbox.to(board.email)[-1])
    assert f"http://localhost/c/{club.slug}/konferenzen/raum/{room.id}" in body
    assert f"http://localhost/c/{club.slug}/chat/" in body
    assert auto.checker.checked > 0


def test_staff_confirmation_page_says_what_will_be_created(auto, make_user, make_club, client_for):
    club, _board = pending_club(make_user, make_club, auto)
    staff = make_user(email="team@plattform.example", staff=True)
    html = client_for(staff).get(f"/admin/vereine/{club.id}/status/freischalten").get_data(as_text=True)
    assert 'id="consequences"' in html
    assert "Videokonferenz-Raum" in html and "privater Kanal" in html and "vereinsraum" in html


def test_confirmation_page_without_chat_server_promises_no_channel(app, make_user, make_club, client_for):
    board = make_user(email="vorsitz@ohne.example")
    club = make_club(name="Ohne Chat", status="pending", board=board)
    staff = make_user(email="team@plattform.example", staff=True)
    html = client_for(staff).get(f"/admin/vereine/{club.id}/status/freischalten").get_data(as_text=True)
    assert "Videokonferenz-Raum" in html and "privater Kanal" not in html


def test_chat_server_down_at_approval_the_channel_waits_and_staff_see_it(auto, make_user, make_club, client_for):
    club, _board = pending_club(make_user, make_club, auto)
    staff = make_user(email="team@plattform.example", staff=True)
    auto.standin.down = True
    response = client_for(staff).post(f"/admin/vereine/{club.id}/status/freischalten")
    assert response.status_code == 303
    db.session.expire_all()
    assert club.status is ClubStatus.APPROVED
    [op] = ops(club, "provision")
    assert op.status == "pending" and op.give_up_at - utcnow() > timedelta(days=6)
    assert services.link_for(club).channel_id is None
    html = client_for(staff).get(f"/admin/vereine/{club.id}").get_data(as_text=True)
    assert 'id="chat-waiting"' in html and "wartet auf den Chat-Server" in html and "Kanal anlegen" in html
    queue_page = client_for(staff).get("/admin/chat/").get_data(as_text=True)
    assert club.name in queue_page and "Kanal anlegen" in queue_page
    auto.standin.down = False
    result = queue.process_due(now=utcnow() + timedelta(hours=2))
    assert result["done"] == 1
    link = services.link_for(club)
    assert link.channel_id in auto.standin.channels
    html = client_for(staff).get(f"/admin/vereine/{club.id}").get_data(as_text=True)
    assert 'id="chat-waiting"' not in html


# --- status -----------------------------------------------------------------------------------------


@pytest.fixture
def live(auto, make_user, make_club):
    """An approved club whose channel approval created; the bot is team admin (may restore)."""
    club, board = pending_club(make_user, make_club, auto)
    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    auto.standin.team_admins.add((auto.team["id"], auto.standin.bot_id))
    link = services.link_for(club)
    assert link.channel_id
    return club, board, link


def test_suspend_archives_and_reactivate_restores_with_members_who_joined_meanwhile(live, auto, make_user):
    club, board, link = live
    channel_id = link.channel_id
    change_status(club, ClubStatus.SUSPENDED, by=None, reason="Prüfung", notify=False)
    assert auto.standin.channels[channel_id]["delete_at"] > 0
    assert services.link_for(club).archived_at is not None
    newcomer = make_user(email="neu@bienen.example")
    newcomer_mm = auto.account(newcomer)
    db.session.add(Membership(club_id=club.id, user_id=newcomer.id, role=Role.MEMBER))
    db.session.commit()
    auto.standin.calls.clear()
    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    assert ("POST", f"/api/v4/channels/{channel_id}/restore") in auto.standin.calls
    assert auto.standin.channels[channel_id]["delete_at"] == 0
    assert services.link_for(club).archived_at is None
    assert newcomer_mm["id"] in auto.standin.members_of(channel_id)
    assert all(op.status == "done" for op in ops(club))


def test_restore_without_manage_team_fails_visibly_not_silently(live, auto):
    club, _board, link = live
    auto.standin.team_admins.clear()
    change_status(club, ClubStatus.SUSPENDED, by=None, reason="Prüfung", notify=False)
    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    [op] = [op for op in ops(club) if op.status != "done"]
    assert op.kind == "state" and op.status == "failed" and "manage_team" in op.last_error
    assert services.link_for(club).archived_at is not None  # we do not pretend it is back
    assert auto.standin.channels[link.channel_id]["delete_at"] > 0


def test_suspend_and_reactivate_while_the_server_is_down_leaves_the_channel_alone(live, auto):
    club, _board, link = live
    auto.standin.down = True
    change_status(club, ClubStatus.SUSPENDED, by=None, reason="Prüfung", notify=False)
    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    assert len([op for op in ops(club, "state") if op.status == "pending"]) == 1  # one op: the desired state
    auto.standin.down = False
    auto.standin.calls.clear()
    queue.process_due(now=utcnow() + timedelta(hours=2))
    assert not [c for c in auto.standin.calls if c[0] == "DELETE" or c[1].endswith("/restore")]
    assert auto.standin.channels[link.channel_id]["delete_at"] == 0
    assert services.link_for(club).archived_at is None


def closed(club, board):
    from app.dataprotection import closure

    deletion = closure.request_closure(club, by=board)
    return deletion


def past_grace(deletion):
    deletion.delete_after = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_closing_archives_at_once_and_the_channel_stays_archived_after_the_grace_period(live, auto):
    from app.dataprotection import closure

    club, board, link = live
    channel_id = link.channel_id
    deletion = closed(club, board)
    assert auto.standin.channels[channel_id]["delete_at"] > 0
    past_grace(deletion)
    assert closure.execute_deletion(deletion)
    assert channel_id in auto.standin.channels and auto.standin.channels[channel_id]["delete_at"] > 0
    assert db.session.scalar(db.select(ChatLink).where(ChatLink.channel_id == channel_id)) is None


def test_channel_is_deleted_for_good_after_the_grace_period_where_the_server_allows_it(app, live, auto):
    from app.dataprotection import closure

    club, board, link = live
    channel_id = link.channel_id
    app.config["MATTERMOST_DELETE_CHANNELS"] = True
    auto.standin.api_channel_deletion = True
    deletion = closed(club, board)
    past_grace(deletion)
    assert closure.execute_deletion(deletion)
    assert channel_id not in auto.standin.channels and not auto.standin.posts_in(channel_id)


def test_deletion_refused_by_the_server_is_recorded_and_retried(app, live, auto):
    from app.dataprotection import closure

    club, board, link = live
    app.config["MATTERMOST_DELETE_CHANNELS"] = True  # but the server does not allow it
    deletion = closed(club, board)
    past_grace(deletion)
    assert not closure.execute_deletion(deletion)
    step = next(s for s in deletion.steps if s.name == "chat")
    assert step.status == "failed" and "not_enabled" in step.last_error
    assert link.channel_id in auto.standin.channels


def test_restoring_a_closed_club_restores_its_channel(live, auto, make_user):
    from app.dataprotection import closure

    club, board, link = live
    deletion = closed(club, board)
    assert auto.standin.channels[link.channel_id]["delete_at"] > 0
    staff = make_user(email="team@plattform.example", staff=True)
    closure.restore_closure(deletion, by=staff)
    assert auto.standin.channels[link.channel_id]["delete_at"] == 0
    assert services.link_for(club).archived_at is None


# --- reconcile --------------------------------------------------------------------------------------


def test_reconcile_restores_a_reactivated_clubs_channel_that_stayed_archived(live, auto, runner):
    club, _board, link = live
    auto.standin.channels[link.channel_id]["delete_at"] = 1  # archived by hand, or the op gave up
    link.archived_at = utcnow()
    db.session.commit()
    result = runner.invoke(args=["chat", "reconcile"])
    assert "Kanal wiederhergestellt" in result.output, result.output
    assert auto.standin.channels[link.channel_id]["delete_at"] == 0


def link_own_channel(roles, client_for, mm, *, bot_in=True):
    board_mm = mm.account(roles.board)
    members = (board_mm["id"], mm.standin.bot_id) if bot_in else (board_mm["id"],)
    channel = mm.standin.add_channel(mm.team["id"], "imker-intern", "Imker intern", private=True, members=members)
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/imker-intern"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return channel


def test_reconcile_reports_and_repairs_drift_in_a_linked_channel(roles, client_for, mm, runner):
    channel = link_own_channel(roles, client_for, mm)
    member_mm = mm.account(roles.member)  # a club member, not in the club's own channel
    guest = mm.standin.add_user("gast", "gast@example.org")
    mm.standin.team_members.add((mm.team["id"], guest["id"]))
    mm.standin.channel_members[channel["id"]].add(guest["id"])
    result = runner.invoke(args=["chat", "reconcile"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith(f"{roles.club.slug}:"))
    assert "verknüpfter Kanal" in line and "+ mitglied@verein.example" in line
    assert "1 Personen im Kanal sind nicht im Verein" in line
    assert member_mm["id"] in mm.standin.members_of(channel["id"])
    assert guest["id"] in mm.standin.members_of(channel["id"])  # the club's own channel: reported, not removed
    again = runner.invoke(args=["chat", "reconcile"]).output
    assert "+ " not in again


def test_reconcile_reports_a_linked_channel_the_bot_cannot_see(roles, client_for, mm, runner):
    link_own_channel(roles, client_for, mm, bot_in=False)
    result = runner.invoke(args=["chat", "reconcile"])
    assert f"{roles.club.slug}: verknüpfter Kanal – der Bot ist nicht im Kanal" in result.output


def test_follow_status_ignores_a_linked_channel(roles, client_for, mm):
    link_own_channel(roles, client_for, mm)
    mm.standin.calls.clear()
    change_status(roles.club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
    assert provisioning.follow_status(roles.club) is None
    assert not [c for c in mm.standin.calls if c[0] == "DELETE"]
