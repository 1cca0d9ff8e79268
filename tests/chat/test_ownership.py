"""A Mattermost channel and a webhook belong to at most one club (issue 12, item 1).

Club A (``roles.club``, board ``roles.board``) tries to take club B's channel
(``roles.other_club``, board ``roles.outsider``) in every order: link then link,
provision then link, link then provision – by bot and by webhook.
"""

import pytest
import sqlalchemy as sa

from app.chat import linking, provisioning, services
from app.chat.models import ChatLink
from app.chat.notices import HOOK_MOVED
from app.core.signals import meeting_started
from app.extensions import db
from tests.conftest import HX

TAKEN = "bereits mit einem anderen Verein verknüpft"
HOOK_TAKEN = "bereits bei einem anderen Verein hinterlegt"


def link(client_for, club, board, url, webhook=""):
    return client_for(board).post(
        f"/c/{club.slug}/chat/einstellungen/verknuepfen", data={"channel_url": url, "webhook_url": webhook}
    )


def provision(client_for, club, board):
    assert client_for(board).post(f"/c/{club.slug}/chat/einstellungen/anlegen").status_code == 303
    result = services.link_for(club)
    assert result.channel_id
    return result


def channel_url(mm, channel):
    return f"{mm.url}/vereinsraum/channels/{channel['name']}"


def notices(mm, channel_id, text):
    return [p for p in mm.standin.posts_in(channel_id) if text in p["message"]]


@pytest.fixture
def boards(roles, mm):
    """Both boards have Mattermost accounts with their confirmed addresses."""
    return mm.account(roles.board), mm.account(roles.outsider)


# --- by bot ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("private", [False, True])
def test_link_then_link_the_same_channel_is_refused(roles, client_for, mm, boards, private):
    a_mm, b_mm = boards
    # Worst case: one person sits on both boards' side of the channel – both boards are members.
    channel = mm.standin.add_channel(
        mm.team["id"], "gemeinsam", private=private, members=(mm.standin.bot_id, a_mm["id"], b_mm["id"])
    )
    assert link(client_for, roles.club, roles.board, channel_url(mm, channel)).status_code == 303
    assert services.link_for(roles.club).channel_id == channel["id"]

    response = link(client_for, roles.other_club, roles.outsider, channel_url(mm, channel))
    assert response.status_code == 422 and TAKEN in response.get_data(as_text=True)
    assert services.link_for(roles.other_club) is None
    meeting_started.send(roles.other_club, room_name="B-Treffen", workspace_url="", started_by=None)
    assert notices(mm, channel["id"], "B-Treffen") == []


def test_provision_then_link_is_refused_even_for_a_member_of_the_channel(roles, client_for, mm, boards):
    a_mm, _b_mm = boards
    b_link = provision(client_for, roles.other_club, roles.outsider)
    channel = mm.standin.channels[b_link.channel_id]

    response = link(client_for, roles.club, roles.board, channel_url(mm, channel))
    assert response.status_code == 422 and "nicht Mitglied" in response.get_data(as_text=True)

    mm.standin.channel_members[channel["id"]].add(a_mm["id"])  # A's board member is also in B's channel
    response = link(client_for, roles.club, roles.board, channel_url(mm, channel))
    assert response.status_code == 422 and TAKEN in response.get_data(as_text=True)

    assert services.link_for(roles.club) is None
    meeting_started.send(roles.club, room_name="A-Treffen", workspace_url="", started_by=None)
    assert notices(mm, channel["id"], "A-Treffen") == []
    panel = client_for(roles.board).get(f"/c/{roles.club.slug}/chat/", headers=HX).get_data(as_text=True)
    assert "Personen im Kanal" not in panel and channel["name"] not in panel


def test_link_then_provision_never_adopts_the_linked_channel(roles, client_for, mm, boards):
    a_mm, _b_mm = boards
    # A's channel carries the name and purpose B's provisioning would look for, and was made by the bot.
    name = services.channel_name_for(roles.other_club.slug)
    channel = mm.standin.add_channel(
        mm.team["id"], name, private=True, creator_id=mm.standin.bot_id, members=(mm.standin.bot_id, a_mm["id"])
    )
    channel["purpose"] = provisioning._purpose(roles.other_club)
    assert link(client_for, roles.club, roles.board, channel_url(mm, channel)).status_code == 303

    b_link = provision(client_for, roles.other_club, roles.outsider)
    assert b_link.channel_id != channel["id"] and b_link.channel_name == f"{name}-2"
    assert mm.standin.members_of(channel["id"]) == {mm.standin.bot_id, a_mm["id"]}
    assert mm.standin.posts_in(channel["id"]) == []  # no welcome, no notice of B in A's channel
    meeting_started.send(roles.other_club, room_name="B-Treffen", workspace_url="", started_by=None)
    assert notices(mm, channel["id"], "B-Treffen") == [] and notices(mm, b_link.channel_id, "B-Treffen")


