"""Tenant isolation, checked for every club-scoped route and every role.

The test walks ``app.url_map``: a route added later under ``/c/<slug>`` is
checked automatically, using the access rule its view declares.
"""

import re

import pytest

from app.core.tenancy import club_scoped_rules

from .conftest import HX

ROLES = ("anonymous", "member", "board", "staff", "outsider")


def _url_for_rule(rule, slug):
    """Fill <slug> and any other converters with values that parse."""

    def value(match):
        converter, name = match.group(1), match.group(2)
        if name == "slug":
            return slug
        if converter in ("int", "float"):
            return "999999"
        return "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def _expected(access, role):
    """Status codes that count as 'allowed' or the specific denial."""
    if access.role == "public":
        return None  # no login needed; the view decides
    if role == "anonymous":
        return {302, 401}
    if role in ("staff", "outsider"):
        return {404}
    if role == "member" and access.role == "board":
        return {403}
    return None  # allowed: anything but a tenant denial


def test_every_club_route_declares_access(app):
    rules = list(club_scoped_rules(app))
    assert len(rules) >= 6
    assert all(access is not None for _, access in rules)


@pytest.fixture
def reached_views(app):
    """Swap every club view for a marker (keeping its access rule).

    The tenant loader runs before the view, so a denial never reaches it; an
    allowed request answers "REACHED". No real view runs, so POST routes can be
    walked for every role without side effects.
    """
    for rule, access in club_scoped_rules(app):

        def marker(**kwargs):
            return "REACHED"

        marker.club_access = access
        app.view_functions[rule.endpoint] = marker
    return app


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("htmx", [False, True])
def test_club_routes_enforce_roles(reached_views, roles, client_for, role, htmx):
    users = {
        "anonymous": None,
        "member": roles.member,
        "board": roles.board,
        "staff": roles.staff,
        "outsider": roles.outsider,
    }
    client = client_for(users[role])
    headers = HX if htmx else {}
    checked = 0
    for rule, access in club_scoped_rules(reached_views):
        for slug in (roles.club.slug, roles.other_club.slug if role in ("member", "board") else None):
            if slug is None:
                continue
            url = _url_for_rule(rule, slug)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, headers=headers)
                label = f"{method} {rule.rule} as {role} on {slug}"
                foreign = slug != roles.club.slug
                expected = {404} if foreign and access.role != "public" else _expected(access, role)
                if expected is None:
                    assert response.status_code == 200 and response.get_data(as_text=True) == "REACHED", label
                else:
                    assert response.status_code in expected, f"{label}: {response.status_code}"
                    assert "REACHED" not in response.get_data(as_text=True), label
                    if role == "anonymous" and htmx:
                        assert response.status_code == 401 and "HX-Redirect" in response.headers, label
                checked += 1
    assert checked >= 6


@pytest.mark.parametrize("role", ("member", "board"))
def test_club_pages_render_for_allowed_roles(app, roles, client_for, role):
    """Real GET views without further URL parts render (full page and partial)."""
    client = client_for(getattr(roles, role))
    for rule, access in club_scoped_rules(app):
        if "GET" not in rule.methods or rule.arguments != {"slug"}:
            continue
        if access.role == "board" and role == "member":
            continue
        url = _url_for_rule(rule, roles.club.slug)
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code < 400 or response.status_code == 409, f"GET {url} as {role}"


def test_unknown_club_is_404_for_everyone(roles, client_for):
    for user in (roles.member, roles.board, roles.staff):
        assert client_for(user).get("/c/gibt-es-nicht/").status_code == 404


def test_pending_club_shows_status_page_and_the_self_check(make_user, make_club, client_for):
    board = make_user()
    club = make_club(status="pending", board=board)
    client = client_for(board)
    home = client.get(f"/c/{club.slug}/")
    assert home.status_code == 200
    assert "wird geprüft" in home.get_data(as_text=True)
    assert 'hx-trigger="load"' not in home.get_data(as_text=True)
    assert client.get(f"/c/{club.slug}/datenschutz/profil").status_code == 200
    assert client.get(f"/c/{club.slug}/mitglieder/").status_code == 403
    assert client.get(f"/c/{club.slug}/konferenzen/").status_code == 403


# --- a club waiting for approval: the board prepares the self-check, nothing more -------------------------

