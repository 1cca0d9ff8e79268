"""Fixtures for the Datenschutz-Selbstcheck tests."""

from __future__ import annotations

import pytest

from app.extensions import db


@pytest.fixture
def content(app):
    """The shipped checklist, loaded as version 1."""
    from app.privacy.content import read_file, sync

    sync()
    return read_file()


@pytest.fixture
def set_profile():
    """Give a club a completed profile: ``set_profile(club, website=False, ...)`` (others True)."""
    from app.core.db import utcnow
    from app.privacy.services import PROFILE_FLAGS, club_assessment, refresh_assessment

    def apply(club, **flags):
        assessment = club_assessment(club)
        profile = {flag: True for flag in PROFILE_FLAGS}
        profile.update(flags)
        assessment.profile = profile
        assessment.profile_done_at = utcnow()
        refresh_assessment(club, assessment)
        db.session.commit()
        return assessment

    return apply


@pytest.fixture
def answer(client_for):
    """POST one answer like the form does: ``answer(user, club, key, "yes", version=0, htmx=True)``."""
    from tests.conftest import HX

    def post(user, club, key, status, version=0, htmx=True, client=None, **fields):
        data = {"status": status or "", "version": str(version), "note": "", "responsible_id": "", "due_date": ""}
        data.update({k: str(v) for k, v in fields.items()})
        client = client or client_for(user)
        return client.post(f"/c/{club.slug}/datenschutz/punkt/{key}", data=data, headers=HX if htmx else {})

    return post
