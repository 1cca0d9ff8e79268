"""Background jobs of the meetings domain (Huey): one invitation mail per member, retried."""

from ..core.jobs import task
from ..core.mail import build_message, send_message


@task(retries=3, retry_delay=120)
def deliver_mail(to: str, subject: str, body: str, ics: str) -> None:
    message = build_message(to, subject, body, attachments=[("termin.ics", "text/calendar", ics)])
    send_message(message)
