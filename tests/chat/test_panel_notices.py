"""The chat panel (lazy, cached, safe) and meeting notices; isolation between clubs."""

import pytest
import sqlalchemy as sa

from app.chat import queue, services
from app.chat.models import ChatOp
from app.core.signals import meeting_started
from app.extensions import cache, db
from tests.conftest import HX


def provisioned(club, board, client_for, mm):
    mm.account(board)
    client_for(board).post(f"/c/{club.slug}/chat/einstellungen/anlegen")
    link = services.link_for(club)
    assert link.channel_id
    return link


def panel(client, club, **params):
    response = client.get(f"/c/{club.slug}/chat/", headers=HX, query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_panel_is_a_whole_section_and_the_workspace_loads_it_lazily(roles, client_for, mm):
    html = panel(client_for(roles.member), roles.club)
    assert html.lstrip().startswith('<section class="panel chat-panel" id="chat-panel"') and "<html" not in html
    assert "noch keinen Chat-Kanal" in html
    calls = len(mm.standin.calls)
    page = client_for(roles.member).get(f"/c/{roles.club.slug}/").get_data(as_text=True)
    assert f'hx-get="/c/{roles.club.slug}/chat/"' in page and len(mm.standin.calls) == calls
    full = client_for(roles.member).get(f"/c/{roles.club.slug}/chat/").get_data(as_text=True)
    assert "<html" in full and 'id="chat-panel"' in full


def test_panel_shows_name_links_member_count_and_three_latest_posts(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    author = mm.standin.add_user("anna.schmidt", "anna@example.org")
    for text in ("eins", "zwei", "drei", "vier"):
        mm.standin.add_post(link.channel_id, author["id"], f"Beitrag {text}")
    html = panel(client_for(roles.member), roles.club, refresh="1")
    assert "Imkerverein Pankow" in html and "Im Chat öffnen" in html
    assert f'href="{mm.url}/vereinsraum/channels/imkerverein-pankow"' in html
    assert 'href="mattermost://127.0.0.1:' in html
    assert "2 Personen im Kanal" in html
    assert "Beitrag vier" in html and "Beitrag zwei" in html and "Beitrag eins" not in html
    assert "anna.schmidt" in html and "<time datetime=" in html


def test_panel_reads_the_link_and_the_waiting_changes_in_one_statement(roles, client_for, mm, count_queries):
    from datetime import timedelta

    from app.core.db import utcnow

    def op(club, status):
        db.session.add(
            ChatOp(club_id=club.id, kind="sync", key=f"k-{status}", status=status, give_up_at=utcnow() + timedelta(1))
        )

    member = client_for(roles.member)
    assert services.link_and_open_op_count(roles.club) == (None, 0)  # no link: still one row
    op(roles.club, "pending")
    op(roles.club, "failed")
    op(roles.club, "done")
    op(roles.other_club, "pending")  # another club's changes are not counted
    db.session.commit()
    assert services.link_and_open_op_count(roles.club) == (None, 2)
    link = provisioned(roles.club, roles.board, client_for, mm)
    assert services.link_and_open_op_count(roles.club) == (link, services.open_op_count(roles.club))
    panel(member, roles.club)  # warm: Mattermost's answers are cached
    with count_queries() as q:
        html = panel(member, roles.club)
    assert "2 Änderungen warten auf den Chat-Server." in html
    # the link with the count; the member's chat account (account, club and membership: the kept copy)
    assert q.count == 2, q.statements
    assert not any(s.lstrip().startswith("SELECT count(*)") for s in q.statements)


def test_panel_is_cached_for_a_short_time(roles, client_for, mm):
    provisioned(roles.club, roles.board, client_for, mm)
    member = client_for(roles.member)
    panel(member, roles.club)
    calls = len(mm.standin.calls)
    panel(member, roles.club)
    assert len(mm.standin.calls) == calls


def test_xss_in_post_text_and_author_is_neutralised(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    evil = mm.standin.add_user("<img src=x onerror=alert(2)>", "evil@example.org")
    mm.standin.add_post(
        link.channel_id,
        evil["id"],
        '<script>alert(1)</script><img src=x onerror="alert(3)"> [klick](javascript:alert(4))',
    )
    html = panel(client_for(roles.member), roles.club, refresh="1")
    assert "<script>alert(1)" not in html and "<img src=x" not in html and 'onerror="alert' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html


def test_panel_degrades_with_a_retry_button_when_the_server_is_down(roles, client_for, mm):
    provisioned(roles.club, roles.board, client_for, mm)
    mm.standin.down = True
    html = panel(client_for(roles.member), roles.club, refresh="1")
    assert "antwortet gerade nicht" in html and "Erneut laden" in html and "Im Chat öffnen" in html


def test_panel_answers_in_time_when_the_server_is_slow(app, roles, client_for, mm):
    import time

    provisioned(roles.club, roles.board, client_for, mm)
    app.config["MATTERMOST_TIMEOUT"] = 0.3
    mm.standin.slow = 1.0
    started = time.monotonic()
    html = panel(client_for(roles.member), roles.club, refresh="1")
    assert time.monotonic() - started < 1.5 and "antwortet gerade nicht" in html


def test_meeting_start_posts_a_workspace_link_never_a_join_url(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    meeting_started.send(
        roles.club,
        room_name="Vorstandssitzung @channel",
        workspace_url="https://bbb.example/bigbluebutton/api/join?checksum=x",
        started_by=roles.board,
    )
    notice = mm.standin.posts_in(link.channel_id)[-1]
    assert "Vorstandssitzung" in notice["message"] and "hat begonnen" in notice["message"]
    assert f"http://localhost/c/{roles.club.slug}/" in notice["message"]
    assert "bigbluebutton" not in notice["message"] and "join" not in notice["message"]
    assert "@channel" not in notice["message"]
    assert notice["user_id"] == mm.standin.bot_id


def test_board_can_switch_notices_off(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/optionen", data={})
    assert not services.link_for(roles.club).notices_enabled
    before = len(mm.standin.posts_in(link.channel_id))
    meeting_started.send(roles.club, room_name="Treffen", workspace_url="", started_by=None)
    assert len(mm.standin.posts_in(link.channel_id)) == before


def test_notice_goes_through_the_webhook_when_the_bot_is_not_in_the_channel(roles, client_for, mm):
    board_mm = mm.account(roles.board)
    channel = mm.standin.add_channel(mm.team["id"], "privat", private=True, members=(board_mm["id"],))
    mm.standin.team_admins.add((mm.team["id"], mm.standin.bot_id))  # the bot may read the team's webhooks
    hook = mm.standin.add_hook(channel["id"], board_mm["id"])
    client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/privat", "webhook_url": mm.standin.hook_url(hook)},
    )
    meeting_started.send(roles.club, room_name="Treffen", workspace_url="", started_by=None)
    posts = mm.standin.posts_in(channel["id"])
    assert len(posts) == 1 and f"/c/{roles.club.slug}/" in posts[0]["message"]
    assert posts[0]["props"]["from_webhook"] == "true"


def test_notice_survives_a_short_outage_without_duplicates(roles, client_for, mm):
    from datetime import timedelta

    from app.core.db import utcnow

    link = provisioned(roles.club, roles.board, client_for, mm)
    mm.standin.down = True
    meeting_started.send(roles.club, room_name="Treffen", workspace_url="", started_by=None)
    mm.standin.down = False
    queue.process_due(now=utcnow() + timedelta(minutes=2))
    queue.process_due(now=utcnow() + timedelta(minutes=20))
    assert len([p for p in mm.standin.posts_in(link.channel_id) if "Treffen" in p["message"]]) == 1


def test_stale_notices_are_dropped_after_an_hour(roles, client_for, mm):
    from datetime import timedelta

    from app.core.db import utcnow

    link = provisioned(roles.club, roles.board, client_for, mm)
    mm.standin.down = True
    meeting_started.send(roles.club, room_name="Treffen", workspace_url="", started_by=None)
    mm.standin.down = False
    queue.process_due(now=utcnow() + timedelta(hours=2))
    assert not [p for p in mm.standin.posts_in(link.channel_id) if "Treffen" in p["message"]]
    assert db.session.scalar(sa.select(ChatOp.status).where(ChatOp.kind == "notice")) == "failed"


def test_clubs_are_isolated(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    other_link = provisioned(roles.other_club, roles.outsider, client_for, mm)
    assert link.channel_id != other_link.channel_id
    outsider = client_for(roles.outsider)
    assert outsider.get(f"/c/{roles.club.slug}/chat/", headers=HX).status_code == 404
    assert outsider.get(f"/c/{roles.club.slug}/chat/einstellungen").status_code == 404
    assert outsider.post(f"/c/{roles.club.slug}/chat/einstellungen/loesen").status_code == 404
    assert outsider.post(f"/c/{roles.club.slug}/chat/erneut").status_code == 404
    html = panel(outsider, roles.other_club)
    assert "imkerverein-pankow" not in html and roles.other_club.slug in html
    # the outsider is not in club A's channel; a meeting in club B posts only to B's channel
    outsider_mm = services._account_for(roles.outsider, services.mm_client())
    assert outsider_mm not in mm.standin.members_of(link.channel_id)
    before = len(mm.standin.posts_in(link.channel_id))
    meeting_started.send(roles.other_club, room_name="B-Treffen", workspace_url="", started_by=None)
    assert len(mm.standin.posts_in(link.channel_id)) == before
    assert "B-Treffen" in mm.standin.posts_in(other_link.channel_id)[-1]["message"]
    assert services.open_op_count(roles.club) == 0


def test_member_without_a_chat_account_gets_a_hint(roles, client_for, mm):
    provisioned(roles.club, roles.board, client_for, mm)  # the member has no Mattermost account
    assert "kein Konto mit Ihrer E-Mail-Adresse" in panel(client_for(roles.member), roles.club)
    assert "kein Konto mit Ihrer E-Mail-Adresse" not in panel(client_for(roles.board), roles.club)


# --- board-only channels (issue 12, item 10) and the shared cache ------------------------------------------


def board_only(club, board, client_for):
    response = client_for(board).post(
        f"/c/{club.slug}/chat/einstellungen/optionen", data={"notices": "y", "board_only": "y"}
    )
    assert response.status_code == 303 and services.link_for(club).board_only


def test_a_board_only_channel_shows_members_no_posts_and_no_authors(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    author = mm.standin.add_user("anna.vorstand", "anna@example.org")
    mm.standin.add_post(link.channel_id, author["id"], "Kassenprüfung: Ergebnis vertraulich")
    board_only(roles.club, roles.board, client_for)

    board_view = panel(client_for(roles.board), roles.club)  # the board looks first: its view is cached
    assert "Kassenprüfung" in board_view and "anna.vorstand" in board_view
    calls = len(mm.standin.calls)
    member_view = panel(client_for(roles.member), roles.club)
    assert "Kassenprüfung" not in member_view and "anna.vorstand" not in member_view
    assert "Personen im Kanal" not in member_view and "nur für den Vorstand" in member_view
    assert len(mm.standin.calls) == calls  # nothing is even fetched for a member
    assert "Kassenprüfung" not in panel(client_for(roles.member), roles.club, refresh="1")
    assert "Kassenprüfung" in panel(client_for(roles.board), roles.club)


def test_switching_board_only_on_hides_posts_at_once(roles, client_for, mm):
    link = provisioned(roles.club, roles.board, client_for, mm)
    mm.standin.add_post(link.channel_id, mm.standin.bot_id, "Für alle sichtbar")
    assert "Für alle sichtbar" in panel(client_for(roles.member), roles.club)  # cached for members
    board_only(roles.club, roles.board, client_for)
    assert "Für alle sichtbar" not in panel(client_for(roles.member), roles.club)


@pytest.fixture
def shared_cache(app_config, tmp_path):
    """Two app instances (think: two gunicorn workers) with one shared cache backend."""
    app_config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=str(tmp_path / "cache"), CACHE_DEFAULT_TIMEOUT=300)
    return app_config


@pytest.fixture
def second_app(shared_cache, app, mm):
    from app import create_app

    other = create_app(
        dict(
            shared_cache,
            **{
                k: app.config[k]
                for k in ("MATTERMOST_URL", "MATTERMOST_TOKEN", "MATTERMOST_TEAM", "MATTERMOST_TIMEOUT")
            },
        )
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_panel_cache_is_shared_between_app_instances(shared_cache, second_app, roles, client_for, mm):
    from tests.conftest import login

    link = provisioned(roles.club, roles.board, client_for, mm)
    mm.standin.add_post(link.channel_id, mm.standin.bot_id, "Erster Beitrag")
    assert "Erster Beitrag" in panel(client_for(roles.member), roles.club)
    calls = len(mm.standin.calls)
    other_member = login(second_app.test_client(), roles.member)
    assert "Erster Beitrag" in panel(other_member, roles.club)
    assert len(mm.standin.calls) == calls  # served from the shared cache

    # A change seen by one instance clears the entry for all of them.
    mm.standin.add_post(link.channel_id, mm.standin.bot_id, "Zweiter Beitrag")
    with second_app.app_context():
        services.forget_panel(roles.club)
    assert "Zweiter Beitrag" in panel(client_for(roles.member), roles.club)

    # Nothing is kept beside the shared backend: when it is flushed, the next view asks Mattermost again.
    mm.standin.add_post(link.channel_id, mm.standin.bot_id, "Dritter Beitrag")
    with second_app.app_context():
        cache.clear()
    assert "Dritter Beitrag" in panel(client_for(roles.member), roles.club)


def test_the_bot_name_is_cached_once_for_all_instances(shared_cache, second_app, mm):
    assert services.bot_username() == "vereinsraum-bot"
    calls = len(mm.standin.api_calls("GET", "/api/v4/users/me"))
    with second_app.app_context():
        assert services.bot_username() == "vereinsraum-bot"
    assert len(mm.standin.api_calls("GET", "/api/v4/users/me")) == calls
    with second_app.app_context():
        cache.clear()
    assert services.bot_username() == "vereinsraum-bot"
    assert len(mm.standin.api_calls("GET", "/api/v4/users/me")) == calls + 1


def test_full_page_without_javascript_never_calls_mattermost_while_rendering(roles, client_for, mm, monkeypatch):
    """Issue 19 item 4: on a cache miss the page shows a lazy section; a job (not the render) fills the cache."""
    from app.chat import panel as chat_panel
    from app.chat import tasks

    link = provisioned(roles.club, roles.board, client_for, mm)
    author = mm.standin.add_user("anna.schmidt", "anna@example.org")
    mm.standin.add_post(link.channel_id, author["id"], "Beitrag aus dem Kanal")
    cache.clear()
    queued = []
    monkeypatch.setattr(tasks, "warm_panel", lambda club_id: queued.append(club_id))
    member = client_for(roles.member)
    calls = len(mm.standin.calls)
    page = member.get(f"/c/{roles.club.slug}/chat/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert len(mm.standin.calls) == calls  # nothing asked of Mattermost
    assert queued == [roles.club.id]
    assert f'hx-get="/c/{roles.club.slug}/chat/"' in html and 'hx-trigger="load"' in html
    assert "Beitrag aus dem Kanal" not in html
    chat_panel.warm_panel_cache(roles.club.id)  # what the worker does
    calls = len(mm.standin.calls)
    html = member.get(f"/c/{roles.club.slug}/chat/").get_data(as_text=True)
    assert "Beitrag aus dem Kanal" in html and len(mm.standin.calls) == calls