def test_lost_create_is_not_adopted_when_someone_else_is_in_the_channel(roles, client_for, mm, boards):
    _a_mm, b_mm = boards
    stranger = mm.standin.add_user("fremd", "fremd@example.org")
    name = services.channel_name_for(roles.other_club.slug)
    channel = mm.standin.add_channel(
        mm.team["id"], name, private=True, creator_id=mm.standin.bot_id, members=(mm.standin.bot_id, stranger["id"])
    )
    channel["purpose"] = provisioning._purpose(roles.other_club)
    b_link = provision(client_for, roles.other_club, roles.outsider)
    assert b_link.channel_id != channel["id"]
    assert b_mm["id"] not in mm.standin.members_of(channel["id"])


def test_the_acting_board_member_must_be_in_the_channel(roles, client_for, mm, make_user):
    channel = mm.standin.add_channel(mm.team["id"], "offen", members=(mm.standin.bot_id,))
    url = channel_url(mm, channel)

    response = link(client_for, roles.club, roles.board, url)  # no account on the chat server
    assert response.status_code == 422 and "kein Konto mit Ihrer bestätigten E-Mail-Adresse" in response.get_data(
        as_text=True
    )
    a_mm = mm.account(roles.board)
    response = link(client_for, roles.club, roles.board, url)  # an account, but not in the channel
    assert response.status_code == 422 and "nicht Mitglied" in response.get_data(as_text=True)
    assert services.link_for(roles.club) is None

    mm.standin.channel_members[channel["id"]].add(a_mm["id"])
    assert link(client_for, roles.club, roles.board, url).status_code == 303


def test_an_unconfirmed_account_never_counts(roles, client_for, mm, make_user, make_club):
    unconfirmed = make_user(email="neu@vorstand.example", confirmed=False)
    club = make_club(name="Unbestätigt e. V.", board=unconfirmed)
    mm_user = mm.account(unconfirmed)
    channel = mm.standin.add_channel(mm.team["id"], "offen", members=(mm.standin.bot_id, mm_user["id"]))
    response = link(client_for, club, unconfirmed, channel_url(mm, channel))
    assert response.status_code == 422 and "bestätigen Sie zuerst Ihre E-Mail-Adresse" in response.get_data(
        as_text=True
    )
    assert services.link_for(club) is None


def test_a_chat_account_with_an_unverified_address_never_counts(roles, client_for, mm):
    """Someone registered the board member's address on the chat server without owning it."""
    squatter = mm.standin.add_user("squatter", roles.board.email, email_verified=False)
    mm.standin.team_members.add((mm.team["id"], squatter["id"]))
    channel = mm.standin.add_channel(mm.team["id"], "fremd", members=(mm.standin.bot_id, squatter["id"]))
    response = link(client_for, roles.club, roles.board, channel_url(mm, channel))
    assert response.status_code == 422 and services.link_for(roles.club) is None


def test_recheck_after_adding_the_bot_proves_ownership(roles, client_for, mm, boards):
    a_mm, b_mm = boards
    channel = mm.standin.add_channel(mm.team["id"], "privat", private=True, members=(a_mm["id"], b_mm["id"]))
    # While the bot cannot see the channel, nothing is known about it: both links wait, nothing is read.
    assert link(client_for, roles.club, roles.board, channel_url(mm, channel)).status_code == 303
    assert link(client_for, roles.other_club, roles.outsider, channel_url(mm, channel)).status_code == 303
    mm.standin.channel_members[channel["id"]].add(mm.standin.bot_id)

    page = (
        client_for(roles.board)
        .post(f"/c/{roles.club.slug}/chat/einstellungen/pruefen", follow_redirects=True)
        .get_data(as_text=True)
    )
    assert "Der Bot hat jetzt Zugriff" in page
    assert services.link_for(roles.club).channel_id == channel["id"]

    page = (
        client_for(roles.outsider)
        .post(f"/c/{roles.other_club.slug}/chat/einstellungen/pruefen", follow_redirects=True)
        .get_data(as_text=True)
    )
    assert TAKEN in page
    b_link = services.link_for(roles.other_club)
    assert b_link.channel_id is None and not b_link.bot_can_read
    # B's panel (also for its board, which re-checks on view) shows nothing of the channel.
    mm.standin.add_post(channel["id"], a_mm["id"], "Nur für A")
    for viewer in (roles.outsider,):
        panel = (
            client_for(viewer)
            .get(f"/c/{roles.other_club.slug}/chat/", headers=HX, query_string={"refresh": "1"})
            .get_data(as_text=True)
        )
        assert "Nur für A" not in panel and "Personen im Kanal" not in panel


