import pytest


@pytest.fixture
def staff_client(roles, client_for):
    return client_for(roles.staff)


@pytest.fixture
def assess(app):
    """Give a club an assessment row (privacy domain model) with scores."""
    from app.core.db import utcnow
    from app.extensions import db
    from app.privacy.models import Assessment

    def make(club, score=None, topics=None, consultation=False, started=True):
        row = Assessment(
            club_id=club.id,
            score=score,
            topic_scores=topics or {},
            consultation_wanted=consultation,
            started_at=utcnow() if started else None,
            updated_at=utcnow(),
            profile={},
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture(autouse=True)
def _fresh_statistics(app):
    """Statistics are cached per process in production; tests want fresh numbers unless they say otherwise."""
    app.config["ADMIN_STATS_CACHE_SECONDS"] = 0
