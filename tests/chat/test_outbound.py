"""Webhook and channel URLs never reach internal hosts (issue 12, item 7).

The filter (app/core/outbound.py) runs with the real rule in every test here –
no allowed networks – except where a test sets ``OUTBOUND_ALLOWED_NETWORKS``
explicitly to show that setting. DNS is the chat tests' fake resolver
(``fake_dns``): ``*.example`` names resolve to a public address unless a test
says otherwise.
"""

import subprocess
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.chat import linking, services
from app.chat.models import ChatLink
from app.core import outbound
from app.core.signals import meeting_started
from app.extensions import db
from app.integrations.mattermost import MattermostClient, MattermostError
from app.integrations.mattermost.client import REDIRECT, REFUSED
from app.integrations.mattermost.standin import MattermostStandin
from tests.chat.conftest import OpenAPICheck, free_port, serve

INTERNAL_HOSTS = [
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0",
    "foo.localhost",
    "localhost",
    "100.64.0.1",
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "[::1]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "intern.example",  # a name that resolves to 127.0.0.1
    "gemischt.example",  # one public and one private address
    "v6intern.example",  # a name that resolves to IPv6 link-local
]


@pytest.fixture
def internal_names(fake_dns):
    fake_dns.names.update(
        {
            "intern.example": ["127.0.0.1"],
            "gemischt.example": ["93.184.215.14", "10.1.2.3"],
            "v6intern.example": ["fe80::1"],
        }
    )
    return fake_dns


# --- the filter itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_every_internal_spelling_is_refused(app, internal_names, host):
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url(f"https://{host}/hooks/{'a' * 26}", outbound.Policy())


def test_a_public_name_is_resolved_and_allowed(app, fake_dns):
    target = outbound.check_url("https://chat.example.org/hooks/x", outbound.Policy())
    assert target.addresses == ["93.184.215.14"] and target.host_header == "chat.example.org"
    assert "chat.example.org" in fake_dns.lookups


@pytest.mark.parametrize(
    "url, code",
    [
        ("http://chat.example.org/hooks/x", "http"),
        ("ftp://chat.example.org/hooks/x", "form"),
        ("https://user:pw@chat.example.org/hooks/x", "credentials"),
        ("https://chat.example.org:0/hooks/x", "port"),
        ("https://chat.example.org:99999/hooks/x", "port"),
        ("https://bad_host!/hooks/x", "host"),
    ],
)
def test_form_rules(app, url, code):
    with pytest.raises(outbound.OutboundRefused) as caught:
        outbound.check_url(url, outbound.Policy())
    assert caught.value.code == code


def test_allowed_networks_and_http_are_explicit_settings(app, internal_names):
    policy = outbound.Policy(allow_http=True, allowed_networks=outbound.parse_networks("127.0.0.0/8, fd00::/8"))
    assert outbound.check_url("http://intern.example/hooks/x", policy).addresses == ["127.0.0.1"]
    for still_refused in ("https://127.1/", "https://foo.localhost/", "https://10.0.0.1/", "https://[::1]/"):
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(still_refused, policy)
    with pytest.raises(ValueError):
        outbound.parse_networks("10.0.0.0/8, kein-netz")


def test_the_platform_server_is_trusted_because_the_operator_configured_it(app):
    policy = outbound.Policy.from_config({"MATTERMOST_URL": "http://127.0.0.1:8065"})
    assert outbound.check_url("http://127.0.0.1:8065/hooks/x", policy).trusted
    with pytest.raises(outbound.OutboundRefused):  # another port on the same host is not the platform
        outbound.check_url("http://127.0.0.1:8066/hooks/x", policy)


def test_an_unresolvable_name_fails_without_contacting_anything(app):
    with pytest.raises(outbound.OutboundFailed):
        outbound.check_url("https://gibt-es-nicht.invalid/hooks/x", outbound.Policy())


def test_a_bad_network_setting_stops_the_app_from_starting(app_config):
    from app import create_app

    with pytest.raises(ValueError):
        create_app(dict(app_config, OUTBOUND_ALLOWED_NETWORKS="10.0.0.0/8,intern"))