def test_a_member_viewing_the_panel_never_adopts_a_channel(roles, client_for, mm):
    """The automatic re-check on viewing runs only for the board (it needs a board member's membership)."""
    channel = mm.standin.add_channel(mm.team["id"], "privat", private=True)
    a_mm = mm.account(roles.board)
    assert link(client_for, roles.club, roles.board, channel_url(mm, channel)).status_code == 303
    mm.standin.channel_members[channel["id"]] |= {mm.standin.bot_id}
    client_for(roles.member).get(f"/c/{roles.club.slug}/chat/", headers=HX, query_string={"refresh": "1"})
    assert services.link_for(roles.club).channel_id is None
    mm.standin.channel_members[channel["id"]].add(a_mm["id"])
    panel = (
        client_for(roles.board)
        .get(f"/c/{roles.club.slug}/chat/", headers=HX, query_string={"refresh": "1"})
        .get_data(as_text=True)
    )
    assert services.link_for(roles.club).channel_id == channel["id"] and "Personen im Kanal" in panel


# --- by webhook ------------------------------------------------------------------------------------


def test_platform_webhook_into_another_clubs_channel_is_refused(roles, client_for, mm, boards):
    a_mm, b_mm = boards
    mm.standin.team_admins.add((mm.team["id"], mm.standin.bot_id))
    b_link = provision(client_for, roles.other_club, roles.outsider)
    b_hook = mm.standin.add_hook(b_link.channel_id, b_mm["id"])

    # A's own public channel, with B's webhook: the hook writes elsewhere.
    own = mm.standin.add_channel(mm.team["id"], "a-offen", members=(mm.standin.bot_id, a_mm["id"]))
    response = link(client_for, roles.club, roles.board, channel_url(mm, own), mm.standin.hook_url(b_hook))
    assert response.status_code == 422 and "in einen anderen Kanal" in response.get_data(as_text=True)

    # A's own private channel the bot cannot see, with B's webhook: not made by A's board member.
    hidden = mm.standin.add_channel(mm.team["id"], "a-privat", private=True, members=(a_mm["id"],))
    response = link(client_for, roles.club, roles.board, channel_url(mm, hidden), mm.standin.hook_url(b_hook))
    assert response.status_code == 422 and "jemand anderes angelegt" in response.get_data(as_text=True)

    # Even a hook A's board member made in B's channel (they are in it) cannot take B's channel.
    mm.standin.channel_members[b_link.channel_id].add(a_mm["id"])
    a_hook_in_b = mm.standin.add_hook(b_link.channel_id, a_mm["id"])
    response = link(client_for, roles.club, roles.board, channel_url(mm, hidden), mm.standin.hook_url(a_hook_in_b))
    assert response.status_code == 422 and TAKEN in response.get_data(as_text=True)

    assert services.link_for(roles.club) is None
    meeting_started.send(roles.club, room_name="A-Treffen", workspace_url="", started_by=None)
    assert notices(mm, b_link.channel_id, "A-Treffen") == []


def test_link_then_link_by_platform_webhook_is_refused(roles, client_for, mm, boards):
    a_mm, b_mm = boards
    mm.standin.team_admins.add((mm.team["id"], mm.standin.bot_id))
    channel = mm.standin.add_channel(mm.team["id"], "privat", private=True, members=(a_mm["id"], b_mm["id"]))
    a_hook = mm.standin.add_hook(channel["id"], a_mm["id"])
    assert (
        link(client_for, roles.club, roles.board, channel_url(mm, channel), mm.standin.hook_url(a_hook)).status_code
        == 303
    )
    assert services.link_for(roles.club).channel_id == channel["id"]  # known through the hook

    response = link(client_for, roles.other_club, roles.outsider, channel_url(mm, channel), mm.standin.hook_url(a_hook))
    assert response.status_code == 422 and "jemand anderes angelegt" in response.get_data(as_text=True)
    b_hook = mm.standin.add_hook(channel["id"], b_mm["id"])  # B's own hook into the same channel
    response = link(client_for, roles.other_club, roles.outsider, channel_url(mm, channel), mm.standin.hook_url(b_hook))
    assert response.status_code == 422 and TAKEN in response.get_data(as_text=True)
    assert services.link_for(roles.other_club) is None


def test_provision_then_link_by_webhook_is_refused(roles, client_for, mm, boards):
    a_mm, b_mm = boards
    mm.standin.team_admins.add((mm.team["id"], mm.standin.bot_id))
    b_link = provision(client_for, roles.other_club, roles.outsider)
    b_hook = mm.standin.add_hook(b_link.channel_id, b_mm["id"])
    response = link(
        client_for,
        roles.club,
        roles.board,
        channel_url(mm, mm.standin.channels[b_link.channel_id]),
        mm.standin.hook_url(b_hook),
    )
    assert response.status_code == 422 and services.link_for(roles.club) is None


