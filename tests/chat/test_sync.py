"""Member sync, outages, rate limits, the retry queue and `flask chat reconcile`."""

from datetime import timedelta

import sqlalchemy as sa

from app.chat import provisioning, queue, services
from app.chat.models import ChatOp
from app.clubs.models import Membership, Role
from app.clubs.services import accept_invitation, change_role, create_invite_link, remove_member
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import HX


def provisioned(roles, client_for, mm):
    mm.account(roles.board)
    client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/anlegen")
    link = services.link_for(roles.club)
    assert link.channel_id
    return link


def membership(club, user):
    return db.session.scalar(sa.select(Membership).where(Membership.club_id == club.id, Membership.user_id == user.id))


def ops(club=None):
    query = sa.select(ChatOp).order_by(ChatOp.id)
    if club is not None:
        query = query.where(ChatOp.club_id == club.id)
    return list(db.session.scalars(query))


def test_join_leave_and_role_change_are_carried_over(roles, client_for, mm, make_user):
    link = provisioned(roles, client_for, mm)
    newcomer = make_user(email="neu@verein.example")
    newcomer_mm = mm.account(newcomer, in_team=False)
    invitation = create_invite_link(roles.club, Role.MEMBER, days=7, multi_use=True, by=roles.board)
    accept_invitation(invitation, newcomer)
    assert newcomer_mm["id"] in mm.standin.members_of(link.channel_id)

    # board-only channel: a member promoted to the board joins, demoted leaves again
    client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/optionen", data={"notices": "y", "board_only": "y"}
    )
    assert newcomer_mm["id"] not in mm.standin.members_of(link.channel_id)
    change_role(membership(roles.club, newcomer), Role.BOARD, by=roles.board)
    assert newcomer_mm["id"] in mm.standin.members_of(link.channel_id)
    change_role(membership(roles.club, newcomer), Role.MEMBER, by=roles.board)
    assert newcomer_mm["id"] not in mm.standin.members_of(link.channel_id)

    client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/optionen", data={"notices": "y"})
    assert newcomer_mm["id"] in mm.standin.members_of(link.channel_id)
    remove_member(membership(roles.club, newcomer), by=roles.board)
    assert newcomer_mm["id"] not in mm.standin.members_of(link.channel_id)
    assert all(op.status == "done" for op in ops(roles.club))


def test_outage_then_recovery_loses_and_duplicates_nothing(roles, client_for, mm, make_user):
    link = provisioned(roles, client_for, mm)
    member_mm = mm.account(roles.member)
    joining = make_user(email="spaeter@verein.example")
    joining_mm = mm.account(joining)
    mm.standin.down = True
    remove_member(membership(roles.club, roles.member), by=roles.board)  # leave while down
    db.session.add(Membership(club_id=roles.club.id, user_id=joining.id, role=Role.MEMBER))
    db.session.commit()
    from app.core.signals import membership_changed

    membership_changed.send(roles.club, user_id=joining.id, role=Role.MEMBER)
    membership_changed.send(roles.club, user_id=joining.id, role=Role.MEMBER)  # same change twice: one op
    waiting = [op for op in ops(roles.club) if op.status == "pending"]
    assert len(waiting) == 2 and all(op.attempts >= 1 and op.next_try_at > utcnow() for op in waiting)
    assert "503" in waiting[0].last_error

    panel = client_for(roles.board).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert "2 Änderungen warten auf den Chat-Server" in panel and "Jetzt erneut versuchen" in panel

    # still down at the next try: backoff grows, nothing given up
    first_try = {op.id: op.next_try_at for op in waiting}
    assert queue.process_due(now=utcnow() + timedelta(minutes=5)) == {"done": 0, "pending": 2, "failed": 0}
    for op in ops(roles.club):
        if op.id in first_try:
            assert op.next_try_at > first_try[op.id]

    mm.standin.down = False
    assert queue.process_due(now=utcnow() + timedelta(hours=1)) == {"done": 2, "pending": 0, "failed": 0}
    members = mm.standin.members_of(link.channel_id)
    assert joining_mm["id"] in members and member_mm["id"] not in members
    adds = [c for c in mm.standin.api_calls("POST", f"/api/v4/channels/{link.channel_id}/members")]
    assert len([p for p in mm.standin.posts_in(link.channel_id) if "Willkommen" in p["message"]]) == 1
    assert len(adds) == 2  # board at provisioning, the newcomer once
    assert services.open_op_count(roles.club) == 0
    panel = client_for(roles.board).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert "warten auf den Chat-Server" not in panel


