"""Background jobs of the chat domain (Huey)."""

from __future__ import annotations

from flask import has_app_context
from huey import crontab

from ..core.jobs import huey, task


@task()
def run_op(op_id: int):
    """Carry out one chat op (it reschedules itself on a transient failure)."""
    from .services import execute_op

    return execute_op(op_id)


@huey.periodic_task(crontab(minute="*/5"), name="chat.process_due")
def process_due_periodic():
    """Safety net: pick up due ops that no scheduled job is waiting for."""
    from .services import process_due

    if has_app_context():
        return process_due()
    from ..core.jobs import _app_context

    with _app_context():
        return process_due()
