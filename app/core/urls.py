"""Absolute URLs for mails, calendar feeds and links people share: from BASE_URL, never from the request.

The request's Host header is chosen by the client. A link built from it (a password reset link, an
invitation) would point wherever an attacker wants, so every absolute link goes through
:func:`external_url`, which uses the configured ``BASE_URL`` inside a request, in a CLI command and in a
background job alike.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app


def base_url() -> str:
    """``BASE_URL`` without a trailing slash, e.g. ``https://vereinsraum.example``."""
    return current_app.config["BASE_URL"].rstrip("/")


def base_host() -> str:
    """The host name of ``BASE_URL`` (no port), e.g. ``vereinsraum.example``."""
    return (urlsplit(current_app.config["BASE_URL"]).hostname or "").lower()


def base_url_adapter():
    """A URL adapter bound to ``BASE_URL`` (host, scheme and path prefix)."""
    base = urlsplit(current_app.config["BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under ``BASE_URL``."""
    app = current_app._get_current_object()
    adapter = base_url_adapter()
    anchor = values.pop("_anchor", None)
    app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(anchor, safe="%!#$&'()*+,/:;=?@")
    return url
