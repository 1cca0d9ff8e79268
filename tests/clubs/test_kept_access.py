"""The kept copy of account, club and membership (clubs/services.py, core/pagecache.py ``kept``).

A club page starts from the copy instead of a statement. Every test here first makes sure the copy is in use,
then changes what a copy must never outlive, the way the app changes it (a session object and a commit), and
checks that the very next request sees the change.
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from app.auth.models import TotpSecret, User
from app.clubs.models import ClubStatus, Membership, Role
from app.extensions import db


def _kept_files(app) -> list[str]:
    folder = app.config["PAGE_CACHE_DIR"]
    return [os.path.join(folder, name) for name in os.listdir(folder) if name.startswith("kept-")]


def _loads_access(count_queries, client, path):
    """(status, whether the request read account, club and membership from the database)."""
    db.session.expunge_all()  # as in a new request
    with count_queries() as q:
        status = client.get(path).status_code
    statements = [s.replace('"', "") for s in q.statements]
    return status, any("user.session_token = " in s for s in statements)  # the loader finds the account by token


def _membership(user_id: int, club_id: int) -> Membership:
    return db.session.scalar(sa.select(Membership).where(Membership.user_id == user_id, Membership.club_id == club_id))


def _warm(count_queries, client, path, status=200):
    """Visit until the kept copy is used: a visit reads and keeps it, unless a token it needs is made only
    then (a copy is never kept under a token newer than its request)."""
    client.get(path)
    client.get(path)
    assert _loads_access(count_queries, client, path) == (status, False)


def test_the_copy_is_used_and_holds_no_credential(app, roles, client_for, count_queries):
    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    board = db.session.get(User, roles.board.id)
    secrets_of_the_account = [board.session_token, board.password_hash]
    totp = db.session.get(TotpSecret, board.id)
    if totp is not None:
        secrets_of_the_account.append(totp.encrypted_secret)
    files = _kept_files(app)
    assert files
    for name in files:
        with open(name, "rb") as handle:
            raw = handle.read()
        for secret in secrets_of_the_account:
            assert secret.encode() not in raw and secret not in name


def test_a_new_session_token_ends_the_old_session_at_once(roles, client_for, count_queries):
    """Password change, reset, e-mail change and "Überall abmelden" give the account a new session token."""
    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    db.session.get(User, roles.member.id).end_sessions()
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_a_removed_member_is_out_at_once(roles, client_for, count_queries):
    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    membership = _membership(roles.member.id, roles.club.id)
    db.session.delete(membership)
    db.session.commit()
    assert client.get(path).status_code == 404


def test_a_board_member_made_member_loses_board_pages_at_once(roles, client_for, count_queries):
    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/mitglieder/"
    _warm(count_queries, client, path)
    membership = _membership(roles.board.id, roles.club.id)
    membership.role = Role.MEMBER
    db.session.commit()
    assert client.get(path).status_code == 403


def test_a_suspended_club_refuses_changes_at_once(roles, client_for, count_queries):
    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    club = db.session.get(type(roles.club), roles.club.id)
    club.status = ClubStatus.SUSPENDED
    db.session.commit()
    response = client.post(f"/c/{roles.club.slug}/erste-schritte/ausblenden", data={})
    assert response.status_code == 403
    assert "gesperrt" in response.get_data(as_text=True)


def test_a_required_second_factor_applies_at_once(roles, client_for, count_queries):
    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/mitglieder/"
    _warm(count_queries, client, path)
    club = db.session.get(type(roles.club), roles.club.id)
    club.board_two_factor_required = True
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 303 and "/konto/zwei-faktor" in response.headers["Location"]


def test_a_deleted_account_is_out_at_once(roles, client_for, count_queries):
    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    db.session.delete(db.session.get(User, roles.member.id))
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_one_accounts_copy_never_serves_another(roles, client_for, count_queries):
    board, member, outsider = client_for(roles.board), client_for(roles.member), client_for(roles.outsider)
    path = f"/c/{roles.club.slug}/mitglieder/"
    _warm(count_queries, board, path)
    _warm(count_queries, member, path, status=403)
    for _ in range(2):
        assert board.get(path).status_code == 200
        assert member.get(path).status_code == 403
    assert outsider.get(path).status_code == 404


def test_a_copy_read_while_the_club_changed_is_not_kept(app, roles, client_for, count_queries, monkeypatch):
    """The copy must not outlive a change committed between the read and the keeping: a token renewed after
    the request began means the rows may predate it."""
    from app.core import pagecache

    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/mitglieder/"
    club_id, board_id = roles.club.id, roles.board.id
    real_keep = pagecache.keep

    def keep_after_a_change(name, scopes, value):
        # another request demotes the board member right after this one read the rows
        _membership(board_id, club_id).role = Role.MEMBER
        db.session.commit()
        real_keep(name, scopes, value)

    import app.clubs.services as services

    monkeypatch.setattr(services, "keep", keep_after_a_change)
    client.get(path)  # (its answer: the tests share one session, so this request sees the change too)
    monkeypatch.setattr(services, "keep", real_keep)
    assert _kept_files(app) == []  # read before the change, so not kept
    assert client.get(path).status_code == 403


def test_a_copy_older_than_the_reuse_time_is_not_used(roles, client_for, count_queries, monkeypatch):
    from app.core import pagecache

    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    later = pagecache.time.time() + pagecache.KEPT_SECONDS + 1
    monkeypatch.setattr(pagecache.time, "time", lambda: later)
    assert _loads_access(count_queries, client, path) == (200, True)


def test_a_failing_store_means_the_database(roles, client_for, count_queries, monkeypatch):
    from app.core import pagecache

    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)

    def broken(*args, **kwargs):
        raise OSError("store unavailable")

    monkeypatch.setattr(pagecache.FileStore, "get_kept", broken)
    monkeypatch.setattr(pagecache.FileStore, "set_kept", broken)
    assert _loads_access(count_queries, client, path) == (200, True)


def test_the_shared_cache_store_keeps_copies(app, roles, client_for, count_queries, monkeypatch):
    """With Redis the copies live in the app cache (here the test's cache, same interface): used across
    instances, renewed the same way."""
    from app.core import pagecache
    from app.extensions import cache

    store = pagecache.CacheStore(cache)
    store.clock_slack = 0.0  # (one clock here; the tokens this test makes are only milliseconds old)
    monkeypatch.setitem(app.extensions, "vereinsraum.page_store", store)
    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    db.session.get(User, roles.member.id).end_sessions()
    db.session.commit()
    assert client.get(path).status_code == 302


def test_no_copy_while_redis_is_unreachable(app, roles, client_for, count_queries, monkeypatch):
    """While the app cache answers from its process alone (core/cache.py), another instance's renewal cannot
    be seen: copies are neither used nor kept."""
    from app.core import pagecache
    from app.extensions import cache

    store = pagecache.CacheStore(cache)
    store.clock_slack = 0.0
    monkeypatch.setitem(app.extensions, "vereinsraum.page_store", store)
    client = client_for(roles.member)
    path = f"/c/{roles.club.slug}/"
    _warm(count_queries, client, path)
    monkeypatch.setattr(pagecache.CacheStore, "degraded", property(lambda self: True))
    assert _loads_access(count_queries, client, path) == (200, True)
    assert _loads_access(count_queries, client, path) == (200, True)


def test_the_degraded_flag_comes_from_the_resilient_redis_cache():
    from types import SimpleNamespace

    from app.core.pagecache import CacheStore

    assert CacheStore(SimpleNamespace(cache=SimpleNamespace(degraded=True))).degraded is True
    assert CacheStore(SimpleNamespace(cache=SimpleNamespace(degraded=False))).degraded is False
