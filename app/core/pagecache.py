"""Rendered pages reused until the data behind them changes (the workspace page).

Two parts:

* **Revisions.** Every committed change is noted per *scope*: ``club:<id>`` for a row that belongs to a club
  (it has a ``club_id``; a club row is its own scope) and ``site`` for everything else (content, workshops,
  consultation hours, …). Nothing has to remember to do this: the session's flush hook reads the changed
  objects, and a bulk ``UPDATE``/``DELETE``/``INSERT`` counts as ``site`` (all pages) unless the statement
  names its scopes (``execution_options(revision_scopes=("club:7",))``). A model that never shows on a stored
  page may say so with ``__revision_scopes__ = ()`` (its deletion still counts as ``site``: ON DELETE CASCADE
  may take rows of clubs with it). Scopes noted by a transaction that is rolled back stay noted and are
  renewed with the session's next commit: a needless new token, never a missed one. After the commit each
  touched scope gets a new random token in the shared store, so a page rendered before the change is never
  found again. (After, not before: a page rendered in between from the old rows would otherwise be stored
  under the new token.)
* **Pages.** :func:`cached_page` renders a view once per key and answers from the store afterwards. The key
  holds the request (endpoint, path, htmx headers), the locale, the viewing account (id, name, session token,
  staff flag, second factor, confirmed address), the caller's facets (the membership's role), today's date, a
  digest of the settings and the tokens of the scopes the page reads. The session's CSRF token is cut out
  before storing and put back on every answer. Never stored: a request with flash messages waiting (they
  belong to that one response), one with a query string, and a page whose scopes changed while it rendered.

* **Kept copies.** :func:`keep` and :func:`kept` store a value read from the database under the tokens of the
  scopes it was read from, by the same rules: it is used only while those tokens are unchanged, for at most
  :data:`KEPT_SECONDS` (never while Redis is unreachable), and not kept when a token was renewed after the
  request began or the session holds uncommitted changes. Club pages start from such a copy of the account, the club and the membership
  (clubs/services.py); its scopes are ``account:<id>`` (the account and its second factor) and ``access:<id>``
  (the club row and its memberships), which nothing else reads, so a saved answer does not renew them.

The store is shared by every process that serves the app: Redis when ``REDIS_URL`` is set (the app cache),
otherwise files in ``PAGE_CACHE_DIR`` (default ``instance/cache/pages``), so gunicorn workers on one machine
see each other's tokens. ``PAGE_CACHE_SECONDS`` bounds how long a page is reused (0: never), which also bounds
what no row records: a workshop that started a minute ago, another club newly listed nearby.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import secrets
import tempfile
import time
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..extensions import cache, db

log = logging.getLogger(__name__)

SITE = "site"
#: Stands for the session's CSRF token in a stored page; "<" never comes out of escaped data.
CSRF_PLACEHOLDER = "<vr-csrf-token>"
_PENDING = "vereinsraum.revision_scopes"
_STORE = "vereinsraum.page_store"
_CONFIG = "vereinsraum.config_digest"
#: Tokens live longer than any page; a lost token only means a new one (and a fresh render).
TOKEN_SECONDS = 7 * 24 * 3600
#: Seconds of clock difference allowed between the machines that share a store.
CLOCK_SLACK = 1.0


def club_scope(club_id: int) -> str:
    return f"club:{club_id}"


def access_scope(club_id: int) -> str:
    """Who may enter a club and as what: the club row and its memberships (they also renew :func:`club_scope`).
    Only kept copies read it: the answers and other rows of a club change far more often."""
    return f"access:{club_id}"


def account_scope(user_id: int) -> str:
    """An account's own rows (its login data and second factor); only kept copies read it (see :func:`kept`)."""
    return f"account:{user_id}"


# --- revisions ------------------------------------------------------------------------------------


def scopes_of(obj) -> tuple[str, ...]:
    """The scopes a changed ORM object belongs to."""
    declared = getattr(type(obj), "__revision_scopes__", None)
    if declared is not None:
        return declared(obj) if callable(declared) else tuple(declared)
    club_id = getattr(obj, "club_id", None)
    if isinstance(club_id, int):
        return (club_scope(club_id),)
    return (SITE,)


def touch(session: so.Session, *scopes: str) -> None:
    """Note scopes as changed by this transaction (their tokens change after the commit)."""
    session.info.setdefault(_PENDING, set()).update(scopes)


