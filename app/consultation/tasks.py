"""Background jobs of the consultation hour (Huey): reminders every 15 minutes."""

from huey import crontab

from ..core.jobs import periodic_task
from . import services


@periodic_task(crontab(minute="*/15"), name="consultation.send_due_mails")
def send_due_mails_job():
    return services.send_due_mails()


@periodic_task(crontab(hour="3", minute="20"), name="consultation.purge")
def purge_job():
    return services.purge_expired_participants()
