"""Database helpers shared by every domain."""

from __future__ import annotations

import enum
import functools
import select
import time
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context
from sqlalchemy.types import TypeDecorator

#: How long a SQLite connection waits for another writer's lock before "database is locked" (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 5000

#: A pooled PostgreSQL connection idle for longer than this is pinged (one round trip) before it is used.
POSTGRES_PING_AFTER_IDLE_SECONDS = 30.0

#: Execution option: this statement is the whole of its transaction (atomic by itself, and the caller commits
#: right after it). In a web request on PostgreSQL it then runs without ``BEGIN``/``COMMIT`` round trips when no
#: transaction is open yet; inside an open transaction it runs there, as any statement.
WHOLE_TRANSACTION = "whole_transaction"

#: Row locks a SELECT can take; such a SELECT must run inside the transaction.
_LOCKING_CLAUSES = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE")


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


def tune_postgresql(engine: sa.Engine) -> None:
    """PostgreSQL without round trips that do no work; nothing happens for other databases.

    **Liveness check without a round trip.** A pooled connection is checked when it is taken from the pool: if
    its socket has something to read while idle, the server has closed it (a restart or a terminated backend
    sends its last message and hangs up), and the pool opens a new connection instead. A connection idle for
    longer than :data:`POSTGRES_PING_AFTER_IDLE_SECONDS` is also pinged (a firewall may have dropped it
    silently). ``pool_pre_ping`` made that round trip on every checkout.

    **The transaction begins at the first write (web requests).** A request's connection runs in autocommit
    until the first statement that is not a plain ``SELECT``; ``BEGIN`` is sent just before that statement
    (an ``INSERT``/``UPDATE``/``DELETE``, a ``SAVEPOINT``, a ``SELECT … FOR UPDATE``), so every write of the
    request is still one transaction, committed or rolled back as a whole. Under PostgreSQL's READ COMMITTED
    every statement sees a fresh snapshot, inside a transaction or not, so reads see the same data as before.
    This is what SQLite's driver already does (it begins before the first write), so both databases behave
    alike. A request that only reads saves ``BEGIN`` and ``ROLLBACK``, and the driver keeps its prepared
    statements (a ``ROLLBACK`` makes psycopg forget them). Jobs, commands and migrations keep the driver's
    usual transactions, and so do requests when the engine is configured for another isolation level
    (``isolation_level`` in ``SQLALCHEMY_ENGINE_OPTIONS``; the server's default is assumed to be READ COMMITTED).
    """
    if engine.dialect.name != "postgresql":
        return
    read_committed = (None, engine.dialect.loaded_dbapi.IsolationLevel.READ_COMMITTED)

    @sa.event.listens_for(engine, "connect")
    def _connected(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        idle = time.monotonic() - record.info.get("idle_since", 0.0)
        try:
            if dbapi_connection.closed or _closed_by_server(dbapi_connection):
                raise sa.exc.DisconnectionError("the server closed the connection")
            if idle > POSTGRES_PING_AFTER_IDLE_SECONDS:
                engine.dialect.do_ping(dbapi_connection)
            # Only under READ COMMITTED do reads outside the transaction see what they would see inside it.
            lazy = has_request_context() and dbapi_connection.isolation_level in read_committed
            dbapi_connection.autocommit = lazy
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError(str(exc)) from exc
        record.info["begin_at_first_write"] = lazy

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _begin_before_first_write(conn, cursor, statement, parameters, context, executemany):
        dbapi_connection = cursor.connection
        if (
            dbapi_connection.autocommit
            and conn.connection.info.get("begin_at_first_write")
            and "isolation_level" not in conn.get_execution_options()  # an explicit AUTOCOMMIT stays so
            and dbapi_connection.info.transaction_status == _IDLE
            and not _plain_read(statement)
            and not (context is not None and context.execution_options.get(WHOLE_TRANSACTION))
        ):
            dbapi_connection.execute("BEGIN", prepare=False)


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open on the connection


def _closed_by_server(dbapi_connection) -> bool:
    """Whether an idle connection's socket is readable: the server said goodbye (or something we never asked for)."""
    poller = select.poll()
    poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


@functools.lru_cache(maxsize=1024)
def _plain_read(statement: str) -> bool:
    """A SELECT that takes no row locks: it may run outside the transaction."""
    if not statement.lstrip()[:6].upper() == "SELECT":
        return False
    upper = statement.upper()
    return not any(clause in upper for clause in _LOCKING_CLAUSES)


def as_loaded(session: so.Session, model, values: dict | None):
    """A session object with these column values (by attribute name), as if a query had just loaded it, without
    one; None for None. The session's own object with that primary key, when it has one, keeps its values and
    takes only those it has expired. Columns left out are unloaded: read from the database on first use.

    For rows read as plain columns (a kept copy, a statement that brings more than one entity's row)."""
    if values is None:
        return None
    mapper, primary_key = _mapper_and_key(model)
    existing = session.identity_map.get(mapper.identity_key_from_primary_key([values[key] for key in primary_key]))
    if existing is not None:
        loaded = existing.__dict__
        for key, value in values.items():
            if key not in loaded:
                so.attributes.set_committed_value(existing, key, value)
        return existing
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    so.make_transient_to_detached(obj)
    session.add(obj)
    return obj


@functools.cache
def _mapper_and_key(model) -> tuple:
    mapper = sa.inspect(model)
    return mapper, tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


def one_row() -> sa.Subquery:
    """``(SELECT 1)``: the start of a statement that returns exactly one row, whether the rows it outer-joins
    exist or not (``select(Entity, …).select_from(one_row()).outerjoin(Entity, …)``: the entity is None)."""
    return sa.select(sa.literal(1).label("one")).subquery("one_row")


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
