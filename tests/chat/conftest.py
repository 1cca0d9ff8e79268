"""Chat fixtures: the Mattermost stand-in on loopback, checked against Mattermost's OpenAPI file.

Every request our client sends and every response the stand-in returns passes
through :class:`OpenAPICheck`; a violation fails the test at teardown.

DNS is faked for every chat test (``fake_dns``): the reserved example names
(``*.example``, ``*.example.org``, RFC 2606) resolve to one public address that no
test ever connects to, tests can add names (e.g. one resolving to 127.0.0.1), and
address literals go to the real resolver in numeric mode – so no test needs or
uses a real DNS server, and the outbound rules see the same answers as in production.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.integrations.mattermost.standin import MattermostStandin

SPEC = Path(__file__).with_name("mattermost-openapi.yaml")
ERROR_KEYS = {"id", "message", "detailed_error", "request_id", "status_code"}


@pytest.fixture(scope="session")
def openapi():
    from openapi_core import OpenAPI

    return OpenAPI.from_file_path(str(SPEC))


class OpenAPICheck:
    """WSGI middleware: validate each request/response pair against the spec."""

    def __init__(self, app, openapi):
        self.app, self.openapi = app, openapi
        self.violations: list[str] = []
        self.checked = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        copy = dict(environ, **{"wsgi.input": io.BytesIO(body)})
        request = Request(copy)
        request.get_data()
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        chunks = b"".join(self.app(environ, capture))
        response = Response(chunks, status=captured["status"], headers=captured["headers"])
        problems = self.check(request, response)
        with self.lock:
            self.checked += 1
            self.violations.extend(f"{request.method} {request.path} -> {response.status_code}: {p}" for p in problems)
        return [chunks]

    def check(self, request, response) -> list[str]:
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

        problems = []
        if request.path.startswith("/hooks/"):  # incoming webhook: not part of the REST API spec
            if request.headers.get("Authorization"):
                problems.append("webhook call must not send a token")
            if response.status_code == 200 and (response.get_data() != b"ok" or response.mimetype != "text/plain"):
                problems.append("webhook success must be 'ok' text/plain")
            if response.status_code >= 400 and response.status_code != 429:
                problems += self._error_body(response)
            return problems
        oa_request = WerkzeugOpenAPIRequest(request)
        problems += [f"request: {e!r} {e.__cause__!r}" for e in self.openapi.iter_request_errors(oa_request)]
        if response.status_code == 429:
            if response.mimetype != "text/plain":
                problems.append("429 must be text/plain")
            for header in ("Retry-After", "X-Ratelimit-Reset", "X-Ratelimit-Limit", "X-Ratelimit-Remaining"):
                if header not in response.headers:
                    problems.append(f"429 without {header}")
            return problems
        if response.status_code == 503 and response.mimetype == "text/html":
            return problems  # "down" mode: the reverse proxy answers, not Mattermost
        errors = list(self.openapi.iter_response_errors(oa_request, WerkzeugOpenAPIResponse(response)))
        for error in errors:
            if error.__class__.__name__ == "ResponseNotFound" and response.status_code >= 400:
                continue  # undocumented error status (e.g. 404 team member missing): body checked below
            problems.append(f"response: {error!r} {error.__cause__!r}")
        if response.status_code >= 400:
            problems += self._error_body(response)
        return problems

    @staticmethod
    def _error_body(response) -> list[str]:
        if response.mimetype != "application/json":
            return ["error without JSON body"]
        body = response.get_json()
        if not isinstance(body, dict) or set(body) != ERROR_KEYS or body["status_code"] != response.status_code:
            return [f"error body has wrong shape: {body!r}"]
        if not body["request_id"] or body["request_id"] != response.headers.get("X-Request-Id"):
            return ["error request_id must equal X-Request-Id"]
        return []


PUBLIC_ADDRESS = "93.184.215.14"  # a global address; the network guard keeps tests from ever reaching it


class FakeDNS:
    def __init__(self, real):
        self.real = real
        self.names: dict = {}  # name -> list of addresses, or a callable giving one list per lookup
        self.lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name)
            return self.real(host, port, family, type, proto, flags)
        except ValueError:
            pass
        if name == "localhost":
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        answers = self.names.get(name.lower())
        if answers is None and (name.endswith(".example") or name.endswith(".example.org")):
            answers = [PUBLIC_ADDRESS]
        if callable(answers):
            answers = answers()
        if answers is None:  # numeric spellings (127.1, 0x7f000001, …) as the C library reads them; no network
            return self.real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        result = []
        for address in answers:
            if ":" in address:
                result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0)))
            else:
                result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0)))
        return result


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    dns = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    return dns


def serve(wsgi_app, host="127.0.0.1"):
    """Serve a WSGI app on a free loopback port: ``(url, stop)``."""
    port = free_port()
    server = make_server(host, port, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=5)

    return f"http://{host}:{port}", port, stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mm(app, openapi):
    """A running stand-in with team ``vereinsraum``; the app points at it."""
    from app.extensions import cache

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    standin = MattermostStandin(url)
    team = standin.add_team("vereinsraum", "Berliner Vereine")
    checker = OpenAPICheck(standin, openapi)
    server = make_server("127.0.0.1", port, checker, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    # Approval would create every club's channel (MATTERMOST_AUTO_PROVISION defaults to on with a chat
    # server); tests of that switch it on themselves (tests/chat/test_lifecycle.py).
    app.config.update(
        MATTERMOST_URL=url,
        MATTERMOST_TOKEN=standin.token,
        MATTERMOST_TEAM="vereinsraum",
        MATTERMOST_TIMEOUT=2.0,
        MATTERMOST_AUTO_PROVISION=False,
    )
    cache.clear()

    def account(user, *, in_team=True, username=None):
        """A Mattermost account for a platform user (same e-mail)."""
        mm_user = standin.add_user(username or user.email.split("@")[0].replace("+", "-"), user.email)
        if in_team:
            standin.team_members.add((team["id"], mm_user["id"]))
        return mm_user

    ns = SimpleNamespace(standin=standin, team=team, url=url, checker=checker, account=account)
    try:
        yield ns
    finally:
        standin.down, standin.slow = False, 0.0
        server.shutdown()
        thread.join(timeout=5)
    assert checker.violations == [], "OpenAPI violations:\n" + "\n".join(checker.violations)
