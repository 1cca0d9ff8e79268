"""The workspace's "Erste Schritte" box: three steps for a new club's board, each ticked when done.

The box shows for the board of an approved club until every step is done or the board puts it away
(``Club.first_steps_dismissed_at``: stored with the club, so it stays away on every device and for the
whole board; no cookie). The steps are read from the domains' own records, so a step is ticked however
it was done (from the box or elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from ..clubs.models import Invitation, Membership
from ..core.db import utcnow
from ..extensions import db
from ..meetings.models import MeetingRun
from ..privacy.models import Assessment


@dataclass(frozen=True)
class Step:
    key: str
    label: object
    hint: object
    url: str
    done: bool


def _profile_done(club) -> bool:
    return bool(
        db.session.scalar(
            sa.select(Assessment.id).where(Assessment.club_id == club.id, Assessment.profile_done_at.is_not(None))
        )
    )


def _invited(club) -> bool:
    others = db.session.scalar(sa.select(sa.func.count(Membership.id)).where(Membership.club_id == club.id))
    if (others or 0) > 1:
        return True
    return db.session.scalar(sa.select(Invitation.id).where(Invitation.club_id == club.id).limit(1)) is not None


def _met(club) -> bool:
    return db.session.scalar(sa.select(MeetingRun.id).where(MeetingRun.club_id == club.id).limit(1)) is not None


def steps(club) -> list[Step]:
    return [
        Step(
            "profile",
            _l("Profil ausfüllen"),
            _l("Ein paar Fragen zu Ihrem Verein: Danach zeigt der Selbstcheck nur, was auf Sie zutrifft."),
            url_for("privacy.profile"),
            _profile_done(club),
        ),
        Step(
            "invite",
            _l("Vorstand und Ehrenamtliche einladen"),
            _l("Per E-Mail oder mit einem Link, den Sie weitergeben."),
            url_for("members.index") + "#invite",
            _invited(club),
        ),
        Step(
            "meeting",
            _l("Eine Konferenz ausprobieren"),
            _l("Starten Sie den Konferenzraum Ihres Vereins einmal – auch allein."),
            url_for("meetings.panel"),
            _met(club),
        ),
    ]


def box_for(club, membership) -> list[Step] | None:
    """The steps to show, or None when the box is not shown (members, inactive club, all done, put away)."""
    if membership is None or not membership.is_board or not club.is_active or club.first_steps_dismissed_at:
        return None
    current = steps(club)
    if all(step.done for step in current):
        return None
    return current


def dismiss(club) -> None:
    """Put the box away for the club (a display preference: no audit entry)."""
    if club.first_steps_dismissed_at is None:
        club.first_steps_dismissed_at = utcnow()
        db.session.commit()