def test_provisioning_during_an_outage_completes_later(roles, client_for, mm):
    mm.account(roles.board)
    mm.standin.down = True
    client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/anlegen")
    assert services.link_for(roles.club).channel_id is None
    panel = client_for(roles.member).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert "wird gerade auf dem Chat-Server angelegt" in panel and "1 Änderung wartet" in panel
    mm.standin.down = False
    queue.process_due(now=utcnow() + timedelta(minutes=2))
    link = services.link_for(roles.club)
    assert link.channel_id in mm.standin.channels
    assert len(mm.standin.posts_in(link.channel_id)) == 1


def test_429_reschedules_after_retry_after(roles, client_for, mm):
    link = provisioned(roles, client_for, mm)
    mm.account(roles.member)
    mm.standin.rate_limit(100, retry_after=42)
    before = utcnow()
    provisioning.enqueue_member_sync(roles.club, roles.member.id)
    op = ops(roles.club)[-1]
    assert op.status == "pending" and "429" in op.last_error
    assert timedelta(seconds=41) <= op.next_try_at - before <= timedelta(seconds=45)
    assert queue.process_due(now=before + timedelta(seconds=20)) == {"done": 0, "pending": 0, "failed": 0}
    mm.standin.rate_limit(0)
    assert queue.process_due(now=before + timedelta(seconds=43))["done"] == 1
    assert len(mm.standin.members_of(link.channel_id)) == 3


def test_gives_up_after_a_day_and_staff_see_it(roles, client_for, mm):
    provisioned(roles, client_for, mm)
    mm.account(roles.member)
    mm.standin.down = True
    provisioning.enqueue_member_sync(roles.club, roles.member.id)
    assert queue.process_due(now=utcnow() + timedelta(hours=25))["failed"] == 1
    op = ops(roles.club)[-1]
    assert op.status == "failed"
    page = client_for(roles.staff).get("/admin/chat/").get_data(as_text=True)
    assert roles.club.name in page and "gescheitert" in page and "503" in page
    assert client_for(roles.board).get("/admin/chat/").status_code == 403
    panel = client_for(roles.board).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert "1 Änderung wartet auf den Chat-Server" in panel

    mm.standin.down = False
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/chat/erneut", headers=HX)
    assert response.status_code == 200 and 'id="chat-panel"' in response.get_data(as_text=True)
    assert "wartet auf den Chat-Server" not in response.get_data(as_text=True)
    assert db.session.get(ChatOp, op.id).status == "done"


def test_members_cannot_press_retry(roles, client_for, mm):
    assert client_for(roles.member).post(f"/c/{roles.club.slug}/chat/erneut").status_code == 403


def test_flask_chat_retry_processes_due_ops(roles, client_for, mm, runner):
    provisioned(roles, client_for, mm)
    mm.account(roles.member)
    mm.standin.down = True
    provisioning.enqueue_member_sync(roles.club, roles.member.id)
    mm.standin.down = False
    result = runner.invoke(args=["chat", "retry", "--all"])
    assert "1 Änderungen" in result.output
    assert services.open_op_count(roles.club) == 0


def test_reconcile_repairs_a_drifted_channel(roles, client_for, mm, runner, make_user):
    link = provisioned(roles, client_for, mm)
    member_mm = mm.account(roles.member)
    stranger = mm.standin.add_user("fremd", "fremd@example.org")
    mm.standin.team_members.add((mm.team["id"], stranger["id"]))
    # drift: someone added a stranger, the member was never added, the name was changed by hand
    mm.standin.channel_members[link.channel_id].add(stranger["id"])
    mm.standin.channels[link.channel_id]["display_name"] = "Umbenannt"
    result = runner.invoke(args=["chat", "reconcile"])
    assert result.exit_code == 0, result.output
    assert f"{roles.club.slug}:" in result.output
    assert "+ mitglied@verein.example" in result.output and f"- {stranger['id']}" in result.output
    assert "Anzeigename" in result.output
    assert mm.standin.members_of(link.channel_id) == {
        mm.standin.bot_id,
        member_mm["id"],
        services._account_for(roles.board, services.mm_client()),
    }
    assert mm.standin.channels[link.channel_id]["display_name"] == "Imkerverein Pankow"
    again = runner.invoke(args=["chat", "reconcile"])
    assert f"{roles.club.slug}: in Ordnung" in again.output


def test_reconcile_reports_an_outage_per_club(roles, client_for, mm, runner):
    provisioned(roles, client_for, mm)
    mm.standin.down = True
    result = runner.invoke(args=["chat", "reconcile"])
    assert result.exit_code == 0 and "Fehler" in result.output
