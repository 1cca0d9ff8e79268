"""Background jobs of the meetings domain (Huey): one invitation mail per member, retried."""

from huey import crontab

from ..clubs.models import Club
from ..core.jobs import committed, periodic_task, task
from ..core.mail import build_message, send_message
from ..extensions import db
from .models import ScheduledMeeting


@task(retries=3, retry_delay=120)
def deliver_mail(to: str, subject: str, body: str, ics: str, club_id: int | None = None) -> None:
    if club_id is not None:
        club = db.session.get(Club, club_id)
        if club is None or not club.is_active:  # suspended (or deleted) while the mail waited in the queue
            return
    message = build_message(to, subject, body, attachments=[("termin.ics", "text/calendar", ics)])
    send_message(message)


@task()
def deliver_invitations(
    meeting_id: int, sequence: int, recipients: list[str], subject: str, body: str, ics: str, club_id: int
) -> int:
    """Once the change that queued this is committed (the meeting at this ``sequence``), queue one mail per member."""
    committed(ScheduledMeeting, meeting_id, lambda meeting: meeting.sequence >= sequence)
    for address in recipients:
        deliver_mail(address, subject, body, ics, club_id=club_id)
    return len(recipients)


@periodic_task(crontab(minute="*/10"), name="meetings.send_reminders")
def send_reminders() -> int:
    """Reminder mails a club's set time before each date of its meetings (once per date)."""
    from . import calendar  # calendar imports this module (deliver_mail)

    return calendar.send_due_reminders()
