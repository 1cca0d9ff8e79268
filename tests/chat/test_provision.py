"""Provisioning a channel on the platform's team: names, collisions, members, welcome, lifecycle."""

import pytest

from app.chat import queue, services
from app.chat.services import channel_name_for, display_name_for
from app.clubs.models import ClubStatus
from app.clubs.services import change_status
from app.extensions import db


@pytest.mark.parametrize(
    "text, expected",
    [
        ("imkerverein-pankow", "imkerverein-pankow"),
        ("Müßiggänger Straße", "muessiggaenger-strasse"),
        ("ÄÖÜ äöü ß", "aeoeue-aeoeue-ss"),
        ("--Café & Co.__", "cafe-co"),
        ("Ünïcódé 🐝 Verein", "uenicode-verein"),
        ("🐝🐝", "verein"),
        ("a" * 80, "a" * 64),
        ("d" * 40, "verein-" + "d" * 40),
    ],
)
def test_channel_names_follow_mattermost_rules(text, expected):
    name = channel_name_for(text)
    assert name == expected
    assert services.CHANNEL_NAME_RE.match(name) and len(name) <= 64


def test_suffixed_names_stay_within_64_characters():
    name = channel_name_for("b" * 70, suffix=12)
    assert name.endswith("-12") and len(name) == 64


def test_display_name_is_trimmed_to_64_characters():
    assert display_name_for("  Förderverein   der  " + "x" * 80) == ("Förderverein der " + "x" * 80)[:64].strip()


def provision(client_for, club, board):
    response = client_for(board).post(f"/c/{club.slug}/chat/einstellungen/anlegen")
    assert response.status_code == 303
    return services.link_for(club)


def test_one_click_creates_a_private_channel_with_members_and_welcome(roles, client_for, mm, make_user):
    board_mm = mm.account(roles.board)
    member_mm = mm.account(roles.member, in_team=False)  # gets added to the team first
    link = provision(client_for, roles.club, roles.board)
    channel = mm.standin.channels[link.channel_id]
    assert channel["type"] == "P" and channel["display_name"] == "Imkerverein Pankow"
    assert channel["name"] == link.channel_name == "imkerverein-pankow"
    assert link.team_id == mm.team["id"]
    assert (mm.team["id"], member_mm["id"]) in mm.standin.team_members
    assert mm.standin.members_of(channel["id"]) == {mm.standin.bot_id, board_mm["id"], member_mm["id"]}
    posts = mm.standin.posts_in(channel["id"])
    assert len(posts) == 1 and posts[0]["message"].startswith("Willkommen im Kanal von Imkerverein Pankow")
    assert f"/c/{roles.club.slug}/" in posts[0]["message"]
    assert services.open_op_count(roles.club) == 0


def test_only_verified_emails_with_accounts_are_added(roles, client_for, mm, make_user, make_club):
    unverified = make_user(email="neu@verein.example", confirmed=False)
    no_account = make_user(email="ohne@verein.example")
    club = make_club(name="Gartenfreunde", board=roles.board, members=[unverified, no_account])
    mm.account(roles.board)
    mm.account(unverified)
    link = provision(client_for, club, roles.board)
    assert len(mm.standin.members_of(link.channel_id)) == 2  # bot + board


def test_name_collision_uses_the_next_free_name(roles, client_for, mm):
    mm.standin.add_channel(mm.team["id"], "imkerverein-pankow", "Fremder Kanal")
    mm.standin.add_channel(mm.team["id"], "imkerverein-pankow-2", "Noch einer", private=True)
    link = provision(client_for, roles.club, roles.board)
    assert link.channel_name == "imkerverein-pankow-3"
    assert mm.standin.channels[link.channel_id]["display_name"] == "Imkerverein Pankow"


def test_collision_reported_by_create_is_handled_by_error_id(roles, client_for, mm, monkeypatch):
    """Someone takes the name between our lookup and our create: the error id tells us."""
    from app.integrations.mattermost import MattermostClient

    real = MattermostClient.create_channel
    taken = []

    def racing(self, team_id, name, *args, **kwargs):
        if not taken:
            taken.append(mm.standin.add_channel(team_id, name, "Schneller"))
        return real(self, team_id, name, *args, **kwargs)

    monkeypatch.setattr(MattermostClient, "create_channel", racing)
    link = provision(client_for, roles.club, roles.board)
    assert link.channel_name == "imkerverein-pankow-2"


def test_lost_create_answer_does_not_create_a_second_channel(roles, client_for, mm, monkeypatch):
    from app.integrations.mattermost import MattermostClient, MattermostError

    real = MattermostClient.create_channel
    lost = []

    def lossy(self, *args, **kwargs):
        channel = real(self, *args, **kwargs)
        if not lost:
            lost.append(channel)
            raise MattermostError(None, "vereinsraum.unreachable", "timeout")
        return channel

    monkeypatch.setattr(MattermostClient, "create_channel", lossy)
    link = provision(client_for, roles.club, roles.board)
    assert link.channel_id is None and services.open_op_count(roles.club) == 1
    queue.retry_now(roles.club)
    link = services.link_for(roles.club)
    assert link.channel_id == lost[0]["id"]
    assert len([c for c in mm.standin.channels.values() if c["creator_id"] == mm.standin.bot_id]) == 1


def test_long_non_ascii_club_name(make_club, make_user, client_for, mm):
    board = make_user(email="vorsitz@foerder.example")
    name = "Förderverein der Freundinnen und Freunde des Großen Gartens Weißensee-Süd"
    club = make_club(name=name, board=board)
    mm.account(board)
    link = provision(client_for, club, board)
    channel = mm.standin.channels[link.channel_id]
    assert channel["display_name"] == name[:64].strip() and len(channel["display_name"]) <= 64
    assert channel["name"] == club.slug and channel["name"].startswith("foerderverein-der-freundinnen")
    assert len(channel["name"]) <= 64 and services.CHANNEL_NAME_RE.match(channel["name"])


def test_auto_provision_on_approval_only_when_enabled(app, make_club, make_user, mm):
    app.config["MATTERMOST_AUTO_PROVISION"] = False
    off = make_club(name="Ohne Automatik")
    assert services.link_for(off) is None
    app.config["MATTERMOST_AUTO_PROVISION"] = True
    board = make_user(email="auto@verein.example")
    mm.account(board)
    club = make_club(name="Mit Automatik", status="pending", board=board)
    assert services.link_for(club) is None
    change_status(club, ClubStatus.APPROVED, by=None, notify=False)
    link = services.link_for(club)
    assert link.is_provisioned and link.channel_id in mm.standin.channels
    assert len(mm.standin.members_of(link.channel_id)) == 2


def test_rename_and_suspension_reach_the_channel(roles, client_for, mm):
    from app.core.signals import club_renamed

    link = provision(client_for, roles.club, roles.board)
    roles.club.name = "Imkerei Pankow"
    db.session.commit()
    club_renamed.send(roles.club, old_name="Imkerverein Pankow")
    assert mm.standin.channels[link.channel_id]["display_name"] == "Imkerei Pankow"
    change_status(roles.club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
    assert mm.standin.channels[link.channel_id]["delete_at"] > 0
    assert services.link_for(roles.club).archived_at is not None


def test_provision_button_is_only_for_the_board(roles, client_for, mm):
    assert client_for(roles.member).post(f"/c/{roles.club.slug}/chat/einstellungen/anlegen").status_code == 403
    assert services.link_for(roles.club) is None
