"""Periodic work in the Huey consumer: reminders/materials every 15 minutes, deletion nightly."""

from huey import crontab

from ..core.jobs import periodic_task
from . import services


@periodic_task(crontab(minute="*/15"), name="workshops.send_due_mails")
def send_due_mails_job():
    return services.send_due_mails()


@periodic_task(crontab(hour="3", minute="20"), name="workshops.purge")
def purge_job():
    return services.purge_expired_participants()
