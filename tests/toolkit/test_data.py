"""The toolkit's data belongs to the club: club export, deletion with the club, account deletion, registry."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Club
from app.core.db import utcnow
from app.dataprotection import retention
from app.dataprotection.closure import request_closure
from app.dataprotection.erasure import erase_user
from app.dataprotection.services import club_data, user_data
from app.extensions import db
from app.toolkit import services
from app.toolkit.models import Breach, SubjectRequest


def _entries(roles):
    item = services.log_request(
        roles.club,
        kind="erasure",
        received_on=services.today(),
        channel="letter",
        note="Abteilung Schwimmen",
        by=roles.board,
    )
    breach = services.log_breach(
        roles.club,
        discovered_at=utcnow(),
        by=roles.board,
        facts="Offener Verteiler an Eltern",
        data_kinds="E-Mail",
        affected_count=40,
        sensitive=False,
        risk="yes",
        high_risk="no",
    )
    return item, breach


def test_the_club_export_holds_requests_and_breaches(app, roles):
    item, breach = _entries(roles)
    data = club_data(roles.club)
    assert [row["note"] for row in data["toolkit_request"]] == ["Abteilung Schwimmen"]
    assert [row["facts"] for row in data["toolkit_breach"]] == ["Offener Verteiler an Eltern"]
    assert club_data(roles.other_club)["toolkit_request"] == []


def test_a_board_members_own_export_shows_only_that_they_logged_entries(app, roles):
    _entries(roles)
    data = user_data(roles.board)["checklist"]
    [row] = data["toolkit_request"]
    assert row["kind"] == "erasure" and "note" not in row and "Abteilung Schwimmen" not in str(data)
    [row] = data["toolkit_breach"]
    assert "facts" not in row and "Verteiler" not in str(data)
    assert user_data(roles.member)["checklist"]["toolkit_request"] == []


def test_entries_stay_with_the_club_when_the_board_member_deletes_the_account(app, roles):
    item, breach = _entries(roles)
    item_id, breach_id = item.id, breach.id
    services.close_request(item, closed_on=services.today(), outcome="gelöscht", by=roles.board)
    erase_user(db.session.get(User, roles.board.id))
    kept = db.session.get(SubjectRequest, item_id)
    assert kept.created_by_id is None and kept.closed_by_id is None and kept.note == "Abteilung Schwimmen"
    assert db.session.get(Breach, breach_id).created_by_id is None


def test_entries_are_deleted_with_the_club(app, roles):
    _entries(roles)
    services.log_request(
        roles.other_club, kind="access", received_on=services.today(), channel="email", note="", by=roles.outsider
    )
    club = db.session.get(Club, roles.club.id)
    deletion = request_closure(club, by=roles.board)
    deletion.delete_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    retention.run()
    db.session.expire_all()
    assert db.session.scalars(sa.select(SubjectRequest.club_id)).all() == [roles.other_club.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Breach)) == 0
