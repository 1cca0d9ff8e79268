"""Reminder mails for due and overdue action items (``flask privacy send-reminders``).

Idempotent: every (club, item, due date, kind) is recorded in ``ReminderSent``
and never mailed again; a new due date or the step from "soon" to "overdue"
gives one new reminder.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from ..clubs.models import Club, ClubStatus, Membership, Role
from ..core.errors import carry_on
from ..core.mail import send_mail
from ..core.urls import external_url
from ..extensions import db
from .models import ReminderSent
from .services import club_assessment, club_states, current_items


def _due(states, today, days, already):
    for state in states:
        answer = state.answer
        if not state.is_open or answer is None or answer.due_date is None:
            continue
        if answer.due_date < today:
            kind = "overdue"
        elif answer.due_date <= today + timedelta(days=days):
            kind = "soon"
        else:
            continue
        if (state.item.key, answer.due_date, kind) in already:
            continue
        yield state, kind


def send_reminders(days: int = 7, today: date | None = None) -> tuple[int, int]:
    """Send the reminders due today; returns (mails sent, items reminded)."""
    today = today or date.today()
    items = current_items()
    mails = reminded = 0
    clubs = db.session.scalars(sa.select(Club).where(Club.status == ClubStatus.APPROVED).order_by(Club.id)).all()
    for club in clubs:
        # one club's failure (mail server, a stored value) is logged and undone; the next club gets its mail
        with carry_on("privacy reminders for club %s (retried next run)", club.id):
            assessment = club_assessment(club, create=False)
            if assessment is None:
                continue
            already = {
                (r.item_key, r.due_date, r.kind)
                for r in db.session.scalars(sa.select(ReminderSent).where(ReminderSent.club_id == club.id))
            }
            due = list(_due(club_states(club, assessment, items=items), today, days, already))
            if not due:
                continue
            memberships = db.session.scalars(
                sa.select(Membership).where(Membership.club_id == club.id).options(so.selectinload(Membership.user))
            ).all()
            members = {m.user_id: m.user for m in memberships}
            board = [m.user for m in memberships if m.role is Role.BOARD]
            per_recipient: dict[str, list] = {}
            for state, kind in due:
                person = members.get(state.answer.responsible_id)
                recipients = [person] if person is not None else board
                for user in recipients:
                    per_recipient.setdefault(user.email, []).append((state, kind, user))
                db.session.add(
                    ReminderSent(
                        club_id=club.id,
                        item_key=state.item.key,
                        due_date=state.answer.due_date,
                        kind=kind,
                        recipient=", ".join(u.email for u in recipients)[:254],
                    )
                )
            base = current_app.config.get("BASE_URL", "http://localhost")
            with current_app.test_request_context(base_url=base):
                plan_url = external_url("privacy.plan", slug=club.slug)
                for email, entries in per_recipient.items():
                    send_mail(
                        email,
                        _("Erinnerung: Datenschutz-Aufgaben für %(club)s", club=club.name),
                        "privacy/email/reminder",
                        club=club,
                        entries=entries,
                        user=entries[0][2],
                        plan_url=plan_url,
                        today=today,
                    )
                    mails += 1
            db.session.commit()
            reminded += len(due)
    return mails, reminded
