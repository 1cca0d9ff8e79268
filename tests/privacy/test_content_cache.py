"""The checklist content is read from the database once per published version (and process); a new
version is seen by the next request of every process."""

from __future__ import annotations

import copy

from app.extensions import db
from app.privacy.content import publish, read_file
from tests.conftest import login


def _reads_items(statements) -> bool:
    return any("FROM privacy_item" in s for s in statements)


def test_content_is_read_once_per_version(app, roles, content, set_profile, client_for, count_queries):
    set_profile(roles.club)
    app.extensions.pop("vereinsraum.privacy_content", None)  # as in a freshly started process
    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/datenschutz/selbstcheck"
    with count_queries() as first:
        assert client.get(path).status_code == 200
    with count_queries() as second:
        assert client.get(path).status_code == 200
    assert _reads_items(first.statements)
    assert not _reads_items(second.statements), second.statements
    assert sum("FROM privacy_version" in s for s in second.statements) == 1  # which version is current


def test_new_version_reaches_every_process(app, app_config, make_app, roles, content, set_profile, client_for):
    set_profile(roles.club)
    other_worker = make_app(dict(app_config))
    here = client_for(roles.board)
    there = login(other_worker.test_client(), roles.board)
    path = f"/c/{roles.club.slug}/datenschutz/selbstcheck"
    for client in (here, there):  # both processes have the first version cached
        assert client.get(path).status_code == 200

    data = copy.deepcopy(read_file())
    data["items"][0]["question"] = "Geänderte Frage für die neue Version?"
    publish(data)
    db.session.commit()

    for client in (here, there):
        html = client.get(path).get_data(as_text=True)
        assert "Geänderte Frage für die neue Version?" in html
