"""The platform's own privacy policy (issue 17 item 2): controller from configuration, a legal basis
for each processing, the clubs' content as processing on their behalf, and the Art. 21 notice."""

import re

import pytest

from app.pages.services import load_default

CONTROLLER = "Beispiel-Betrieb gGmbH, Musterstraße 1, 10115 Berlin, datenschutz@betrieb.example"


@pytest.fixture
def app_config(app_config):
    app_config["PRIVACY_CONTROLLER"] = CONTROLLER
    return app_config


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_shipped_text_names_no_controller_of_its_own():
    _title, body = load_default("datenschutz")
    assert "@" not in body and "vereinsraum.example" not in body  # the controller comes from the configuration


def test_controller_is_the_configured_one(client):
    html = client.get("/datenschutz").get_data(as_text=True)
    assert CONTROLLER in html and "datenschutz@vereinsraum.example" not in html


@pytest.mark.parametrize(
    "processing, basis",
    [
        ("Server-Protokolle", "Art. 6 Abs. 1 lit. f DSGVO"),
        ("Sicherheitsprotokoll", "Art. 6 Abs. 1 lit. f DSGVO"),
        ("Workshops", "Art. 6 Abs. 1 lit. b DSGVO"),
        ("Digitale Sprechstunde", "Art. 6 Abs. 1 lit. b DSGVO"),
        ("Konto", "Art. 6 Abs. 1 lit. b DSGVO"),
    ],
)
def test_each_processing_names_its_legal_basis(client, processing, basis):
    text = _plain(client.get("/datenschutz").get_data(as_text=True))
    entry = re.search(rf"{processing}: (.*?)(?= [A-ZÄÖÜ][\w-]+: | Inhalte Ihres Vereins)", text)
    assert entry and basis in entry.group(1), processing


def test_club_content_in_video_and_chat_is_processed_on_the_clubs_behalf(client):
    text = _plain(client.get("/datenschutz").get_data(as_text=True))
    section = text[text.index("Inhalte Ihres Vereins in Videokonferenzen und Team-Chat") : text.index("Ihre Rechte")]
    assert "Verantwortlich dafür ist der Verein" in section
    assert "im Auftrag des Vereins" in section and "Art. 28 DSGVO" in section
    assert "Vertrag zur Auftragsverarbeitung" in section


def test_objection_notice_for_legitimate_interest_stands_apart(client):
    html = client.get("/datenschutz").get_data(as_text=True)
    assert "<h3>Ihr Widerspruchsrecht (Art. 21 DSGVO)</h3>" in html
    notice = html[html.index("Ihr Widerspruchsrecht (Art. 21 DSGVO)") :]
    assert "<strong>Soweit wir Daten auf Grundlage unseres berechtigten Interesses verarbeiten" in notice
    assert "Server-Protokolle und Sicherheitsprotokoll" in notice
