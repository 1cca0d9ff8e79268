from __future__ import annotations

import functools
import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.db import UTCDateTime, utcnow
from ..core.pagecache import SITE, account_scope
from ..core.tenancy import load_account
from ..extensions import db, login_manager


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    # Ids are never handed out twice (SQLite would reuse the highest id after a deletion without this).
    __table_args__ = {"sqlite_autoincrement": True}

    def __revision_scopes__(self) -> tuple[str, ...]:
        """A change to an account renews only its own scope (core/pagecache.py): the kept copy of account, club
        and membership that club pages start from reads it; a stored page holds its viewer's account in its key
        (name, confirmation, second factor, session). A deleted account also renews ``site``: the database
        empties or deletes rows of other scopes with it (memberships, responsible persons)."""
        session = so.object_session(self)  # (the flush hook runs before the session marks it deleted)
        if (session is not None and self in session.deleted) or sa.inspect(self).was_deleted:
            return (account_scope(self.id), SITE)
        return (account_scope(self.id),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # What the session and the remember-me cookie hold instead of the id (Flask-Login's get_id). A new value
    # ends every session of the account: password change or reset, e-mail change, "Überall abmelden".
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_session_token)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    email_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    is_staff: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    # ``memberships`` (the person's Membership rows) is added by app.clubs (Membership.user's backref).

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def get_id(self) -> str:
        return self.session_token

    def end_sessions(self) -> None:
        """Log the account out everywhere: sessions and remember-me cookies hold the old token."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def confirm_email(self) -> None:
        if self.email_confirmed_at is None:
            self.email_confirmed_at = utcnow()

    @property
    def has_two_factor(self) -> bool:
        """Two-factor login is on (a confirmed TOTP secret). Every session of such an account passed the second
        step: enrolment rotates the session token (the enrolling browser stays logged in, all others end)."""
        totp = self.totp
        return totp is not None and totp.confirmed_at is not None


class TotpSecret(db.Model):
    """The account's TOTP secret (RFC 6238), encrypted; ``confirmed_at`` is set by the first valid code."""

    __tablename__ = "user_totp"

    def __revision_scopes__(self) -> tuple[str, ...]:
        """The second factor belongs to its account's scope (the kept copy of the account holds whether it is on)."""
        return (account_scope(self.user_id),)

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    #: Fernet token of the base32 secret (key: TOTP_ENCRYPTION_KEY, else derived from SECRET_KEY).
    encrypted_secret: so.Mapped[str] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: The last time step whose code was accepted: a code is never taken twice (replay), nor an older one.
    last_used_step: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")

    user = so.relationship(User, backref=so.backref("totp", uselist=False, passive_deletes=True))


class RecoveryCode(db.Model):
    """A single-use recovery code, stored as a keyed hash only (shown once, at creation)."""

    __tablename__ = "recovery_code"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential (passkey) of the account: another way to give the second factor."""

    __tablename__ = "passkey"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    credential_id: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(1024), unique=True)
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(2048))
    sign_count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


@login_manager.user_loader
def load_user(token: str):
    """The session (or remember-me cookie) holds the account's session token, never its id."""
    if not token or len(token) > 64:
        return None
    # with its TOTP row: staff pages and board actions ask ``has_two_factor`` on every request; on a club page
    # together with the club and the membership (core/tenancy.py, registered by the clubs domain)
    return load_account(token, lambda: _account(db.session.execute(account_query(), {"token": token}).first()))


@functools.cache
def account_query():
    """The account with the session token ``:token`` as every request loads it: ``(User, TotpSecret or None)``,
    one outer join (cheaper than an eager-loading option); :func:`account_from` makes the pair one account.
    Built once (building a statement costs more than running this one)."""
    return (
        sa.select(User, TotpSecret)
        .select_from(User)
        .outerjoin(TotpSecret, TotpSecret.user_id == User.id)
        .where(User.session_token == sa.bindparam("token"))
    )


def account_from(user: User, totp: TotpSecret | None) -> User:
    so.attributes.set_committed_value(user, "totp", totp)  # no second query for ``has_two_factor``
    return user


def _account(row) -> User | None:
    return account_from(row[0], row[1]) if row is not None else None