def test_a_platform_webhook_the_bot_may_not_read_is_refused(roles, client_for, mm, boards):
    a_mm, _b_mm = boards
    channel = mm.standin.add_channel(mm.team["id"], "privat", private=True, members=(a_mm["id"],))
    hook = mm.standin.add_hook(channel["id"], a_mm["id"])
    response = link(client_for, roles.club, roles.board, channel_url(mm, channel), mm.standin.hook_url(hook))
    assert response.status_code == 422 and "Bot zum Kanal hinzu" in response.get_data(as_text=True)


def test_a_webhook_moved_to_another_channel_is_not_used(roles, client_for, mm, boards):
    """Checked again at send time: the hook must still write into the club's own channel."""
    a_mm, b_mm = boards
    mm.standin.team_admins.add((mm.team["id"], mm.standin.bot_id))
    channel = mm.standin.add_channel(mm.team["id"], "privat", private=True, members=(a_mm["id"],))
    hook = mm.standin.add_hook(channel["id"], a_mm["id"])
    assert (
        link(client_for, roles.club, roles.board, channel_url(mm, channel), mm.standin.hook_url(hook)).status_code
        == 303
    )
    b_link = provision(client_for, roles.other_club, roles.outsider)
    hook["channel_id"] = b_link.channel_id  # edited on the chat server afterwards
    meeting_started.send(roles.club, room_name="A-Treffen", workspace_url="", started_by=None)
    assert notices(mm, b_link.channel_id, "A-Treffen") == [] and notices(mm, channel["id"], "A-Treffen") == []
    op = services.open_ops(roles.club)[-1]
    assert op.status == "failed" and HOOK_MOVED in op.last_error


@pytest.mark.parametrize(
    "second", ["https://chat.verein.example/hooks/{id}", "https://CHAT.verein.example:443/hooks/{id}"]
)
def test_a_webhook_on_another_server_serves_one_club(roles, client_for, mm, second):
    hook_id = "h" * 26
    first = f"https://chat.verein.example/hooks/{hook_id}"
    assert (
        link(client_for, roles.club, roles.board, "https://chat.verein.example/t/channels/a", first).status_code == 303
    )
    response = link(
        client_for,
        roles.other_club,
        roles.outsider,
        "https://chat.verein.example/t/channels/b",
        second.format(id=hook_id),
    )
    assert response.status_code == 422 and HOOK_TAKEN in response.get_data(as_text=True)
    assert services.link_for(roles.other_club) is None
    # A re-linking its own webhook is fine.
    assert (
        link(client_for, roles.club, roles.board, "https://chat.verein.example/t/channels/a2", first).status_code == 303
    )


# --- the race: no 500 ------------------------------------------------------------------------------


def _skip_first_check(monkeypatch):
    """Let the check before the commit pass, as if the other club's link committed just after it."""
    real = linking._refuse_if_taken
    calls = []

    def racing(*args):
        calls.append(args)
        if len(calls) > 1:
            return real(*args)

    monkeypatch.setattr(linking, "_refuse_if_taken", racing)
    return calls


def test_a_race_on_the_same_channel_is_a_clear_refusal(roles, client_for, mm, boards, monkeypatch):
    a_mm, b_mm = boards
    channel = mm.standin.add_channel(mm.team["id"], "offen", members=(mm.standin.bot_id, a_mm["id"], b_mm["id"]))
    assert link(client_for, roles.club, roles.board, channel_url(mm, channel)).status_code == 303
    monkeypatch.setattr(linking, "_prove_channel", lambda *args: None)
    calls = _skip_first_check(monkeypatch)
    response = link(client_for, roles.other_club, roles.outsider, channel_url(mm, channel))
    assert len(calls) == 2  # the database constraint, not the check, refused it
    assert response.status_code == 422 and TAKEN in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatLink)) == 1


def test_a_race_on_the_same_webhook_is_a_clear_refusal(roles, client_for, mm, monkeypatch):
    hook = "https://chat.verein.example/hooks/" + "r" * 26
    assert (
        link(client_for, roles.club, roles.board, "https://chat.verein.example/t/channels/a", hook).status_code == 303
    )
    _skip_first_check(monkeypatch)
    response = link(client_for, roles.other_club, roles.outsider, "https://chat.verein.example/t/channels/b", hook)
    assert response.status_code == 422 and HOOK_TAKEN in response.get_data(as_text=True)
    assert services.link_for(roles.other_club) is None
