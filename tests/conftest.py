"""Shared fixtures.

- The database is migrated once per run with Alembic (SQLite file, or the
  PostgreSQL server in ``DATABASE_URL``) and emptied after every test. Under
  pytest-xdist (``make test`` runs two workers) every worker has its own: its own
  SQLite file, or its own PostgreSQL database ``<name>_gw0``, ``<name>_gw1``, …
  next to the one in ``DATABASE_URL``, created if missing and reset per run.
- ``app`` is made fresh for every test (config changes never leak); ``make_app``
  makes more (changed config, same database).
- Passwords are hashed with scrypt at a low cost (``_cheap_password_hashes``).
- A real SMTP server (aiosmtpd) on loopback receives every mail: ``mailbox``.
- Network guard: tests may only connect to loopback.
- Role fixtures: ``roles`` gives a club with board, member, staff and an
  outsider (member of another club); ``client_for(user)`` a logged-in client.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import threading
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db

PASSWORD = "richtig-langes-passwort"
HX = {"HX-Request": "true"}


# --- network guard -----------------------------------------------------------------

_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket
        return True
    host = address[0]
    return host in ("localhost", "::1") or str(host).startswith("127.")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        raise RuntimeError(f"Test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _network_guard():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


# --- password hashing --------------------------------------------------------------

TEST_SCRYPT = "scrypt:1024:8:1"  # werkzeug's default is scrypt:32768:8:1, about 0.1 s per hash


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """Hash with scrypt at a low cost: still scrypt, checked the same way, but the thousands of accounts the
    fixtures make no longer cost a tenth of a second each. werkzeug's default method is changed on the function
    itself, so every caller gets it (accounts, demo data, the dummy hash that unknown addresses are checked
    against). tests/auth/test_accounts.py checks that outside the tests werkzeug's full cost applies."""
    from werkzeug import security

    defaults = security.generate_password_hash.__defaults__
    assert defaults[0] == "scrypt", f"werkzeug changed generate_password_hash: {defaults!r}"
    security.generate_password_hash.__defaults__ = (TEST_SCRYPT, *defaults[1:])
    yield
    security.generate_password_hash.__defaults__ = defaults


@pytest.fixture
def full_password_cost(_cheap_password_hashes):
    """werkzeug's own password hashing cost, for a test that checks it."""
    from werkzeug import security

    cheap = security.generate_password_hash.__defaults__
    security.generate_password_hash.__defaults__ = ("scrypt", *cheap[1:])
    yield
    security.generate_password_hash.__defaults__ = cheap


