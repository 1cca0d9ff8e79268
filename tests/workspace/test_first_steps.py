"""Issue 16 item 6: the "Erste Schritte" box and inviting from the workspace."""

from __future__ import annotations

import re

from app.extensions import db


def _box(client, club):
    html = client.get(f"/c/{club.slug}/").get_data(as_text=True)
    if "Erste Schritte" not in html:
        return None
    box = html.split('id="first-steps-title"', 1)[1].split("</section>", 1)[0]
    return {key: ("is-done" in cls) for cls, key in re.findall(r'class="first-step([^"]*)" data-step="(\w+)"', box)}


def test_board_sees_three_open_steps_members_see_none(roles, client_for):
    assert _box(client_for(roles.board), roles.club) == {"profile": False, "invite": True, "meeting": False}
    assert _box(client_for(roles.member), roles.club) is None


def test_new_club_steps_tick_as_they_are_done_and_the_box_goes(make_user, make_club, client_for):
    from datetime import datetime, timedelta, timezone

    from app.clubs.models import Invitation
    from app.meetings.models import MeetingRun
    from app.meetings.services import rooms_for
    from app.privacy.services import club_assessment

    board = make_user()
    club = make_club(board=board)
    client = client_for(board)
    assert _box(client, club) == {"profile": False, "invite": False, "meeting": False}
    html = client.get(f"/c/{club.slug}/").get_data(as_text=True)
    assert f'href="/c/{club.slug}/mitglieder/#invite"' in html  # inviting is reachable from the workspace

    assessment = club_assessment(club)
    assessment.profile_done_at = datetime.now(timezone.utc)
    db.session.commit()
    assert _box(client, club) == {"profile": True, "invite": False, "meeting": False}

    db.session.add(
        Invitation(club_id=club.id, email="neu@example.org", expires_at=datetime.now(timezone.utc) + timedelta(days=3))
    )
    db.session.commit()
    assert _box(client, club) == {"profile": True, "invite": True, "meeting": False}

    room = rooms_for(club)[0]
    db.session.add(MeetingRun(club_id=club.id, room_id=room.id))
    db.session.commit()
    assert _box(client, club) is None  # all done: the box is gone


def test_dismissing_puts_the_box_away_for_the_whole_board(roles, make_user, client_for):
    from app.clubs.models import Membership, Role

    second = make_user()
    db.session.add(Membership(club_id=roles.club.id, user_id=second.id, role=Role.BOARD))
    db.session.commit()
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/erste-schritte/ausblenden")
    assert response.status_code == 303
    assert _box(client_for(roles.board), roles.club) is None
    assert _box(client_for(second), roles.club) is None  # stored with the club, not in a cookie
    assert "Set-Cookie" not in response.headers or "first" not in response.headers["Set-Cookie"]
    # members cannot put it away for the board
    assert client_for(roles.member).post(f"/c/{roles.other_club.slug}/erste-schritte/ausblenden").status_code == 404
    assert client_for(roles.member).post(f"/c/{roles.club.slug}/erste-schritte/ausblenden").status_code == 403
