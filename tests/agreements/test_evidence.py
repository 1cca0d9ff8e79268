"""The self-check item about processing agreements counts the accepted agreement as evidence."""

from __future__ import annotations

import pytest

from app.core.evidence import Evidence, evidence_for, register_evidence

from .test_agreement import OPERATOR, _accept


@pytest.fixture
def app_config(app_config):
    app_config.update(OPERATOR)
    return app_config


def _item_page(client, club, key="proc-avv", **kwargs):
    response = client.get(f"/c/{club.slug}/datenschutz/punkt/{key}", **kwargs)
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


def test_item_shows_the_accepted_agreement_as_evidence(roles, content, set_profile, client_for):
    set_profile(roles.club)
    client = client_for(roles.member)
    assert "Nachweis: Auftragsverarbeitungsvertrag" not in _item_page(client, roles.club)
    _accept(client_for(roles.board), roles.club)
    page = _item_page(client, roles.club)
    assert "Nachweis: Auftragsverarbeitungsvertrag mit dem Vereinsraum-Betreiber, Version 1, angenommen am" in page
    assert "von Vera Vorstand" in page
    # only on that item, and only for the club that accepted
    assert "Nachweis: Auftragsverarbeitungsvertrag" not in _item_page(client, roles.club, key="proc-list")
    set_profile(roles.other_club)
    assert "Nachweis: Auftragsverarbeitungsvertrag" not in _item_page(client_for(roles.outsider), roles.other_club)
    # the checklist page shows it as well
    checklist = client.get(f"/c/{roles.club.slug}/datenschutz/selbstcheck").get_data(as_text=True)
    assert "Nachweis: Auftragsverarbeitungsvertrag mit dem Vereinsraum-Betreiber, Version 1" in checklist


def test_evidence_names_the_version_accepted_last(app, roles, content, set_profile, client_for):
    set_profile(roles.club)
    _accept(client_for(roles.board), roles.club)
    app.config["AGREEMENT_BACKUP_DAYS"] = 7  # version 2, not yet accepted
    page = _item_page(client_for(roles.member), roles.club)
    assert "Version 1, angenommen am" in page and "Version 2" not in page
    _accept(client_for(roles.board), roles.club)
    assert "Version 2, angenommen am" in _item_page(client_for(roles.member), roles.club)


def test_evidence_in_english(roles, content, set_profile, client_for):
    set_profile(roles.club)
    _accept(client_for(roles.board), roles.club)
    client = client_for(roles.member)
    client.post("/sprache", data={"lang": "en", "next": "/vereine"})
    page = _item_page(client, roles.club)
    assert "Evidence: data processing agreement with the Vereinsraum operator, version 1, accepted on" in page


def test_the_hook_is_generic(app, roles):
    """Any domain can add lines to any item: a provider is ``callable(club) -> lines`` for one item key."""
    register_evidence(app, "mem-bcc", lambda club: [f"Verteiler von {club.name}", Evidence("Beleg", "/beleg")])
    register_evidence(app, "mem-bcc", lambda club: [])
    with app.test_request_context():
        lines = evidence_for(roles.club, "mem-bcc")
        assert lines == [Evidence(f"Verteiler von {roles.club.name}"), Evidence("Beleg", "/beleg")]
        assert evidence_for(roles.club, "org-owner") == []
        assert evidence_for(None, "mem-bcc") == []
