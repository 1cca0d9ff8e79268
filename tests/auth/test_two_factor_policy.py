"""Who must use two-factor login (issue 21): staff always, a club's board when the club says so."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.clubs.models import Club
from app.core.audit import AuditEntry
from app.extensions import db
from tests.conftest import HX, enrol_two_factor
from tests.helpers import row_counts, text

ENROL = "/konto/zwei-faktor"


def _admin_urls(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            url = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url


def test_staff_without_two_factor_reach_nothing_in_admin_but_the_enrolment_page(app, make_user, client_for, roles):
    staff = make_user(staff=True, two_factor=False)
    client = client_for(staff)
    before = row_counts()
    walked = 0
    for method, url in _admin_urls(app):
        for headers in ({}, HX):
            response = client.open(url, method=method, headers=headers, data={"reason": "x", "body": "x"})
            label = f"{method} {url}{' (htmx)' if headers else ''}"
            if headers:
                assert response.status_code == 403 and response.headers["HX-Redirect"] == ENROL, label
            else:
                assert response.status_code == 303 and response.headers["Location"] == ENROL, label
        walked += 1
    assert walked >= 30
    assert row_counts() == before  # nothing was written on the way
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "Für den Verwaltungsbereich ist die Zwei-Faktor-Anmeldung Pflicht" in text(page)
    # after a real enrolment the admin area opens
    enrol_two_factor(staff)
    client = client_for(staff)
    assert client.get("/admin/vereine").status_code == 200


def test_non_staff_still_get_403_in_admin(app, roles, client_for):
    enrol_two_factor(roles.member)
    assert client_for(roles.member).get("/admin/vereine").status_code == 403
    assert client_for(roles.board).get("/admin/vereine").status_code == 403


# --- the club setting --------------------------------------------------------------------------------------------


def test_the_board_requires_two_factor_only_with_it_themselves(app, roles, client_for):
    url = f"/c/{roles.club.slug}/einstellungen/zwei-faktor"
    client = client_for(roles.board)
    before = row_counts()
    response = client.post(url, data={"required": "y"})
    assert response.status_code == 422 and "Bitte richten Sie zuerst selbst die Zwei-Faktor-Anmeldung ein" in text(
        response
    )
    assert row_counts() == before

    enrol_two_factor(roles.board)
    client = client_for(roles.board)
    response = client.post(url, data={"required": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Club, roles.club.id).board_two_factor_required
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "club.board_two_factor_changed"))
    assert entry.club_id == roles.club.id and entry.actor_id == roles.board.id and entry.details["required"] is True
    assert "checked" in text(client.get(f"/c/{roles.club.slug}/einstellungen"))
    # members cannot change it
    assert client_for(roles.member).post(url, data={}).status_code == 403
    # turning it off again
    assert client.post(url, data={}).status_code == 303
    db.session.expire_all()
    assert not db.session.get(Club, roles.club.id).board_two_factor_required


def test_a_second_board_member_without_two_factor_gets_the_enrolment_page(app, roles, make_user, client_for):
    from app.clubs.models import Membership, Role

    second = make_user(name="Zweite Vorständin")
    db.session.add(Membership(club_id=roles.club.id, user_id=second.id, role=Role.BOARD))
    roles.club.board_two_factor_required = True
    db.session.commit()
    client = client_for(second)
    response = client.get(f"/c/{roles.club.slug}/mitglieder/")
    assert response.status_code == 303 and response.headers["Location"] == ENROL
    page = client.get(ENROL)
    assert "Ihr Verein verlangt für den Vorstand die Zwei-Faktor-Anmeldung" in text(page)
    # reading the workspace still works, with the recommendation
    home = client.get(f"/c/{roles.club.slug}/")
    assert home.status_code == 200 and 'id="two-factor-recommendation"' in text(home)


# --- recommendation and staff view -----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "shown"), [("board", True), ("member", False), ("enrolled_board", False)])
def test_board_members_see_a_recommendation_until_they_enrol(app, roles, client_for, who, shown):
    user = roles.member if who == "member" else roles.board
    if who == "enrolled_board":
        enrol_two_factor(user)
    body = text(client_for(user).get(f"/c/{roles.club.slug}/"))
    assert ('id="two-factor-recommendation"' in body) is shown
    assert ("Zwei-Faktor-Anmeldung einrichten" in body) is shown


def test_staff_club_detail_says_whether_the_board_has_two_factor(app, roles, make_user, client_for):
    from app.clubs.models import Membership, Role

    staff = client_for(roles.staff)

    def answer():
        return re.search(r'<dd id="board-two-factor">([^<]*)</dd>', text(staff.get(f"/admin/vereine/{roles.club.id}")))[
            1
        ]

    assert answer() == "nein"
    enrol_two_factor(roles.board)
    assert answer() == "ja"
    second = make_user(name="Zweiter Vorstand")
    db.session.add(Membership(club_id=roles.club.id, user_id=second.id, role=Role.BOARD))
    db.session.commit()
    assert answer() == "nein"  # every board member counts; names are not shown
    body = text(staff.get(f"/admin/vereine/{roles.club.id}"))
    assert second.email not in body.split('id="board-two-factor"')[1][:200]
