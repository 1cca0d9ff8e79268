from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.db import UTCDateTime, utcnow
from ..extensions import db, login_manager


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    email_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    is_staff: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    memberships = so.relationship(
        "Membership", back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

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
def load_user(user_id: str):
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None
