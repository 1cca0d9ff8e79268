"""Only platform staff reach the admin area; everyone else is refused."""

import pytest

from tests.conftest import HX

GET_URLS = (
    "/admin/",
    "/admin/vereine",
    "/admin/vereine/{club}",
    "/admin/vereine/{club}/status/sperren",
    "/admin/statistik",
    "/admin/statistik.csv",
    "/admin/protokoll",
    "/admin/clubs",
)
POST_URLS = (
    "/admin/vereine/{club}/status/sperren",
    "/admin/vereine/{club}/notizen",
    "/admin/vereine/{club}/notizen/1/loeschen",
)


@pytest.mark.parametrize("role", ["member", "board", "outsider"])
def test_club_people_are_refused(roles, client_for, role):
    client = client_for(getattr(roles, role))
    for url in GET_URLS:
        assert client.get(url.format(club=roles.club.id)).status_code == 403, url
    for url in POST_URLS:
        response = client.post(url.format(club=roles.club.id), data={"reason": "x", "body": "x"})
        assert response.status_code == 403, url
    assert roles.club.status.value == "approved"


def test_anonymous_is_sent_to_login(roles, client):
    for url in GET_URLS + POST_URLS:
        method = client.post if url in POST_URLS else client.get
        response = method(url.format(club=roles.club.id))
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert "/konto/anmelden" in response.headers["Location"]
    assert client.get("/admin/vereine", headers=HX).status_code == 401


def test_staff_gets_every_page(roles, staff_client):
    for url in GET_URLS:
        response = staff_client.get(url.format(club=roles.club.id))
        assert response.status_code in (200, 301, 302), url
        if url != "/admin/statistik.csv":
            assert response.status_code != 200 or b"<html" in response.data


def test_unknown_club_is_404(roles, staff_client):
    assert staff_client.get("/admin/vereine/999999").status_code == 404
    assert staff_client.get(f"/admin/vereine/{roles.club.id}/status/unbekannt").status_code == 404