# --- link time ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_linking_a_channel_or_webhook_on_an_internal_host_is_refused(app, internal_names, host):
    with pytest.raises(services.ChatError):
        linking.parse_channel_url(f"https://{host}/team/channels/kanal")
    with pytest.raises(services.ChatError):
        linking.check_reachable(f"https://{host}/hooks/{'a' * 26}")


def test_the_link_form_answers_422_for_an_internal_host(roles, client_for, internal_names):
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={
            "channel_url": "https://intern.example/team/channels/kanal",
            "webhook_url": f"https://intern.example/hooks/{'a' * 26}",
        },
    )
    assert response.status_code == 422 and "nicht öffentlich erreichbar" in response.get_data(as_text=True)
    assert services.link_for(roles.club) is None


def test_linking_refuses_http_unless_allowed(app, roles, client_for):
    board = client_for(roles.board)
    data = {
        "channel_url": "http://chat.example.org/t/channels/k",
        "webhook_url": f"http://chat.example.org/hooks/{'a' * 26}",
    }
    response = board.post(f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen", data=data)
    assert response.status_code == 422 and "https://" in response.get_data(as_text=True)
    app.config["CHAT_ALLOW_HTTP"] = True
    assert board.post(f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen", data=data).status_code == 303


# --- send time --------------------------------------------------------------------------------------------


@pytest.fixture
def foreign(app, openapi):
    """Another club's own Mattermost server (not the platform's) on loopback, with one incoming webhook."""
    standin = MattermostStandin("http://127.0.0.1")
    team = standin.add_team("verein")
    channel = standin.add_channel(team["id"], "kanal", members=(standin.bot_id,))
    hook = standin.add_hook(channel["id"])
    checker = OpenAPICheck(standin, openapi)
    url, port, stop = serve(checker)
    try:
        yield type("Foreign", (), {"standin": standin, "port": port, "hook": hook, "channel": channel})
    finally:
        stop()
    assert checker.violations == []


def stored_link(club, webhook_url):
    """A link stored as it was before this check existed (or whose name resolves differently today)."""
    parts = webhook_url.split("/hooks/")
    link = ChatLink(
        club_id=club.id,
        kind="linked",
        site_url=parts[0],
        team_name="verein",
        channel_name="kanal",
        on_platform=False,
        webhook_url=webhook_url,
        webhook_key=services.webhook_key(webhook_url),
    )
    db.session.add(link)
    db.session.commit()
    return link


def send_notice(club):
    meeting_started.send(club, room_name="Treffen", workspace_url="", started_by=None)
    return services.open_ops(club)


@pytest.fixture
def chat_platform(app, mm):
    """Notices need a configured platform client (the platform server itself is not used here)."""
    app.config["CHAT_ALLOW_HTTP"] = True  # so that only the address rule can stop these plain-http stand-ins
    return mm


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_sending_to_an_internal_host_is_refused(roles, chat_platform, foreign, internal_names, host):
    stored_link(roles.club, f"http://{host}:{foreign.port}/hooks/{foreign.hook['id']}")
    [op] = send_notice(roles.club)
    assert op.status == "failed" and REFUSED in op.last_error and op.attempts == 1
    assert foreign.standin.calls == [] and foreign.standin.posts_in(foreign.channel["id"]) == []


def test_the_allowed_networks_setting_lets_an_on_premise_server_through(
    app, roles, chat_platform, foreign, internal_names
):
    """The positive control for the test above: same server, same URL, the operator allowed its network."""
    app.config["OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    stored_link(roles.club, f"http://intern.example:{foreign.port}/hooks/{foreign.hook['id']}")
    assert send_notice(roles.club) == []
    [post] = foreign.standin.posts_in(foreign.channel["id"])
    assert "Treffen" in post["message"] and post["props"]["from_webhook"] == "true"
    assert foreign.standin.host_headers == [f"intern.example:{foreign.port}"]


def test_a_name_rebound_to_loopback_after_linking_is_refused_at_send_time(
    roles, client_for, chat_platform, foreign, fake_dns
):
    answers = iter([["93.184.215.14"], ["93.184.215.14"]])
    fake_dns.names["rebind.example"] = lambda: next(answers, ["127.0.0.1"])
    site = f"http://rebind.example:{foreign.port}"
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/chat/einstellungen/verknuepfen",
        data={"channel_url": f"{site}/verein/channels/kanal", "webhook_url": f"{site}/hooks/{foreign.hook['id']}"},
    )
    assert response.status_code == 303  # public at link time
    [op] = send_notice(roles.club)
    assert op.status == "failed" and REFUSED in op.last_error
    assert foreign.standin.calls == []


def test_the_checked_address_is_the_one_connected_to(app, roles, chat_platform, foreign, fake_dns):
    """No second lookup a rebinding name could answer differently: the request goes to the checked address."""
    app.config["OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    answers = iter([["127.0.0.1"]])
    fake_dns.names["pinned.example"] = lambda: next(answers, ["10.9.8.7"])
    stored_link(roles.club, f"http://pinned.example:{foreign.port}/hooks/{foreign.hook['id']}")
    assert send_notice(roles.club) == []
    assert fake_dns.lookups.count("pinned.example") == 1
    assert len(foreign.standin.posts_in(foreign.channel["id"])) == 1
    assert foreign.standin.host_headers == [f"pinned.example:{foreign.port}"]


def test_redirects_are_not_followed(app, roles, chat_platform, foreign, internal_names):
    app.config["OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    hook_url = f"http://127.0.0.1:{foreign.port}/hooks/{foreign.hook['id']}"

    def redirector(environ, start_response):
        return Response("", status=307, headers={"Location": hook_url})(environ, start_response)

    url, port, stop = serve(redirector)
    try:
        stored_link(roles.club, f"http://intern.example:{port}/hooks/{'b' * 26}")
        [op] = send_notice(roles.club)
    finally:
        stop()
    assert op.status == "failed" and REDIRECT in op.last_error
    assert foreign.standin.calls == []


def test_the_client_refuses_without_retrying(app, internal_names):
    client = MattermostClient(
        "https://chat.plattform.example", "t", timeout=1.0, policy=outbound.Policy.from_config(app.config)
    )
    with pytest.raises(MattermostError) as caught:
        client.post_webhook(f"https://intern.example/hooks/{'a' * 26}", "Hallo")
    assert caught.value.id == REFUSED and not caught.value.transient


# --- TLS: pinned address, certificate and SNI for the name -----------------------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A throwaway CA and a certificate for ``tls.example`` (made with the openssl CLI, never stored)."""
    d = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Test CA", cwd=d)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=tls.example", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:tls.example\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        cwd=d,
    )
    return d


@pytest.fixture
def tls_server(certificates):
    seen = {}

    def app(environ, start_response):
        request = Request(environ)
        seen["host"] = request.host
        seen["body"] = request.get_data(as_text=True)
        return Response("ok", content_type="text/plain")(environ, start_response)

    port = free_port()
    server = make_server(
        "127.0.0.1", port, app, ssl_context=(str(certificates / "server.pem"), str(certificates / "server.key"))
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield port, seen
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_tls_is_verified_for_the_name_while_connecting_to_the_pinned_address(app, fake_dns, certificates, tls_server):
    port, seen = tls_server
    fake_dns.names.update({"tls.example": ["127.0.0.1"], "anders.example": ["127.0.0.1"]})
    policy = outbound.Policy(
        allowed_networks=outbound.parse_networks("127.0.0.1/32"), ca_certs=str(certificates / "ca.pem")
    )
    reply = outbound.post_json(f"https://tls.example:{port}/hooks/x", {"text": "Hallo"}, policy)
    assert reply.status == 200 and reply.body == b"ok"
    assert seen == {"host": f"tls.example:{port}", "body": '{"text": "Hallo"}'}
    # Same address, another name: the certificate does not match, nothing is sent.
    seen.clear()
    with pytest.raises(outbound.OutboundFailed):
        outbound.post_json(f"https://anders.example:{port}/hooks/x", {"text": "Hallo"}, policy)
    assert seen == {}
    # Without our test CA the certificate is not trusted at all.
    with pytest.raises(outbound.OutboundFailed):
        outbound.post_json(
            f"https://tls.example:{port}/hooks/x",
            {"text": "Hallo"},
            outbound.Policy(allowed_networks=policy.allowed_networks),
        )
