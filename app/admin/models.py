"""Staff-only data: internal notes on clubs. Plus indexes on foundation tables the
admin queries need (declared here so the admin migration owns them)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..clubs.models import Club, Membership
from ..core.audit import AuditEntry
from ..core.db import UTCDateTime, utcnow
from ..extensions import db
from ..privacy.models import Answer


class StaffNote(db.Model):
    """An internal note by platform staff about a club. Never shown to the club."""

    __tablename__ = "admin_staff_note"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    author = so.relationship("User")


# Indexes on foundation tables, needed by the admin list and the audit log at city scale.
sa.Index("ix_admin_club_created_at", Club.created_at)
sa.Index("ix_admin_club_name", Club.name)
sa.Index("ix_admin_club_district_status", Club.district, Club.status)  # statistics: covering GROUP BY
# The search as you type (name contains …) at 100,000 clubs: on PostgreSQL a trigram index serves ILIKE
# '%…%' (extension pg_trgm, migration 0925); SQLite scans the names, which stays fast at its scale.
sa.Index(
    "ix_admin_club_name_trgm",
    Club.name,
    postgresql_using="gin",
    postgresql_ops={"name": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
# On the privacy domain's answers (migration 0500 depends on privacy's 0100): the dashboard's
# "most common open Pflicht items" becomes one covering index range scan.
sa.Index("ix_admin_privacy_answer_item_status", Answer.item_key, Answer.status)
sa.Index("ix_admin_membership_club_role", Membership.club_id, Membership.role)
sa.Index("ix_admin_audit_club_created", AuditEntry.club_id, AuditEntry.created_at)