def _after_flush(session, _context) -> None:
    changed = set()
    for obj in session.new:
        changed.update(scopes_of(obj))
    for obj in session.deleted:  # (see the module's docstring: a deletion never counts as nothing)
        changed.update(scopes_of(obj) or (SITE,))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            changed.update(scopes_of(obj))
    if changed:
        touch(session, *changed)


def _do_orm_execute(state) -> None:
    declared = state.execution_options.get("revision_scopes")
    if declared is not None:  # any statement may declare what it changes (a SELECT with a writing WITH, too)
        touch(state.session, *declared)
    elif state.is_update or state.is_delete or state.is_insert:
        touch(state.session, SITE)


def _before_commit(session) -> None:
    session.flush()  # so the flush hook has seen every change before the commit


def _after_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint: the changes are not visible to others yet
        return
    scopes = session.info.pop(_PENDING, None)
    if scopes and has_app_context():
        try:
            renew(scopes)
        except Exception:  # noqa: BLE001 - the data is committed; pages expire after PAGE_CACHE_SECONDS anyway
            log.exception("could not renew page tokens for %s", sorted(scopes))


def renew(scopes) -> None:
    """Give each scope a new token (pages stored under the old one are never read again)."""
    store = page_store()
    if store is not None:
        store.renew(sorted(scopes))


# --- stores -------------------------------------------------------------------------------------
# A token is "<16 hex>:<unix time of the renewal>". The time lets a page rendered while its scope changed be
# left unstored: its rows may be older than the token (see cached_page).


def _new_token() -> str:
    return f"{secrets.token_hex(8)}:{time.time():017.6f}"


def _token_time(token: str | None) -> float | None:
    try:
        return float(token.split(":", 1)[1])
    except (AttributeError, IndexError, ValueError):
        return None


class CacheStore:
    """Tokens and pages in the app cache (Redis when REDIS_URL is set: shared by every instance)."""

    #: The instances sharing Redis run on several machines, whose clocks differ a little.
    clock_slack = CLOCK_SLACK

    def __init__(self, backend):
        self.backend = backend

    @property
    def degraded(self) -> bool:
        """Redis unreachable: the app cache answers from this process alone (core/cache.py)."""
        return bool(getattr(getattr(self.backend, "cache", None), "degraded", False))

    def tokens(self, scopes):
        keys = [f"rev:{scope}" for scope in scopes]
        values = list(self.backend.get_many(*keys))
        for index, value in enumerate(values):
            if value is None:
                self.backend.add(keys[index], _new_token(), timeout=TOKEN_SECONDS)  # another may be first
                values[index] = self.backend.get(keys[index])
        return values

    def renew(self, scopes):
        self.backend.set_many({f"rev:{scope}": _new_token() for scope in scopes}, timeout=TOKEN_SECONDS)

    def get_page(self, key):
        return self.backend.get(key)

    def set_page(self, key, html, seconds):
        self.backend.set(key, html, timeout=seconds)

    get_kept = get_page

    def set_kept(self, key, entry, seconds):
        self.backend.set(key, entry, timeout=seconds)


