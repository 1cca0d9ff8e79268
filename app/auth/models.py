from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.db import UTCDateTime, utcnow
from ..extensions import db, login_manager


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    # Ids are never handed out twice (SQLite would reuse the highest id after a deletion without this).
    __table_args__ = {"sqlite_autoincrement": True}

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


@login_manager.user_loader
def load_user(token: str):
    """The session (or remember-me cookie) holds the account's session token, never its id."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(User).where(User.session_token == token))
