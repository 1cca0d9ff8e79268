"""The workspace view (the page with its inline panels, plus the two panels it loads lazily) runs a fixed
number of SQL statements, however many members the club has and however many checklist items it answered.

The page is stored after its first render (core/pagecache.py): the render path is measured with the store
off, and a stored page separately."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Membership, Role
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import HX

#: Statements of the workspace page itself (account, club and membership; assessment, content version and
#: answers; guide chapters and templates in one light query; workshops; consultation date; first steps); the
#: bench rests on it.
PAGE_BUDGET = 6


def _add_members(club, count: int) -> None:
    now = utcnow()
    tag = uuid.uuid4().hex[:6]
    rows = [
        {
            "email": f"m{i}-{tag}@example.org",
            "name": f"Mitglied {i:04d}",
            "password_hash": "x",
            "session_token": uuid.uuid4().hex,
            "created_at": now,
        }
        for i in range(count)
    ]
    db.session.execute(sa.insert(User), rows)
    ids = db.session.scalars(sa.select(User.id).where(User.email.like(f"%-{tag}@example.org"))).all()
    db.session.execute(
        sa.insert(Membership),
        [{"club_id": club.id, "user_id": uid, "role": Role.MEMBER, "created_at": now} for uid in ids],
    )
    db.session.commit()


def _answer_every_item(club, user) -> int:
    from app.privacy.models import Answer
    from app.privacy.services import current_items

    items = current_items()
    statuses = ("yes", "no", "partial")
    db.session.execute(
        sa.insert(Answer),
        [
            {
                "club_id": club.id,
                "item_key": item.key,
                "status": statuses[n % 3],
                "note": "Notiz",
                "responsible_id": user.id,
                "item_hash": item.content_hash,
                "version": 1,
                "updated_at": utcnow(),
                "updated_by_id": user.id,
            }
            for n, item in enumerate(items)
        ],
    )
    db.session.commit()
    return len(items)


def _full_view(client, slug, count_queries):
    """Statements of the page, and of the page plus the lazy panels (as the browser loads them)."""
    db.session.expire_all()  # the tests share one session: each measurement starts like a new request
    with count_queries() as page:
        response = client.get(f"/c/{slug}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with count_queries() as lazy:
        for endpoint in ("konferenzen", "chat"):
            assert client.get(f"/c/{slug}/{endpoint}/", headers=HX).status_code == 200
    return page, page.count + lazy.count, html


def test_workspace_view_statements_do_not_grow_with_members_or_answers(app, roles, client_for, count_queries):
    from app.privacy.content import sync

    app.config["PAGE_CACHE_SECONDS"] = 0  # every request renders (the path a changed club takes)
    from app.privacy.services import PROFILE_FLAGS, club_assessment, refresh_assessment

    sync()
    assessment = club_assessment(roles.club)
    assessment.profile = {flag: True for flag in PROFILE_FLAGS}
    assessment.profile_done_at = utcnow()
    refresh_assessment(roles.club, assessment)
    db.session.commit()
    _add_members(roles.club, 8)  # 10 members with board and member
    slug, board_id = roles.club.slug, roles.board.id
    client = client_for(roles.board)
    assert client.get(f"/c/{slug}/").status_code == 200  # warm-up (content, templates)

    small_page, small, html = _full_view(client, slug, count_queries)
    assert 'id="privacy-panel"' in html and 'id="guide-panel"' in html and 'id="workshops-panel"' in html
    assert "noch nicht begonnen" in html.lower()  # the self-check panel is in the page, not loaded later
    assert html.count('hx-trigger="load"') == 2  # only meetings and chat load lazily

    _add_members(roles.club, 990)  # 1,000 members
    large_page, large, _html = _full_view(client, slug, count_queries)

    answered = _answer_every_item(roles.club, db.session.get(User, board_id))
    assert answered >= 35
    refresh_assessment(roles.club, club_assessment(roles.club))
    db.session.commit()
    full_page, full, html = _full_view(client, slug, count_queries)
    assert f"{answered} von {answered} Fragen beantwortet" in html  # the answers are really there

    def listing(q):
        return "\n".join(s[:70] for s in q.statements)

    assert small_page.count == large_page.count == full_page.count, listing(small_page) + "\n---\n" + listing(full_page)
    assert small == large == full
    assert small_page.count <= PAGE_BUDGET, listing(small_page)


def test_club_states_are_computed_once_per_workspace_view(app, roles, client_for, monkeypatch):
    """The self-check panel, the guide's suggestions and the workshops panel share one computation."""
    from app.privacy import services
    from app.privacy.content import sync

    app.config["PAGE_CACHE_SECONDS"] = 0  # every request renders

    sync()
    db.session.commit()
    calls = []
    original = services._states
    monkeypatch.setattr(services, "_states", lambda *args: calls.append(1) or original(*args))
    client = client_for(roles.board)
    assert client.get(f"/c/{roles.club.slug}/").status_code == 200
    assert len(calls) == 1
    assert client.get(f"/c/{roles.club.slug}/").status_code == 200
    assert len(calls) == 2  # per request: the next one computes afresh


#: A stored workspace page: the account (session check) and the club with the membership (access), nothing else.
STORED_PAGE_BUDGET = 2


def test_a_stored_workspace_page_costs_two_statements_and_the_same_html(roles, client_for, count_queries):
    import re

    from app.privacy.content import sync

    sync()
    db.session.commit()
    _add_members(roles.club, 20)
    client, home = client_for(roles.board), f"/c/{roles.club.slug}/"
    first = client.get(home).get_data(as_text=True)
    db.session.expire_all()
    with count_queries() as stored:
        response = client.get(home)
    second = response.get_data(as_text=True)
    assert stored.count <= STORED_PAGE_BUDGET, "\n".join(s[:70] for s in stored.statements)
    tokens = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+"')
    assert tokens.sub(r"\1…", first) == tokens.sub(r"\1…", second)
    assert 'id="privacy-panel"' in second and "Imkerverein Pankow" in second
