"""Club list (filters, search, htmx partial, pagination), club detail, decisions, notes."""

import re

import pytest
import sqlalchemy as sa

from app.clubs.models import Club, ClubStatus
from app.core.audit import AuditEntry
from app.extensions import db
from tests.conftest import HX


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/vereine/\d+">([^<]+)</a>', html)


@pytest.fixture
def several(make_club, roles):
    clubs = {
        "Imker Mitte": make_club(name="Imker Mitte", district="Mitte", legal_form="ev"),
        "Chor Neukölln": make_club(name="Chor Neukölln", district="Neukölln", legal_form="nev", status="pending"),
        "Schach Pankow": make_club(name="Schach Pankow", district="Pankow", legal_form="ev", status="suspended"),
        "Tafel 100% Mitte": make_club(
            name="Tafel 100% Mitte", district="Mitte", legal_form="stiftung", status="rejected"
        ),
    }
    return clubs


def test_list_shows_counts_and_all_clubs(roles, several, staff_client):
    html = staff_client.get("/admin/vereine").get_data(as_text=True)
    names = _names(html)
    assert set(names) >= {"Imker Mitte", "Chor Neukölln", "Schach Pankow", "Imkerverein Pankow", "Anderer Verein"}
    assert names[0] == "Chor Neukölln"  # pending first (review order)
    assert "<strong>3</strong> freigeschaltet" in html
    assert "<strong>1</strong> wird geprüft" in html
    assert "6 Vereine gefunden" in html


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"status": "pending"}, {"Chor Neukölln"}),
        ({"bezirk": "Mitte"}, {"Imker Mitte", "Tafel 100% Mitte"}),
        ({"rechtsform": "stiftung"}, {"Tafel 100% Mitte"}),
        ({"bezirk": "Mitte", "rechtsform": "ev"}, {"Imker Mitte"}),
        ({"q": "pankow"}, {"Schach Pankow", "Imkerverein Pankow"}),
        ({"q": "100%"}, {"Tafel 100% Mitte"}),
        ({"q": "_"}, set()),
        ({"status": "quatsch"}, None),  # unknown values are ignored
    ],
)
def test_filters_and_search(roles, several, staff_client, args, expected):
    response = staff_client.get("/admin/vereine", query_string=args)
    assert response.status_code == 200
    names = set(_names(response.get_data(as_text=True)))
    assert names == (expected if expected is not None else names)
    if expected is None:
        assert len(names) == 6


def test_name_search_is_an_index_lookup_on_postgresql(roles, several, staff_client):
    """The search as you type finds names that contain the text (case-insensitive); on PostgreSQL the planner
    can serve it from the trigram index (migration 0925) instead of reading every club."""
    from app.admin.queries import ClubFilters, club_list

    page = club_list(ClubFilters(q="imker"))
    assert {club.name for club, *_rest in page.rows} == {"Imker Mitte", "Imkerverein Pankow"}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: ask whether the index can serve it
            plan = "\n".join(
                row[0]
                for row in conn.execute(sa.text("EXPLAIN SELECT id FROM club WHERE name ILIKE :q"), {"q": "%imker%"})
            )
        assert "ix_admin_club_name_trgm" in plan, plan
    else:
        indexes = {row[1] for row in db.session.execute(sa.text("PRAGMA index_list('club')"))}
        assert "ix_admin_club_name_trgm" not in indexes  # PostgreSQL only; SQLite keeps scanning


def test_score_band_filter_and_sort(roles, several, staff_client, assess):
    assess(several["Imker Mitte"], score=85)
    assess(roles.club, score=40)
    assess(several["Schach Pankow"], score=60)
    names = lambda args: _names(staff_client.get("/admin/vereine", query_string=args).get_data(as_text=True))  # noqa
    assert names({"score": "high"}) == ["Imker Mitte"]
    assert names({"score": "low"}) == ["Imkerverein Pankow"]
    assert names({"score": "mid"}) == ["Schach Pankow"]
    assert set(names({"score": "none"})) == {"Chor Neukölln", "Tafel 100% Mitte", "Anderer Verein"}
    assert names({"sortierung": "-score"})[:3] == ["Imker Mitte", "Schach Pankow", "Imkerverein Pankow"]
    assert names({"sortierung": "name"}) == sorted(names({"sortierung": "name"}))
    assert names({"sortierung": "-name"}) == sorted(names({"sortierung": "-name"}), reverse=True)


