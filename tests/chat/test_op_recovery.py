"""Chat ops survive a queue outage and a killed worker: the sweep finishes them, every effect once.

- The job queue is down when an op is created: the request still succeeds (the op is durable in
  ``chat_op``), and the periodic sweep carries the op out later.
- A worker dies in the middle of a provisioning (simulated: the process stops right after a
  Mattermost call, before anything else is committed): once ``CHAT_OP_LEASE_SECONDS`` have passed the
  sweep resumes the op and skips what the dead attempt did – one channel, one welcome post, each member
  added once (counted at the stand-in).
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.chat import provisioning, queue, services
from app.chat.models import ChatOp
from app.clubs.models import Membership, Role
from app.core.db import utcnow
from app.extensions import db
from app.integrations.mattermost.client import MattermostClient


class WorkerKilled(BaseException):
    """The worker process ends here (SIGKILL): nothing after this line runs, nothing uncommitted stays."""


def member_adds(mm, channel_id):
    return [c for c in mm.standin.calls if c == ("POST", f"/api/v4/channels/{channel_id}/members")]


def channel_creates(mm):
    return [c for c in mm.standin.calls if c == ("POST", "/api/v4/channels")]


@pytest.fixture
def club_with_accounts(roles, mm, make_user):
    """The club with five people who all have Mattermost accounts."""
    people = [roles.board, roles.member]
    for n in range(3):
        user = make_user(email=f"mitglied{n}@verein.example", name=f"Mitglied {n}")
        db.session.add(Membership(club_id=roles.club.id, user_id=user.id, role=Role.MEMBER))
        people.append(user)
    db.session.commit()
    return {user.id: mm.account(user)["id"] for user in people}


def test_lease_comes_from_the_settings(app, roles, client_for, mm, monkeypatch):
    from tests.chat.test_sync import provisioned

    provisioned(roles, client_for, mm)
    app.config["CHAT_OP_LEASE_SECONDS"] = 42
    seen = []
    original = queue.HANDLERS["rename"]

    def rename(op, client):
        seen.append(db.session.get(ChatOp, op.id).next_try_at - utcnow())
        return original(op, client)

    monkeypatch.setitem(queue.HANDLERS, "rename", rename)
    queue.enqueue(roles.club, "rename", f"rename:{roles.club.id}", {})
    assert len(seen) == 1 and timedelta(seconds=35) < seen[0] <= timedelta(seconds=42)


def test_killed_provisioning_is_resumed_by_the_sweep_after_the_lease_with_every_effect_once(
    app, roles, mm, club_with_accounts, monkeypatch
):
    app.config["CHAT_OP_LEASE_SECONDS"] = 30
    monkeypatch.setattr(queue, "schedule", lambda op_id, eta=None: None)  # the queued job died with the worker
    provisioning.request_provision(roles.club, by=roles.board)
    op = db.session.scalar(sa.select(ChatOp).where(ChatOp.club_id == roles.club.id))
    op_id = op.id

    real_add = MattermostClient.add_channel_member
    adds = []

    def add_then_die(self, channel_id, user_id):
        answer = real_add(self, channel_id, user_id)
        adds.append(user_id)
        if len(adds) == 3:
            raise WorkerKilled  # Mattermost added the third member; the worker never heard the answer
        return answer

    monkeypatch.setattr(MattermostClient, "add_channel_member", add_then_die)
    with pytest.raises(WorkerKilled):
        queue.execute_op(op_id)
    db.session.rollback()  # what the dead worker had not committed is gone
    monkeypatch.setattr(MattermostClient, "add_channel_member", real_add)

    link = services.link_for(roles.club)
    op = db.session.get(ChatOp, op_id)
    assert op.status == "pending" and op.attempts == 1 and link.channel_id
    assert len(op.payload["members_done"]) == 2  # progress the dead attempt recorded
    assert queue.process_due()["done"] == 0  # the lease still runs: nobody else takes the op

    result = queue.process_due(now=utcnow() + timedelta(seconds=31))  # the periodic sweep, after the lease
    assert result["done"] == 1
    db.session.expire_all()
    op = db.session.get(ChatOp, op_id)
    assert op.status == "done" and op.attempts == 2
    members = mm.standin.members_of(link.channel_id)
    assert members == {mm.standin.bot_id, *club_with_accounts.values()}
    assert len(channel_creates(mm)) == 1
    assert len(member_adds(mm, link.channel_id)) == len(club_with_accounts)  # each member once, none twice
    welcomes = [
        p
        for p in mm.standin.posts_in(link.channel_id)
        if (p.get("props") or {}).get("vereinsraum") == f"welcome-{roles.club.id}"
    ]
    assert len(welcomes) == 1


# --- the queue is down when the op is created ---------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestQueueDown:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(
            HUEY_IMMEDIATE=False, REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0", CACHE_TYPE="SimpleCache"
        )
        return app_config

    def test_provisioning_request_succeeds_and_the_sweep_carries_it_out(self, roles, client_for, mm):
        board_mm = mm.account(roles.board)
        response = client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/anlegen")
        assert response.status_code == 303
        op = db.session.scalar(sa.select(ChatOp).where(ChatOp.club_id == roles.club.id))
        assert op.status == "pending" and op.attempts == 0 and channel_creates(mm) == []

        assert queue.process_due()["done"] == 1  # the periodic sweep, once the consumer runs again
        link = services.link_for(roles.club)
        assert link.channel_id and board_mm["id"] in mm.standin.members_of(link.channel_id)
