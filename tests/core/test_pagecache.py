"""The workspace page is stored after its first render and reused until its club or the site changes
(core/pagecache.py). Every test here asks: can a stored page ever show something that is no longer true, or
something that belongs to another person?"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import pagecache
from app.extensions import db
from tests.conftest import HX


@pytest.fixture
def renders(monkeypatch):
    """How often the workspace page was really rendered (not answered from the store)."""
    from app.workspace import routes

    calls = []
    original = routes._render_index
    monkeypatch.setattr(routes, "_render_index", lambda: calls.append(1) or original())
    return calls


@pytest.fixture
def content():
    from app.privacy.content import sync

    sync()
    db.session.commit()


def _home(club) -> str:
    return f"/c/{club.slug}/"


def _page(client, club) -> str:
    response = client.get(_home(club))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_second_request_is_answered_from_the_store(roles, client_for, renders, content):
    board = client_for(roles.board)
    first = _page(board, roles.club)
    second = _page(board, roles.club)
    assert len(renders) == 1
    assert "Imkerverein Pankow" in second and 'id="privacy-panel"' in second
    assert re.sub(r'value="[^"]+"', "", first).count("<form") == re.sub(r'value="[^"]+"', "", second).count("<form")


def test_a_saved_answer_shows_on_the_next_page_at_once(roles, client_for, renders, content):
    board = client_for(roles.board)
    assert "0 von" in _page(board, roles.club)
    response = board.post(
        f"/c/{roles.club.slug}/datenschutz/punkt/org-owner",
        data={"status": "yes", "version": "0", "note": "", "responsible_id": "", "due_date": ""},
        headers=HX,
    )
    assert response.status_code == 200
    page = _page(board, roles.club)
    assert "1 von" in page
    assert len(renders) == 2


def test_a_changed_answer_shows_on_the_next_page_at_once(roles, client_for, renders, content):
    """A later save of the answer (the compare-and-set; on PostgreSQL one statement with answer, history and
    score) also renews the club's pages, in a request with a session of its own as in production."""
    board, slug = client_for(roles.board), roles.club.slug

    def save(status, version):
        data = {"status": status, "version": version, "note": "", "responsible_id": "", "due_date": ""}
        response = board.post(f"/c/{slug}/datenschutz/punkt/org-owner", data=dict(data, autosave="1"), headers=HX)
        assert response.status_code == 200

    save("no", "0")
    db.session.remove()
    before = _page(board, roles.club)
    assert _page(board, roles.club) == before and len(renders) == 1  # stored
    db.session.remove()
    save("yes", "1")
    after = _page(board, roles.club)
    assert len(renders) == 2 and after != before


def test_a_change_made_by_another_worker_is_seen(app, app_config, roles, client_for, make_app, renders):
    """Two processes share the store (gunicorn workers): the other one renames the club."""
    board = client_for(roles.board)
    assert "Imkerverein Pankow" in _page(board, roles.club)
    other = make_app(app_config)
    with other.app_context():
        from app.clubs.models import Club

        club = db.session.get(Club, roles.club.id)
        club.name = "Imkerei Pankow-Nord"
        db.session.commit()
        db.session.remove()
    db.session.expire_all()
    page = _page(board, roles.club)
    assert "Imkerei Pankow-Nord" in page and "Imkerverein Pankow" not in page


def test_a_bulk_statement_renews_every_page_unless_it_names_its_club(roles, client_for, renders):
    from app.clubs.models import Club

    board = client_for(roles.board)
    _page(board, roles.club)
    _page(board, roles.club)
    assert len(renders) == 1
    # a statement that names its club renews that club only
    other = roles.other_club.id
    db.session.execute(
        sa.update(Club)
        .where(Club.id == other)
        .values(description="Neu")
        .execution_options(revision_scopes=(pagecache.club_scope(other),))
    )
    db.session.commit()
    _page(board, roles.club)
    assert len(renders) == 1
    # one that does not could have changed anything: every page is rendered again
    db.session.execute(sa.update(Club).where(Club.id == other).values(description="Neuer"))
    db.session.commit()
    _page(board, roles.club)
    assert len(renders) == 2


def test_a_change_on_the_site_renews_the_page(roles, client_for, renders):
    """A row of no club (here a workshop, which every workspace lists) renews every page."""
    from datetime import timedelta

    from app.core.db import utcnow
    from app.workshops.models import Workshop

    board = client_for(roles.board)
    assert "Datenschutz für Kassenwarte" not in _page(board, roles.club)
    db.session.add(
        Workshop(
            title="Datenschutz für Kassenwarte",
            description="Beiträge, Konten, Listen.",
            topic="mitglieder",
            starts_at=utcnow() + timedelta(days=10),
            registration_deadline=utcnow() + timedelta(days=9),
            duration_minutes=90,
            online=True,
            capacity=20,
        )
    )
    db.session.commit()
    assert "Datenschutz für Kassenwarte" in _page(board, roles.club)
    assert len(renders) == 2


