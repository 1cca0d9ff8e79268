"""Personal data of the toolkit (app/dataprotection/registry.py) and its retention rule.

Requests and breaches are the club's records about third parties: they are in the club's export, stay with
the club when the board member who logged them deletes their account (the reference becomes NULL) and go
with the club. A board member's personal export shows only that they logged or closed an entry (type and
dates), never the notes about other people.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..dataprotection.registry import declare, declare_retention_rule, former_member, json_value
from ..extensions import db
from . import services
from .models import Breach, NoticeVersion, RecordVersion, SubjectRequest, ToolkitSettings

_REQUEST_FIELDS = ("id", "kind", "received_on", "due_on", "closed_on", "created_by_id", "closed_by_id", "created_at")
_BREACH_FIELDS = ("id", "discovered_at", "closed_at", "created_by_id", "created_at")


def _own_rows(model, fields, clause) -> list[dict]:
    rows = db.session.scalars(sa.select(model).where(clause).order_by(model.id))
    return [{name: json_value(getattr(row, name)) for name in fields} for row in rows]


def _former_author(user, pseudonym) -> None:
    for model in (RecordVersion, NoticeVersion):
        db.session.execute(
            sa.update(model)
            .where(model.created_by_id == user.id)
            .values(created_by_id=None, author_name=former_member())
        )


def purge(dry_run: bool) -> int:
    """``flask retention run``: closed requests TOOLKIT_REQUEST_RETENTION_DAYS after they were closed."""
    return services.purge_closed_requests(dry_run=dry_run)


def register() -> None:
    declare(
        SubjectRequest,
        category="checklist",
        on_user_delete="keep-with-club",
        on_club_delete="delete",
        user_export=lambda user: _own_rows(
            SubjectRequest,
            _REQUEST_FIELDS,
            sa.or_(SubjectRequest.created_by_id == user.id, SubjectRequest.closed_by_id == user.id),
        ),
    )
    declare(
        Breach,
        category="checklist",
        on_user_delete="keep-with-club",
        on_club_delete="delete",
        user_export=lambda user: _own_rows(Breach, _BREACH_FIELDS, Breach.created_by_id == user.id),
    )
    # The record is the club's paperwork; the author's name is kept with the version (like a signature)
    # and replaced by "ehemaliges Mitglied" when the account is deleted.
    declare(
        RecordVersion,
        category="checklist",
        on_user_delete=_former_author,
        on_club_delete="delete",
        user_export=lambda user: _own_rows(
            RecordVersion, ("id", "number", "author_name", "created_at"), RecordVersion.created_by_id == user.id
        ),
    )
    declare(
        NoticeVersion,
        category="checklist",
        on_user_delete=_former_author,
        on_club_delete="delete",
        user_export=lambda user: _own_rows(
            NoticeVersion, ("id", "kind", "number", "author_name", "created_at"), NoticeVersion.created_by_id == user.id
        ),
    )
    declare(ToolkitSettings, category="checklist", on_user_delete="keep-with-club", on_club_delete="delete")
    declare_retention_rule("toolkit-requests", _l("Abgeschlossene Anfragen betroffener Personen"), purge)
