"""The community channel (issue 20, item 2): one platform-wide channel, joined and left with one click.

Every change goes through the chat op queue to the Mattermost stand-in (validated against the OpenAPI
file by the ``mm`` fixture); outages are retried, each effect happens once.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.chat import community, queue, services
from app.chat.models import ChatLink, ChatOp, CommunityChannel, CommunityMember
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.dataprotection.services import pseudonym, user_data
from app.extensions import db
from tests.conftest import HX, PASSWORD

JOIN = "/community/beitreten"
LEAVE = "/community/verlassen"


def community_ops(user_id=None):
    query = sa.select(ChatOp).where(ChatOp.kind == "community").order_by(ChatOp.id)
    if user_id is not None:
        query = query.where(ChatOp.key == f"community:{user_id}")
    return list(db.session.scalars(query))


def the_channel(mm):
    row = db.session.get(CommunityChannel, 1)
    assert row is not None
    return row


def adds(mm, channel_id):
    return [c for c in mm.standin.calls if c == ("POST", f"/api/v4/channels/{channel_id}/members")]


def channel_creates(mm):
    return [c for c in mm.standin.calls if c == ("POST", "/api/v4/channels")]


# --- join and leave with one click --------------------------------------------------------------------


def test_join_from_the_account_page_creates_the_channel_and_adds_the_person(roles, client_for, mm):
    person = mm.account(roles.member, in_team=False)
    client = client_for(roles.member)
    page = client.get("/konto/").get_data(as_text=True)
    assert "Community-Kanal" in page and "Beitreten" in page and "/community/verhaltensregeln" in page

    response = client.post(JOIN, data={"accept": "y", "ort": "konto"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/#community-block")

    channel = the_channel(mm)
    created = mm.standin.channels[channel.channel_id]
    assert created["type"] == "P" and created["name"] == "community"
    assert created["display_name"] == "Vereinsraum Community"
    assert person["id"] in mm.standin.members_of(channel.channel_id)
    assert [op.status for op in community_ops(roles.member.id)] == ["done"]
    row = db.session.get(CommunityMember, roles.member.id)
    assert row.wants and row.in_channel and row.accepted_at is not None and row.mm_user_id == person["id"]
    assert "Sie sind Mitglied." in client.get("/konto/").get_data(as_text=True)
    assert '<section class="card community-block" id="community-block"' in client.get("/community/").get_data(
        as_text=True
    )

    # a second person joins the same channel: no second channel
    mm.account(roles.board)
    client_for(roles.board).post(JOIN, data={"accept": "y"})
    assert len(channel_creates(mm)) == 1
    assert len(mm.standin.members_of(channel.channel_id) - {mm.standin.bot_id}) == 2


def test_join_and_leave_with_htmx_answer_the_block(roles, client_for, mm):
    person = mm.account(roles.member)
    client = client_for(roles.member)
    response = client.post(JOIN, data={"accept": "y", "ort": "arbeitsbereich"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="community-block"' in body and "Sie sind Mitglied." in body and 'class="panel community-block"' in body
    channel = the_channel(mm)
    assert person["id"] in mm.standin.members_of(channel.channel_id)

    response = client.post(LEAVE, data={"ort": "arbeitsbereich"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Beitreten" in body
    assert person["id"] not in mm.standin.members_of(channel.channel_id)
    assert [op.status for op in community_ops(roles.member.id)] == ["done", "done"]
    assert db.session.get(CommunityMember, roles.member.id) is None  # left and out: no row kept


def test_joining_needs_the_code_of_conduct_accepted(roles, client_for, mm):
    mm.account(roles.member)
    client = client_for(roles.member)
    response = client.post(JOIN, data={}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte bestätigen Sie, dass Sie die Verhaltensregeln einhalten." in body
    response = client.post(JOIN, data={})  # without JavaScript: the page with the message
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert community_ops() == [] and db.session.get(CommunityMember, roles.member.id) is None


def test_unconfirmed_user_is_refused_and_told_why(make_user, client_for, mm):
    person = make_user(email="neu@verein.example", confirmed=False)
    mm.account(person)
    client = client_for(person)
    page = client.get("/konto/").get_data(as_text=True)
    assert "Beitreten können Sie, sobald Ihre E-Mail-Adresse bestätigt ist" in page
    assert 'action="/community/beitreten"' not in page
    response = client.post(JOIN, data={"accept": "y"}, headers=HX)
    assert response.status_code == 403
    assert "Beitreten können Sie, sobald Ihre E-Mail-Adresse bestätigt ist" in response.get_data(as_text=True)
    assert community_ops() == [] and mm.standin.channel_named(mm.team["id"], "community") is None


def test_anonymous_cannot_join_or_see_the_block(client, mm):
    response = client.post(JOIN, data={"accept": "y"})
    assert response.status_code in (302, 303) and "/konto/anmelden" in response.headers["Location"]
    assert client.get("/community/").status_code in (302, 303)
    assert community_ops() == []


def test_a_person_without_a_chat_account_is_told_so(roles, client_for, mm):
    client = client_for(roles.member)
    body = client.post(JOIN, data={"accept": "y"}, headers=HX).get_data(as_text=True)
    assert "kein Konto mit Ihrer bestätigten E-Mail-Adresse" in body
    assert [op.status for op in community_ops()] == ["done"]


def test_the_block_is_in_the_workspace(roles, client_for, mm):
    mm.account(roles.member)
    page = client_for(roles.member).get(f"/c/{roles.club.slug}/").get_data(as_text=True)
    assert 'id="community-block"' in page and 'name="ort" value="arbeitsbereich"' in page


def test_no_block_without_a_chat_server(roles, client_for):
    assert 'id="community-block"' not in client_for(roles.member).get("/konto/").get_data(as_text=True)
    response = client_for(roles.member).post(JOIN, data={"accept": "y"})
    assert response.status_code == 403 and community_ops() == []


# --- outages: retried, done once ----------------------------------------------------------------------


def test_outage_is_caught_up_and_every_effect_happens_once(roles, client_for, mm):
    person = mm.account(roles.member)
    client = client_for(roles.member)
    mm.standin.down = True
    response = client.post(JOIN, data={"accept": "y"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ihr Beitritt wird ausgeführt" in body and "wird nachgeholt" in body and 'hx-trigger="every 3s"' in body
    (op,) = community_ops()
    assert op.status == "pending" and op.attempts == 1 and "503" in op.last_error and op.next_try_at > utcnow()
    # the polling block keeps saying so, never a 500
    assert "wird nachgeholt" in client.get("/community/?ort=konto", headers=HX).get_data(as_text=True)

    mm.standin.down = False
    mm.standin.rate_limit(1, retry_after=7)  # the next try meets a rate limit: retried after Retry-After
    assert queue.process_due(now=utcnow() + timedelta(hours=1)) == {"done": 0, "pending": 1, "failed": 0}
    db.session.refresh(op)
    assert "429" in op.last_error

    assert queue.process_due(now=utcnow() + timedelta(hours=2))["done"] == 1
    assert queue.process_due(now=utcnow() + timedelta(hours=3)) == {"done": 0, "pending": 0, "failed": 0}
    channel = the_channel(mm)
    assert person["id"] in mm.standin.members_of(channel.channel_id)
    assert len(adds(mm, channel.channel_id)) == 1 and len(channel_creates(mm)) == 1
    assert "Sie sind Mitglied." in client.get("/community/").get_data(as_text=True)


def test_join_then_leave_while_down_ends_outside(roles, client_for, mm):
    person = mm.account(roles.member)
    client = client_for(roles.member)
    client.post(JOIN, data={"accept": "y"})
    channel = the_channel(mm)
    mm.standin.down = True
    client.post(LEAVE)
    client.post(JOIN, data={"accept": "y"})
    client.post(LEAVE)
    assert len([op for op in community_ops() if op.status == "pending"]) == 1  # one op carries the wish
    mm.standin.down = False
    queue.process_due(now=utcnow() + timedelta(hours=1))
    assert person["id"] not in mm.standin.members_of(channel.channel_id)
    assert all(op.status == "done" for op in community_ops())


# --- staff ----------------------------------------------------------------------------------------------


def test_staff_remove_a_person_audited_and_they_cannot_rejoin_by_click(roles, client_for, mm):
    person = mm.account(roles.member)
    member = client_for(roles.member)
    member.post(JOIN, data={"accept": "y"})
    channel = the_channel(mm)
    staff = client_for(roles.staff)
    page = staff.get("/admin/chat/community").get_data(as_text=True)
    assert roles.member.email in page and "Aus dem Kanal entfernen" in page

    response = staff.post(f"/admin/chat/community/{roles.member.id}/entfernen", data={"reason": " "})
    assert response.status_code == 422 and "Bitte geben Sie einen Grund an." in response.get_data(as_text=True)
    assert person["id"] in mm.standin.members_of(channel.channel_id)

    response = staff.post(f"/admin/chat/community/{roles.member.id}/entfernen", data={"reason": "Werbung"})
    assert response.status_code == 303
    assert person["id"] not in mm.standin.members_of(channel.channel_id)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "community.removed"))
    assert entry.actor_id == roles.staff.id and entry.details == {"user_id": roles.member.id, "reason": "Werbung"}

    page = member.get("/konto/").get_data(as_text=True)
    assert "Das Plattform-Team hat Sie aus dem Community-Kanal entfernt." in page
    assert 'action="/community/beitreten"' not in page
    response = member.post(JOIN, data={"accept": "y"})
    assert response.status_code == 403
    assert person["id"] not in mm.standin.members_of(channel.channel_id)

    assert staff.post(f"/admin/chat/community/{roles.member.id}/freigeben").status_code == 303
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "community.allowed")) is not None
    assert person["id"] not in mm.standin.members_of(channel.channel_id)  # allowed again, not put back
    member.post(JOIN, data={"accept": "y"})
    assert person["id"] in mm.standin.members_of(channel.channel_id)


def test_only_staff_reach_the_community_admin(roles, client_for, client, mm):
    roles_other = (roles.board, roles.member, roles.outsider)
    client_for(roles.member).post(JOIN, data={"accept": "y"})
    for user in roles_other:
        c = client_for(user)
        assert c.get("/admin/chat/community").status_code == 403
        assert c.post(f"/admin/chat/community/{roles.member.id}/entfernen", data={"reason": "x"}).status_code == 403
        assert c.post(f"/admin/chat/community/{roles.member.id}/freigeben").status_code == 403
    assert client.get("/admin/chat/community").status_code in (302, 303)
    assert client.post(f"/admin/chat/community/{roles.member.id}/entfernen", data={"reason": "x"}).status_code in (
        302,
        303,
    )
    assert not db.session.get(CommunityMember, roles.member.id).blocked
    # someone who never joined is not on the list: nothing to remove
    assert (
        client_for(roles.staff)
        .post(f"/admin/chat/community/{roles.outsider.id}/entfernen", data={"reason": "x"})
        .status_code
        == 404
    )


def test_no_club_can_link_the_community_channel(roles, client_for, mm):
    mm.account(roles.board)
    client_for(roles.board).post(JOIN, data={"accept": "y"})
    channel = the_channel(mm)
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/{channel.channel_name}"},
    )
    assert response.status_code == 422
    assert "bereits mit einem anderen Verein verknüpft" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(ChatLink)) is None


def test_a_foreign_channel_with_the_name_is_never_taken_over(roles, client_for, mm, runner):
    other = mm.standin.add_user("jemand", "jemand@anderswo.example")
    mm.standin.add_channel(mm.team["id"], "community", "Fremder Kanal", creator_id=other["id"])
    mm.account(roles.member)
    client_for(roles.member).post(JOIN, data={"accept": "y"})
    (op,) = community_ops()
    assert op.status == "failed" and "COMMUNITY_CHANNEL_NAME" in op.last_error
    assert db.session.get(CommunityChannel, 1) is None
    body = client_for(roles.member).get("/community/", headers=HX).get_data(as_text=True)
    assert "Das Plattform-Team sieht das" in body and "Community-Kanal verlassen" in body  # the way out stays
    # staff see it with the other chat changes, and in `flask chat status`
    assert "Community-Kanal abgleichen" in client_for(roles.staff).get("/admin/chat/").get_data(as_text=True)
    assert f"#{op.id} community community failed" in runner.invoke(args=["chat", "status"]).output


def test_cli_creates_the_channel_once(runner, mm):
    first = runner.invoke(args=["chat", "community"])
    second = runner.invoke(args=["chat", "community"])
    assert first.exit_code == 0 and "vereinsraum/channels/community" in first.output
    assert second.output == first.output and len(channel_creates(mm)) == 1


# --- the code of conduct --------------------------------------------------------------------------------


def test_code_of_conduct_is_public_in_german_and_english(client):
    page = client.get("/community/verhaltensregeln")
    assert page.status_code == 200
    assert "Verhaltensregeln des Community-Kanals" in page.get_data(as_text=True)
    english = client.get("/community/verhaltensregeln", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Community channel code of conduct" in english and "Respektvoll" not in english


# --- account deletion and export ------------------------------------------------------------------------


def test_export_lists_the_membership(roles, client_for, mm):
    mm.account(roles.member)
    client_for(roles.member).post(JOIN, data={"accept": "y"})
    (row,) = user_data(roles.member)["chat"]["community_member"]
    assert row["wants"] is True and row["accepted_at"]


def _second_board(roles):
    from app.clubs.models import Membership, Role

    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == roles.member.id))
    membership.role = Role.BOARD
    db.session.commit()


def test_account_deletion_leaves_the_channel(roles, client_for, mm):
    _second_board(roles)
    person = mm.account(roles.member)
    uid = roles.member.id
    client = client_for(roles.member)
    client.post(JOIN, data={"accept": "y"})
    channel = the_channel(mm)
    assert person["id"] in mm.standin.members_of(channel.channel_id)

    assert client.post("/konto/loeschen", data={"current_password": PASSWORD}).status_code == 303
    assert person["id"] not in mm.standin.members_of(channel.channel_id)
    assert db.session.get(CommunityMember, uid) is None
    assert all(op.status == "done" for op in community_ops(uid))
    joined = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "community.joined"))
    assert joined.details["user_id"] == pseudonym("user", uid)


def test_account_deletion_while_the_chat_server_is_down_leaves_later(roles, client_for, mm):
    _second_board(roles)
    person = mm.account(roles.member)
    uid = roles.member.id
    client = client_for(roles.member)
    client.post(JOIN, data={"accept": "y"})
    channel = the_channel(mm)
    mm.standin.down = True
    assert client.post("/konto/loeschen", data={"current_password": PASSWORD}).status_code == 303
    (waiting,) = [op for op in community_ops(uid) if op.status == "pending"]
    assert waiting.payload["mm_user_id"] == person["id"]
    mm.standin.down = False
    assert queue.process_due(now=utcnow() + timedelta(hours=1))["done"] == 1
    assert person["id"] not in mm.standin.members_of(channel.channel_id)


def test_deletion_step_queues_the_leave_when_it_runs_before_the_signal(roles, mm):
    """The registry step alone (the erasure ran first): the op is queued with the Mattermost id."""
    row = CommunityMember(user_id=roles.member.id, wants=True, in_channel=True, mm_user_id="a" * 26)
    db.session.add(row)
    db.session.commit()
    community.leave_on_deletion(roles.member)
    db.session.commit()
    (op,) = community_ops(roles.member.id)
    assert op.status == "pending" and op.payload["mm_user_id"] == "a" * 26 and op.club_id is None
    assert db.session.get(CommunityMember, roles.member.id) is None


def test_staff_overview_lists_community_ops(roles, client_for, mm):
    mm.account(roles.member)
    mm.standin.down = True
    client_for(roles.member).post(JOIN, data={"accept": "y"})
    assert [op.kind for op in services.staff_overview()["ops"]] == ["community"]
    page = client_for(roles.staff).get("/admin/chat/").get_data(as_text=True)
    assert "Community-Kanal" in page and "Community-Kanal abgleichen" in page


def test_account_deletion_leaves_the_channel_when_the_erasure_runs_first(roles, mm):
    """Receivers of the deletion signal run in no fixed order: erasure first, then the chat's receiver."""
    from app.auth.services import delete_account
    from app.chat import signals
    from app.core.signals import account_deleting

    _second_board(roles)
    person = mm.account(roles.member)
    uid = roles.member.id
    community.join(roles.member, accepted=True)
    channel = the_channel(mm)
    user = roles.member
    account_deleting.disconnect(signals.on_account_deleting)
    try:
        delete_account(user)
    finally:
        account_deleting.connect(signals.on_account_deleting)
    (op,) = [op for op in community_ops(uid) if op.status == "pending"]  # queued by the erasure's registry step
    assert person["id"] in mm.standin.members_of(channel.channel_id)
    signals.on_account_deleting(user)  # the chat's receiver, after the erasure
    assert person["id"] not in mm.standin.members_of(channel.channel_id)
    db.session.refresh(op)
    assert op.status == "done"
