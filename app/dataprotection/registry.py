"""Which models hold personal data, and what export and deletion do with them.

Every mapped class with a foreign key to ``user`` or ``club`` must be declared
here (``tests/dataprotection/test_registry.py`` walks all mapped classes and
fails on a missing one). A declaration says

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
  export, ``exclude`` for columns never exported (secrets).

Other domains may declare their own models with :func:`declare`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

import sqlalchemy as sa

from ..extensions import db

USER_TABLE = "user"
CLUB_TABLE = "club"

USER_ACTIONS = {"delete", "pseudonymise", "keep-with-club", "self"}
CLUB_ACTIONS = {"delete", "pseudonymise", "keep", "self"}

#: Columns that are never exported, whatever the model (secrets, not data about the person).
ALWAYS_EXCLUDED = frozenset({"password_hash", "session_token", "token", "secret", "api_key", "access_token"})


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
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.on_user_delete, str) and self.on_user_delete not in USER_ACTIONS:
            raise ValueError(f"unknown on_user_delete {self.on_user_delete!r}")
        if isinstance(self.on_club_delete, str) and self.on_club_delete not in CLUB_ACTIONS:
            raise ValueError(f"unknown on_club_delete {self.on_club_delete!r}")


#: model class -> Policy
PERSONAL_DATA: dict[type, Policy] = {}


def declare(model, policy: Policy | None = None, **kwargs) -> Policy:
    policy = policy or Policy(**kwargs)
    PERSONAL_DATA[model] = policy
    return policy


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
    return [m for m in mapped_models()
            if is_user_model(m) or is_club_model(m) or user_columns(m) or club_columns(m)]


def undeclared_models() -> list[type]:
    return [m for m in models_with_personal_refs() if m not in PERSONAL_DATA]


def declared() -> list[tuple[type, Policy]]:
    """Declared models in dependency order (parents first)."""
    order = {table.name: i for i, table in enumerate(db.metadata.sorted_tables)}
    return sorted(PERSONAL_DATA.items(), key=lambda item: order.get(item[0].__table__.name, 0))


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
    excluded = ALWAYS_EXCLUDED | set(policy.exclude if policy else ())
    return {col.key: json_value(getattr(obj, col.key)) for col in obj.__mapper__.column_attrs
            if col.key not in excluded}


def rows_for(model, clause) -> list:
    if clause is None:
        return []
    pk = list(model.__table__.primary_key.columns)
    return list(db.session.scalars(sa.select(model).where(clause).order_by(*pk)))
