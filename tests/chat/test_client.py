"""Our Mattermost client against the stand-in (validated against the OpenAPI file)."""

import time

import pytest
from werkzeug.test import Client

from app.integrations.mattermost import MattermostClient, MattermostError
from app.integrations.mattermost.client import retry_after_from
from app.integrations.mattermost.standin import MattermostStandin, make_standin


def client(mm, **kwargs):
    return MattermostClient(mm.url, mm.standin.token, timeout=kwargs.pop("timeout", 2.0), **kwargs)


def test_error_keeps_mattermost_id_status_and_request_id(mm):
    with pytest.raises(MattermostError) as caught:
        client(mm).channel_by_team_name("vereinsraum", "gibt-es-nicht")
    error = caught.value
    assert (error.status, error.id) == (404, "app.channel.get_by_name.missing.app_error")
    assert len(error.request_id) == 26 and not error.transient


def test_wrong_token_is_401_with_json_error(mm):
    bad = MattermostClient(mm.url, "falsch", timeout=2.0)
    with pytest.raises(MattermostError) as caught:
        bad.me()
    assert (caught.value.status, caught.value.id) == (401, "api.context.session_expired.app_error")


def test_standin_requires_bearer_token():
    standin = MattermostStandin("http://127.0.0.1:1")
    response = Client(standin).get("/api/v4/users/me")
    assert response.status_code == 401
    assert set(response.get_json()) == {"id", "message", "detailed_error", "request_id", "status_code"}
    assert (
        Client(standin).get("/api/v4/users/me", headers={"Authorization": f"token {standin.token}"}).status_code == 200
    )


def test_429_is_not_parsed_and_reports_retry_after(mm):
    mm.standin.rate_limit(1, retry_after=7)
    with pytest.raises(MattermostError) as caught:
        client(mm).ping()
    assert caught.value.status == 429 and caught.value.retry_after == 7 and caught.value.transient


def test_short_429_is_waited_out_once(mm):
    slept = []
    mm.standin.rate_limit(1, retry_after=1)
    assert client(mm, max_wait=2, sleep=slept.append).ping()["status"] == "OK"
    assert slept == [1.0]


def test_retry_after_falls_back_to_ratelimit_reset():
    assert retry_after_from({"X-Ratelimit-Reset": "3"}) == 3
    assert retry_after_from({"Retry-After": "5", "X-Ratelimit-Reset": "3"}) == 5
    assert 0 <= retry_after_from({"X-Ratelimit-Reset": str(int(time.time()) + 4)}) <= 4
    assert retry_after_from({"Retry-After": "bald"}) is None


def test_down_server_is_a_transient_error(mm):
    mm.standin.down = True
    with pytest.raises(MattermostError) as caught:
        client(mm).ping()
    assert caught.value.status == 503 and caught.value.transient


def test_unreachable_server_is_a_transient_error():
    with pytest.raises(MattermostError) as caught:
        MattermostClient("http://127.0.0.1:9", "x", timeout=0.5).ping()
    assert caught.value.status is None and caught.value.transient


def test_slow_server_hits_the_read_timeout(mm):
    mm.standin.slow = 1.0
    started = time.monotonic()
    with pytest.raises(MattermostError) as caught:
        client(mm, timeout=0.3).ping()
    assert caught.value.status is None and time.monotonic() - started < 0.9


def test_every_call_has_connect_and_read_timeouts(mm):
    seen = []
    c = client(mm, timeout=4.0)
    real = c.session.request

    def spy(*args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return real(*args, **kwargs)

    c.session.request = spy
    c.ping()
    c.me()
    c.team_by_name("vereinsraum")
    assert seen == [(3.05, 4.0)] * 3


def test_webhook_posts_text_and_gets_ok(mm):
    channel = mm.standin.add_channel(mm.team["id"], "ag", private=True)
    hook = mm.standin.add_hook(channel["id"])
    client(mm).post_webhook(mm.standin.hook_url(hook), "Hallo")
    assert [p["message"] for p in mm.standin.posts_in(channel["id"])] == ["Hallo"]


def test_make_standin_gives_env_for_devserver():
    app, env = make_standin("http://127.0.0.1:5999")
    assert set(env) == {"MATTERMOST_URL", "MATTERMOST_TOKEN", "MATTERMOST_TEAM"}
    response = Client(app).get(
        "/api/v4/users/email/vorstand@imker-pankow.example",
        headers={"Authorization": f"Bearer {env['MATTERMOST_TOKEN']}"},
    )
    assert response.status_code == 200


def test_the_openapi_check_catches_drift_on_either_side(openapi):
    """The validation in the `mm` fixture is real: a wrong request or response is reported."""
    from tests.chat.conftest import OpenAPICheck

    standin = MattermostStandin("http://127.0.0.1:1")
    team = standin.add_team("vereinsraum")
    check = OpenAPICheck(standin, openapi)
    auth = {"Authorization": f"Bearer {standin.token}"}
    Client(check).post("/api/v4/channels", json={"team_id": team["id"], "name": "x", "type": "P"}, headers=auth)
    assert any("request" in v for v in check.violations)  # display_name missing

    check.violations.clear()
    original = standin.on_get_channel
    standin.on_get_channel = lambda request, channel_id: (
        200,
        dict(original(request, channel_id)[1], create_at="gestern"),
    )
    channel = standin.add_channel(team["id"], "offen", members=(standin.bot_id,))
    Client(check).get(f"/api/v4/channels/{channel['id']}", headers=auth)
    assert any("response" in v for v in check.violations)  # create_at must be an integer
