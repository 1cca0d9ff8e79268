"""Fixtures of the toolkit tests: the club's board client and a way to log entries as the board does."""

from __future__ import annotations

import pytest


@pytest.fixture
def board(roles, client_for):
    return client_for(roles.board)


@pytest.fixture
def base(roles):
    return f"/c/{roles.club.slug}/werkzeuge"