# --- database ----------------------------------------------------------------------


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _worker_database(url: str) -> str:
    """Under pytest-xdist: this worker's own database next to the one in ``url`` (created if missing)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", … (unset without xdist)
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    from app.config import normalise_database_url

    url = os.environ.get("DATABASE_URL")
    if url:
        url = _worker_database(normalise_database_url(url))
        _reset_postgres(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    app = create_app(_base_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        _db.engine.dispose()
    return url


def _base_config(url, instance_dir=None) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "BASE_URL": "http://localhost",
        "HUEY_IMMEDIATE": True,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": None,
        "BBB_API_URL": None,
        "MATTERMOST_URL": None,
    }


def _empty_all_tables():
    """Delete every row the test left, children first, and on PostgreSQL start every used sequence at 1 again
    (as TRUNCATE … RESTART IDENTITY did). Only tables with rows are touched (one query finds them): a TRUNCATE
    of every table cost PostgreSQL a tenth of a second per test."""
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        filled = set(
            conn.scalars(
                sa.union_all(
                    *(sa.select(sa.literal(table.name)).where(sa.exists().select_from(table)) for table in tables)
                )
            )
        )
        for table in tables:
            if table.name in filled:
                conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            used = conn.scalars(
                sa.text(
                    "SELECT sequencename FROM pg_sequences "
                    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            ).all()
            if used:  # also those a rolled-back insert advanced
                conn.execute(sa.text("SELECT " + ", ".join(f"setval('\"{name}\"', 1, false)" for name in used)))


@pytest.fixture
def app_config(database_url, smtp_server, tmp_path):
    """The config mapping for ``app``; tests may change it before using ``app``."""
    config = _base_config(database_url)
    # the page store of this test's database (apps made from this config share it, like gunicorn workers)
    config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, PAGE_CACHE_DIR=str(tmp_path / "pages"))
    return config


def _forget_loaded_catalogs():
    """Flask-Babel keeps the catalogs it loaded on the extension object, which every app of the process shares
    (``babel.domain_instance.cache``): the first English catalog loaded would answer for every later app, even
    one with its own BABEL_TRANSLATION_DIRECTORIES (tests/core/test_i18n.py). Each test starts afresh."""
    from app.extensions import babel

    babel.domain_instance.cache.clear()  # (needs an app context)


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    from app.extensions import limiter

    @application.url_value_preprocessor
    def _fresh_g(endpoint, values):
        # The test keeps one app context open, and Flask reuses it for every
        # request: clear ``g`` so no request sees the last one's user or club.
        from flask import g

        for key in list(g):
            g.pop(key)

    with application.app_context():
        limiter.reset()
        _forget_loaded_catalogs()
        yield application
        _forget_loaded_catalogs()
        _db.session.remove()
        _empty_all_tables()
        _db.engine.dispose()  # one app per test: do not leave its connections open


@pytest.fixture
def make_app():
    """Extra apps (changed config, same database); their connections are closed afterwards."""
    apps = []

    def build(config, **kwargs):
        application = create_app(config, **kwargs)
        apps.append(application)
        return application

    yield build
    for application in apps:
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- SMTP ---------------------------------------------------------------------------


class _Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler API
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()

    def forget(self, address: str):
        """Drop the mail to ``address`` (what a fixture's own set-up sent)."""
        with self.lock:
            self.messages[:] = [m for m in self.messages if address not in m["X-Envelope-To"]]

    def to(self, address: str):
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    @staticmethod
    def body(msg) -> str:
        return msg.get_body(("plain",)).get_content()

    def last_body(self) -> str:
        assert self.messages, "no mail was sent"
        return self.body(self.messages[-1])


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = _Mailbox()
    for attempt in range(5):  # another worker may take the free port between the probe and the start
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            if attempt == 4:
                raise
    server = SimpleNamespace(port=port, mailbox=handler)
    yield server
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.clear()
    yield smtp_server.mailbox
    smtp_server.mailbox.clear()


# --- factories ------------------------------------------------------------------------


@pytest.fixture
def make_user(app, smtp_server):
    from app.auth.services import create_user

    def make(email=None, name="Erika Muster", password=PASSWORD, staff=False, confirmed=True, two_factor=None):
        user = create_user(
            email or f"user-{uuid.uuid4().hex[:8]}@example.org", name, password, staff=staff, confirmed=confirmed
        )
        _db.session.commit()
        if two_factor if two_factor is not None else staff:  # staff reach /admin only with two-factor login
            enrol_two_factor(user)
            smtp_server.mailbox.forget(user.email)  # the "two-factor login on" notice belongs to the set-up
        return user

    return make


@pytest.fixture
def make_club(app, make_user):
    from app.clubs.models import ClubStatus, Membership, Role
    from app.clubs.services import change_status, register_club

    def make(name=None, status="approved", board=None, members=(), district="Pankow", legal_form="ev"):
        board = board or make_user(name="Vorstand Person")
        club = register_club(
            board,
            name=name or f"Verein {uuid.uuid4().hex[:6]}",
            legal_form=legal_form,
            district=district,
            contact_email=board.email,
        )
        if status != "pending":
            target = ClubStatus(status)
            if target in (ClubStatus.APPROVED, ClubStatus.SUSPENDED):
                change_status(club, ClubStatus.APPROVED, by=None, notify=False)
            if target is ClubStatus.SUSPENDED:
                change_status(club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
            if target is ClubStatus.REJECTED:
                change_status(club, ClubStatus.REJECTED, by=None, reason="Test", notify=False)
        for user in members:
            _db.session.add(Membership(club_id=club.id, user_id=user.id, role=Role.MEMBER))
        _db.session.commit()
        return club

    return make


def enrol_two_factor(user) -> list[str]:
    """Turn two-factor login on for real, through the service and a code from the secret (as an app would);
    returns the recovery codes. The code is the previous time step's, so logins in the next minute still find
    an unused step (``tests.helpers.totp_code``)."""
    import pyotp

    from app.auth import twofactor

    twofactor.start_enrolment(user)
    totp = pyotp.TOTP(twofactor.pending_secret(user))
    codes = twofactor.confirm_enrolment(user, totp.generate_otp(totp.timecode(datetime.now()) - 1))
    _db.session.refresh(user)
    return codes


def login(client, user):
    """Log ``client`` in as ``user``: the session holds the account's session token (``get_id``), as after
    a real login, so it ends when the token changes."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def client_for(app):
    def make(user):
        return login(app.test_client(), user) if user is not None else app.test_client()

    return make


@pytest.fixture
def roles(make_user, make_club):
    """A club with one board member and one member, a staff user and an outsider."""
    board = make_user(email="vorstand@verein.example", name="Vera Vorstand")
    member = make_user(email="mitglied@verein.example", name="Moritz Mitglied")
    staff = make_user(email="team@plattform.example", name="Tanja Team", staff=True)
    outsider = make_user(email="fremd@anderer.example", name="Otto Fremd")
    club = make_club(name="Imkerverein Pankow", board=board, members=[member])
    other_club = make_club(name="Anderer Verein", board=outsider)
    return SimpleNamespace(club=club, other_club=other_club, board=board, member=member, staff=staff, outsider=outsider)


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...; q.count`` – SQL statements run inside."""

    @contextlib.contextmanager
    def counter():
        result = SimpleNamespace(count=0, statements=[])

        def before(conn, cursor, statement, parameters, context, executemany):
            result.count += 1
            result.statements.append(statement)

        sa.event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield result
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", before)

    return counter


# --- browser ----------------------------------------------------------------------------


@pytest.fixture
def live_server(app, app_config):
    """The app served over HTTP on loopback, with CSRF on (as in production).

    Depends on ``app`` so that test data can be made in the test and the
    tables are emptied once, by ``app``'s teardown, after every session is
    closed (a TRUNCATE waiting on an open read transaction would hang on
    PostgreSQL).
    """
    from tests.browser import LiveServer

    # The browser uses 127.0.0.1 (BASE_URL's host); tests may also reach this app with its test client
    # ("localhost").
    config = dict(app_config, WTF_CSRF_ENABLED=True, BASE_URL="http://127.0.0.1", TRUSTED_HOSTS_EXTRA=("localhost",))
    application = create_app(config)
    server = LiveServer(application)
    application.config["BASE_URL"] = server.url
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(scope="session")
def _browser():
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_browser):
    context = _browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    yield pg
    context.close()


# --- BigBlueButton stand-in (issue 5; also used by other domains) -------------------------


@pytest.fixture
def bbb_standin(app_config):
    """The BBB stand-in on a free loopback port, with the app pointed at it.

    Request it *before* ``app``/``client``/``live_server`` in the test's arguments
    (it edits ``app_config``; an already-made app in context is updated too).
    Exposes ``.calls`` (call log), ``.state`` (knobs: slow, down, fail, malformed,
    algorithms, add_recording), ``.url``, ``.api_url``, ``.secret``.
    """
    from flask import current_app, has_app_context

    from app.integrations.bigbluebutton.standin import StandinServer

    server = StandinServer()
    # werkzeug looks for a shutdown request every poll_interval, 0.5 s by default, which every test using the
    # stand-in paid at its end (StandinServer could pass this itself; it is app code, so it is set here).
    server._thread = threading.Thread(target=server._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    server.start()
    settings = {"BBB_API_URL": server.api_url, "BBB_SECRET": server.secret, "BBB_STATUS_TTL": 5}
    app_config.update(settings)
    if has_app_context():
        current_app.config.update(settings)
    try:
        yield server
    finally:
        server.stop()
