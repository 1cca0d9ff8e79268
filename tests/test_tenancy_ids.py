"""Isolation outside ``/c/<slug>``: every route that takes an id or a token, for every role.

The counterpart of ``test_tenancy.py`` (which walks the club routes). The test walks ``app.url_map``:

- Staff-only routes are the views made with ``@staff_required`` (``view.staff_only``); every rule under
  ``/admin`` must be one, with or without an id.
- Every other rule outside ``/c/<slug>`` with a URL argument is classified in :data:`ROUTES`. A new route
  that takes an id or a token and is not classified there fails
  :func:`test_every_route_with_an_id_or_token_is_classified`.

The walk uses real objects of two people, A (``roles.member``) and B (``roles.outsider``, of another club):
bookings, queue places, workshop registrations, exports, invitations and a guest link of A's club, and
the tokens mailed to A. Every refusal is checked the same way: the expected status (404 for another
person's object, 403 for a non-staff person in the admin area, the login page for anonymous visitors and a
401 with ``HX-Redirect`` for htmx), nothing changed in the database, no mail sent, and nothing of A's in
the answer. Wrong, forged, cross-purpose, expired and used tokens are refused cleanly (a 4xx, or a
redirect with an error message), never with a 500.
"""

from __future__ import annotations

import re
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from itertools import count
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.core.tenancy import CLUB_URL_PREFIX
from app.extensions import db

from .conftest import HX, login

ROLES = ("anonymous", "member", "board", "staff", "outsider")

A_EMAIL = "mitglied@verein.example"  # roles.member
A_SECRET = "Frage-von-A-7f3c"  # in A's booking and queue place: must never appear in another person's answer
NEW_PASSWORD = "ein-ganz-neues-passwort-42"

#: Sent with every POST of the walk: whatever a form may ask for, so that only the access check can stop a
#: request (WTForms ignores the fields a form does not have).
FORM = {
    "name": "Mallory Muster",
    "consent": "y",
    "access_code": "",
    "password": NEW_PASSWORD,
    "password_repeat": NEW_PASSWORD,
    "reason": "Spam-Verdacht",
    "body": "Text",
    "subject": "Betreff",
    "reg-name": "Mallory Muster",
    "reg-email": "mallory@example.org",
    "reg-password": NEW_PASSWORD,
    "reg-password_repeat": NEW_PASSWORD,
}


# --- the classification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """The id names one person's object. Only that person may use it; anyone else gets 404 (the object's
    existence is not revealed), staff included (they use the admin routes)."""

    obj: str


@dataclass(frozen=True)
class Own:
    """The id names a public object (a workshop); the request acts only on the caller's own record for it
    (their registration). Login needed; another person's record stays untouched. ``needs_record``: refused
    (4xx) for a caller without a record (cancelling, joining)."""

    objs: tuple[str, ...]
    needs_record: bool = True


@dataclass(frozen=True)
class Token:
    """A token from an e-mail or a shared link.

    ``bound``: None – a bearer token: whoever holds the link may use it (it was sent to its owner);
    ``"login"`` – also bound to the owner's login (others are refused); ``"address"`` – an invitation by
    e-mail: only an account with the invited address can accept it.
    """

    kinds: tuple[str, ...]
    bound: str | None = None
    login: bool = False  # the route needs a login (anonymous -> login page)
    #: A member of the link's club is sent to its workspace whatever the state of the link (after signing up
    #: through a single-use invitation, the used link brings its new member home); nothing changes.
    members_go_home: bool = False


@dataclass(frozen=True)
class Public:
    """Public content: the same for everyone; unpublished content is 404 for everyone."""

    kinds: tuple[str, ...]


#: Every rule outside /c/<slug> with a URL argument that is not staff-only, by endpoint (``endpoint#variant``
#: when one route serves two kinds of link). Add new routes here: the test says which ones are missing.
ROUTES = {
    # a person's objects
    "consultation.cancel_booking": Owned("booking"),
    "consultation.queue_status": Owned("queue_entry"),
    "consultation.queue_join": Owned("queue_entry"),
    "consultation.leave_queue": Owned("queue_entry"),
    "auth.passkey_remove": Owned("passkey"),
    # a public workshop; the action is on the caller's own registration
    "workshops.register": Own(("workshop", "live_workshop"), needs_record=False),
    "workshops.cancel": Own(("workshop", "live_workshop")),
    "workshops.join": Own(("workshop", "live_workshop")),
    # tokens
    "auth.confirm": Token(("confirm",)),
    "auth.reset_password": Token(("reset",)),
    "auth.confirm_email_change": Token(("email_change",)),
    "dataprotection.download_export": Token(("export",), bound="login", login=True),
    "clubs.accept_invitation": Token(("invitation",), bound="address", members_go_home=True),
    "clubs.accept_invitation#link": Token(("invite_link",), members_go_home=True),
    "meetings_guest.join": Token(("guest",)),
    "meetings_guest.wait": Token(("guest",)),
    "workshops.cancel_link": Token(("workshop_cancel",)),
    "consultation.cancel_booking_link": Token(("booking_cancel",)),
    # public content
    "handbook.chapter": Public(("chapter",)),
    "handbook.template": Public(("template",)),
    "handbook.download": Public(("template",)),
    "handbook.article": Public(("article",)),
    "workshops.show": Public(("workshop", "live_workshop")),
    "static": Public(("static",)),
    # the club directory: a listed club's public page, and its "Kontakt aufnehmen" form (POST only: walked by
    # the odd-value and anonymous walks; tests/directory/test_contact.py checks what it sends)
    "directory.listing": Public(("listing",)),
    "directory.contact": Public(("listing_form",)),
}


def _classified(endpoint):
    return {key: spec for key, spec in ROUTES.items() if key.split("#")[0] == endpoint}


def outside_rules(app):
    """Rules outside /c/<slug>, with the view's staff-only flag."""
    for rule in app.url_map.iter_rules():
        if rule.rule == CLUB_URL_PREFIX or rule.rule.startswith(CLUB_URL_PREFIX + "/"):
            continue
        yield rule, bool(getattr(app.view_functions[rule.endpoint], "staff_only", False))


