"""Transactions in web requests: reads run outside, the first write opens the transaction, all writes are one.

SQLite's driver begins before the first write by itself; on PostgreSQL ``tune_postgresql`` does the same (and
checks pooled connections without a round trip). Every test here runs on both databases, and checks the same
behaviour on both.
"""

from __future__ import annotations

import contextlib
import socket
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.clubs.models import Club
from app.core import db as core_db
from app.extensions import db


def _in_transaction(dbapi_connection) -> bool:
    info = getattr(dbapi_connection, "info", None)
    if hasattr(info, "transaction_status"):  # psycopg
        return int(info.transaction_status) != 0
    return dbapi_connection.in_transaction  # sqlite3


@contextlib.contextmanager
def _watch_engine(engine):
    """Each statement ``engine`` runs inside, with whether its connection was in a transaction right after it."""
    seen = []

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.lstrip().split(None, 1)[0].upper(), statement, _in_transaction(cursor.connection)))

    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)


def _watch():
    """Each statement run inside, with whether its connection was in a transaction right after it."""
    return _watch_engine(db.engine)


def _club_name(club_id: int) -> str:
    with db.engine.connect() as conn:  # a connection of its own: sees only what was committed
        return conn.execute(sa.select(Club.name).where(Club.id == club_id)).scalar_one()


def test_a_page_that_only_reads_runs_no_transaction(app, roles, client_for):
    client, slug = client_for(roles.board), roles.club.slug
    db.session.remove()  # as in production, the request starts with a session of its own
    with _watch() as seen:
        assert client.get(f"/c/{slug}/").status_code == 200
    assert seen, "the page read nothing"
    assert {verb for verb, _s, _t in seen} == {"SELECT"}
    assert [s for _v, s, in_tx in seen if in_tx] == []  # no BEGIN was sent, so no ROLLBACK is needed


def test_the_first_write_opens_the_transaction_and_every_write_is_in_it(app, roles):
    club_id, other_id = roles.club.id, roles.other_club.id
    db.session.remove()
    with app.test_request_context("/"), _watch() as seen:
        club = db.session.get(Club, club_id)
        other = db.session.get(Club, other_id)
        club.name = "Imkerverein Pankow (neu)"
        db.session.flush()
        other.name = "Anderer Verein (neu)"
        db.session.flush()
        db.session.commit()
    verbs = [(verb, in_tx) for verb, _s, in_tx in seen]
    first_write = next(i for i, (verb, _t) in enumerate(verbs) if verb != "SELECT")
    assert all(not in_tx for _v, in_tx in verbs[:first_write])  # the reads ran outside
    assert verbs[first_write:] == [("UPDATE", True), ("UPDATE", True)]  # both writes in one transaction
    assert _club_name(club_id) == "Imkerverein Pankow (neu)"
    assert _club_name(other_id) == "Anderer Verein (neu)"


def test_a_request_that_fails_after_its_first_write_leaves_nothing(app, roles):
    club_id, other_id = roles.club.id, roles.other_club.id
    db.session.remove()
    with app.test_request_context("/"):
        db.session.get(Club, club_id).name = "Halb geschrieben"
        db.session.flush()  # the first write: the transaction begins here
        db.session.get(Club, other_id).name = "Auch halb"
        db.session.flush()
        db.session.rollback()  # what the error handler does when the view raises
        assert db.session.get(Club, club_id).name == "Imkerverein Pankow"
    assert _club_name(club_id) == "Imkerverein Pankow"
    assert _club_name(other_id) == "Anderer Verein"


def test_savepoints_and_row_locks_run_inside_the_transaction(app, roles):
    club_id, other_id = roles.club.id, roles.other_club.id
    db.session.remove()
    with app.test_request_context("/"), _watch() as seen:
        with db.session.begin_nested():  # SAVEPOINT: only valid inside a transaction
            db.session.get(Club, club_id).name = "Im Sicherungspunkt"
        locked = db.session.execute(sa.select(Club.id).where(Club.id == other_id).with_for_update())
        assert locked.scalar_one() == other_id
        db.session.commit()
    assert _club_name(club_id) == "Im Sicherungspunkt"
    writes = [(verb, in_tx) for verb, _s, in_tx in seen if verb != "SELECT" or " FOR UPDATE" in _s.upper()]
    assert writes[:2] == [("SAVEPOINT", True), ("UPDATE", True)]
    if db.engine.dialect.name == "postgresql":
        # The savepoint's release stays in the request's transaction, and so does the row lock.
        assert writes[2:] == [("RELEASE", True), ("SELECT", True)]
    else:  # SQLite: a savepoint outside BEGIN is a transaction of its own, ended by its release; no row locks
        assert writes[2:] == [("RELEASE", False)]


