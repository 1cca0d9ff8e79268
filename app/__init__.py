"""Vereinsraum – application factory."""

from __future__ import annotations

import importlib
import logging
import os
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import configure_mappers

from .config import Config, ensure_secret_key, env_overrides
from .core import converters, i18n, jobs, security
from .core.db import tune_postgresql, tune_sqlite
from .core.tenancy import check_routes
from .extensions import babel, cache, csrf, db, htmx, limiter, login_manager, migrate

#: Domain packages, each one blueprint (plus its models). Order = URL precedence.
BLUEPRINTS = (
    "app.core",
    "app.auth",
    "app.clubs",
    "app.workspace",
    "app.privacy",
    "app.guide",
    "app.meetings",
    "app.chat",
    "app.admin",
    "app.pages",
    "app.workshops",
    "app.consultation",
    "app.dataprotection",
    "app.agreements",
    "app.toolkit",
    "app.directory",
    "app.offers",
)


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app; ``instance_path`` (default: ./instance) holds config.py and the secret key."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides())
    if config:
        app.config.update(config)
    _finish_config(app)
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        # Behind nginx: the client address and scheme come from the proxies' headers, counted from the
        # right, so a client cannot forge them (werkzeug's ProxyFix). Without a proxy they are ignored.
        from werkzeug.middleware.proxy_fix import ProxyFix  # only behind a proxy

        proxies = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            tune_sqlite(engine)  # WAL, synchronous=NORMAL, busy_timeout, foreign_keys=ON (SQLite only)
            tune_postgresql(engine)  # liveness check without a round trip, BEGIN at the first write (PostgreSQL only)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)

    converters.init_app(app)  # before any blueprint: every <int:...> is bounded
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.install_template_gettext(app)
    security.init_app(app)
    jobs.init_app(app, app_factory=create_app)

    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)
    jobs.load_tasks(BLUEPRINTS)  # every domain's tasks.py: the consumer knows all tasks

    from . import demo  # imports every domain (like BLUEPRINTS above), so only when an app is built

    demo.init_app(app)  # ``flask seed-demo``: seeds every domain, so it sits above them like this factory

    check_routes(app)
    converters.check_rules(app)
    # Every model is imported now: configure the mappers here, so that backrefs (User.totp) exist before the
    # first request of a fresh worker names them (the suite's earlier queries had always done it for it).
    configure_mappers()

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _finish_config(app: Flask) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "vereinsraum.db")
    base = urlsplit(app.config["BASE_URL"])
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ValueError(f"BASE_URL must be an absolute http(s) URL, not {app.config['BASE_URL']!r}")
    # Requests for any other host get 400: links are never built from the Host header anyway.
    extra = app.config.get("TRUSTED_HOSTS_EXTRA") or ()
    if isinstance(extra, str):
        extra = extra.split(",")
    app.config["TRUSTED_HOSTS"] = list(
        dict.fromkeys([base.hostname.lower(), *(name.strip().lower() for name in extra if name.strip())])
    )
    if app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    extra = set(app.config.get("CSP_FORM_ACTION_EXTRA") or ())
    if app.config.get("BBB_API_URL"):
        parts = urlsplit(app.config["BBB_API_URL"])
        extra.add(f"{parts.scheme}://{parts.netloc}")
    app.config["CSP_FORM_ACTION_EXTRA"] = tuple(sorted(extra))
    if not app.config.get("CACHE_TYPE"):
        if app.config.get("REDIS_URL"):  # shared by every app instance; falls back per process (core/cache.py)
            app.config["CACHE_TYPE"] = "app.core.cache.ResilientRedisCache"
            app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
        else:
            app.config["CACHE_TYPE"] = "SimpleCache"
    app.config.setdefault("CACHE_KEY_PREFIX", "vr:")
    if not app.config.get("RATELIMIT_STORAGE_URI"):  # the limits follow REDIS_URL unless set explicitly
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "unix://")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
