import pytest


@pytest.fixture
def app_config(app_config):
    app_config.update(
        BBB_API_URL="https://bbb.beispiel-verein.de/bigbluebutton/api/",
        BBB_SECRET="s",
        MATTERMOST_URL="https://chat.beispiel-verein.de",
        MATTERMOST_TOKEN="t",
        MATTERMOST_TEAM="vereine",
    )
    return app_config


def test_policy_lists_configured_processors_and_periods(app, client):
    text = client.get("/datenschutz/verarbeitung").get_data(as_text=True)
    assert "bbb.beispiel-verein.de" in text
    assert "chat.beispiel-verein.de" in text
    assert "127.0.0.1" in text  # the mail server of the test configuration
    assert "vr_session" in text
    assert "365 Tage" in text  # audit log


def test_changing_the_configuration_changes_the_policy(app, client):
    app.config.update(
        BBB_API_URL=None,
        MATTERMOST_URL="https://mm.anderer-host.example",
        CLUB_DELETION_GRACE_DAYS=45,
        AUDIT_RETENTION_DAYS=90,
    )
    text = client.get("/datenschutz/verarbeitung").get_data(as_text=True)
    assert "bbb.beispiel-verein.de" not in text
    assert "mm.anderer-host.example" in text
    assert "45 Tage" in text
    assert "90 Tage" in text


def test_partial_can_be_included_without_context(app):
    from flask import render_template_string

    with app.test_request_context("/"):
        html = render_template_string('{% include "pages/_privacy_generated.html" %}')
    assert "Löschfristen" in html and "bbb.beispiel-verein.de" in html


def test_the_public_privacy_page_includes_the_generated_part(app, client):
    text = client.get("/datenschutz").get_data(as_text=True)
    assert "Löschfristen" in text and "bbb.beispiel-verein.de" in text
