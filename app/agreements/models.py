"""The processing agreement (Art. 28 DSGVO) between each club and the platform operator.

``AgreementVersion`` holds one generated text (German and English sections) under the hash of its
German sections: the configuration decides the text, the text decides the version. A club's board
accepts a version (``AgreementAcceptance``: who and when); a new version asks again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.db import UTCDateTime, utcnow
from ..extensions import db


class AgreementVersion(db.Model):
    __tablename__ = "agreement_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: human label: "Fassung <number>", counted up when the generated text changes
    number: so.Mapped[int] = so.mapped_column(unique=True)
    #: sha256 of the German sections (the binding text)
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: {"de": [{"key", "title", "paragraphs": [...]}], "en": [...]}
    sections: so.Mapped[dict] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]


class AgreementAcceptance(db.Model):
    __tablename__ = "agreement_acceptance"
    __table_args__ = (sa.UniqueConstraint("club_id", "version_id", name="uq_agreement_acceptance_club_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    club_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("club.id", ondelete="CASCADE"), index=True)
    version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("agreement_version.id", ondelete="RESTRICT"), index=True
    )
    #: the board member who accepted (NULL once they deleted their account)
    accepted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    accepted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    version: so.Mapped[AgreementVersion] = so.relationship()
    accepted_by = so.relationship("User")
