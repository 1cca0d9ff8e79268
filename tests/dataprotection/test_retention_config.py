"""Retention periods: defaults in one place, overridable from the environment."""

from app import create_app
from app.dataprotection.retention import RETENTION_DEFAULTS


def test_retention_defaults_and_environment_override(app_config, monkeypatch):
    monkeypatch.setenv("WORKSHOP_RETENTION_DAYS", "7")
    monkeypatch.setenv("CLUB_DELETION_GRACE_DAYS", "45")
    application = create_app(app_config)
    try:
        assert application.config["WORKSHOP_RETENTION_DAYS"] == 7
        assert application.config["CLUB_DELETION_GRACE_DAYS"] == 45
        for key in set(RETENTION_DEFAULTS) - {"WORKSHOP_RETENTION_DAYS", "CLUB_DELETION_GRACE_DAYS"}:
            assert application.config[key] == RETENTION_DEFAULTS[key], key
    finally:
        from app.extensions import db

        with application.app_context():
            db.engine.dispose()
