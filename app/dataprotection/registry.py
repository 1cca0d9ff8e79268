"""Which models hold personal data, and what export and deletion do with them.

Every domain declares its own models in its ``personal_data.py`` (called from its
``init_app``); the models of the base domains (accounts, clubs, the audit log) and of this
package are declared in ``app/dataprotection/personal_data.py``. Every mapped class with a
foreign key to ``user`` or ``club`` must be declared (``tests/dataprotection/test_registry.py``
walks all mapped classes and fails on a missing one). A declaration says

- ``category``: the group on the "Meine Daten" page and in the export;
- ``on_user_delete``: ``"delete"`` (rows about the person go), ``"pseudonymise"``
  (the reference becomes NULL, a pseudonym may be kept), ``"keep-with-club"``
  (content stays with the club, shown as "ehemaliges Mitglied"; the FK becomes
  NULL), ``"self"`` (the User row) or a callable ``(user, pseudonym)``;
- ``on_club_delete``: ``"delete"``, ``"pseudonymise"``/``"keep"`` (club FK
  becomes NULL), ``"self"`` (the Club row) or a callable ``(club, pseudonym)``;
- optionally ``user_rows``/``club_rows`` (``(model, subject) -> where clause``)
  when rows belong to a person or club other than through the FK columns, and
  ``user_export``/``club_export`` (``(subject) -> list[dict]``) for a custom
  export, ``exclude`` for columns never exported (secrets);
- ``staff_only``: the whole table is internal to platform staff (e.g. staff notes on a
  club): never part of a club's export; ``staff_only_columns``: single columns of that kind.
  Audit actions that only staff may see are declared with :func:`declare_staff_only_audit`.
  ``tests/dataprotection/test_staff_only.py`` checks every such declaration against the
  club export.

Rows belong to a person only by id: the FK columns, the audit actor and the user-id keys
of :data:`AUDIT_USER_KEYS` in audit details. A ``user_rows`` clause may add e-mail columns
(an invitation to an address), but only through :func:`email_clause`, which matches
confirmed addresses only. Free text is never searched for names or addresses.

Besides models, a domain declares here what else belongs to export, deletion and retention:
:func:`declare_club_file` (a file in a club's export, e.g. the self-check PDF),
:func:`declare_closure_step` (clean-up of a closed club outside our database, e.g. BigBlueButton
recordings) and :func:`declare_retention_rule` (a purge ``flask retention run`` applies).
This module imports no other domain; the domains import it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db

USER_TABLE = "user"
CLUB_TABLE = "club"

USER_ACTIONS = {"delete", "pseudonymise", "keep-with-club", "self"}
CLUB_ACTIONS = {"delete", "pseudonymise", "keep", "self"}

#: Columns that are never exported, whatever the model (secrets, not data about the person) ...
ALWAYS_EXCLUDED = frozenset({"password_hash", "token", "secret", "api_key", "access_token"})
#: ... and any column whose name ends like this (``guest_token``, a future ``session_token``).
SECRET_SUFFIXES = ("token", "secret", "password_hash", "api_key")


def is_secret_column(key: str) -> bool:
    return key in ALWAYS_EXCLUDED or key.endswith(SECRET_SUFFIXES)


@dataclass(frozen=True)
class Policy:
    category: str
    on_user_delete: str | Callable = "delete"
    on_club_delete: str | Callable = "delete"
    exclude: tuple[str, ...] = ()
    user_rows: Callable | None = None
    club_rows: Callable | None = None
    user_export: Callable | None = None
    club_export: Callable | None = None
    note: Any = None  # optional lazy text: what this table holds
    staff_only: bool = False
    staff_only_columns: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.on_user_delete, str) and self.on_user_delete not in USER_ACTIONS:
            raise ValueError(f"unknown on_user_delete {self.on_user_delete!r}")
        if isinstance(self.on_club_delete, str) and self.on_club_delete not in CLUB_ACTIONS:
            raise ValueError(f"unknown on_club_delete {self.on_club_delete!r}")


#: model class -> Policy
PERSONAL_DATA: dict[type, Policy] = {}

#: Audit actions only platform staff see (never in a club's export), e.g. "admin.note_added".
STAFF_ONLY_AUDIT_ACTIONS: set[str] = set()

#: Keys of an audit entry's details that hold the id of a person the entry is about (besides the
#: actor, who is ``actor_id``). Export and deletion find audit entries by these keys and the actor id
#: only; code that records an entry about a person puts that person's id under one of these keys.
AUDIT_USER_KEYS = ("user_id", "invitee_user_id")


def declare(model, policy: Policy | None = None, **kwargs) -> Policy:
    policy = policy or Policy(**kwargs)
    PERSONAL_DATA[model] = policy
    return policy


def declare_staff_only_audit(*actions: str) -> None:
    STAFF_ONLY_AUDIT_ACTIONS.update(actions)


def former_member() -> str:
    """What content shows instead of the name of someone who deleted their account."""
    return _("ehemaliges Mitglied")


# --- beyond the models: club export files, closure steps, retention rules ----------------------


@dataclass(frozen=True)
class ClubFile:
    filename: str
    description: Any  # lazy text for the export's LIESMICH.txt
    build: Callable  # (club) -> bytes or None (left out); a folder (filename ends with "/"): {name: bytes}


@dataclass(frozen=True)
class ClosureStep:
    name: str  # stored with the club's deletion (club_deletion_step.name)
    run: Callable  # (club) -> short result text; raises to be recorded as failed and retried


#: filename -> ClubFile, in the order declared
CLUB_FILES: dict[str, ClubFile] = {}
#: name -> ClosureStep, in the order declared; they run before the club's own data is erased ("data")
CLOSURE_STEPS: dict[str, ClosureStep] = {}
#: key -> (key, label, run) with ``run(dry_run) -> number of records (that would be) deleted``
RETENTION_RULES: dict[str, tuple] = {}


def declare_club_file(filename: str, description, build: Callable) -> None:
    CLUB_FILES[filename] = ClubFile(filename, description, build)


def declare_closure_step(name: str, run: Callable) -> None:
    CLOSURE_STEPS[name] = ClosureStep(name, run)


def declare_retention_rule(key: str, label, run: Callable) -> None:
    RETENTION_RULES[key] = (key, label, run)


# --- introspection ---------------------------------------------------------------


def _fk_columns(model, table_name: str) -> list[sa.Column]:
    table = model.__table__
    return [col for col in table.columns if any(fk.column.table.name == table_name for fk in col.foreign_keys)]


def user_columns(model) -> list[sa.Column]:
    return _fk_columns(model, USER_TABLE)


def club_columns(model) -> list[sa.Column]:
    return _fk_columns(model, CLUB_TABLE)


def is_user_model(model) -> bool:
    return getattr(model, "__tablename__", None) == USER_TABLE


def is_club_model(model) -> bool:
    return getattr(model, "__tablename__", None) == CLUB_TABLE


def mapped_models() -> list[type]:
    """Every mapped class of the app (one per table, in dependency order)."""
    by_table = {}
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__table__", None)
        if table is not None:
            by_table.setdefault(table.name, cls)
    order = {table.name: i for i, table in enumerate(db.metadata.sorted_tables)}
    return sorted(by_table.values(), key=lambda cls: order.get(cls.__table__.name, 0))


def models_with_personal_refs() -> list[type]:
    """Models that reference a person or a club (or are the User/Club tables)."""
    return [m for m in mapped_models() if is_user_model(m) or is_club_model(m) or user_columns(m) or club_columns(m)]


def undeclared_models() -> list[type]:
    return [m for m in models_with_personal_refs() if m not in PERSONAL_DATA]


def declared() -> list[tuple[type, Policy]]:
    """Declared models in dependency order (parents first)."""
    order = {table.name: i for i, table in enumerate(db.metadata.sorted_tables)}
    return sorted(PERSONAL_DATA.items(), key=lambda item: order.get(item[0].__table__.name, 0))


def email_clause(column, user):
    """Rows addressed to the person's e-mail address – only once they have confirmed it.

    An unconfirmed account may have been registered by anyone with someone else's address (a
    club's contact address, an invited person's address): it gets nothing matched by e-mail.
    Exact equality on the normalised address, never a pattern.
    """
    if not user.is_confirmed or not user.email:
        return sa.false()
    return column == user.email


def user_clause(model, policy: Policy, user):
    if policy.user_rows is not None:
        return policy.user_rows(model, user)
    if is_user_model(model):
        return model.id == user.id
    cols = user_columns(model)
    if not cols:
        return None
    return sa.or_(*(col == user.id for col in cols))


def club_clause(model, policy: Policy, club):
    if policy.club_rows is not None:
        return policy.club_rows(model, club)
    if is_club_model(model):
        return model.id == club.id
    cols = club_columns(model)
    if not cols:
        return None
    return sa.or_(*(col == club.id for col in cols))


# --- serialisation -------------------------------------------------------------


def json_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} Bytes>"
    if isinstance(value, (dict, list, str, int, float, bool)) or value is None:
        return value
    return str(value)


def row_dict(obj, policy: Policy | None = None) -> dict:
    excluded = set(policy.exclude if policy else ())
    return {
        col.key: json_value(getattr(obj, col.key))
        for col in obj.__mapper__.column_attrs
        if col.key not in excluded and not is_secret_column(col.key)
    }


def rows_for(model, clause) -> list:
    if clause is None:
        return []
    pk = list(model.__table__.primary_key.columns)
    return list(db.session.scalars(sa.select(model).where(clause).order_by(*pk)))
