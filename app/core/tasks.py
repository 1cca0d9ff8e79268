"""Background jobs of the core (Huey): the worker's heartbeat (see ``health.py``)."""

from huey import crontab

from .health import record_heartbeat
from .jobs import huey


@huey.periodic_task(crontab(), name="core.worker_heartbeat")
def worker_heartbeat():
    """Every minute: the worker is alive and runs tasks."""
    record_heartbeat()
