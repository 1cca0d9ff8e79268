"""Periodic work in the Huey consumer: reminders/materials every 15 minutes, deletion nightly."""

from huey import crontab

from ..core.jobs import _app_context, huey


@huey.periodic_task(crontab(minute="*/15"), name="workshops.send_due_mails")
def send_due_mails_job():
    from .services import send_due_mails

    with _app_context():
        return send_due_mails()


@huey.periodic_task(crontab(hour="3", minute="20"), name="workshops.purge")
def purge_job():
    from .services import purge_expired_participants

    with _app_context():
        return purge_expired_participants()
