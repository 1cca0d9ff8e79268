"""Background jobs of the chat domain (Huey); imported by ``create_app`` like every domain's ``tasks``."""

from __future__ import annotations

from ..core.jobs import every_minutes, periodic_task, task
from . import panel, queue


@task()
def run_op(op_id: int):
    """Carry out one chat op (it reschedules itself on a transient failure)."""
    return queue.execute_op(op_id)


@periodic_task(every_minutes("CHAT_SWEEP_MINUTES", 5), name="chat.process_due")
def process_due_periodic():
    """Safety net: pick up due ops that no job is waiting for (queue was down, worker killed mid-op)."""
    return queue.process_due()


@task()
def warm_panel(club_id: int):
    """Fill the shared cache of a club's chat panel (the page without JavaScript never waits on Mattermost)."""
    return panel.warm_panel_cache(club_id)
