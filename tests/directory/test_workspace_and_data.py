"""Suggestions in the workspace, the club's export and deletion, the staff topic list."""

from __future__ import annotations

import io
import json
import zipfile

from app.directory import services as svc
from app.directory.models import ContactMessage, DirectoryListing, DirectoryListingTopic, DirectoryTopic
from app.extensions import db
from tests.dataprotection.helpers import traces
from tests.helpers import count, row_counts, text


def test_nearby_suggests_listed_clubs_in_the_district_or_with_shared_topics(
    roles, make_club, list_club, client_for, count_queries
):
    list_club(roles.club, ["umwelt", "tierschutz"], listed=False)  # own topics count, even when not listed
    same_district = list_club(make_club(name="Gartenfreunde Pankow", district="Pankow"), ["kultur"])
    shared_two = list_club(make_club(name="Naturschutz Spandau", district="Spandau"), ["umwelt", "tierschutz"])
    shared_one = list_club(make_club(name="Tierhilfe Mitte", district="Mitte"), ["tierschutz"])
    list_club(make_club(name="Schachclub Mitte", district="Mitte"), ["sport"])  # nothing in common
    make_club(name="Ungelistet Pankow", district="Pankow")  # same district, not listed
    assert roles.club.district == "Pankow"  # loaded before counting: the workspace has the club already
    with count_queries() as queries:
        suggestions = svc.nearby(roles.club)
    assert queries.count == 1
    assert [name for _slug, name, _d, _s in suggestions] == [
        same_district.name,
        shared_two.name,
        shared_one.name,
    ]
    assert [shared for *_rest, shared in suggestions] == [0, 2, 1]

    page = text(client_for(roles.member).get(f"/c/{roles.club.slug}/"))
    assert "Vereine in Ihrer Nähe" in page and "Naturschutz Spandau" in page and "Schachclub" not in page
    assert "Eintrag Ihres Vereins verwalten" not in page  # board only
    assert roles.club.name not in page.split("Vereine in Ihrer Nähe", 1)[1].split("</section>", 1)[0]
    assert "Eintrag Ihres Vereins verwalten" in text(client_for(roles.board).get(f"/c/{roles.club.slug}/"))


def test_nearby_costs_one_query_whatever_the_number_of_clubs(roles, make_club, list_club, count_queries):
    for n in range(8):
        list_club(make_club(name=f"Pankower Verein {n}", district="Pankow"), ["sport"])
    assert roles.club.district == "Pankow"
    with count_queries() as queries:
        assert len(svc.nearby(roles.club)) == svc.NEARBY_LIMIT
    assert queries.count == 1


def test_the_club_export_holds_the_listing_and_topics_but_no_sender_data(roles, client_for, list_club):
    list_club(roles.club, ["sport", "kultur"], summary="Wir sind ein Sportverein.")
    db.session.add(
        ContactMessage(club_id=roles.club.id, sender_name="Karla", sender_email="karla@example.org", body="Hallo")
    )
    db.session.commit()
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        data = json.loads(zf.read("verein.json"))
    listing = data["directory_listing"]
    assert listing[0]["summary"] == "Wir sind ein Sportverein." and listing[0]["listed"] is True
    assert sorted(listing[0]["topics"]) == ["Kultur", "Sport"]
    assert sorted(row["topic"] for row in data["directory_listing_topic"]) == ["kultur", "sport"]
    assert data["directory_contact"] == []
    assert "karla@example.org" not in json.dumps(data)


def test_club_deletion_removes_listing_topics_and_messages(roles, list_club):
    from app.dataprotection.erasure import erase_club_data

    list_club(roles.club, ["sport"], summary="Einzigartiger Beschreibungstext")
    db.session.add(
        ContactMessage(club_id=roles.club.id, sender_name="Karla", sender_email="karla@example.org", body="Hallo")
    )
    db.session.commit()
    club_id = roles.club.id
    erase_club_data(roles.club)
    db.session.commit()
    db.session.expire_all()
    assert count(DirectoryListing) == 0 and count(DirectoryListingTopic) == 0 and count(ContactMessage) == 0
    assert (
        traces(table_ref="club", ident=club_id, needles=("Einzigartiger Beschreibungstext", "karla@example.org")) == []
    )
    assert count(DirectoryTopic) == 8  # the topic list itself stays


def test_staff_manage_the_topic_list(roles, client_for, topics):
    staff = client_for(roles.staff)
    page = staff.get("/admin/verzeichnis/themen")
    assert page.status_code == 200 and "Tierschutz" in text(page)
    created = staff.post(
        "/admin/verzeichnis/themen",
        data={
            "new-slug": "inklusion",
            "new-name_de": "Inklusion",
            "new-name_en": "Inclusion",
            "new-position": "90",
            "new-active": "y",
        },
    )
    assert created.status_code == 303
    assert "Inklusion" in text(client_for(None).get("/vereine/verzeichnis"))
    sport = topics["sport"]
    hidden = staff.post(
        f"/admin/verzeichnis/themen/{sport.id}",
        data={
            f"t{sport.id}-slug": "sport",
            f"t{sport.id}-name_de": "Sport",
            f"t{sport.id}-name_en": "Sports",
            f"t{sport.id}-position": "0",
        },
    )
    assert hidden.status_code == 303
    db.session.expire_all()
    assert db.session.get(DirectoryTopic, sport.id).active is False
    assert client_for(None).get("/vereine/verzeichnis?thema=sport").status_code == 400


def test_topic_bad_input_is_refused(roles, client_for, topics):
    staff = client_for(roles.staff)
    before = row_counts()
    duplicate = staff.post(
        "/admin/verzeichnis/themen",
        data={"new-slug": "sport", "new-name_de": "Sport 2", "new-name_en": "Sports 2", "new-position": "1"},
    )
    assert duplicate.status_code == 422 and "Dieses Kürzel hat schon ein anderes Thema." in text(duplicate)
    bad_slug = staff.post(
        "/admin/verzeichnis/themen",
        data={"new-slug": "Ä B", "new-name_de": "X", "new-name_en": "X", "new-position": "1"},
    )
    assert bad_slug.status_code == 422 and "Nur Kleinbuchstaben" in text(bad_slug)
    assert row_counts() == before
    assert staff.post("/admin/verzeichnis/themen/999999", data={}).status_code == 404


def test_only_staff_see_the_topic_list(roles, client_for, topics):
    assert client_for(roles.board).get("/admin/verzeichnis/themen").status_code == 403
    assert client_for(roles.board).post("/admin/verzeichnis/themen", data={"new-slug": "x"}).status_code == 403
    assert client_for(None).get("/admin/verzeichnis/themen").status_code in (302, 401)


def test_directory_routes_are_in_the_tenancy_walk(app):
    from app.core.tenancy import club_scoped_rules

    walked = {rule.endpoint: access.role for rule, access in club_scoped_rules(app)}
    assert walked["directory_club.settings"] == "board"