def test_htmx_search_renders_the_partial(roles, several, staff_client):
    response = staff_client.get("/admin/vereine?q=Imker", headers=HX)
    html = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html and 'id="club-results"' in html
    assert 'hx-swap-oob="innerHTML"' in html and "2 Vereine gefunden" in html
    assert set(_names(html)) == {"Imker Mitte", "Imkerverein Pankow"}
    full = staff_client.get("/admin/vereine?q=Imker").get_data(as_text=True)
    assert "<html" in full and 'hx-push-url="true"' in full and 'method="get"' in full


def test_server_side_pagination(roles, make_club, staff_client):
    from app.admin.queries import PAGE_SIZE

    for i in range(PAGE_SIZE + 3):
        db.session.add(
            Club(
                slug=f"p-{i}",
                name=f"Seitenverein {i:03d}",
                legal_form="ev",
                district="Mitte",
                contact_email="x@example.org",
                status=ClubStatus.APPROVED,
            )
        )
    db.session.commit()
    first = staff_client.get("/admin/vereine?q=Seitenverein&sortierung=name").get_data(as_text=True)
    assert len(_names(first)) == PAGE_SIZE and "Seite 1 von 2" in first
    assert "seite=2" in first
    second = staff_client.get("/admin/vereine?q=Seitenverein&sortierung=name&seite=2").get_data(as_text=True)
    assert _names(second) == [f"Seitenverein {i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 3)]
    beyond = staff_client.get("/admin/vereine?q=Seitenverein&seite=99")
    assert beyond.status_code == 200 and "Seite 2 von 2" in beyond.get_data(as_text=True)
    assert staff_client.get("/admin/vereine?seite=abc").status_code == 200


def test_detail_shows_profile_counts_history(roles, make_user, staff_client):
    html = staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert "Imkerverein Pankow" in html and "Pankow" in html
    assert re.search(r'id="count-board">1<', html) and re.search(r'id="count-members">1<', html)
    assert "Statusverlauf" in html and "wird geprüft" in html and "freigeschaltet" in html
    assert "Sperren" in html and "Freischalten" not in html


# --- decisions -------------------------------------------------------------------------------


def _mails_to(mailbox, address):
    return [m for m in mailbox.to(address)]


def test_approve_with_confirmation_and_email(roles, make_club, make_user, staff_client, mailbox):
    board = make_user(email="neu@verein.example")
    club = make_club(name="Neuer Verein", board=board, status="pending")
    confirm = staff_client.get(f"/admin/vereine/{club.id}/status/freischalten")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "neu@verein.example" in html and "Ja, freischalten" in html
    db.session.refresh(club)
    assert club.status is ClubStatus.PENDING  # GET only asks
    response = staff_client.post(f"/admin/vereine/{club.id}/status/freischalten")
    assert response.status_code == 303
    db.session.refresh(club)
    assert club.status is ClubStatus.APPROVED
    mails = _mails_to(mailbox, "neu@verein.example")
    assert len(mails) == 1 and "freigeschaltet" in mails[0]["Subject"]
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.club_id == club.id, AuditEntry.action == "club.approved")
    )
    assert entry.actor_id == roles.staff.id


def test_reject_needs_reason_and_mails_it(roles, make_club, make_user, staff_client, mailbox):
    board = make_user(email="abgelehnt@verein.example")
    club = make_club(name="Zweifelhafter Verein", board=board, status="pending")
    missing = staff_client.post(f"/admin/vereine/{club.id}/status/ablehnen", data={"reason": "  "})
    assert missing.status_code == 422 and "Bitte geben Sie eine Begründung an." in missing.get_data(as_text=True)
    db.session.refresh(club)
    assert club.status is ClubStatus.PENDING and not mailbox.to("abgelehnt@verein.example")
    response = staff_client.post(
        f"/admin/vereine/{club.id}/status/ablehnen", data={"reason": "Kein Vereinszweck erkennbar."}
    )
    assert response.status_code == 303
    db.session.refresh(club)
    assert club.status is ClubStatus.REJECTED and club.status_reason == "Kein Vereinszweck erkennbar."
    mail = _mails_to(mailbox, "abgelehnt@verein.example")[0]
    assert "Kein Vereinszweck erkennbar." in mailbox.body(mail)
    assert (
        db.session.scalar(sa.select(AuditEntry.details).where(AuditEntry.action == "club.rejected"))["reason"]
        == "Kein Vereinszweck erkennbar."
    )