#: The only club views (besides those marked inactive_ok) that work while a club waits for approval. A new
#: entry here is a decision: nothing in them may reach other people (mail, invitations, meetings, chat).
PENDING_VIEWS = {
    "privacy.panel",
    "privacy.checklist",
    "privacy.profile",
    "privacy.settings",
    "privacy.item",
    "privacy.save",
    "privacy.item_history",
    "privacy.plan",
    "privacy.report",
    "privacy.report_pdf",
    "privacy.answers_csv",
}


def test_only_the_self_check_works_while_pending(app):
    allowed = {rule.endpoint for rule, access in club_scoped_rules(app) if getattr(access, "pending_ok", False)}
    assert allowed == PENDING_VIEWS


@pytest.mark.parametrize("status", ["pending", "rejected", "closed"])
@pytest.mark.parametrize("role", ROLES)
def test_club_waiting_or_refused_reaches_only_declared_views(reached_views, roles, client_for, role, status):
    """Every club route on a club that is not approved: pending_ok views only while pending."""
    from app.clubs.models import ClubStatus
    from app.extensions import db

    roles.club.status = ClubStatus(status)
    db.session.commit()
    users = {
        "anonymous": None,
        "member": roles.member,
        "board": roles.board,
        "staff": roles.staff,
        "outsider": roles.outsider,
    }
    client = client_for(users[role])
    reached = refused = 0
    for rule, access in club_scoped_rules(reached_views):
        url = _url_for_rule(rule, roles.club.slug)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            body = response.get_data(as_text=True)
            label = f"{method} {rule.rule} as {role} on a {status} club"
            expected = _expected(access, role)
            if expected is not None:
                assert response.status_code in expected, f"{label}: {response.status_code}"
                assert "REACHED" not in body, label
            elif access.role == "public" or access.inactive_ok or (access.pending_ok and status == "pending"):
                assert response.status_code == 200 and body == "REACHED", label
                reached += 1
            else:
                assert response.status_code == 403 and "REACHED" not in body, f"{label}: {response.status_code}"
                refused += 1
    if role == "board":
        assert refused >= 20
        assert reached >= (len(PENDING_VIEWS) if status == "pending" else 3)


def test_route_without_access_rule_fails_app_start(database_url):
    from flask import Flask

    from app.core.tenancy import check_routes, club_blueprint

    app = Flask(__name__)
    bp = club_blueprint("forgotten", __name__, "/vergessen")
    bp.add_url_rule("/", "index", lambda: "oops")
    app.register_blueprint(bp)
    with pytest.raises(RuntimeError, match="/c/<slug>/vergessen/"):
        check_routes(app)


# --- a suspended club: read and export, nothing more ---------------------------------------------

#: The only club views that accept writes while the club is suspended. A new entry here is a decision:
#: say in SECURITY.md why the view is safe for a suspended club.
SUSPENDED_WRITES = {"clubdata.export", "clubdata.close", "members.leave"}


def _suspend(club):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    change_status(club, ClubStatus.SUSPENDED, by=None, reason="Spam-Verdacht", notify=False)


def test_only_export_leave_and_close_accept_writes_while_suspended(app):
    allowed = {rule.endpoint for rule, access in club_scoped_rules(app) if getattr(access, "suspended_ok", False)}
    assert allowed == SUSPENDED_WRITES


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("htmx", [False, True])
def test_suspended_club_is_read_only_for_every_role(reached_views, roles, client_for, role, htmx):
    """Every club route on a suspended club: reads work as before, every write is refused (403)."""
    _suspend(roles.club)
    users = {
        "anonymous": None,
        "member": roles.member,
        "board": roles.board,
        "staff": roles.staff,
        "outsider": roles.outsider,
    }
    client = client_for(users[role])
    headers = HX if htmx else {}
    reads = writes = refused = 0
    for rule, access in club_scoped_rules(reached_views):
        url = _url_for_rule(rule, roles.club.slug)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers=headers)
            body = response.get_data(as_text=True)
            label = f"{method} {rule.rule} as {role} on a suspended club"
            safe = method == "GET"
            expected = _expected(access, role)
            if expected is not None:  # the usual denial comes first: a suspension reveals nothing
                assert response.status_code in expected, f"{label}: {response.status_code}"
                assert "REACHED" not in body, label
            elif safe or getattr(access, "suspended_ok", False):
                assert response.status_code == 200 and body == "REACHED", label
                reads += safe
                writes += not safe
            else:
                assert response.status_code == 403, f"{label}: {response.status_code}"
                assert "REACHED" not in body and "Dieser Verein ist gesperrt" in body, label
                assert ("<html" in body) == (not htmx), label
                refused += 1
    if role == "member":
        assert reads >= 10 and refused >= 3 and writes == 1  # leaving the club
    if role == "board":
        assert reads >= 20 and refused >= 20 and writes == len(SUSPENDED_WRITES)


