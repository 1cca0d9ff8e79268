"""Configuration: class defaults < instance/config.py < environment < test mapping; secret key; health."""

from __future__ import annotations

import os
import stat

import pytest

from app import create_app
from app.config import ENV_SETTINGS, env_overrides, normalise_database_url


@pytest.fixture
def clean_env(monkeypatch):
    for key in (*ENV_SETTINGS, "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def make(tmp_path, config=None):
    base = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    app = create_app({**base, **(config or {})}, instance_path=str(tmp_path / "instance"))
    _made.append(app)
    return app


_made = []


@pytest.fixture(autouse=True)
def _dispose_engines():
    yield
    from app.extensions import db

    while _made:
        with _made.pop().app_context():
            db.engine.dispose()


def test_precedence_defaults_instance_env_mapping(tmp_path, clean_env):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'MAIL_SERVER = "smtp.instance.example"\n'
        'BASE_URL = "https://instance.example"\n'
        'MAIL_DEFAULT_SENDER = "instance@example.org"\n'
        "MAIL_PORT = 2525\n"
    )
    clean_env.setenv("BASE_URL", "https://env.example")
    clean_env.setenv("MAIL_DEFAULT_SENDER", "env@example.org")
    clean_env.setenv("MAIL_PORT", "587")
    clean_env.setenv("MAIL_USE_TLS", "ja")
    app = make(tmp_path, {"MAIL_DEFAULT_SENDER": "mapping@example.org"})
    assert app.config["MAIL_TIMEOUT"] == 10  # class default
    assert app.config["MAIL_SERVER"] == "smtp.instance.example"  # instance beats default
    assert app.config["BASE_URL"] == "https://env.example"  # env beats instance
    assert app.config["MAIL_PORT"] == 587 and app.config["MAIL_USE_TLS"] is True  # typed
    assert app.config["MAIL_DEFAULT_SENDER"] == "mapping@example.org"  # mapping beats env
    assert app.config["SESSION_COOKIE_SECURE"] is True  # https BASE_URL


def test_env_booleans_and_numbers(clean_env):
    clean_env.setenv("MAIL_USE_SSL", "no")
    clean_env.setenv("BBB_TIMEOUT", "2.5")
    values = env_overrides()
    assert values["MAIL_USE_SSL"] is False and values["BBB_TIMEOUT"] == 2.5
    assert "MAIL_SERVER" not in values  # unset settings are not overridden


def test_secret_key_is_generated_once_and_reused(tmp_path, clean_env):
    first = make(tmp_path)
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    second = make(tmp_path)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_configured_secret_key_wins_and_nothing_is_written(tmp_path, clean_env):
    clean_env.setenv("SECRET_KEY", "from-the-environment")
    app = make(tmp_path)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_default_database_lives_in_the_instance_folder(tmp_path, clean_env):
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "instance" / "vereinsraum.db")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/vr", "postgresql+psycopg://u:p@db:5432/vr"),
        ("postgresql://u@localhost/vr", "postgresql+psycopg://u@localhost/vr"),
        ("postgresql+psycopg://u@localhost/vr", "postgresql+psycopg://u@localhost/vr"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_normalisation(raw, expected, clean_env):
    assert normalise_database_url(raw) == expected
    clean_env.setenv("DATABASE_URL", raw)
    assert env_overrides()["SQLALCHEMY_DATABASE_URI"] == expected


def test_bbb_host_is_allowed_as_form_target(tmp_path, clean_env):
    app = make(tmp_path, {"BBB_API_URL": "https://bbb.example.org/bigbluebutton/api"})
    assert app.config["CSP_FORM_ACTION_EXTRA"] == ("https://bbb.example.org",)
    response = app.test_client().get("/healthz")
    assert "form-action 'self' https://bbb.example.org" in response.headers["Content-Security-Policy"]


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert response.is_json and body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == "not configured" and body["worker"] == {"status": "immediate"}


def test_healthz_reports_an_unreachable_database(tmp_path, clean_env):
    app = make(
        tmp_path, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db", "BASE_URL": "http://localhost"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded" and body["database"] == "error"
