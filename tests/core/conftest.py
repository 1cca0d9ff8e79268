"""Core tests: cheaper password hashing (still scrypt) keeps the account fixtures fast."""

import functools

import pytest
from werkzeug.security import generate_password_hash


@pytest.fixture(autouse=True)
def _fast_scrypt(monkeypatch):
    import app.auth.models

    monkeypatch.setattr(app.auth.models, "generate_password_hash",
                        functools.partial(generate_password_hash, method="scrypt:1024:8:1"))
