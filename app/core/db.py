"""Database helpers shared by every domain."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

#: How long a SQLite connection waits for another writer's lock before "database is locked" (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 5000


def tune_sqlite(engine: sa.Engine) -> None:
    """SQLite as production SQLite apps run it; nothing happens for other databases.

    Every new connection gets:
    - ``journal_mode=WAL``: readers do not block the writer and the writer does not block readers
      (gunicorn workers, the job consumer); kept in the database file;
    - ``synchronous=NORMAL``: safe with WAL (a power cut may lose the last commits, never corrupt the file),
      without an fsync per commit;
    - ``busy_timeout``: wait up to :data:`SQLITE_BUSY_TIMEOUT_MS` for another writer instead of failing;
    - ``foreign_keys=ON``: SQLite enforces the foreign keys and their ``ON DELETE`` rules, as PostgreSQL does.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()


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
