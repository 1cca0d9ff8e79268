"""Linking a pasted channel URL: validation, API check, private channels, webhooks."""

import pytest

from app.chat import services
from app.chat.linking import parse_channel_url, parse_webhook_url
from app.chat.services import ChatError
from tests.conftest import HX


@pytest.mark.parametrize(
    "url, site, team, channel",
    [
        (
            "https://chat.example.org/berlin-vereine/channels/radsport-kreuzberg",
            "https://chat.example.org",
            "berlin-vereine",
            "radsport-kreuzberg",
        ),
        (
            "https://Chat.Example.org/chat/berlin/channels/town-square/",
            "https://chat.example.org/chat",
            "berlin",
            "town-square",
        ),
        (
            "https://chat.example.org:8065/team1/channels/ag_garten",
            "https://chat.example.org:8065",
            "team1",
            "ag_garten",
        ),
        ("https://chat.example.org:443/team1/channels/ag_garten", "https://chat.example.org", "team1", "ag_garten"),
    ],
)
def test_good_channel_urls_are_parsed(app, url, site, team, channel):
    parsed = parse_channel_url(url)
    assert (parsed.site_url, parsed.team, parsed.channel, parsed.on_platform) == (site, team, channel, False)


def test_http_only_when_the_setting_allows_it(app):
    url = "http://chat.example.org:8065/team1/channels/ag_garten"
    with pytest.raises(ChatError, match="https://"):
        parse_channel_url(url)
    app.config["CHAT_ALLOW_HTTP"] = True
    assert parse_channel_url(url).site_url == "http://chat.example.org:8065"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript://chat.example.org/team/channels/x%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://chat.example.org/team/channels/name",
        "chat.example.org/team/channels/name",
        "https:///team/channels/name",
        "https://chat.example.org/",
        "https://chat.example.org/team/name",
        "https://chat.example.org/team/messages/@anna",
        "https://chat.example.org/team/pl/abcdefghijklmnopqrstuvwxyz",
        "https://evil.example/login?next=/team/channels/name",
        "https://user:pass@chat.example.org/team/channels/name",
        "https://chat.example.org/team/channels/<script>",
        "https://chat.example.org/team/channels/-start",
        "https://chat.example.org/team/channels/" + "a" * 65,
        "https://chat.exa mple.org/team/channels/name",
        "https://chat.example.org/team/channels/name\nX-Injected: 1",
        "https://bad_host!/team/channels/name",
        "https://127.0.0.1/team/channels/name",
        "https://localhost/team/channels/name",
        "",
    ],
)
def test_bad_channel_urls_are_rejected(app, url):
    with pytest.raises(ChatError):
        parse_channel_url(url)


def test_webhook_must_belong_to_the_channel_server(app):
    site = "https://chat.example.org"
    assert parse_webhook_url(f"{site}/hooks/{'a' * 26}", site) == f"{site}/hooks/{'a' * 26}"
    for bad in (
        f"https://other.example/hooks/{'a' * 26}",
        f"{site}/hooks/kurz",
        "javascript:alert(1)",
        f"{site}/api/v4/posts",
        f"{site}/hooks/{'a' * 26}?x=1",
    ):
        with pytest.raises(ChatError):
            parse_webhook_url(bad, site)


def test_board_links_a_foreign_channel_without_api_calls(roles, client_for, mm):
    calls = len(mm.standin.calls)
    url = "https://chat.example.org/berlin-vereine/channels/imker"
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen", data={"channel_url": url}
    )
    assert response.status_code == 303
    link = services.link_for(roles.club)
    assert (link.kind, link.on_platform, link.channel_id) == ("linked", False, None)
    assert len(mm.standin.calls) == calls
    panel = client_for(roles.member).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert f'href="{url}"' in panel and 'href="mattermost://chat.example.org/berlin-vereine/channels/imker"' in panel
    assert "Im Chat öffnen" in panel and "Personen im Kanal" not in panel


def test_platform_channel_is_checked_through_the_api(roles, client_for, mm):
    board_mm = mm.account(roles.board)
    channel = mm.standin.add_channel(
        mm.team["id"], "imker-offen", "Imker offen", members=(mm.standin.bot_id, board_mm["id"])
    )
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/imker-offen"},
    )
    assert response.status_code == 303
    link = services.link_for(roles.club)
    assert (link.on_platform, link.channel_id, link.team_id, link.bot_can_read) == (
        True,
        channel["id"],
        mm.team["id"],
        True,
    )
    assert link.display_name == "Imker offen" and not link.private


def test_missing_platform_channel_is_a_422_with_a_german_message(roles, client_for, mm):
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/gibts-nicht"},
    )
    assert response.status_code == 422
    assert "Diesen Kanal gibt es auf dem Chat-Server nicht" in response.get_data(as_text=True)
    assert services.link_for(roles.club) is None


def test_javascript_url_is_a_422_and_nothing_is_stored(roles, client_for, mm):
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": "javascript:alert(document.cookie)"},
    )
    assert response.status_code == 422
    assert "https://" in response.get_data(as_text=True)
    assert services.link_for(roles.club) is None


def test_private_channel_explains_adding_the_bot_then_recheck(roles, client_for, mm):
    board_mm = mm.account(roles.board)
    channel = mm.standin.add_channel(mm.team["id"], "vorstand", private=True, members=(board_mm["id"],))
    board = client_for(roles.board)
    response = board.post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/vorstand"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "@vereinsraum-bot" in page and "Webhook" in page
    link = services.link_for(roles.club)
    assert link.private and not link.bot_can_read and link.channel_id is None
    mm.standin.channel_members[channel["id"]].add(mm.standin.bot_id)
    board.post(f"/c/{roles.club.slug}/chat/einstellungen/pruefen")
    assert services.link_for(roles.club).bot_can_read and services.link_for(roles.club).channel_id == channel["id"]


def test_private_channel_with_webhook_is_accepted(roles, client_for, mm):
    board_mm = mm.account(roles.board)
    channel = mm.standin.add_channel(mm.team["id"], "vorstand", private=True, members=(board_mm["id"],))
    mm.standin.team_admins.add((mm.team["id"], mm.standin.bot_id))  # the bot may read the team's webhooks
    hook = mm.standin.add_hook(channel["id"], board_mm["id"])  # made by the board member, who is in the channel
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{mm.url}/vereinsraum/channels/vorstand", "webhook_url": mm.standin.hook_url(hook)},
    )
    assert response.status_code == 303
    assert services.link_for(roles.club).webhook_url == mm.standin.hook_url(hook)


def test_members_cannot_change_the_link(roles, client_for, mm):
    member = client_for(roles.member)
    assert member.get(f"/c/{roles.club.slug}/chat/einstellungen").status_code == 403
    response = member.post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": "https://chat.example.org/t/channels/x"},
    )
    assert response.status_code == 403
    assert services.link_for(roles.club) is None


def test_unlink_keeps_the_channel(roles, client_for, mm):
    board = client_for(roles.board)
    board.post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": "https://chat.example.org/t/channels/x"},
    )
    assert board.post(f"/c/{roles.club.slug}/chat/einstellungen/loesen").status_code == 303
    assert services.link_for(roles.club) is None
