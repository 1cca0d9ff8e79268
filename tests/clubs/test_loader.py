"""The tenancy loader runs on every club request: club and membership come in one statement."""

from __future__ import annotations

from app.clubs.services import club_and_membership
from app.extensions import db


def test_club_and_membership_in_one_statement(roles, count_queries):
    board, outsider, slug = roles.board, roles.outsider, roles.club.slug
    assert board.id and outsider.id  # loaded (as the request's user is, before the club loader runs)
    db.session.expunge(roles.club)  # not in the identity map: the statement must really load it
    with count_queries() as q:
        club, membership = club_and_membership(slug, board)
        assert club.slug == slug and membership.is_board
        assert membership.club is club and membership.user is board  # set, not loaded again
    assert q.count == 1, q.statements
    with count_queries() as q:
        club, membership = club_and_membership(slug, outsider)
    assert club.slug == slug and membership is None and q.count == 1
    assert club_and_membership("gibt-es-nicht", board) == (None, None)


def test_workspace_page_loads_club_and_membership_once(roles, client_for, count_queries):
    client = client_for(roles.member)
    slug = roles.club.slug
    client.get(f"/c/{slug}/")
    db.session.expire_all()
    with count_queries() as q:
        assert client.get(f"/c/{slug}/").status_code == 200
    assert sum("FROM club" in s and "membership" in s for s in q.statements) == 1
    assert not any(s.lstrip().startswith("SELECT membership.") for s in q.statements), q.statements
