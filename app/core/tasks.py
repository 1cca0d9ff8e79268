"""Background jobs of the core (Huey): the worker's heartbeat for /healthz."""

from huey import crontab

from . import jobs
from .health import record_heartbeat


@jobs.huey.periodic_task(crontab(), name="core.worker_heartbeat")
def worker_heartbeat():
    """Every minute: the worker is alive and runs tasks."""
    record_heartbeat()
