"""Background jobs of the toolkit (Huey): deadline reminders every 15 minutes, the retention purge daily."""

from huey import crontab

from ..core.jobs import periodic_task
from . import services


@periodic_task(crontab(minute="*/15"), name="toolkit.send_reminders")
def send_reminders_job():
    return services.send_due_reminders()


@periodic_task(crontab(hour="3", minute="40"), name="toolkit.purge")
def purge_job():
    return services.purge_closed_requests()