def test_a_statement_that_is_its_whole_transaction_needs_no_begin(app, roles):
    """``WHOLE_TRANSACTION`` (the checklist save's one statement): with no transaction open it commits by itself
    on PostgreSQL (no BEGIN, no COMMIT round trip); after an earlier write it is part of that transaction."""
    club_id, table = roles.club.id, Club.__table__
    rename = sa.update(table).where(table.c.id == club_id)
    db.session.remove()
    with app.test_request_context("/"):
        db.session.execute(rename.values(name="Ganz allein"), execution_options={core_db.WHOLE_TRANSACTION: True})
        seen_before_commit = _club_name(club_id)
        db.session.commit()
    # SQLite's driver begins before every write, so there the commit publishes it.
    assert seen_before_commit == ("Ganz allein" if db.engine.dialect.name == "postgresql" else "Imkerverein Pankow")
    with app.test_request_context("/"):
        db.session.execute(rename.values(name="Erst dies"))  # the request's first write opens the transaction
        db.session.execute(rename.values(name="Dann das"), execution_options={core_db.WHOLE_TRANSACTION: True})
        assert _club_name(club_id) == "Ganz allein"  # neither is visible before the commit
        db.session.rollback()
    assert _club_name(club_id) == "Ganz allein"  # and both are undone together


def test_another_isolation_level_keeps_the_usual_transaction(app, app_config, roles, make_app, client_for):
    """Reads outside the transaction are only the same reads under READ COMMITTED: an engine configured for a
    stricter level keeps one transaction from the first statement (on PostgreSQL; SQLite as always)."""
    level = "REPEATABLE READ" if db.engine.dialect.name == "postgresql" else "SERIALIZABLE"
    strict = make_app(dict(app_config, SQLALCHEMY_ENGINE_OPTIONS={"isolation_level": level}))
    club_id = roles.club.id
    db.session.remove()
    with strict.test_request_context("/"):
        engine = db.engine
        with _watch_engine(engine) as seen:
            db.session.get(Club, club_id)
        db.session.remove()
    assert len(seen) == 1
    assert seen[0][2] is (db.engine.dialect.name == "postgresql")


def test_jobs_and_commands_keep_the_usual_transaction(app, roles):
    """Outside a request (job consumer, flask commands, migrations) nothing changes: PostgreSQL's driver begins
    with the first statement; SQLite's before the first write."""
    club_id = roles.club.id
    db.session.remove()
    with _watch() as seen:
        db.session.get(Club, club_id)
        db.session.rollback()
    assert len(seen) == 1
    assert seen[0][2] is (db.engine.dialect.name == "postgresql")


@pytest.mark.parametrize(
    ("statement", "plain"),
    [
        ("SELECT club.id FROM club WHERE club.id = %(id)s", True),
        ("  select 1", True),
        ("SELECT club.id FROM club WHERE club.id = %(id)s FOR UPDATE", False),
        ("SELECT club.id FROM club FOR NO KEY UPDATE OF club", False),
        ("SELECT club.id FROM club FOR SHARE", False),
        ("SELECT club.id FROM club FOR KEY SHARE", False),
        ("UPDATE club SET name=%(name)s", False),
        ("INSERT INTO club (name) VALUES (%(name)s) RETURNING club.id", False),
        ("DELETE FROM club", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("WITH gone AS (DELETE FROM club RETURNING id) SELECT count(*) FROM gone", False),
    ],
)
def test_only_a_select_without_row_locks_runs_outside_the_transaction(statement, plain):
    assert core_db._plain_read(statement) is plain


def test_a_socket_with_something_to_read_is_a_closed_connection():
    ours, servers = socket.socketpair()
    try:
        connection = SimpleNamespace(pgconn=SimpleNamespace(socket=ours.fileno()))
        assert core_db._closed_by_server(connection) is False  # idle and quiet: usable
        servers.sendall(b"E")  # the server's last word (FATAL: terminating connection …)
        servers.close()
        assert core_db._closed_by_server(connection) is True
    finally:
        ours.close()


def _backend_pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def test_a_connection_the_server_closed_is_replaced_without_an_error(app, roles, client_for):
    """The server ends pooled connections (a restart, an administrator): the next request opens a new one, no 500."""
    client = client_for(roles.board)
    assert client.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 200
    db.session.remove()
    if db.engine.dialect.name != "postgresql":  # a file database has no server to lose the connection to
        assert client.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 200
        return
    with db.engine.connect() as conn:
        pooled, raw = _backend_pid(conn), conn.connection.dbapi_connection
    killer = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pooled}).scalar_one()
    finally:
        killer.dispose()
    deadline = time.monotonic() + 5
    while not core_db._closed_by_server(raw) and time.monotonic() < deadline:  # the goodbye reaches the socket
        time.sleep(0.02)
    assert client.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 200
    with db.engine.connect() as conn:
        assert _backend_pid(conn) != pooled


def test_a_long_idle_connection_is_pinged_once(app, roles, client_for, monkeypatch):
    client = client_for(roles.board)
    assert client.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 200
    db.session.remove()
    pings = []
    real_ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(c) or real_ping(c))
    assert client.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 200
    assert pings == []  # recently used: no round trip to check it
    if db.engine.dialect.name != "postgresql":
        return
    monkeypatch.setattr(core_db, "POSTGRES_PING_AFTER_IDLE_SECONDS", -1.0)  # every pooled connection is "old"
    db.session.remove()
    assert client.get(f"/c/{roles.club.slug}/datenschutz/").status_code == 200
    assert len(pings) >= 1