class FileStore:
    """Tokens and pages as files in one folder, shared by the processes of one machine (no Redis).

    A token file always holds the same number of bytes and is overwritten in place (one ``pwrite``), so a
    renewal costs microseconds; a reader that catches a half-written token sees a token nobody stored a
    page under, which only means a fresh render. Pages are written to a temporary file and renamed; a page
    older than the reuse time is ignored and, now and then, deleted.
    """

    TOKEN_BYTES = len(_new_token())
    clock_slack = 0.0  # one machine, one clock
    degraded = False

    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)

    def _token_path(self, scope: str) -> str:
        return os.path.join(self.folder, "rev-" + scope.replace(":", "-"))

    def _write_token(self, scope: str) -> str:
        token = _new_token()
        fd = os.open(self._token_path(scope), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, token.encode("ascii"), 0)
        finally:
            os.close(fd)
        return token

    def tokens(self, scopes):
        values = []
        for scope in scopes:
            try:  # (os-level: every club page reads three tokens, a buffered file object cost more than the read)
                fd = os.open(self._token_path(scope), os.O_RDONLY)
                try:
                    raw = os.pread(fd, self.TOKEN_BYTES + 1, 0)
                finally:
                    os.close(fd)
            except FileNotFoundError:
                values.append(self._write_token(scope))
                continue
            values.append(raw.decode("ascii", "replace") if len(raw) == self.TOKEN_BYTES else None)
        return values

    def renew(self, scopes):
        for scope in scopes:
            self._write_token(scope)

    def _page_path(self, key: str) -> str:
        return os.path.join(self.folder, key)

    def _read(self, key: str) -> bytes | None:
        """A stored file's bytes; None when there is none or it is older than the reuse time."""
        seconds = current_app.config["PAGE_CACHE_SECONDS"]
        try:
            fd = os.open(self._page_path(key), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            stat = os.fstat(fd)
            if stat.st_mtime < time.time() - seconds:
                return None
            chunks, size = [], stat.st_size
            while True:  # (a file replaced meanwhile is another inode: this one stays as it was)
                chunk = os.read(fd, max(size, 65536))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        finally:
            os.close(fd)

    def get_page(self, key):
        data = self._read(key)
        try:
            return data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            return None

    def set_page(self, key, html, seconds):
        self._write(key, html.encode("utf-8"), seconds)

    def _write(self, key: str, data: bytes, seconds) -> None:
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, self._page_path(key))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        if secrets.randbelow(64) == 0:
            self.prune(seconds)

    def get_kept(self, key):
        data = self._read(key)
        try:  # (written by this app only, into its own 0700 folder)
            return pickle.loads(data) if data is not None else None
        except (EOFError, pickle.UnpicklingError):
            return None

    def set_kept(self, key, entry, seconds):
        self._write(key, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), seconds)

    def prune(self, seconds):
        """Delete pages and kept copies older than the reuse time (tokens stay: they are tiny)."""
        cutoff = time.time() - seconds
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith(("page-", "kept-", ".tmp-")):
                    with contextlib.suppress(OSError):
                        if entry.stat().st_mtime < cutoff:
                            os.unlink(entry.path)


_listening = False


def _listen() -> None:
    global _listening
    if _listening:
        return
    target = db.session
    sa.event.listen(target, "after_flush", _after_flush)
    sa.event.listen(target, "do_orm_execute", _do_orm_execute)
    sa.event.listen(target, "before_commit", _before_commit)
    sa.event.listen(target, "after_commit", _after_commit)
    _listening = True


# --- pages ----------------------------------------------------------------------------------------


def page_store():
    """The shared store (the Redis-backed app cache, or files on this machine); None when caching is off."""
    app = current_app._get_current_object()
    if app.config.get("PAGE_CACHE_SECONDS", 0) <= 0:
        return None
    store = app.extensions.get(_STORE)
    if store is None:
        if app.config.get("REDIS_URL"):
            store = CacheStore(cache)
        else:
            store = FileStore(app.config.get("PAGE_CACHE_DIR") or os.path.join(app.instance_path, "cache", "pages"))
        app.extensions[_STORE] = store
    return store


def _plain(value) -> bool:
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    return isinstance(value, (tuple, list)) and all(_plain(part) for part in value)


def config_digest(app) -> str:
    """The app's settings as a digest (once per app): a restart with other settings (e.g. a new processing
    agreement) does not reuse pages rendered before. Only plain values count, so every worker of the same
    settings computes the same digest."""
    digest = app.extensions.get(_CONFIG)
    if digest is None:
        plain = sorted((key, repr(value)) for key, value in app.config.items() if _plain(value))
        digest = hashlib.sha256(repr(plain).encode()).hexdigest()[:16]
        app.extensions[_CONFIG] = digest
    return digest


def _viewer() -> tuple:
    if not current_user.is_authenticated:
        return ("anonymous",)
    user = current_user._get_current_object()
    return (
        user.id,
        user.name,
        bool(user.is_staff),
        bool(getattr(user, "has_two_factor", False)),
        user.email_confirmed_at is not None,
        user.session_token,
    )