def staff_rules(app):
    return [rule for rule, staff in outside_rules(app) if staff]


def rules_of(app, cls):
    """(rule, key, spec) for every classified rule of one class."""
    found = []
    for rule, _staff in outside_rules(app):
        for key, spec in _classified(rule.endpoint).items():
            if isinstance(spec, cls):
                found.append((rule, key, spec))
    return found


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def classification_problems(app) -> list[str]:
    """What keeps the walk from covering every route outside /c/<slug> (empty when all is well)."""
    problems = []
    for rule, staff in outside_rules(app):
        if rule.rule.startswith("/admin") and not staff:
            problems.append(f"{rule.rule} ({rule.endpoint}) is under /admin without @staff_required")
        if staff and _classified(rule.endpoint):
            problems.append(f"{rule.endpoint} is staff-only: remove it from ROUTES (it is walked as staff-only)")
        elif not staff and rule.arguments and not _classified(rule.endpoint):
            problems.append(
                f"{rule.rule} ({rule.endpoint}) takes an id or a token but is not classified in "
                "tests/test_tenancy_ids.py ROUTES (Owned, Own, Token or Public) or staff-only"
            )
    endpoints = {rule.endpoint for rule, _ in outside_rules(app)}
    problems += [f"ROUTES lists {key}, which no longer exists" for key in ROUTES if key.split("#")[0] not in endpoints]
    return problems


def test_every_route_with_an_id_or_token_is_classified(app):
    assert classification_problems(app) == []
    assert len(staff_rules(app)) >= 30 and len(ROUTES) >= 20


def test_a_new_route_with_an_id_is_caught(app):
    """The check above can fail: an unclassified route, and an admin route without @staff_required."""
    app.add_url_rule("/quittungen/<int:receipt_id>", "receipts.show", lambda receipt_id: "")
    app.add_url_rule("/admin/geheim", "secret.index", lambda: "")
    problems = classification_problems(app)
    assert any("/quittungen/<int:receipt_id> (receipts.show) takes an id" in p for p in problems)
    assert any("/admin/geheim (secret.index) is under /admin" in p for p in problems)


# --- the world: real objects of A and B --------------------------------------------------------------------


@pytest.fixture
def app_config(app_config, tmp_path):
    # The walk sends many requests from one address: rate limits must not be what refuses them (a 429 would
    # hide a missing check). Exports go to a temporary folder.
    app_config.update(RATELIMIT_ENABLED=False, DATA_EXPORT_DIR=str(tmp_path / "exports"))
    return app_config


def _staff_room():
    from app.meetings.models import Room

    room = Room(club_id=None, name="Workshop-Raum", waiting_room=True)
    db.session.add(room)
    db.session.flush()
    return room


def _workshop(title, starts_in, room=None):
    from app.workshops.models import Workshop

    start = datetime.now(timezone.utc).replace(microsecond=0) + starts_in
    workshop = Workshop(
        title=title,
        description="Passwörter, Updates, Phishing.",
        topic="online-sicherheit",
        starts_at=start,
        duration_minutes=90,
        online=True,
        capacity=10,
        registration_deadline=start - timedelta(hours=1),
        room_id=room.id if room else None,
    )
    db.session.add(workshop)
    db.session.flush()
    return workshop


