"""Helpers for the meetings tests (the ``bbb_standin`` fixture lives in tests/conftest.py)."""

from urllib.parse import parse_qs, urlsplit

import pytest


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


@pytest.fixture
def meetings(bbb_standin, roles, client_for):
    """Stand-in + club roles + the club's default room, with logged-in clients."""
    from types import SimpleNamespace

    from app.meetings.services import rooms_for

    room = rooms_for(roles.club)[0]
    return SimpleNamespace(
        bbb=bbb_standin,
        roles=roles,
        club=roles.club,
        room=room,
        board=client_for(roles.board),
        member=client_for(roles.member),
        anon=client_for(None),
        base=f"/c/{roles.club.slug}/konferenzen",
    )