def page_key(tokens: list, facets: tuple) -> str:
    headers = request.headers
    parts = (
        request.endpoint,
        request.full_path,
        headers.get("HX-Request", ""),
        headers.get("HX-Target", ""),
        headers.get("HX-Boosted", ""),
        headers.get("HX-History-Restore-Request", ""),
        get_locale(),
        *_viewer(),
        *facets,
        date.today(),
        config_digest(current_app),
        *tokens,
    )
    return "page-" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def cached_page(render, *, scopes: tuple[str, ...], facets: tuple = ()) -> str:
    """The page ``render()`` makes, from the store when it was made for the same key before.

    ``scopes``: whose changes make the page stale (``SITE`` is always added). ``facets``: what else about the
    viewer the page shows (e.g. the membership's role). Only for GET views whose HTML depends on nothing but
    the key's parts and the rows of those scopes.

    A page is stored only if no token of its scopes was renewed after this request began (give or take
    :data:`CLOCK_SLACK` seconds when the store is shared between machines): the rows it was rendered from (the club, loaded before the
    view ran) might predate that change, and would then be kept under the new token.
    """
    store = page_store()
    if store is None or request.method != "GET" or request.query_string or session.get("_flashes"):
        return render()  # (a query string: anyone could fill the store with ?1, ?2, …)
    scopes = tuple(dict.fromkeys((SITE, *scopes)))
    try:
        current = store.tokens(scopes)
        key = page_key(current, facets) if None not in current else None
        stored = store.get_page(key) if key else None
    except Exception:  # noqa: BLE001 - a store that fails must not fail the page
        log.exception("page cache unavailable")
        return render()
    if stored is not None:
        return stored.replace(CSRF_PLACEHOLDER, generate_csrf())
    html = render()
    started = g.get("request_started")
    renewed = max((_token_time(token) or float("inf")) for token in current) if key else float("inf")
    if session.get("_flashes") or started is None or renewed >= started - store.clock_slack:
        return html  # a message for this response only, or the rows may predate a token: not stored
    csrf = g.get("csrf_token")  # where Flask-WTF keeps the token it handed out in this request
    try:
        store.set_page(
            key, html.replace(csrf, CSRF_PLACEHOLDER) if csrf else html, current_app.config["PAGE_CACHE_SECONDS"]
        )
    except Exception:  # noqa: BLE001
        log.exception("page cache unavailable")
    return html


# --- kept copies of rows ------------------------------------------------------------------------------
# What every request of a club page reads first (the account, the club, the membership) is kept in the same
# store, under the same tokens as the pages: a copy is used only while no token of the scopes it was read from
# has changed since, and for at most KEPT_SECONDS.


#: Seconds a kept copy is used at most (and never longer than PAGE_CACHE_SECONDS). Short: if an instance loses
#: Redis while renewing a token, the others cannot learn of that change until their copies run out.
KEPT_SECONDS = 10


def _kept_seconds() -> int:
    return min(current_app.config["PAGE_CACHE_SECONDS"], KEPT_SECONDS)


def _kept_key(name: str) -> str:
    return "kept-" + hashlib.sha256(f"{config_digest(current_app)}\x1f{name}".encode()).hexdigest()


def kept(name: str):
    """The value :func:`keep` stored under ``name``, if no token of its scopes (and ``SITE``) was renewed since
    it was read and it is at most :data:`KEPT_SECONDS` old; else None. A failing store, or Redis unreachable,
    means None (the caller reads the database)."""
    store = page_store()
    if store is None or store.degraded:  # (Redis unreachable: tokens of this process only)
        return None
    try:
        entry = store.get_kept(_kept_key(name))
        if entry is None:
            return None
        scopes, tokens, stored_at, value = entry
        if stored_at < time.time() - _kept_seconds():
            return None
        if list(store.tokens(scopes)) != list(tokens):
            return None
    except Exception:  # noqa: BLE001 - the database is still there
        log.exception("kept copies unavailable")
        return None
    return value


def keep(name: str, scopes: tuple[str, ...], value) -> None:
    """Store ``value``, read from the database in this request, for :func:`kept` under the current tokens of
    ``scopes`` (``SITE`` is always added).

    Not stored (the same rule as for pages, :func:`cached_page`): when a token of those scopes was renewed after
    this request began (the rows may predate that change and would be kept under the new token), and when this
    session holds changes not yet committed (the rows read may be its own).
    """
    store = page_store()
    started = g.get("request_started")
    if store is None or started is None or store.degraded:
        return
    session = db.session
    if session.info.get(_PENDING) or session.new or session.dirty or session.deleted:
        return
    scopes = tuple(dict.fromkeys((SITE, *scopes)))
    try:
        tokens = store.tokens(scopes)
        if None in tokens:
            return
        if max(_token_time(token) or float("inf") for token in tokens) >= started - store.clock_slack:
            return
        store.set_kept(_kept_key(name), (scopes, list(tokens), time.time(), value), _kept_seconds())
    except Exception:  # noqa: BLE001
        log.exception("kept copies unavailable")


def _note_start() -> None:
    g.request_started = time.time()


def init_app(app) -> None:
    _listen()
    app.before_request_funcs.setdefault(None, []).insert(0, _note_start)  # before any row is read
