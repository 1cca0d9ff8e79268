"""A chat op is carried out by one worker only, also when a scheduled run and the sweep race."""

from app.chat import queue
from app.chat.models import ChatOp
from app.extensions import db
from tests.chat.test_sync import provisioned


def test_a_second_worker_does_not_run_an_op_that_is_running(roles, client_for, mm, monkeypatch):
    link = provisioned(roles, client_for, mm)
    runs = []
    original = queue.HANDLERS["rename"]

    def rename_while_the_sweep_runs(op, client):
        runs.append(op.id)
        # the periodic sweep (another worker) finds the same op while this attempt is still running
        assert queue.process_due()["done"] == 0
        return original(op, client)

    monkeypatch.setitem(queue.HANDLERS, "rename", rename_while_the_sweep_runs)
    op = queue.enqueue(roles.club, "rename", f"rename:{roles.club.id}", {})
    db.session.expire_all()
    assert db.session.get(ChatOp, op.id).status == "done"
    assert runs == [op.id]
    assert link.channel_id
