"""Background jobs of the club directory (Huey): relaying contact messages, purging undelivered ones."""

from huey import crontab

from ..core.jobs import periodic_task, task
from . import services


@task(retries=5, retry_delay=300)
def deliver_contact_job(message_id: int):
    return services.deliver_contact(message_id)


@periodic_task(crontab(hour="3", minute="35"), name="directory.purge")
def purge_job():
    return services.purge_undelivered()