@pytest.mark.parametrize("role", ("member", "board"))
def test_suspended_club_pages_render_for_reading(app, roles, client_for, role):
    """The real GET views of a suspended club render (read-only), full page and partial."""
    _suspend(roles.club)
    client = client_for(getattr(roles, role))
    checked = 0
    for rule, access in club_scoped_rules(app):
        if "GET" not in rule.methods or rule.arguments != {"slug"}:
            continue
        if access.role == "board" and role == "member":
            continue
        url = _url_for_rule(rule, roles.club.slug)
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code < 400 or response.status_code == 409, f"GET {url} as {role}"
            checked += 1
    assert checked >= 10


#: The toolkit's routes (issue 18) and who may use them. Requests and breaches hold personal data of third
#: parties: board only. The record of processing is the club's paperwork: members may open its pages, and the
#: views show it only when the board shared it (tests/toolkit/test_record.py). The walks above check each route
#: for every role and a foreign club.
TOOLKIT_ROUTES = {
    "toolkit.index": ("/c/<slug>/werkzeuge/", "board"),
    "toolkit.requests": ("/c/<slug>/werkzeuge/anfragen/", "board"),
    "toolkit.show_request": ("/c/<slug>/werkzeuge/anfragen/<int:request_id>", "board"),
    "toolkit.extend_request": ("/c/<slug>/werkzeuge/anfragen/<int:request_id>/verlaengern", "board"),
    "toolkit.close_request": ("/c/<slug>/werkzeuge/anfragen/<int:request_id>/abschliessen", "board"),
    "toolkit.breaches": ("/c/<slug>/werkzeuge/pannen/", "board"),
    "toolkit.show_breach": ("/c/<slug>/werkzeuge/pannen/<int:breach_id>", "board"),
    "toolkit.authority_notified": ("/c/<slug>/werkzeuge/pannen/<int:breach_id>/behoerde-gemeldet", "board"),
    "toolkit.people_notified": ("/c/<slug>/werkzeuge/pannen/<int:breach_id>/betroffene-informiert", "board"),
    "toolkit.close_breach": ("/c/<slug>/werkzeuge/pannen/<int:breach_id>/abschliessen", "board"),
    "toolkit.record": ("/c/<slug>/werkzeuge/verzeichnis/", "member"),
    "toolkit.edit_record": ("/c/<slug>/werkzeuge/verzeichnis/bearbeiten", "board"),
    "toolkit.record_print": ("/c/<slug>/werkzeuge/verzeichnis/<int:number>", "member"),
    "toolkit.record_pdf": ("/c/<slug>/werkzeuge/verzeichnis/<int:number>/pdf", "member"),
    "toolkit.record_docx": ("/c/<slug>/werkzeuge/verzeichnis/<int:number>/docx", "member"),
    "toolkit.share_record": ("/c/<slug>/werkzeuge/verzeichnis/freigabe", "board"),
    "toolkit.notices": ("/c/<slug>/werkzeuge/hinweise/", "member"),
    "toolkit.edit_notice": ("/c/<slug>/werkzeuge/hinweise/<kind>/bearbeiten", "board"),
    "toolkit.notice_pdf": ("/c/<slug>/werkzeuge/hinweise/<kind>/pdf", "member"),
    "toolkit.notice_docx": ("/c/<slug>/werkzeuge/hinweise/<kind>/docx", "member"),
}


def test_toolkit_routes_are_walked_with_their_roles(app):
    walked = {rule.endpoint: (rule.rule, access) for rule, access in club_scoped_rules(app)}
    toolkit = {endpoint for endpoint in walked if endpoint.startswith("toolkit.")}
    assert toolkit == set(TOOLKIT_ROUTES), "a new toolkit route: add it here and decide its role"
    for endpoint, (path, role) in TOOLKIT_ROUTES.items():
        rule, access = walked[endpoint]
        assert rule == path and access.role == role and not access.suspended_ok, endpoint


