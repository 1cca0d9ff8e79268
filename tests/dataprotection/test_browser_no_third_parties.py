"""Proof: our pages talk to no one else and set no cookie besides the session cookie.

One browser journey visits every page of the app (every GET route without
URL arguments other than the club slug, read from ``app.url_map`` so new pages
are covered automatically) as anonymous, member, board and staff. Every network
request the browser makes is recorded; any request to a host other than the
live server fails the test, and so does any cookie other than ``vr_session``
(the remember-me cookie only appears when "Angemeldet bleiben" is chosen, which
this journey does not do).
"""

from urllib.parse import urlsplit

import pytest

from tests.browser import assert_accessible, login_in_browser
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.browser

ALLOWED_COOKIES = {"vr_session"}
LOCAL_SCHEMES = {"data", "blob", "about"}
#: This package's own pages also get the accessibility check on the way.
OWN_PAGES = ("/konto/meine-daten", "/datenschutz/verarbeitung", "/daten/", "/admin/datenschutz/")


def page_urls(app, slug: str, with_club: bool) -> list[str]:
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        club_route = rule.rule.startswith("/c/<slug>")
        if set(rule.arguments) - ({"slug"} if club_route else set()) - set(rule.defaults or {}):
            continue  # needs ids or tokens
        if club_route and not with_club:
            continue
        urls.add(rule.rule.replace("<slug>", slug))
    if not with_club:
        urls.add(f"/c/{slug}/")  # one club page: login redirect or "not found"
    return sorted(urls)


def html_pages(app, urls, user) -> list[str]:
    """What the browser shows as a page (no downloads, feeds or JSON): every page the role may see, plus
    one example of each refusal (login redirect, 403, 404), which render the same layout."""
    client = app.test_client()
    if user is not None:
        login(client, user)
    pages, refusals = [], {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            refusals.setdefault(response.status_code, url)
        elif response.mimetype == "text/html" and "attachment" not in response.headers.get("Content-Disposition", ""):
            pages.append(url)
    return pages + sorted(refusals.values())


def _load_shipped_content(app):
    with app.app_context():
        for _name, fn in app.extensions.get("vereinsraum.content_sync", []):
            fn()


def test_pages_make_no_third_party_requests_and_set_only_the_session_cookie(roles, live_server, _browser):
    app = live_server.app
    _load_shipped_content(app)
    own = urlsplit(live_server.url).netloc
    problems = []
    visited = checked = 0
    for role, user in (("anonymous", None), ("member", roles.member), ("board", roles.board), ("staff", roles.staff)):
        context = _browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
        context.set_default_timeout(10_000)
        requests = []
        context.on("request", lambda request, requests=requests: requests.append(request.url))
        page = context.new_page()
        try:
            if user is not None:
                login_in_browser(page, live_server.url, user.email, PASSWORD)
                assert "/konto/anmelden" not in page.url, f"login failed for {role}"
            with app.app_context():
                urls = html_pages(app, page_urls(app, roles.club.slug, with_club=role in ("member", "board")), user)
            assert len(urls) >= 5, urls
            for url in urls:
                page.goto(live_server.url + url, wait_until="load")
                if page.locator("[hx-trigger]").count():
                    try:  # lazy panels load via htmx; polling panels never go idle
                        page.wait_for_load_state("networkidle", timeout=3000)
                    except Exception:  # noqa: BLE001
                        pass
                if page.url.endswith(OWN_PAGES) and url.endswith(OWN_PAGES):
                    assert_accessible(page)
                    checked += 1
                visited += 1
            for url in requests:
                parts = urlsplit(url)
                if parts.scheme not in LOCAL_SCHEMES and parts.netloc != own:
                    problems.append(f"{role}: request to {url}")
            for cookie in context.cookies():
                if cookie["name"] not in ALLOWED_COOKIES:
                    problems.append(f"{role}: unexpected cookie {cookie['name']} ({cookie['domain']})")
        finally:
            context.close()
    assert visited >= 20 and checked >= 6
    assert not problems, "\n".join(problems)
