"""Issue 16 item 5: chat in plain words – "Kanal anlegen" first, the rest "Für Fortgeschrittene";
staff see "verbunden" only when the channel exists."""

from __future__ import annotations

from tests.conftest import HX


def _settings(client, club):
    return client.get(f"/c/{club.slug}/chat/einstellungen").get_data(as_text=True)


def test_create_channel_comes_first_linking_is_for_advanced_users(roles, client_for, mm):
    html = _settings(client_for(roles.board), roles.club)
    create = html.index('id="chat-provision-title"')
    details = html.index('<details class="advanced"')
    assert create < details < html.index('id="chat-link-title"')
    assert "Für Fortgeschrittene" in html[details : details + 300]
    assert '<details class="advanced">' in html  # closed: nothing to do there for most clubs
    # webhook field sits inside the disclosure too
    assert details < html.index('name="webhook_url"') < html.index("</details>")


def test_advanced_part_opens_when_its_form_has_errors_or_no_platform_channel(roles, client_for, mm, app):
    client = client_for(roles.board)
    bad = client.post(f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen", data={"channel_url": "kein link"})
    assert bad.status_code == 422 and '<details class="advanced" open>' in bad.get_data(as_text=True)
    app.config["MATTERMOST_URL"] = ""
    html = _settings(client, roles.club)
    assert '<details class="advanced" open>' in html and 'id="chat-provision-title"' not in html


def test_panel_says_team_chat_and_explains_it(roles, client_for, mm):
    html = client_for(roles.board).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert "Team-Chat" in html and "Ein gemeinsamer Chat für Vorstand und Ehrenamtliche" in html
    assert ">Kanal anlegen<" in html and "verknüpfen" not in html


def test_staff_see_connected_only_when_the_channel_exists(roles, client_for, app):
    from app.chat.models import ChatLink
    from app.extensions import db

    link = ChatLink(
        club_id=roles.club.id,
        kind="provisioned",
        site_url="https://chat.example.org",
        team_name="vereinsraum",
        channel_name="imkerverein-pankow",
        on_platform=True,
    )
    db.session.add(link)
    db.session.commit()
    staff = client_for(roles.staff)
    page = staff.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    status = page.split('id="chat-status">', 1)[1].split("</dd>", 1)[0]
    assert "wird eingerichtet" in status and "verbunden" not in status
    link.channel_id = "c" * 26
    db.session.commit()
    page = staff.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert "verbunden" in page.split('id="chat-status">', 1)[1].split("</dd>", 1)[0]
