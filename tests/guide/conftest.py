import pytest

from app.extensions import db


@pytest.fixture(autouse=True)
def _empty_search_index(app):
    """The search index is no model, so the suite's table cleanup does not reach it."""
    yield
    from app.guide import search

    db.session.rollback()
    search.clear()
    db.session.commit()


@pytest.fixture
def synced(app):
    from app.guide.services import sync_shipped_content

    sync_shipped_content()
    return app