def test_pages_belong_to_one_person_and_role(roles, client_for, make_user, renders):
    from app.clubs.models import Membership, Role

    second_board = make_user(name="Bodo Beisitzer")
    db.session.add(Membership(club_id=roles.club.id, user_id=second_board.id, role=Role.BOARD))
    db.session.commit()
    board_page = _page(client_for(roles.board), roles.club)
    member_page = _page(client_for(roles.member), roles.club)
    second_page = _page(client_for(second_board), roles.club)
    assert len(renders) == 3  # nobody got another person's page
    assert "Personen einladen" in board_page and "Personen einladen" not in member_page
    assert "Bodo Beisitzer" not in board_page and "Vera Vorstand" not in second_page
    # a new role is a new page at once
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.user_id == roles.member.id, Membership.club_id == roles.club.id)
    )
    membership.role = Role.BOARD
    db.session.commit()
    assert "Personen einladen" in _page(client_for(roles.member), roles.club)


def test_a_new_session_token_is_a_new_page(roles, client_for, renders):
    """After a password change (new session token) nothing of the old session's page is reused."""
    import secrets

    board = client_for(roles.board)
    _page(board, roles.club)
    roles.board.session_token = secrets.token_urlsafe(32)
    db.session.commit()
    assert client_for(roles.board).get(_home(roles.club)).status_code == 200
    assert len(renders) == 2
    assert board.get(_home(roles.club)).status_code in (302, 303)  # the old session is logged out


def test_a_flash_message_is_shown_once_and_never_stored(roles, client_for, renders):
    board = client_for(roles.board)
    _page(board, roles.club)
    response = board.post(f"/c/{roles.club.slug}/erste-schritte/ausblenden")
    assert response.status_code == 303
    assert "Die ersten Schritte sind ausgeblendet." in _page(board, roles.club)
    assert "Die ersten Schritte sind ausgeblendet." not in _page(board, roles.club)
    before = len(renders)
    _page(board, roles.club)
    assert len(renders) == before  # the page without the message is stored and reused


def test_a_change_just_after_the_club_was_read_is_not_stored_under_the_new_token(
    app_config, roles, client_for, make_app, monkeypatch, renders
):
    """The club is read (access check) before the view asks for the tokens. Another worker renames the club
    in between: the page shows the old name and must not be kept under the token that follows the rename."""
    other = make_app(app_config)
    original = pagecache.FileStore.tokens
    moments = []

    def tokens_after_a_rename(store, scopes):
        if not moments:
            moments.append(1)
            with other.app_context():
                from app.clubs.models import Club

                db.session.get(Club, roles.club.id).name = "Imkerei Pankow-Nord"
                db.session.commit()
                db.session.remove()
        return original(store, scopes)

    monkeypatch.setattr(pagecache.FileStore, "tokens", tokens_after_a_rename)
    board = client_for(roles.board)
    assert "Imkerverein Pankow" in _page(board, roles.club)  # read before the rename: shown, not kept
    db.session.expire_all()
    page = _page(board, roles.club)
    assert "Imkerei Pankow-Nord" in page and "Imkerverein Pankow" not in page
    assert len(renders) == 2


def test_csrf_tokens_are_never_stored_and_a_stored_page_carries_a_working_one(app, roles, client_for, renders):
    app.config["WTF_CSRF_ENABLED"] = True
    board = client_for(roles.board)
    first = _page(board, roles.club)
    page = _page(board, roles.club)
    assert len(renders) == 1
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    stored = "".join(
        Path(entry.path).read_text(encoding="utf-8")
        for entry in os.scandir(app.config["PAGE_CACHE_DIR"])
        if entry.name.startswith("page-")
    )
    assert pagecache.CSRF_PLACEHOLDER in stored
    for seen in (token, re.search(r'"X-CSRFToken": "([^"]+)"', first).group(1)):
        assert seen not in stored
    response = board.post(f"/c/{roles.club.slug}/erste-schritte/ausblenden", data={"csrf_token": token})
    assert response.status_code == 303


def test_a_page_older_than_the_reuse_time_is_rendered_again(app, roles, client_for, renders):
    board = client_for(roles.board)
    _page(board, roles.club)
    old = time.time() - app.config["PAGE_CACHE_SECONDS"] - 1
    for entry in os.scandir(app.config["PAGE_CACHE_DIR"]):
        if entry.name.startswith("page-"):
            os.utime(entry.path, (old, old))
    _page(board, roles.club)
    assert len(renders) == 2
    app.config["PAGE_CACHE_SECONDS"] = 0  # off: every request renders
    _page(board, roles.club)
    _page(board, roles.club)
    assert len(renders) == 4


