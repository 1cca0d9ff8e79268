"""The tenancy loader runs on every club request: club and membership come in one statement, and on a club
page together with the account (the user loader's statement)."""

from __future__ import annotations

from app.clubs.services import account_club_and_membership, club_and_membership
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


def test_a_club_page_reads_account_club_and_membership_in_one_statement(app, roles, client_for, count_queries):
    app.config["PAGE_CACHE_SECONDS"] = 0  # no store: nothing kept, every request reads
    client = client_for(roles.member)
    slug = roles.club.slug
    client.get(f"/c/{slug}/")
    db.session.expire_all()
    with count_queries() as q:
        assert client.get(f"/c/{slug}/").status_code == 200
    statements = [s.replace('"', "").lstrip() for s in q.statements]  # PostgreSQL quotes "user"
    loading = [s for s in statements if " club" in s and "membership" in s]
    assert len(loading) == 1 and "user.session_token" in loading[0], statements
    assert not any(s.startswith(("SELECT membership.", "SELECT club.")) for s in statements), statements
    assert not any(s.startswith("SELECT user.") and " club" not in s for s in statements), statements


def test_a_stored_club_page_with_a_kept_copy_reads_nothing(roles, client_for, count_queries):
    """The second visit: account, club and membership from the kept copy, the page from the store."""
    client = client_for(roles.member)
    slug = roles.club.slug
    assert client.get(f"/c/{slug}/").status_code == 200  # reads and keeps (the tokens are new: not yet)
    assert client.get(f"/c/{slug}/").status_code == 200  # reads and keeps
    db.session.expunge_all()  # as in a new request: nothing in the session
    with count_queries() as q:
        response = client.get(f"/c/{slug}/")
    assert response.status_code == 200 and roles.club.name in response.get_data(as_text=True)
    assert q.count == 0, q.statements


def test_account_club_and_membership(roles, count_queries):
    token, slug = roles.board.session_token, roles.club.slug
    board_email, outsider = roles.board.email, (roles.outsider.session_token, roles.outsider.email)
    db.session.expunge_all()
    with count_queries() as q:
        account, club, membership = account_club_and_membership(token, slug)
        assert account.email == board_email and club.slug == slug and membership.is_board
        assert membership.club is club and membership.user is account and account.has_two_factor is False
    assert q.count == 1, q.statements
    account, club, membership = account_club_and_membership(outsider[0], slug)
    assert account.email == outsider[1] and club.slug == slug and membership is None
    account, club, membership = account_club_and_membership(token, "gibt-es-nicht")
    assert account.email == board_email and club is None and membership is None
    assert account_club_and_membership("falsch", slug) is None


def test_the_prefetched_club_answers_only_its_own_slug_and_account(roles, client_for):
    """Unknown slug, a club of someone else, an outdated session: the same answers as without the prefetch."""
    client = client_for(roles.member)
    assert client.get(f"/c/{roles.club.slug}/").status_code == 200
    assert client.get("/c/gibt-es-nicht/").status_code == 404
    assert client.get(f"/c/{roles.other_club.slug}/").status_code == 404
    roles.member.session_token = "ersetzt-nach-passwortwechsel"
    db.session.commit()
    response = client.get(f"/c/{roles.club.slug}/")
    assert response.status_code in (302, 303) and "/konto/anmelden" in response.headers["Location"]
