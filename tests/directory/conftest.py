from __future__ import annotations

import pytest

from app.directory import services as svc
from app.directory.models import DirectoryTopic
from app.extensions import db


@pytest.fixture
def topics(app):
    """The shipped topic list ({slug: topic})."""
    svc.ensure_default_topics()
    return {t.slug: t for t in db.session.query(DirectoryTopic)}


@pytest.fixture
def list_club(topics):
    """``list_club(club, ["sport"], summary=...)``: the board's listing, switched on."""

    def make(club, topic_slugs=(), summary="Wir machen Sport im Kiez.", listed=True):
        svc.save_listing(
            club,
            listed=listed,
            summary=summary,
            show_website=True,
            topic_ids=[topics[s].id for s in topic_slugs],
            by=None,
        )
        db.session.commit()
        return club

    return make
