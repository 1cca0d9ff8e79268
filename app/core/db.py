"""Database helpers shared by every domain."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains ``text``", with ``%``, ``_`` and ``\\`` taken literally (use ``escape="\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def enum_column(enum_cls: type[enum.StrEnum], length: int = 16) -> sa.Enum:
    """The one column type for status values: a ``StrEnum`` stored as its plain value.

    Portable and readable (a VARCHAR of ``length``, no database enum type); loads as the enum's members,
    which compare equal to their string values; unknown values are refused on write.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike.

    Stored as naive UTC (SQLite has no time zones); always returned aware.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
