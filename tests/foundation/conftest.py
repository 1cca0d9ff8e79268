"""Foundation tests: cheaper password hashing (still scrypt) keeps the many account fixtures fast."""

import functools

import pytest
from werkzeug.security import generate_password_hash


@pytest.fixture(autouse=True)
def _fast_scrypt(monkeypatch):
    import app.auth.models

    monkeypatch.setattr(app.auth.models, "generate_password_hash",
                        functools.partial(generate_password_hash, method="scrypt:1024:8:1"))


@pytest.fixture
def make_app():
    """Extra apps (changed config, same database); their connections are closed afterwards."""
    from app import create_app
    from app.extensions import db

    apps = []

    def build(config, **kwargs):
        application = create_app(config, **kwargs)
        apps.append(application)
        return application

    yield build
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
