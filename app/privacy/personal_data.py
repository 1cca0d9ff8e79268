"""The self-check's personal data (app/dataprotection/registry.py): answers, history, reminders, the report PDF."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..dataprotection.registry import declare, declare_club_file, email_clause, former_member
from ..extensions import db
from .evidence import club_evidence, delete_club_files, export_files
from .models import Answer, AnswerChange, Assessment, ItemEvidence, ReminderSent
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


def _former_member_evidence(user, pid) -> None:
    """Evidence stays with the club: "ehemaliges Mitglied" as its author instead of the name."""
    db.session.execute(
        sa.update(ItemEvidence)
        .where(ItemEvidence.created_by_id == user.id)
        .values(created_by_id=None, author_name=former_member())
        .execution_options(synchronize_session=False)
    )


def _delete_club_evidence(club, pid) -> None:
    """The rows and the files: the club's evidence folder goes with the club's data."""
    db.session.execute(
        sa.delete(ItemEvidence).where(ItemEvidence.club_id == club.id).execution_options(synchronize_session=False)
    )
    delete_club_files(club)


def report_pdf(club) -> bytes:
    """The self-check report as PDF, as the club's /bericht.pdf shows it (for the club's export)."""
    from .export import build_pdf  # fpdf is loaded only when a PDF is made

    ctx = report_context(club)
    ctx["open"] = open_states(ctx["states"])
    ctx["evidence"] = club_evidence(club)
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
    declare(
        ItemEvidence, category="checklist", on_user_delete=_former_member_evidence, on_club_delete=_delete_club_evidence
    )
    declare_club_file(
        "datenschutz-selbstcheck.pdf", _l("der Datenschutz-Selbstcheck als PDF"), lambda club: report_pdf(club)
    )
    declare_club_file(
        "nachweise/",
        _l("die Dateien, die der Verein als Nachweise zum Selbstcheck hochgeladen hat (ein Ordner je Frage)"),
        lambda club: export_files(club),
    )