def test_suspend_and_reactivate(roles, staff_client, client_for, mailbox):
    club = roles.club
    response = staff_client.post(f"/admin/vereine/{club.id}/status/sperren", data={"reason": "Spam-Verdacht"})
    assert response.status_code == 303
    db.session.refresh(club)
    assert club.status is ClubStatus.SUSPENDED
    assert "Spam-Verdacht" in mailbox.body(mailbox.to(roles.board.email)[-1])
    workspace = client_for(roles.member).get(f"/c/{club.slug}/").get_data(as_text=True)
    assert "Dieser Arbeitsbereich ist gesperrt" in workspace and "Spam-Verdacht" in workspace
    # the wrong action for the state is refused without a change
    wrong = staff_client.post(f"/admin/vereine/{club.id}/status/freischalten")
    assert wrong.status_code == 303
    db.session.refresh(club)
    assert club.status is ClubStatus.SUSPENDED
    mailbox.clear()
    assert staff_client.get(f"/admin/vereine/{club.id}/status/reaktivieren").status_code == 200
    assert staff_client.post(f"/admin/vereine/{club.id}/status/reaktivieren").status_code == 303
    db.session.refresh(club)
    assert club.status is ClubStatus.APPROVED
    assert len(mailbox.to(roles.board.email)) == 1
    actions = list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.club_id == club.id, AuditEntry.actor_id == roles.staff.id)
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["club.suspended", "club.approved"]


# --- staff notes ------------------------------------------------------------------------------

SECRET = "Interner Vermerk 7f3a: Vorstand telefonisch schwer erreichbar"


def test_notes_are_saved_audited_and_deletable(roles, staff_client):
    empty = staff_client.post(f"/admin/vereine/{roles.club.id}/notizen", data={"body": " "})
    assert empty.status_code == 422 and "Bitte schreiben Sie eine Notiz." in empty.get_data(as_text=True)
    response = staff_client.post(f"/admin/vereine/{roles.club.id}/notizen", data={"body": SECRET})
    assert response.status_code == 303
    html = staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert SECRET in html and "Tanja Team" in html
    from app.admin.models import StaffNote

    note = db.session.scalar(sa.select(StaffNote))
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "admin.note_added"))
    assert staff_client.post(f"/admin/vereine/{roles.other_club.id}/notizen/{note.id}/loeschen").status_code == 404
    assert staff_client.post(f"/admin/vereine/{roles.club.id}/notizen/{note.id}/loeschen").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffNote)) == 0
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "admin.note_deleted"))


def test_no_club_page_ever_shows_staff_notes(app, roles, staff_client, client_for):
    from app.core.tenancy import club_scoped_rules

    staff_client.post(f"/admin/vereine/{roles.club.id}/notizen", data={"body": SECRET})
    checked = 0
    for user in (roles.board, roles.member):
        client = client_for(user)
        for rule, _access in club_scoped_rules(app):
            if "GET" not in rule.methods or set(rule.arguments) != {"slug"}:
                continue
            for headers in ({}, HX):
                response = client.get(rule.rule.replace("<slug>", roles.club.slug), headers=headers)
                body = response.get_data()
                assert SECRET.encode() not in body, rule.rule
                assert "Interner Vermerk".encode() not in body and "Vermerk 7f3a".encode("latin-1") not in body  # noqa: UP012
                checked += 1
    assert checked >= 10


def test_detail_shows_meetings_chat_and_last_activity(roles, staff_client):
    from datetime import timedelta

    from app.chat.models import ChatLink
    from app.core.db import utcnow
    from app.meetings.models import MeetingRun

    now = utcnow()
    for days in (1, 30, 120):
        db.session.add(MeetingRun(club_id=roles.club.id, started_at=now - timedelta(days=days)))
    db.session.add(MeetingRun(club_id=roles.other_club.id, started_at=now))
    db.session.commit()
    html = staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert re.search(r'id="meetings-90d">2<', html)
    assert re.search(r'id="chat-status">nicht eingerichtet<', html)
    db.session.add(
        ChatLink(
            club_id=roles.club.id, kind="linked", site_url="https://chat.example.org", team_name="t", channel_name="c"
        )
    )
    db.session.commit()
    html = staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert re.search(r'id="chat-status">verbunden \(eigener Kanal verknüpft\)<', html)
    assert "noch keine" not in html  # last activity comes from the audit log and meetings


def test_suspended_club_cannot_start_meetings(roles, staff_client, client_for):
    from app.meetings.models import Room

    room = Room(club_id=roles.club.id, name="Vorstandsraum", is_default=True)
    db.session.add(room)
    db.session.commit()
    staff_client.post(f"/admin/vereine/{roles.club.id}/status/sperren", data={"reason": "Klärung nötig"})
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/konferenzen/raum/{room.id}/starten")
    assert response.status_code == 403
    assert "gesperrt" in response.get_data(as_text=True)
