"""The club directory: opt-in listing with preview, public page, filters and active search."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.directory.models import DirectoryListing, DirectoryListingTopic
from app.extensions import db
from tests.conftest import HX
from tests.helpers import count, row_counts, text


def _settings(client, club, **data):
    return client.post(f"/c/{club.slug}/verzeichnis/", data=data)


def test_a_club_is_not_listed_by_default(roles, client_for):
    anon = client_for(None)
    page = anon.get("/vereine/verzeichnis")
    assert page.status_code == 200
    assert roles.club.name not in text(page)
    assert anon.get(f"/vereine/verzeichnis/{roles.club.slug}").status_code == 404
    settings = client_for(roles.board).get(f"/c/{roles.club.slug}/verzeichnis/")
    assert settings.status_code == 200
    body = text(settings)
    assert "Ihr Verein steht nicht im Verzeichnis." in body
    assert 'name="listed"' in body and 'name="listed" type="checkbox" value="y" checked' not in body
    assert count(DirectoryListing) == 0


def test_switching_on_shows_exactly_what_becomes_public_before_anything_is_saved(roles, client_for, topics):
    roles.club.website = "https://imker-pankow.example"
    db.session.commit()
    board = client_for(roles.board)
    before = row_counts()
    data = {
        "listed": "y",
        "summary": "Wir imkern in Pankow und suchen Nachwuchs.",
        "show_website": "y",
        "topics": [str(topics["umwelt"].id), str(topics["tierschutz"].id)],
        "action": "save",
    }
    response = _settings(board, roles.club, **data)
    assert response.status_code == 200
    body = text(response)
    assert "Vorschau: Das wird öffentlich" in body and "Veröffentlichen" in body
    preview = body[body.index('id="directory-preview"') :]
    for shown in (
        "Imkerverein Pankow",
        "Pankow",
        "Umwelt",
        "Tierschutz",
        "Wir imkern in Pankow",
        "https://imker-pankow.example",
    ):
        assert shown in preview
    assert roles.board.email not in body and roles.club.contact_email not in preview
    assert row_counts() == before  # nothing written until confirmed
    assert client_for(None).get(f"/vereine/verzeichnis/{roles.club.slug}").status_code == 404

    confirmed = _settings(board, roles.club, **data, confirmed="1")
    assert confirmed.status_code == 303
    public = client_for(None).get(f"/vereine/verzeichnis/{roles.club.slug}")
    assert public.status_code == 200
    page = text(public)
    for shown in ("Imkerverein Pankow", "Umwelt", "Tierschutz", "Wir imkern in Pankow", "https://imker-pankow.example"):
        assert shown in page
    assert roles.club.contact_email not in page
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "directory.listed")) is not None


def test_the_website_can_be_left_out(roles, client_for, topics, list_club):
    roles.club.website = "https://imker-pankow.example"
    db.session.commit()
    board = client_for(roles.board)
    data = {"listed": "y", "summary": "Honig und Bienen.", "action": "save", "confirmed": "1"}
    assert _settings(board, roles.club, **data).status_code == 303
    assert "imker-pankow.example" not in text(client_for(None).get(f"/vereine/verzeichnis/{roles.club.slug}"))


def test_listing_without_description_is_refused_and_writes_nothing(roles, client_for, topics):
    before = row_counts()
    response = _settings(client_for(roles.board), roles.club, listed="y", summary="  ", action="save", confirmed="1")
    assert response.status_code == 422
    assert "Bitte beschreiben Sie Ihren Verein kurz" in text(response)
    assert row_counts() == before


def test_unknown_topic_and_too_long_description_are_refused(roles, client_for, topics):
    board = client_for(roles.board)
    before = row_counts()
    bad_topic = _settings(
        board, roles.club, listed="y", summary="Gut.", topics=["999999"], action="save", confirmed="1"
    )
    assert bad_topic.status_code == 422 and "nur Themen aus der Liste" in text(bad_topic)
    not_a_number = _settings(board, roles.club, listed="y", summary="Gut.", topics=["abc"], action="save")
    assert not_a_number.status_code == 422
    too_long = _settings(board, roles.club, listed="y", summary="x" * 501, action="save", confirmed="1")
    assert too_long.status_code == 422 and "Höchstens 500 Zeichen." in text(too_long)
    assert row_counts() == before


def test_switching_off_removes_the_club_from_the_directory(roles, client_for, list_club):
    list_club(roles.club, ["sport"])
    anon = client_for(None)
    assert anon.get(f"/vereine/verzeichnis/{roles.club.slug}").status_code == 200
    response = _settings(client_for(roles.board), roles.club, summary="Wir machen Sport im Kiez.", action="save")
    assert response.status_code == 303
    assert anon.get(f"/vereine/verzeichnis/{roles.club.slug}").status_code == 404
    assert roles.club.name not in text(anon.get("/vereine/verzeichnis"))


def test_a_member_cannot_change_the_listing(roles, client_for):
    response = _settings(client_for(roles.member), roles.club, listed="y", summary="x", action="save", confirmed="1")
    assert response.status_code == 403
    assert count(DirectoryListing) == 0


def test_only_approved_clubs_are_shown(roles, client_for, list_club, make_club):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    list_club(roles.club, ["sport"])
    change_status(roles.club, ClubStatus.SUSPENDED, by=None, reason="Prüfung", notify=False)
    db.session.commit()
    anon = client_for(None)
    assert anon.get(f"/vereine/verzeichnis/{roles.club.slug}").status_code == 404
    assert roles.club.name not in text(anon.get("/vereine/verzeichnis"))


def test_filters_by_district_and_topic_and_search(make_club, client_for, list_club):
    pankow_sport = list_club(make_club(name="SV Pankow", district="Pankow"), ["sport"])
    pankow_culture = list_club(make_club(name="Chor Pankow", district="Pankow"), ["kultur"], summary="Wir singen.")
    mitte_sport = list_club(make_club(name="Ruderclub Mitte", district="Mitte"), ["sport", "umwelt"])
    make_club(name="Nicht gelistet", district="Pankow")
    anon = client_for(None)

    def names(**params):
        body = text(anon.get("/vereine/verzeichnis", query_string=params))
        return {c.name for c in (pankow_sport, pankow_culture, mitte_sport) if c.name in body} | (
            {"Nicht gelistet"} if "Nicht gelistet" in body else set()
        )

    assert names() == {"SV Pankow", "Chor Pankow", "Ruderclub Mitte"}
    assert names(bezirk="Pankow") == {"SV Pankow", "Chor Pankow"}
    assert names(thema="sport") == {"SV Pankow", "Ruderclub Mitte"}
    assert names(bezirk="Pankow", thema="sport") == {"SV Pankow"}
    assert names(q="singen") == {"Chor Pankow"}
    assert names(q="ruder") == {"Ruderclub Mitte"}
    assert names(q="100%_") == set()


def test_bad_filters_get_400_with_a_german_message(client_for, topics):
    anon = client_for(None)
    district = anon.get("/vereine/verzeichnis?bezirk=Atlantis")
    assert district.status_code == 400 and "Diesen Bezirk gibt es nicht" in text(district)
    topic = anon.get("/vereine/verzeichnis?thema=raumfahrt")
    assert topic.status_code == 400 and "Dieses Thema gibt es nicht" in text(topic)
    long_query = anon.get("/vereine/verzeichnis", query_string={"q": "x" * 101})
    assert long_query.status_code == 400


def test_active_search_returns_only_the_results_with_the_count(make_club, client_for, list_club):
    list_club(make_club(name="SV Pankow", district="Pankow"), ["sport"])
    list_club(make_club(name="Ruderclub Mitte", district="Mitte"), ["sport"])
    response = client_for(None).get("/vereine/verzeichnis?q=ruder", headers=HX)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="directory-results"' in body and "Ruderclub Mitte" in body and "SV Pankow" not in body
    assert 'id="directory-count" hx-swap-oob="innerHTML"' in body and "1 Verein gefunden" in body
    assert "HX-Request" in response.headers["Vary"]
    full = text(client_for(None).get("/vereine/verzeichnis?q=ruder"))
    assert "<html" in full and "hx-swap-oob" not in full and 'hx-get="/vereine/verzeichnis"' in full


def test_district_chart_counts_listed_clubs_per_district(make_club, client_for, list_club):
    list_club(make_club(district="Pankow"), ["sport"])
    list_club(make_club(district="Pankow"), ["kultur"])
    list_club(make_club(district="Mitte"), ["kultur"])
    make_club(district="Mitte")  # not listed
    body = text(client_for(None).get("/vereine/verzeichnis"))
    chart = body[body.index('id="chart-directory-districts"') :]
    assert 'role="img"' in chart and "<desc" in chart
    assert "Pankow: 2" in chart and "Mitte: 1" in chart and "Spandau: 0" in chart
    assert '<tr><th scope="row">Pankow</th><td>2</td></tr>' in chart


def test_topics_are_stored_per_club(roles, list_club):
    list_club(roles.club, ["sport", "kultur"])
    list_club(roles.club, ["kultur"])
    assert count(DirectoryListingTopic) == 1