def _registration(workshop, user, club=None):
    from app.core.db import utcnow
    from app.workshops.models import Registration, RegistrationStatus

    registration = Registration(
        workshop_id=workshop.id,
        user_id=user.id,
        club_id=club.id if club else None,
        name=user.name,
        email=user.email,
        status=RegistrationStatus.CONFIRMED,
        confirmed_at=utcnow(),
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def _booking(user, hours):
    from app.consultation.models import ConsultationBooking

    slot = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    booking = ConsultationBooking(
        starts_at=slot,
        slot_at=slot,
        user_id=user.id,
        name=user.name,
        email=user.email,
        topic="datenschutz",
        question=f"{A_SECRET} {user.name}",
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def _queue_entry(user, status, room=None):
    from app.consultation import services as svc
    from app.consultation.models import QueueEntry
    from app.core.db import utcnow

    entry = QueueEntry(
        day=svc.today_local(),
        user_id=user.id,
        name=user.name,
        topic="datenschutz",
        question=f"{A_SECRET} {user.name}",
        status=status,
        priority_at=utcnow(),
        room_id=room.id if room else None,
        admitted_at=utcnow() if room else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _content(slug, kind, *, publish=True, withdraw=False, revisions=1):
    from app.guide import services as guide

    page = guide.create_page(kind, slug)
    for number in range(revisions):
        guide.save(
            page,
            {"title": f"{slug} {number}", "summary": "Kurz", "body": f"Text {number}"},
            author=None,
            publish=publish,
        )
    if withdraw:
        guide.withdraw(page)
    return page


class Tokens:
    """Real tokens, issued fresh on every call (so that using one never spoils the next case)."""

    def __init__(self, world):
        self.w = world

    def issue(self, kind, who="A", obj=None):
        from app.auth.services import make_token
        from app.clubs.models import Role
        from app.clubs.services import create_invite_link, invite_by_email
        from app.core.tokens import cancel_token
        from app.dataprotection.exports import export_token

        w = self.w
        user = w.a if who == "A" else w.b
        if kind == "confirm":
            return make_token("confirm", user)
        if kind == "reset":
            return make_token("reset", user)
        if kind == "email_change":
            return make_token("change-email", user, new=f"neu-{uuid.uuid4().hex[:8]}@example.org")
        if kind == "export":
            return export_token(w.export[who])
        if kind == "invitation":
            return invite_by_email(
                w.club, f"eingeladen-{uuid.uuid4().hex[:8]}@example.org", Role.MEMBER, by=w.board
            ).token
        if kind == "invite_link":
            return create_invite_link(w.club, Role.MEMBER, days=7, multi_use=True, by=w.board).token
        if kind == "guest":
            return w.guest_room.guest_token
        if kind == "workshop_cancel":
            return cancel_token("workshop", obj or w.registration[who])
        if kind == "booking_cancel":
            return cancel_token("consultation", obj or w.booking[who])
        raise AssertionError(f"No way to issue a {kind!r} token: add one to Tokens.issue")


def _passkey(user, credential_id):
    from app.auth.models import Passkey

    passkey = Passkey(user_id=user.id, name="Schlüssel", credential_id=credential_id, public_key=b"key")
    db.session.add(passkey)
    db.session.flush()
    return passkey


class World:
    """A's and B's objects, the staff's objects, and content. The costly ones are made when first used."""

    def __init__(self, app, roles, make_user, make_club):
        from app.admin.models import StaffNote
        from app.consultation.models import ConsultationException, QueueStatus
        from app.core.db import utcnow
        from app.meetings.models import Room
        from app.privacy.models import Assessment

        self.app, self.roles, self._make_user, self._make_club = app, roles, make_user, make_club
        a, b = self.a, self.b = roles.member, roles.outsider
        self.club, self.board, self.staff = roles.club, roles.board, roles.staff
        self.users = {
            "anonymous": None,
            "member": roles.member,
            "board": roles.board,
            "staff": roles.staff,
            "outsider": roles.outsider,
        }
        self.workshop = _workshop("Sicher im Netz", timedelta(days=7), _staff_room())
        self.live_workshop = _workshop("Gerade jetzt", timedelta(minutes=-5), _staff_room())
        self.registration = {"A": _registration(self.workshop, a, roles.club), "B": _registration(self.workshop, b)}
        self.live_registration = {"A": _registration(self.live_workshop, a), "B": _registration(self.live_workshop, b)}
        self.booking = {"A": _booking(a, 26), "B": _booking(b, 27)}
        self.queue_entry = {
            "A": _queue_entry(a, QueueStatus.ADMITTED, _staff_room()),
            "B": _queue_entry(b, QueueStatus.WAITING),
        }
        self.passkey = {"A": _passkey(a, b"credential-of-A"), "B": _passkey(b, b"credential-of-B")}
        self.guest_room = Room(club_id=roles.club.id, name="Gäste willkommen", guest_access=True)
        self.note = StaffNote(club_id=roles.club.id, author_id=roles.staff.id, body="Interne Notiz")
        self.foreign_note = StaffNote(club_id=roles.other_club.id, author_id=roles.staff.id, body="Andere Notiz")
        self.exception = ConsultationException(
            day=(datetime.now(timezone.utc) + timedelta(days=40)).date(), reason="Urlaub"
        )
        # Club A asked for a consultation: staff may read its checklist answers (admin.answers).
        assessment = Assessment(
            club_id=roles.club.id,
            score=50,
            topic_scores={},
            consultation_wanted=True,
            started_at=utcnow(),
            updated_at=utcnow(),
            profile={},
        )
        db.session.add_all([self.guest_room, self.note, self.foreign_note, self.exception, assessment])
        self.chapter = _content("kapitel-eins", "chapter")
        self.draft_chapter = _content("kapitel-entwurf", "chapter", publish=False)
        self.template = _content("vorlage-eins", "template", revisions=2)
        self.article = _content("artikel-eins", "article", revisions=3)
        self.withdrawn_article = _content("artikel-zurueckgezogen", "article", withdraw=True)
        self.withdrawn_template = _content("vorlage-zurueckgezogen", "template", withdraw=True)
        from app.directory.models import DirectoryTopic
        from app.directory.services import save_listing
        from app.offers.models import Offer

        self.topic = DirectoryTopic(slug="sport", name_de="Sport", name_en="Sports")
        self.offer = Offer(slug="videokonferenzen", name_de="Videokonferenzen")
        from app.chat.models import CommunityMember

        self.community_member = CommunityMember(user_id=a.id, wants=True)  # A joined the community channel
        db.session.add_all([self.topic, self.offer, self.community_member])
        save_listing(roles.club, listed=True, summary="Öffentlich", show_website=False, topic_ids=[], by=None)
        self.unlisted_club = roles.other_club  # in no listing: 404 for everyone
        db.session.commit()
        self.tokens = Tokens(self)

    @cached_property
    def export(self):
        """A ready personal export of A and of B (built and mailed at once: Huey runs immediately)."""
        from app.dataprotection.exports import request_export

        exports = {"A": request_export(self.a), "B": request_export(self.b)}
        assert all(export.status == "ready" for export in exports.values())
        return exports

    @cached_property
    def deletion(self):
        """A closed club, waiting for its deletion."""
        from app.dataprotection.closure import request_closure

        board = self._make_user(name="Clara Schluss")
        return request_closure(self._make_club(name="Schließender Verein", board=board), by=board)


@pytest.fixture
def world(app, roles, make_user, make_club, mailbox):
    w = World(app, roles, make_user, make_club)
    mailbox.clear()
    return w


# --- checking one request -------------------------------------------------------------------------------

WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b|^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL
)


@contextmanager
def watch_writes():
    """The data-changing SQL statements run inside (a refused request must run none)."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if WRITE.search(statement):
            statements.append(" ".join(statement.split())[:120])

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


class Walker:
    """Sends requests for one role and judges the answers."""

    def __init__(self, app, world, mailbox, role):
        self.app, self.w, self.mailbox, self.role = app, world, mailbox, role
        self.user = world.users[role]
        self.client = self.fresh_client()
        self.count = 0

    def fresh_client(self):
        client = self.app.test_client()
        if self.user is not None:
            db.session.refresh(self.user)  # its session token may have changed
            login(client, self.user)
        self.client = client
        return client

    def send(self, method, url, htmx):
        response = self.client.open(
            url, method=method, headers=HX if htmx else {}, data=FORM if method == "POST" else None
        )
        response.get_data()  # buffered, then closed (file responses)
        response.close()
        with self.client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        self.count += 1
        return response, flashes

    @staticmethod
    def verdict(response, flashes):
        """error (5xx) | login (sent to the login page) | refused (4xx, or a redirect with an error) | reached"""
        if response.status_code >= 500:
            return "error"
        location = response.headers.get("Location", "") or response.headers.get("HX-Redirect", "")
        if response.status_code in (302, 401) and "/konto/anmelden?next=" in location:
            return "login"
        if response.status_code >= 400 or any(category == "error" for category, _ in flashes):
            return "refused"
        return "reached"

    def expect_refused(self, method, url, *, status=None, htmx=False, login_first=False, label="", or_home=None):
        """The request is refused, changes nothing, sends no mail and shows nothing of A's.

        ``or_home``: a redirect to this path (a club's workspace, for its own members) counts as well."""
        mails = len(self.mailbox.messages)
        with watch_writes() as writes:
            response, flashes = self.send(method, url, htmx)
        body = response.get_data().decode("utf-8", "replace")  # (a download is not text)
        label = f"{method} {url} as {self.role}{' (htmx)' if htmx else ''} {label}".strip()
        outcome = self.verdict(response, flashes)
        if self.user is None and login_first and response.status_code not in (400, 404):
            # (a malformed URL may be refused before the login check: 400 for a NUL, 404 for a bad number)
            assert outcome == "login", f"{label}: {response.status_code} {outcome}, expected the login page"
            assert (
                (response.status_code == 401 and "HX-Redirect" in response.headers)
                if htmx
                else response.status_code == 302
            ), f"{label}: {response.status_code}"
        elif not (
            or_home and response.status_code in (302, 303) and urlsplit(response.headers["Location"]).path == or_home
        ):
            assert outcome == "refused", f"{label}: {response.status_code} {outcome}, expected a refusal"
            if status is not None:
                assert response.status_code in status, f"{label}: {response.status_code}, expected {status}"
        if htmx and response.status_code in (401, 403, 404):  # the error handler's short message
            assert "<html" not in body, f"{label}: a full page for htmx"
        self.assert_nothing_of_a(body, label)
        assert len(self.mailbox.messages) == mails, f"{label}: mail was sent"
        assert not writes, f"{label}: wrote to the database: {writes}"
        return response

    def assert_nothing_of_a(self, body, label):
        assert A_SECRET not in body, f"{label}: A's data in the answer"
        if self.user is None or self.user.id != self.w.a.id:
            for address in {A_EMAIL, self.w.a.email}:
                assert address not in body, f"{label}: A's address in the answer"

    def expect_reached(self, method, url, *, htmx=False, label="", allow=()):
        response, flashes = self.send(method, url, htmx)
        label = f"{method} {url} as {self.role}{' (htmx)' if htmx else ''} {label}".strip()
        outcome = self.verdict(response, flashes)
        assert outcome == "reached" or response.status_code in allow, (
            f"{label}: {response.status_code} {outcome} {flashes}, expected to be let through"
        )
        return response


def fill(rule, values):
    """The rule's path with ``values`` put in literally (also values the converters would not build)."""

    def value(match):
        name = match.group(2)
        assert name in values, f"No value for <{name}> of {rule.rule}"
        return str(values[name])

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def only_argument(rule):
    [name] = rule.arguments
    return name


@pytest.fixture
def walker(app, world, mailbox):
    def make(role):
        return Walker(app, world, mailbox, role)

    return make


# --- staff-only routes -----------------------------------------------------------------------------------

#: Real values for the URL arguments of the staff routes, by argument name. A new argument name makes the
#: walk fail until it gets a value here.
STAFF_ARGS = {
    "club_id": lambda w: w.club.id,
    "note_id": lambda w: w.note.id,
    "action": lambda w: "sperren",
    "workshop_id": lambda w: w.workshop.id,
    "registration_id": lambda w: w.registration["A"].id,
    "booking_id": lambda w: w.booking["A"].id,
    "entry_id": lambda w: w.queue_entry["A"].id,
    "exception_id": lambda w: w.exception.id,
    "page_id": lambda w: w.article.id,
    "number": lambda w: 2,
    "deletion_id": lambda w: w.deletion.id,
    "slug": lambda w: "start",
    "topic_id": lambda w: w.topic.id,
    "offer_id": lambda w: w.offer.id,
    "user_id": lambda w: w.community_member.user_id,
}

#: Rules with an id inside another id: the inner one, taken from another parent, is 404 for staff too.
FOREIGN_CHILD = {
    "admin.delete_note": {"note_id": lambda w: w.foreign_note.id},
    "workshops_admin.remove_registration": {"registration_id": lambda w: w.live_registration["A"].id},
    "content_admin.diff": {"number": lambda w: 3, "page_id": lambda w: w.template.id},
}


def staff_values(rule, world, overrides=None):
    values = {}
    for name in rule.arguments:
        getter = (overrides or {}).get(name) or STAFF_ARGS.get(name)
        assert getter is not None, f"No real value for <{name}> of {rule.rule}: add one to STAFF_ARGS"
        values[name] = getter(world)
    return values


def test_every_nested_staff_id_is_checked_against_its_parent(app):
    from werkzeug.routing import IntegerConverter

    nested = {
        rule.endpoint
        for rule in staff_rules(app)
        if sum(isinstance(c, IntegerConverter) for c in rule._converters.values()) >= 2
    }
    assert nested == set(FOREIGN_CHILD)


@pytest.mark.parametrize("role", ("anonymous", "member", "board", "outsider"))
def test_staff_routes_refuse_everyone_but_staff(world, walker, role):
    """Every staff-only rule and method, with real ids (A's booking, queue place, registration, club A's
    notes, a real closure): the login page for anonymous visitors (401 + HX-Redirect for htmx), 403 for
    everyone else; nothing changes, no mail."""
    walk = walker(role)
    for rule in staff_rules(walk.app):
        url = fill(rule, staff_values(rule, world))
        for method in methods(rule):
            for htmx in (False, True):
                walk.expect_refused(method, url, status={403}, htmx=htmx, login_first=True)
    assert walk.count >= 100


def test_staff_reach_every_staff_route(bbb_standin, world, walker):
    walk = walker("staff")
    for endpoint, overrides in FOREIGN_CHILD.items():  # first, while every object still exists
        [rule] = [r for r in staff_rules(walk.app) if r.endpoint == endpoint]
        url = fill(rule, staff_values(rule, world, overrides))
        for method in methods(rule):
            walk.expect_refused(method, url, status={404}, label="(child of another parent)")
    for htmx in (False, True):
        for rule in sorted(staff_rules(walk.app), key=lambda r: ("POST" in r.methods, r.rule)):
            url = fill(rule, staff_values(rule, world))
            for method in methods(rule):
                response, flashes = walk.send(method, url, htmx)
                outcome = walk.verdict(response, flashes)
                label = f"{method} {url} as staff{' (htmx)' if htmx else ''}"
                assert outcome not in ("error", "login") and response.status_code not in (401, 403), (
                    f"{label}: {response.status_code} {outcome}"
                )


# --- a person's objects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_personal_routes(bbb_standin, world, walker, mailbox, role):
    """A's and B's bookings, queue places and workshop registrations, for every role."""
    walk = walker(role)
    walk_owned_objects(walk, world)
    walk_own_records(walk, world, mailbox)


def walk_owned_objects(walk, world):
    """A's and B's booking and queue place: the owner reaches them, anyone else gets 404 (staff and A's own
    board included), anonymous visitors the login page."""
    role = walk.role
    own = []
    for rule, _key, spec in rules_of(walk.app, Owned):
        for who in ("A", "B"):
            obj = getattr(world, spec.obj)[who]
            url = fill(rule, {only_argument(rule): obj.id})
            owner = world.a if who == "A" else world.b
            for method in methods(rule):
                for htmx in (False, True):
                    if walk.user is not None and walk.user.id == owner.id:
                        own.append((method, url, htmx, obj))
                    else:
                        walk.expect_refused(method, url, status={404}, htmx=htmx, login_first=True)
    assert walk.count >= (8 if role in ("member", "outsider") else 16)
    for method, url, htmx, obj in sorted(own, key=lambda case: case[0] != "GET"):  # reads, then the actions
        db.session.expire_all()
        removed = db.session.get(type(obj), obj.id) is None  # the owner removed it a moment ago (a passkey)
        response, _flashes = walk.send(method, url, htmx)
        if removed:
            assert response.status_code == 404, f"{method} {url} as the owner, after removing it"
            continue
        assert response.status_code != 404 and response.status_code < 500, f"{method} {url} as the owner"
    if role in ("member", "outsider"):  # the owner's actions did reach the object
        who = "A" if role == "member" else "B"
        db.session.expire_all()
        assert world.booking[who].cancelled_at is not None
        assert world.queue_entry[who].status == "left"
        assert db.session.get(type(world.passkey[who]), world.passkey[who].id) is None
    else:
        assert not own


# --- a public object, the caller's own record --------------------------------------------------------------


def _registrations():
    from app.workshops.models import Registration

    db.session.expire_all()
    return {
        r.id: (r.user_id, r.workshop_id, r.status, r.cancelled_at) for r in db.session.scalars(sa.select(Registration))
    }


def walk_own_records(walk, world, mailbox):
    """Register, cancel, join a workshop (A and B are registered): only the caller's own registration
    changes, mail goes only to the caller, and without a registration cancelling and joining are refused."""
    role = walk.role
    for rule, _key, spec in rules_of(walk.app, Own):
        for name in spec.objs:
            workshop = getattr(world, name)
            url = fill(rule, {only_argument(rule): workshop.id})
            for method in methods(rule):
                for htmx in (False, True):
                    if walk.user is None:
                        walk.expect_refused(method, url, htmx=htmx, login_first=True)
                        continue
                    before, mails = _registrations(), len(mailbox.messages)
                    response, flashes = walk.send(method, url, htmx)
                    label = f"{method} {url} as {role}{' (htmx)' if htmx else ''}"
                    assert response.status_code < 500, f"{label}: {response.status_code}"
                    after = _registrations()
                    others = {i: row for i, row in before.items() if row[0] != walk.user.id}
                    assert {i: after.get(i) for i in others} == others, (
                        f"{label}: changed another person's registration"
                    )
                    assert all(after[i][0] == walk.user.id for i in set(after) - set(before)), (
                        f"{label}: registered someone else"
                    )
                    assert all(walk.user.email in m["X-Envelope-To"] for m in mailbox.messages[mails:]), (
                        f"{label}: mail to someone else"
                    )
                    registered = any(
                        row[:2] == (walk.user.id, workshop.id) and row[2] != "cancelled" for row in before.values()
                    )
                    if spec.needs_record and not registered:
                        assert walk.verdict(response, flashes) == "refused", f"{label}: {response.status_code}"
                        walk.assert_nothing_of_a(response.get_data(as_text=True), label)


# --- tokens ----------------------------------------------------------------------------------------------


@contextmanager
def _config(app, **values):
    old = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


def _stale_expired(setting):
    @contextmanager
    def stale(w, kind):
        token = w.tokens.issue(kind)
        with _config(w.app, **{setting: -1}):
            yield token

    return stale


@contextmanager
def _reset_after_password_change(w, kind):
    token = w.tokens.issue(kind)
    w.a.set_password("ein-anderes-passwort-99")
    db.session.commit()
    yield token


@contextmanager
def _email_change_superseded(w, kind):
    """A typo'd address first, then the right one: the first link must not work any more."""
    from app.auth.services import apply_email_change

    original = w.a.email
    first = w.tokens.issue(kind)
    apply_email_change(w.tokens.issue(kind))
    yield first
    w.a.email = original
    db.session.commit()


@contextmanager
def _email_change_used(w, kind):
    from app.auth.services import apply_email_change

    original = w.a.email
    token = w.tokens.issue(kind)
    apply_email_change(token)
    w.a.email = original  # back: the used link would now change it again
    db.session.commit()
    yield token


@contextmanager
def _export_expired(w, kind):
    export = w.export["A"]
    token = w.tokens.issue(kind)
    expires = export.expires_at
    export.expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.commit()
    yield token
    export.expires_at = expires
    db.session.commit()


def _invitation_changed(**values):
    @contextmanager
    def stale(w, kind):
        from app.clubs.models import Invitation

        token = w.tokens.issue(kind)
        invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token == token))
        for name, value in values.items():
            setattr(invitation, name, value() if callable(value) else value)
        db.session.commit()
        yield token

    return stale


@contextmanager
def _guest_rotated(w, kind):
    from app.meetings.services import rotate_guest_token

    token = w.tokens.issue(kind)
    rotate_guest_token(w.guest_room)
    yield token


@contextmanager
def _guest_switched_off(w, kind):
    token = w.tokens.issue(kind)
    w.guest_room.guest_access = False
    db.session.commit()
    yield token
    w.guest_room.guest_access = True
    db.session.commit()


@contextmanager
def _guest_club_suspended(w, kind):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    token = w.tokens.issue(kind)
    change_status(w.club, ClubStatus.SUSPENDED, by=None, reason="Spam", notify=False)
    db.session.commit()
    yield token
    change_status(w.club, ClubStatus.APPROVED, by=None, notify=False)
    db.session.commit()


@contextmanager
def _registration_id_reused(w, kind):
    """The registration was deleted (retention) and its id given to someone else's registration."""
    from app.workshops.models import Registration

    extra = _workshop("Noch einer", timedelta(days=9))
    old = _registration(extra, w.a)
    db.session.commit()
    token = w.tokens.issue(kind, obj=old)
    reg_id, created = old.id, old.created_at
    db.session.delete(old)
    db.session.flush()
    db.session.add(
        Registration(
            id=reg_id,
            workshop_id=extra.id,
            user_id=w.b.id,
            name=w.b.name,
            email=w.b.email,
            status="confirmed",
            created_at=created + timedelta(days=3),
        )
    )
    db.session.commit()
    yield token


_HOURS = count(50)


@contextmanager
def _booking_id_reused(w, kind):
    from app.consultation.models import ConsultationBooking

    old = _booking(w.a, next(_HOURS))
    db.session.commit()
    token = w.tokens.issue(kind, obj=old)
    booking_id, created, slot = old.id, old.created_at, old.slot_at
    db.session.delete(old)
    db.session.flush()
    db.session.add(
        ConsultationBooking(
            id=booking_id,
            starts_at=slot,
            slot_at=slot,
            user_id=w.b.id,
            name=w.b.name,
            email=w.b.email,
            topic="datenschutz",
            question="B",
            created_at=created + timedelta(days=3),
        )
    )
    db.session.commit()
    yield token


#: Ways a real token of each kind stops being valid. Every token kind needs at least one.
STALE = {
    "confirm": [("expired", _stale_expired("CONFIRM_TOKEN_MAX_AGE"))],
    "reset": [
        ("expired", _stale_expired("RESET_TOKEN_MAX_AGE")),
        ("after a password change", _reset_after_password_change),
    ],
    "email_change": [
        ("expired", _stale_expired("CONFIRM_TOKEN_MAX_AGE")),
        ("used", _email_change_used),
        ("superseded by a later change", _email_change_superseded),
    ],
    "export": [("expired", _export_expired)],
    "invitation": [
        ("revoked", _invitation_changed(revoked_at=lambda: datetime.now(timezone.utc))),
        ("expired", _invitation_changed(expires_at=lambda: datetime.now(timezone.utc) - timedelta(minutes=1))),
        ("used", _invitation_changed(use_count=1)),
    ],
    "invite_link": [
        ("revoked", _invitation_changed(revoked_at=lambda: datetime.now(timezone.utc))),
        ("expired", _invitation_changed(expires_at=lambda: datetime.now(timezone.utc) - timedelta(minutes=1))),
    ],
    "guest": [
        ("renewed", _guest_rotated),
        ("switched off", _guest_switched_off),
        ("club suspended", _guest_club_suspended),
    ],
    "workshop_cancel": [("id reused", _registration_id_reused)],
    "booking_cancel": [("id reused", _booking_id_reused)],
}

ODD = (
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "99999999999999999999999",
    "x",
    "%00",
    "%E2%80%A8",
    "..%2F..%2Fapp%2F__init__.py",
    "%C3%A4%C3%B6",
    "a" * 300,
    "'%20OR%201=1--",
)


def test_every_token_kind_can_go_stale(app):
    kinds = {kind for _, _, spec in rules_of(app, Token) for kind in spec.kinds}
    assert kinds == set(STALE) and all(STALE.values())


def _tampered(token):
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


@pytest.mark.parametrize("role", ROLES)
def test_token_routes(bbb_standin, world, walker, role):
    walk = walker(role)
    walk_bad_tokens(walk, world)
    walk_valid_tokens(walk, world)


def _closed_rooms(w):
    """The guest tokens of the rooms without guest access: the staff's workshop and consultation rooms (A's
    own consultation among them) – nobody joins those through /m/<token>."""
    from app.meetings.models import Room

    tokens = list(db.session.scalars(sa.select(Room.guest_token).where(Room.guest_access.is_(False))))
    assert len(tokens) >= 3
    return tokens


#: Further real tokens that the kind's routes must refuse.
OTHER_REAL = {"guest": _closed_rooms}


def walk_bad_tokens(walk, world):
    """Random, tampered, cross-purpose (a real token of another kind), expired and used tokens: a clean
    refusal on every token route, nothing changed, no mail. (Odd values: see the last test.)"""
    role = walk.role
    genuine = {kind: world.tokens.issue(kind) for kind in STALE}
    served = {}  # endpoint -> the token kinds it accepts
    for rule, _key, spec in rules_of(walk.app, Token):
        served.setdefault(rule.endpoint, set()).update(spec.kinds)
    member_of_a = role in ("member", "board")
    checked = 0
    for rule, key, spec in rules_of(walk.app, Token):
        arg = only_argument(rule)
        home = f"/c/{world.club.slug}/" if spec.members_go_home and member_of_a else None
        for kind in spec.kinds:
            bad = [secrets.token_urlsafe(24), _tampered(genuine[kind]), genuine[kind][:-1]]
            bad += [token for other, token in genuine.items() if other not in served[rule.endpoint]]
            bad += [token for token in OTHER_REAL.get(kind, lambda w: [])(world)]
            for method in methods(rule):
                for htmx in (False, True):
                    for token in bad:
                        walk.expect_refused(
                            method,
                            fill(rule, {arg: token}),
                            htmx=htmx,
                            login_first=spec.login,
                            label=f"({key}: bad token)",
                        )
                        checked += 1
                    for label, stale in STALE[kind]:
                        with stale(world, kind) as token:
                            walk.expect_refused(
                                method,
                                fill(rule, {arg: token}),
                                htmx=htmx,
                                login_first=spec.login,
                                label=f"({key}: {label})",
                                or_home=home if method == "GET" else None,
                            )
                        walk.fresh_client()  # staling may have ended A's sessions (an e-mail change)
                        checked += 1
    assert checked >= 250


def walk_valid_tokens(walk, world):
    """Real tokens: a bearer link works for whoever holds it; an export link only for its owner's login; an
    invitation by e-mail only for the invited address (nobody here has it)."""
    for rule, key, spec in rules_of(walk.app, Token):
        arg = only_argument(rule)
        for kind in spec.kinds:
            for method in methods(rule):
                for htmx in (False, True):
                    for who in ("A", "B") if spec.bound == "login" else ("A",):
                        owner = world.a if who == "A" else world.b
                        url = fill(rule, {arg: world.tokens.issue(kind, who)})
                        is_owner = walk.user is not None and walk.user.id == owner.id
                        if spec.login and walk.user is None:
                            walk.expect_refused(method, url, htmx=htmx, login_first=True)
                        elif spec.bound == "login" and not is_owner:
                            walk.expect_refused(method, url, htmx=htmx, label=f"({key}: {who}'s token)")
                        elif spec.bound == "address" and method == "POST":
                            walk.expect_refused(method, url, status={409}, htmx=htmx, label=f"({key})")
                        else:
                            response = walk.expect_reached(method, url, htmx=htmx, label=f"({key})")
                            if spec.bound == "login":  # the owner gets the file
                                assert response.status_code == 200 and response.mimetype == "application/zip", url
                            walk.fresh_client()  # a reset or an e-mail change ends A's sessions


# --- public content --------------------------------------------------------------------------------------

#: Real values per public kind: shown to everyone, and hidden (unpublished, withdrawn, outside the folder):
#: 404 for everyone, staff included (they preview in the admin area).
PUBLIC = {
    "chapter": (lambda w: [{"chapter_id": w.chapter.slug}], lambda w: [{"chapter_id": w.draft_chapter.slug}]),
    "template": (
        lambda w: [
            {"slug": w.template.slug},
            {"slug": w.template.slug, "fmt": "txt"},
            {"slug": w.template.slug, "fmt": "md"},
        ],
        lambda w: [
            {"slug": w.withdrawn_template.slug},
            {"slug": w.withdrawn_template.slug, "fmt": "txt"},
            {"slug": w.template.slug, "fmt": "py"},
            {"slug": w.article.slug},
        ],
    ),
    "article": (
        lambda w: [{"slug": w.article.slug}],
        lambda w: [{"slug": w.withdrawn_article.slug}, {"slug": w.draft_chapter.slug}],
    ),
    "workshop": (lambda w: [{"workshop_id": w.workshop.id}], lambda w: []),
    "live_workshop": (lambda w: [{"workshop_id": w.live_workshop.id}], lambda w: []),
    "static": (lambda w: [{"filename": "favicon.svg"}], lambda w: [{"filename": "..%2F__init__.py"}]),
    "listing": (lambda w: [{"slug": w.club.slug}], lambda w: [{"slug": w.unlisted_club.slug}]),
    "listing_form": (lambda w: [], lambda w: []),
}


def _for_rule(rule, candidates):
    return [values for values in candidates if set(values) == set(rule.arguments)]


@pytest.mark.parametrize("role", ROLES)
def test_public_content_is_the_same_for_everyone(world, walker, role):
    walk = walker(role)
    shown = hidden = 0
    for rule, _key, spec in rules_of(walk.app, Public):
        for kind in spec.kinds:
            visible, invisible = PUBLIC[kind]
            for htmx in (False, True):
                for values in _for_rule(rule, visible(world)):
                    response = walk.expect_reached("GET", fill(rule, values), htmx=htmx)
                    assert response.status_code == 200, f"GET {fill(rule, values)} as {role}"
                    walk.assert_nothing_of_a(response.get_data(as_text=True), f"GET {fill(rule, values)} as {role}")
                    shown += 1
                for values in _for_rule(rule, invisible(world)):
                    walk.expect_refused("GET", fill(rule, values), status={404}, htmx=htmx, label="(not public)")
                    hidden += 1
    assert shown >= 14 and hidden >= 10


# --- odd values in every argument ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ("anonymous", "member", "staff"))
def test_odd_values_in_every_argument_are_refused_cleanly(world, walker, role):
    """Every rule outside /c/<slug> with an argument, each argument replaced by odd values (0, too large,
    NUL, line separators, path tricks, very long) while the others stay real: refused cleanly (never a
    500), nothing changed, no mail. Staff walk the staff views, the others the rest."""
    walk = walker(role)
    real = {"slug": world.template.slug, "fmt": "txt"}
    checked = 0
    for rule, staff in outside_rules(walk.app):
        if not rule.arguments or (staff and role != "staff"):
            continue
        if staff:
            base, login_first = staff_values(rule, world), True
        else:
            base = {name: real.get(name, "x") for name in rule.arguments}
            login_first = any(
                isinstance(spec, (Owned, Own)) or getattr(spec, "login", False)
                for spec in _classified(rule.endpoint).values()
            )
        for name in sorted(rule.arguments):
            for value in ODD:
                url = fill(rule, dict(base, **{name: value}))
                for method in methods(rule):
                    walk.expect_refused(method, url, login_first=login_first, label=f"(<{name}> = {value[:20]})")
                    checked += 1
    assert checked >= 300


# --- holes the walk found ----------------------------------------------------------------------------------


def _link(mailbox, address, path):
    [message] = mailbox.to(address)
    return re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", mailbox.body(message)).group(1)


def test_a_mistyped_email_change_link_dies_when_the_right_one_is_confirmed(roles, client_for, mailbox):
    """A types a wrong address (someone else's mailbox), then the right one and confirms it. The first link,
    in the stranger's mailbox, used to stay valid for three days: one click moved A's account to the
    stranger's address (then "Passwort vergessen" gave them the account)."""
    from .conftest import PASSWORD

    client = client_for(roles.member)
    client.post("/konto/email", data={"email": "vertippt@fremd.example", "current_password": PASSWORD})
    client.post("/konto/email", data={"email": "richtig@verein.example", "current_password": PASSWORD})
    mistyped = _link(mailbox, "vertippt@fremd.example", "/konto/email/")
    right = _link(mailbox, "richtig@verein.example", "/konto/email/")
    assert client.get(right).status_code == 302
    db.session.refresh(roles.member)
    assert roles.member.email == "richtig@verein.example"
    stranger = client_for(None)
    response = stranger.get(mistyped, follow_redirects=True)
    assert "Der Link ist ungültig oder wurde schon benutzt" in response.get_data(as_text=True)
    db.session.refresh(roles.member)
    assert roles.member.email == "richtig@verein.example"


def test_an_email_change_link_works_once(roles, client_for, mailbox):
    """Used once, moved back by a later change: the first link must not move the address again."""
    from .conftest import PASSWORD

    client = client_for(roles.member)
    client.post("/konto/email", data={"email": "zwischen@verein.example", "current_password": PASSWORD})
    first = _link(mailbox, "zwischen@verein.example", "/konto/email/")
    client.get(first)
    client = client_for(db.session.get(type(roles.member), roles.member.id))  # the change ended the session
    mailbox.clear()
    client.post("/konto/email", data={"email": A_EMAIL, "current_password": PASSWORD})
    client.get(_link(mailbox, A_EMAIL, "/konto/email/"))
    db.session.refresh(roles.member)
    assert roles.member.email == A_EMAIL
    again = client_for(None).get(first, follow_redirects=True)  # whoever has the intermediate mailbox now
    assert "Der Link ist ungültig oder wurde schon benutzt" in again.get_data(as_text=True)
    db.session.refresh(roles.member)
    assert roles.member.email == A_EMAIL
    # the same link clicked twice in a row is still fine (nothing changes, the page says it is done)
    client = client_for(roles.member)
    mailbox.clear()
    client.post("/konto/email", data={"email": "neu@verein.example", "current_password": PASSWORD})
    link = _link(mailbox, "neu@verein.example", "/konto/email/")
    client.get(link)
    twice = client_for(None).get(link, follow_redirects=True)
    assert "Ihre neue E-Mail-Adresse ist bestätigt" in twice.get_data(as_text=True)
