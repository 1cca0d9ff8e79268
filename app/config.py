"""Configuration: class defaults < instance/config.py < environment < test mapping.

Nothing here is read at import time by the rest of the app; ``create_app``
assembles the final mapping.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


class Config:
    APP_NAME = "Vereinsraum"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: sqlite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # PostgreSQL connections are checked without pool_pre_ping: core/db.py
    SQLALCHEMY_RECORD_QUERIES = False

    # Public base URL: every absolute link (mails, calendar feeds, links to share) is built from it alone.
    BASE_URL = "http://127.0.0.1:5000"
    # Host names accepted in the Host header besides BASE_URL's host; any other host gets 400.
    TRUSTED_HOSTS_EXTRA: tuple[str, ...] = ()
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are believed
    # (0: the app is reached directly and those headers are ignored).
    TRUSTED_PROXY_COUNT = 0

    # Sessions: the only cookie we set.
    SESSION_COOKIE_NAME = "vr_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # switched on automatically for https BASE_URL
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    # Largest request body in bytes (Flask/werkzeug answer 413 before reading more). No route takes
    # file uploads; a route that ever needs more sets ``request.max_content_length`` for itself.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Evidence files on checklist items (app/privacy/evidence.py): the largest file (kept below
    # MAX_CONTENT_LENGTH, which applies first) and the folder outside the web root that holds them
    # (empty = <instance>/evidence; one subfolder per club, random file names).
    EVIDENCE_MAX_BYTES = 3 * 512 * 1024
    EVIDENCE_DIR: str | None = None

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    # Mail: no MAIL_SERVER means "print to the console" (development).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "Vereinsraum <noreply@vereinsraum.local>"

    # Rate limiting (Flask-Limiter). Storage: RATELIMIT_STORAGE_URI when set, else REDIS_URL (shared by every
    # app instance), else memory. When Redis is down the limits fall back to per-process memory.
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"  # login attempts per client address
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute; 20 per hour"  # failed logins per account (e-mail address)
    REGISTER_RATE_LIMIT = "10 per hour; 30 per day"  # new accounts per client address (also via invitations)
    MAIL_RATE_LIMIT = "20 per hour"  # per client address on each form that sends account mail
    MAIL_ACCOUNT_RATE_LIMIT = "5 per hour"  # account mails per account / recipient address, all forms together
    INVITATION_RATE_LIMIT = "50 per hour; 200 per day"  # invitations by e-mail per inviting account and address
    MEETINGS_GUEST_RATE_LIMIT = "10 per minute; 50 per hour"
    TWO_FACTOR_RATE_LIMIT = "10 per minute; 50 per hour"  # second-step attempts (code, passkey) per client address
    TWO_FACTOR_ACCOUNT_RATE_LIMIT = "5 per minute; 20 per hour"  # failed second steps per account

    # Two-factor login. The TOTP secrets are encrypted with TOTP_ENCRYPTION_KEY (any long random string), or,
    # when it is empty, with a key derived from SECRET_KEY (then changing SECRET_KEY makes every enrolled
    # authenticator app useless: its owners log in with a recovery code and enrol again).
    TOTP_ENCRYPTION_KEY: str | None = None
    TOTP_ISSUER = "Vereinsraum"  # the name authenticator apps show next to the account
    TWO_FACTOR_LOGIN_MAX_AGE = 300  # seconds between the password and the second step
    # Club directory, "Kontakt aufnehmen": per client address, per sender address, per club written to
    DIRECTORY_CONTACT_RATE_LIMIT = "5 per hour; 20 per day"
    DIRECTORY_CONTACT_SENDER_RATE_LIMIT = "5 per hour; 20 per day"
    DIRECTORY_CONTACT_CLUB_RATE_LIMIT = "20 per day"
    OFFERS_STATUS_MINUTES = 5  # services catalogue: minutes between status checks (in the job queue)

    # Token lifetimes (seconds)
    CONFIRM_TOKEN_MAX_AGE = 3 * 24 * 3600
    RESET_TOKEN_MAX_AGE = 2 * 3600
    INVITATION_DEFAULT_DAYS = 14

    # Platform staff told by e-mail about each new club registration (comma-separated in the environment)
    STAFF_NOTIFY_EMAILS: tuple[str, ...] = ()

    # Background jobs (Huey): Redis when REDIS_URL is set, else the SQLite file HUEY_SQLITE_PATH
    # (default: instance/huey.db). HUEY_IMMEDIATE runs tasks at once, in process (unit tests).
    REDIS_URL: str | None = None
    HUEY_SQLITE_PATH: str | None = None
    HUEY_IMMEDIATE = False
    # /healthz: the worker counts as down when its last heartbeat is older than this (seconds).
    # The consumer writes one at start and every minute (app/core/health.py).
    WORKER_HEARTBEAT_MAX_AGE = 180

    # BigBlueButton and Mattermost (stand-ins are used when unset in development).
    BBB_API_URL: str | None = None
    BBB_SECRET: str | None = None
    BBB_CHECKSUM = "sha256"
    BBB_TIMEOUT = 5.0
    BBB_STATUS_TTL = 5.0  # seconds one getMeetings answer serves every club (shared by all app instances)
    MATTERMOST_URL: str | None = None
    MATTERMOST_TOKEN: str | None = None
    MATTERMOST_TEAM: str | None = None
    MATTERMOST_TIMEOUT = 5.0
    # Create a private channel for every club when staff approve it. None (unset) = on when MATTERMOST_URL is set.
    MATTERMOST_AUTO_PROVISION: bool | None = None
    # The chat server allows permanent deletion over the API (ServiceSettings.EnableAPIChannelDeletion): after a
    # closed club's grace period its provisioned channel is deleted for good instead of staying archived.
    MATTERMOST_DELETE_CHANNELS = False
    # Chat sync ops (chat_op): one attempt may take this long before it counts as crashed (its worker
    # killed) and runs again; the periodic sweep that picks such ops up runs every CHAT_SWEEP_MINUTES.
    CHAT_OP_LEASE_SECONDS = 600
    CHAT_SWEEP_MINUTES = 5
    # The platform-wide community channel (a private channel in MATTERMOST_TEAM, created by the bot when the first
    # person joins or by ``flask chat community``): its name (URL part) and the name people see.
    COMMUNITY_CHANNEL_NAME = "community"
    COMMUNITY_CHANNEL_DISPLAY_NAME = "Vereinsraum Community"
    # Addresses clubs give us (chat links, webhooks) must be https and resolve to public addresses only
    # (app/core/outbound.py). For an on-premise chat server: allow http, and/or list its private networks
    # (comma-separated CIDRs, e.g. "10.20.0.0/16"). MATTERMOST_URL itself is trusted and needs neither.
    CHAT_ALLOW_HTTP = False
    OUTBOUND_ALLOWED_NETWORKS = ""

    # Extra origins allowed as form-action targets (e.g. the BBB host the
    # "Starten" form redirects to). Filled in by create_app from BBB_API_URL.
    CSP_FORM_ACTION_EXTRA: tuple[str, ...] = ()

    # Retention periods (AUDIT_RETENTION_DAYS, WORKSHOP_RETENTION_DAYS, …) have their defaults in one
    # place: app/dataprotection/retention.py (RETENTION_DEFAULTS).
    # Admin statistics dashboard: seconds the aggregates are reused (shared cache; 0 = always fresh).
    ADMIN_STATS_CACHE_SECONDS = 60
    # The workspace page, reused until a change in its club or the site (core/pagecache.py): at most this many
    # seconds (0 = render every time). Shared store: Redis with REDIS_URL, else files in PAGE_CACHE_DIR.
    PAGE_CACHE_SECONDS = 60
    PAGE_CACHE_DIR: str | None = None  # empty = <instance>/cache/pages
    # PostgreSQL: a changed checklist answer (the autosave) commits without waiting for the disk flush; a crash of
    # the database server may lose its last fraction of a second of such saves, as SQLite's synchronous=NORMAL may
    # (privacy/services.py, _save_at_once). False: every save waits for the flush.
    CHECKLIST_ASYNC_COMMIT = True

    # Static files: the build made by ``flask assets`` (hashed names, .gz/.br); empty = <project>/build/static.
    # Without a build, Flask serves app/static directly (development).
    STATIC_BUILD_DIR: str | None = None

    # `flask backup` / `flask restore` on PostgreSQL: folder of pg_dump/pg_restore (empty = from PATH).
    PG_BIN_DIR: str | None = None


#: Settings taken from the environment, with their type.
ENV_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "BASE_URL": str,
    "TRUSTED_HOSTS_EXTRA": tuple,
    "TRUSTED_PROXY_COUNT": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_DEFAULT_SENDER": str,
    "RATELIMIT_STORAGE_URI": str,
    "LOGIN_RATE_LIMIT": str,
    "LOGIN_ACCOUNT_RATE_LIMIT": str,
    "REGISTER_RATE_LIMIT": str,
    "MAIL_RATE_LIMIT": str,
    "MAIL_ACCOUNT_RATE_LIMIT": str,
    "INVITATION_RATE_LIMIT": str,
    "REDIS_URL": str,
    "MAX_CONTENT_LENGTH": int,
    "HUEY_SQLITE_PATH": str,
    "BBB_API_URL": str,
    "BBB_SECRET": str,
    "BBB_CHECKSUM": str,
    "BBB_TIMEOUT": float,
    "BBB_STATUS_TTL": float,
    "MEETINGS_GUEST_RATE_LIMIT": str,
    "TWO_FACTOR_RATE_LIMIT": str,
    "TWO_FACTOR_ACCOUNT_RATE_LIMIT": str,
    "TOTP_ENCRYPTION_KEY": str,
    "TOTP_ISSUER": str,
    "TWO_FACTOR_LOGIN_MAX_AGE": int,
    "INVITATION_DEFAULT_DAYS": int,
    "WORKER_HEARTBEAT_MAX_AGE": int,
    "STATIC_BUILD_DIR": str,
    "PG_BIN_DIR": str,
    "DATA_EXPORT_DIR": str,
    "EVIDENCE_MAX_BYTES": int,
    "EVIDENCE_DIR": str,
    "WORKSHOP_REMINDER_HOURS": int,
    "CONSULTATION_SLOT_MINUTES": int,
    "PRIVACY_CONTROLLER": str,
    "AGREEMENT_OPERATOR_NAME": str,
    "AGREEMENT_OPERATOR_ADDRESS": str,
    "AGREEMENT_OPERATOR_CONTACT": str,
    "AGREEMENT_HOSTING_PROVIDER": str,
    "AGREEMENT_BBB_PROVIDER": str,
    "AGREEMENT_MATTERMOST_PROVIDER": str,
    "AGREEMENT_MAIL_PROVIDER": str,
    "AGREEMENT_BACKUP_DAYS": int,
    "CONTENT_REVIEW_MONTHS": int,
    "MATTERMOST_URL": str,
    "MATTERMOST_TOKEN": str,
    "MATTERMOST_TEAM": str,
    "MATTERMOST_TIMEOUT": float,
    "MATTERMOST_AUTO_PROVISION": bool,
    "MATTERMOST_DELETE_CHANNELS": bool,
    "CHAT_ALLOW_HTTP": bool,
    "CHAT_OP_LEASE_SECONDS": int,
    "CHAT_SWEEP_MINUTES": int,
    "COMMUNITY_CHANNEL_NAME": str,
    "COMMUNITY_CHANNEL_DISPLAY_NAME": str,
    "OUTBOUND_ALLOWED_NETWORKS": str,
    "SESSION_COOKIE_SECURE": bool,
    "AUDIT_RETENTION_DAYS": int,
    "WORKSHOP_RETENTION_DAYS": int,
    "RETENTION_UNCONFIRMED_ACCOUNT_DAYS": int,
    "RETENTION_EXPIRED_INVITATION_DAYS": int,
    "CLUB_DELETION_GRACE_DAYS": int,
    "DATA_EXPORT_EXPIRY_HOURS": int,
    "ADMIN_STATS_CACHE_SECONDS": int,
    "PAGE_CACHE_SECONDS": int,
    "PAGE_CACHE_DIR": str,
    "CHECKLIST_ASYNC_COMMIT": bool,
    "STAFF_NOTIFY_EMAILS": tuple,
    "DIRECTORY_CONTACT_RATE_LIMIT": str,
    "DIRECTORY_CONTACT_SENDER_RATE_LIMIT": str,
    "DIRECTORY_CONTACT_CLUB_RATE_LIMIT": str,
    "DIRECTORY_CONTACT_RETENTION_DAYS": int,
    "TOOLKIT_REQUEST_RETENTION_DAYS": int,
    "OFFERS_STATUS_MINUTES": int,
}


def _coerce(kind: type, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on", "ja"}
    if kind is tuple:  # a comma-separated list
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return kind(raw)


def env_overrides(environ=os.environ) -> dict:
    values = {key: _coerce(kind, environ[key]) for key, kind in ENV_SETTINGS.items() if environ.get(key)}
    if environ.get("DATABASE_URL"):
        values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    return values


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_secret_key(instance_path: str) -> str:
    """Read instance/secret_key, creating it once with a random value."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