#: Evidence on checklist items (issue 18, item 5). Members of the club see and download it; adding and removing
#: follow the self-check's rule inside the view (the board, members too if the club lets them answer), never while
#: a club waits for approval (not pending_ok) and never on a suspended club (writes). The walks above check each
#: route for every role and a foreign club; tests/privacy/test_evidence.py checks the rules inside.
EVIDENCE_ROUTES = {
    "privacy.add_evidence": ("/c/<slug>/datenschutz/punkt/<key>/nachweise", "member"),
    "privacy.download_evidence": ("/c/<slug>/datenschutz/punkt/<key>/nachweise/<int:evidence_id>", "member"),
    "privacy.remove_evidence": ("/c/<slug>/datenschutz/punkt/<key>/nachweise/<int:evidence_id>/entfernen", "member"),
}


def test_evidence_routes_are_walked_with_their_roles(app):
    walked = {rule.endpoint: (rule.rule, access) for rule, access in club_scoped_rules(app)}
    evidence = {endpoint for endpoint in walked if "evidence" in endpoint}
    assert evidence == set(EVIDENCE_ROUTES), "a new evidence route: add it here and decide its role"
    for endpoint, (path, role) in EVIDENCE_ROUTES.items():
        rule, access = walked[endpoint]
        assert rule == path and access.role == role, endpoint
        assert not access.suspended_ok and not access.pending_ok and not access.inactive_ok, endpoint


# --- "2FA für den Vorstand verpflichtend" (issue 21) -----------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_a_club_requiring_two_factor_sends_its_board_to_enrolment_before_every_board_route(
    reached_views, roles, client_for, htmx
):
    """The loader, not the views: every board route of a club with the setting on sends a board member without
    two-factor login to the enrolment page; member routes still work; members keep their 403; once enrolled,
    every board route is reached. A club without the setting is unaffected."""
    from app.extensions import db
    from tests.conftest import enrol_two_factor

    roles.club.board_two_factor_required = True
    db.session.commit()
    board, member, other_board = (client_for(u) for u in (roles.board, roles.member, roles.outsider))
    headers = HX if htmx else {}
    walked = 0
    for rule, access in club_scoped_rules(reached_views):
        url = _url_for_rule(rule, roles.club.slug)
        other_url = _url_for_rule(rule, roles.other_club.slug)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = board.open(url, method=method, headers=headers)
            label = f"{method} {rule.rule}"
            if access.role == "board":
                walked += 1
                assert "REACHED" not in response.get_data(as_text=True), label
                if htmx:
                    assert response.status_code == 403, label
                    assert response.headers["HX-Redirect"] == "/konto/zwei-faktor", label
                else:
                    assert response.status_code == 303, label
                    assert response.headers["Location"] == "/konto/zwei-faktor", label
                assert member.open(url, method=method, headers=headers).status_code == 403, label
                # the other club does not require it: its board (without two-factor login) is reached
                assert other_board.open(other_url, method=method, headers=headers).status_code == 200, label
            elif access.role == "member" and method == "GET":
                assert response.status_code == 200 and response.get_data(as_text=True) == "REACHED", label
    assert walked >= 10
    enrol_two_factor(roles.board)
    board = client_for(roles.board)  # enrolment ended the old session
    for rule, access in club_scoped_rules(reached_views):
        if access.role == "board":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = board.open(_url_for_rule(rule, roles.club.slug), method=method, headers=headers)
                assert response.get_data(as_text=True) == "REACHED", f"{method} {rule.rule}"


def test_board_actions_in_member_views_follow_the_club_setting(app, roles, client_for):
    """``require_board()`` (board actions inside member views) applies the same rule as the loader."""
    from flask import g
    from flask_login import login_user
    from werkzeug.exceptions import HTTPException

    from app.core.tenancy import require_board
    from app.extensions import db

    roles.club.board_two_factor_required = True
    db.session.commit()
    with app.test_request_context(f"/c/{roles.club.slug}/"):
        login_user(roles.board)
        g.club = roles.club
        g.membership = roles.club.memberships[0] if roles.club.memberships[0].is_board else roles.club.memberships[1]
        with pytest.raises(HTTPException) as refused:
            require_board()
        assert refused.value.response.status_code == 303
        assert refused.value.response.headers["Location"] == "/konto/zwei-faktor"
