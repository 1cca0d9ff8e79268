"""The self-check's personal data (app/dataprotection/registry.py): answers, history, reminders, the report PDF."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..dataprotection.registry import declare, declare_club_file, email_clause, former_member
from ..extensions import db
from .models import Answer, AnswerChange, Assessment, ReminderSent
from .services import open_states, report_context


def _former_member_history(user, pid) -> None:
    """Checklist history stays with the club: "ehemaliges Mitglied" instead of the name.

    Only entries that reference the person by id: as author (``user_id``) or as the responsible person
    before/after the change (``old_/new_responsible_id``). Answers and notes are never searched for the
    name: another club's answer "Ja" is not the person "Ja".
    """
    label = former_member()
    uid = user.id
    for change in db.session.scalars(
        sa.select(AnswerChange).where(
            sa.or_(
                AnswerChange.user_id == uid,
                AnswerChange.old_responsible_id == uid,
                AnswerChange.new_responsible_id == uid,
            )
        )
    ):
        if change.user_id == uid:
            change.user_id = None
            change.user_name = label
        changes = dict(change.changes or {})
        responsible = list(changes.get("responsible_id") or ())
        for position, column in enumerate(("old_responsible_id", "new_responsible_id")):
            if getattr(change, column) == uid:
                setattr(change, column, None)
                if position < len(responsible):
                    responsible[position] = label
        if "responsible_id" in changes:
            changes["responsible_id"] = responsible
        change.changes = changes
    db.session.flush()


def report_pdf(club) -> bytes:
    """The self-check report as PDF, as the club's /bericht.pdf shows it (for the club's export)."""
    from .export import build_pdf  # fpdf is loaded only when a PDF is made

    ctx = report_context(club)
    ctx["open"] = open_states(ctx["states"])
    return build_pdf(club, ctx)


def register() -> None:
    declare(Assessment, category="checklist", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(Answer, category="checklist", on_user_delete="keep-with-club", on_club_delete="delete")
    declare(AnswerChange, category="checklist", on_user_delete=_former_member_history, on_club_delete="delete")
    declare(
        ReminderSent,
        category="checklist",
        on_user_delete="delete",
        on_club_delete="delete",
        user_rows=lambda model, user: email_clause(model.recipient, user),
    )
    declare_club_file(
        "datenschutz-selbstcheck.pdf", _l("der Datenschutz-Selbstcheck als PDF"), lambda club: report_pdf(club)
    )
