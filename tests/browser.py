"""Real-browser support: a live server on loopback, Debian chromium via Playwright, axe-core.

Use the fixtures ``live_server`` and ``page`` (see tests/conftest.py) and call
``assert_accessible(page)`` on every page a journey visits.
"""

from __future__ import annotations

import threading

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    def __init__(self, app):
        # Port 0: the kernel picks a free port while binding, so parallel test workers never collide.
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        # werkzeug looks for a shutdown request every poll_interval (0.5 s by default): stop at once
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


def assert_accessible(page, context=None):
    """Run axe-core on the page; serious or critical violations fail."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"axe on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad
    )
    return results


def login_in_browser(page, base_url, email, password):
    """Log in through the form; an account with two-factor login gives the code of its app on the second page."""
    from app.auth.services import get_user_by_email
    from tests.helpers import totp_code

    user = get_user_by_email(email)
    page.goto(f"{base_url}/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    if user is not None and user.has_two_factor:
        page.wait_for_url("**/konto/anmelden/code**")
        page.get_by_label("Code aus der App").fill(totp_code(user))
        page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_load_state()