def test_a_damaged_token_means_a_fresh_render_and_nothing_stored(app, roles, client_for, renders):
    board = client_for(roles.board)
    _page(board, roles.club)
    path = os.path.join(app.config["PAGE_CACHE_DIR"], f"rev-club-{roles.club.id}")
    with open(path, "w") as handle:
        handle.write("abc")  # e.g. half written
    _page(board, roles.club)
    _page(board, roles.club)
    assert len(renders) == 3


def test_a_query_string_is_never_stored(app, roles, client_for, renders):
    """Otherwise anyone could fill the store with ?1, ?2, … (the page shows its own address)."""
    board = client_for(roles.board)
    for n in range(3):
        assert board.get(_home(roles.club) + f"?n={n}").status_code == 200
    assert len(renders) == 3
    assert not [e for e in os.scandir(app.config["PAGE_CACHE_DIR"]) if e.name.startswith("page-")]


def test_a_running_meeting_shows_on_a_stored_page(app, roles, client_for, renders):
    """The banner comes from the meeting status cache, not from a row: its state is part of the key."""
    from app.extensions import cache
    from app.meetings import services

    board = client_for(roles.board)
    assert "Konferenz läuft" not in _page(board, roles.club)
    room = services.rooms_for(roles.club)[0]
    meeting = {"meeting_id": room.meeting_id, "running": True, "create_time": 1}
    cache.set(services._cache_key("all"), (time.time() + 60, ("ok", {room.meeting_id: meeting})))
    assert "Konferenz läuft" in _page(board, roles.club)


def test_the_shared_cache_store_keeps_tokens_and_pages(app):
    """The store used with Redis (here over the app cache of the test, same interface)."""
    from app.extensions import cache

    store = pagecache.CacheStore(cache)
    first = store.tokens(["site", "club:1"])
    assert None not in first and store.tokens(["site", "club:1"]) == first
    store.renew(["club:1"])
    second = store.tokens(["site", "club:1"])
    assert second[0] == first[0] and second[1] != first[1]
    store.set_page("page-x", "<p>x</p>", 60)
    assert store.get_page("page-x") == "<p>x</p>"


def test_a_rolled_back_change_renews_nothing_it_did_not_commit_but_misses_nothing(app, roles, client_for, renders):
    """Scopes of a rolled-back transaction are renewed with the next commit: a needless render, never a
    missed change."""
    board = client_for(roles.board)
    _page(board, roles.club)
    roles.club.description = "verworfen"
    db.session.flush()
    db.session.rollback()
    _page(board, roles.club)
    assert len(renders) == 1  # nothing committed: the page stands


def test_deleting_a_row_of_no_club_renews_every_page(roles, client_for, make_user, renders):
    """An account deleted through the session takes its memberships with it (ON DELETE CASCADE, not seen by
    the session): the deletion itself renews every page, although changes to accounts otherwise renew none."""
    from app.clubs.models import Membership, Role

    leaving = make_user(name="Lena Geht")
    db.session.add(Membership(club_id=roles.club.id, user_id=leaving.id, role=Role.MEMBER))
    db.session.commit()
    board = client_for(roles.board)
    _page(board, roles.club)
    leaving.name = "Lena Bleibt"  # an account's own change: no other page shows it
    db.session.commit()
    _page(board, roles.club)
    assert len(renders) == 1
    db.session.delete(leaving)
    db.session.commit()
    _page(board, roles.club)
    assert len(renders) == 2


def test_a_savepoint_renews_nothing_before_the_transaction_commits(app, roles):
    """A page rendered between a savepoint and the commit would see the old rows under a new token."""
    store = pagecache.page_store()
    scope = pagecache.club_scope(roles.club.id)
    before = store.tokens([scope])
    with db.session.begin_nested():
        roles.club.description = "Im Sicherungspunkt geändert"
    assert store.tokens([scope]) == before  # released, but not committed: others cannot see it yet
    db.session.commit()
    assert store.tokens([scope]) != before


def test_a_change_to_one_club_leaves_the_pages_of_other_clubs_stored(roles, client_for, renders):
    board = client_for(roles.board)
    _page(board, roles.club)
    roles.other_club.description = "Nur bei den anderen"
    db.session.commit()
    _page(board, roles.club)
    assert len(renders) == 1
    roles.club.description = "Bei uns"
    db.session.commit()
    _page(board, roles.club)
    assert len(renders) == 2
