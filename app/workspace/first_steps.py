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


def _done(club) -> dict[str, bool]:
    """Which steps are done, read in one statement (the workspace page keeps a fixed number of queries)."""
    profile = sa.exists().where(Assessment.club_id == club.id, Assessment.profile_done_at.is_not(None))
    members = sa.select(sa.func.count(Membership.id)).where(Membership.club_id == club.id).scalar_subquery()
    invited = sa.exists().where(Invitation.club_id == club.id)
    met = sa.exists().where(MeetingRun.club_id == club.id)
    row = db.session.execute(sa.select(profile, members, invited, met)).one()
    return {"profile": bool(row[0]), "invite": (row[1] or 0) > 1 or bool(row[2]), "meeting": bool(row[3])}


def steps(club) -> list[Step]:
    done = _done(club)
    return [
        Step(
            "profile",
            _l("Profil ausfüllen"),
            _l("Ein paar Fragen zu Ihrem Verein: Danach zeigt der Selbstcheck nur, was auf Sie zutrifft."),
            url_for("privacy.profile"),
            done["profile"],
        ),
        Step(
            "invite",
            _l("Vorstand und Ehrenamtliche einladen"),
            _l("Per E-Mail oder mit einem Link, den Sie weitergeben."),
            url_for("members.index") + "#invite",
            done["invite"],
        ),
        Step(
            "meeting",
            _l("Eine Konferenz ausprobieren"),
            _l("Starten Sie den Konferenzraum Ihres Vereins einmal – auch allein."),
            url_for("meetings.panel"),
            done["meeting"],
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
