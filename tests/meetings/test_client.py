"""Our BBB client against the stand-in over real HTTP (and the checksum rules on their own)."""

import hashlib
import time

import pytest
import requests

from app.integrations.bigbluebutton import BBBClient, BBBError, checksum
from app.integrations.bigbluebutton.client import encode_query

from .conftest import query_of

# The example from the BigBlueButton API documentation ("Usage"): create with this query and
# secret gives this SHA-1 checksum.
DOC_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
DOC_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
DOC_SHA1 = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"


def test_published_example_checksum():
    assert checksum("create", DOC_QUERY, DOC_SECRET, "sha1") == DOC_SHA1
    params = [("name", "Test Meeting"), ("meetingID", "abc123"), ("attendeePW", "111222"), ("moderatorPW", "333444")]
    assert encode_query(params) == DOC_QUERY
    url = BBBClient("https://bbb.example/bigbluebutton/api/", DOC_SECRET, "sha1").url("create", params)
    assert url == f"https://bbb.example/bigbluebutton/api/create?{DOC_QUERY}&checksum={DOC_SHA1}"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_checksum_algorithms_match_hashlib(algorithm):
    query = "meetingID=club-7-room-3&fullName=J%C3%BCrgen+M%C3%BCller&role=VIEWER"
    expected = hashlib.new(algorithm, ("join" + query + "geheim").encode()).hexdigest()
    assert checksum("join", query, "geheim", algorithm) == expected
    assert len(expected) == {"sha1": 40, "sha256": 64, "sha512": 128}[algorithm]


def test_empty_query_is_signed_as_call_name_plus_secret():
    client = BBBClient("http://127.0.0.1:1/bigbluebutton/api", "s3cret", "sha256")
    sig = hashlib.sha256(b"getMeetingss3cret").hexdigest()
    assert client.url("getMeetings") == f"http://127.0.0.1:1/bigbluebutton/api/getMeetings?checksum={sig}"


def test_default_algorithm_is_sha256(app):
    from app.integrations.bigbluebutton import client_from_config

    app.config.update(BBB_API_URL="http://127.0.0.1:1/bigbluebutton/api/", BBB_SECRET="x")
    assert client_from_config().algorithm == "sha256"


def _client(bbb, algorithm="sha256", timeout=2.0, secret=None):
    return BBBClient(bbb.api_url, secret or bbb.secret, algorithm, timeout)


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_stand_in_accepts_each_algorithm_over_http(bbb_standin, algorithm):
    client = _client(bbb_standin, algorithm)
    result = client.create("vr-test-1", "Äpfel & Birnen", meta={"vr-club": "imker"})
    assert result.create_time and not result.duplicate
    # the query reached the server byte for byte as signed
    raw = bbb_standin.state.calls_of("create")[-1]
    assert raw.endswith("checksum=" + checksum("create", raw.rsplit("&checksum=", 1)[0], bbb_standin.secret, algorithm))


def test_wrong_secret_and_disabled_algorithm_give_checksum_error_in_german(bbb_standin):
    with pytest.raises(BBBError) as info:
        _client(bbb_standin, secret="falsch").get_meetings()
    assert info.value.key == "checksumError"
    assert "Prüfsumme" in info.value.message
    bbb_standin.state.algorithms = {"sha256"}
    with pytest.raises(BBBError, match="Prüfsumme"):
        _client(bbb_standin, "sha1").get_meetings()
    assert _client(bbb_standin, "sha256").get_meetings() == []


def test_create_is_idempotent_and_returns_the_original_create_time(bbb_standin):
    client = _client(bbb_standin)
    first = client.create("vr-idem", "Sitzung", meta={"vr-room": "1"})
    second = client.create("vr-idem", "Anderer Name", meta={"vr-room": "2"})
    assert second.duplicate and second.create_time == first.create_time
    assert len(client.get_meetings()) == 1


def test_meta_tags_do_not_leak_between_creates(bbb_standin):
    client = _client(bbb_standin)
    client.create("vr-a", "Verein A", meta={"vr-club": "a", "vr-only-a": "1"})
    client.create("vr-b", "Verein B", meta={"vr-club": "b"})
    second = bbb_standin.state.calls_of("create")[-1]
    assert "meta_vr-club=b" in second and "vr-only-a" not in second and "meta_vr-club=a" not in second


def test_join_url_carries_role_create_time_and_user_id(bbb_standin):
    client = _client(bbb_standin)
    created = client.create("vr-join", "Sitzung")
    url = client.join_url(
        "vr-join", "Vera Vorstand", role="MODERATOR", create_time=created.create_time, user_id="vr-user-1"
    )
    q = query_of(url)
    assert q["role"] == "MODERATOR" and q["createTime"] == created.create_time and q["userID"] == "vr-user-1"
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Konferenzraum (Demo)" in page.text and "Moderation" in page.text
    assert client.is_meeting_running("vr-join") is True
    # a stale createTime cannot enter
    stale = client.join_url("vr-join", "X", role="VIEWER", create_time="1")
    assert "mismatchCreateTimeParam" in requests.get(stale, timeout=5).text


def test_parses_zero_one_and_many_meetings(bbb_standin):
    client = _client(bbb_standin)
    assert client.get_meetings() == []
    client.create("vr-one", "Eins")
    one = client.get_meetings()
    assert [m["meeting_id"] for m in one] == ["vr-one"]
    client.create("vr-two", "Zwei")
    assert sorted(m["meeting_id"] for m in client.get_meetings()) == ["vr-one", "vr-two"]


def test_parses_zero_one_and_many_recordings_with_meta_filter(bbb_standin):
    client = _client(bbb_standin)
    assert client.get_recordings(meta={"vr-club": "a"}) == []
    bbb_standin.state.add_recording("vr-a", {"vr-club": "a"})
    one = client.get_recordings(meta={"vr-club": "a"})
    assert len(one) == 1 and one[0]["metadata"]["vr-club"] == "a" and one[0]["formats"][0]["type"] == "presentation"
    bbb_standin.state.add_recording("vr-a", {"vr-club": "a"})
    bbb_standin.state.add_recording("vr-b", {"vr-club": "b"})
    assert len(client.get_recordings(meta={"vr-club": "a"})) == 2
    rec = one[0]["record_id"]
    client.publish_recordings([rec], False)
    assert [r["published"] for r in client.get_recordings(meeting_id="vr-a") if r["record_id"] == rec] == [False]
    client.delete_recordings([rec])
    assert len(client.get_recordings(meta={"vr-club": "a"})) == 1


def test_end_and_meeting_info(bbb_standin):
    client = _client(bbb_standin)
    assert client.get_meeting_info("vr-x") is None
    assert client.end("vr-x") is False
    client.create("vr-x", "Sitzung", meta={"vr-club": "c"})
    info = client.get_meeting_info("vr-x")
    assert info["metadata"]["vr-club"] == "c" and info["running"] is False
    assert client.end("vr-x") is True
    assert client.get_meeting_info("vr-x") is None


def test_slow_server_times_out_with_a_german_message(bbb_standin):
    bbb_standin.state.slow = 3
    client = _client(bbb_standin, timeout=0.4)
    started = time.monotonic()
    with pytest.raises(BBBError) as info:
        client.get_meetings()
    assert time.monotonic() - started < 1.5
    assert info.value.key == "timeout" and "antwortet" in info.value.message


def test_down_html_reply_and_connection_refused(bbb_standin):
    bbb_standin.state.down = True
    with pytest.raises(BBBError) as info:
        _client(bbb_standin).get_meetings()
    assert info.value.key == "badResponse" and info.value.transport
    refused = BBBClient("http://127.0.0.1:9/bigbluebutton/api/", "x", timeout=1)
    with pytest.raises(BBBError) as info:
        refused.get_meetings()
    assert info.value.key == "unreachable" and "nicht erreichbar" in info.value.message


def test_failed_reply_becomes_german_message(bbb_standin):
    bbb_standin.state.fail = "idNotUnique"
    with pytest.raises(BBBError) as info:
        _client(bbb_standin).create("vr-f", "Sitzung")
    assert info.value.key == "idNotUnique" and "Kennung" in info.value.message
    bbb_standin.state.fail = "somethingNew"
    with pytest.raises(BBBError, match="somethingNew"):
        _client(bbb_standin).get_meetings()


def test_malformed_xml_is_a_bbb_error(bbb_standin):
    bbb_standin.state.malformed = True
    with pytest.raises(BBBError) as info:
        _client(bbb_standin).get_meetings()
    assert info.value.key == "badResponse"


def test_xml_bombs_are_refused():
    from app.integrations.bigbluebutton.client import SafeET

    bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><response>&b;</response>'
    with pytest.raises(Exception):  # noqa: B017 - whichever parser error: the bomb is refused
        SafeET.fromstring(bomb)


def test_control_endpoint_switches_modes(bbb_standin):
    requests.post(bbb_standin.url + "/_standin/control", data={"fail": "checksumError"}, timeout=5)
    with pytest.raises(BBBError):
        _client(bbb_standin).get_meetings()
    requests.post(bbb_standin.url + "/_standin/control", data={"reset": "1"}, timeout=5)
    assert _client(bbb_standin).get_meetings() == []


def test_make_standin_gives_env_for_the_dev_server():
    from app.integrations.bigbluebutton.standin import make_standin

    wsgi_app, env = make_standin("http://127.0.0.1:5555")
    assert env["BBB_API_URL"] == "http://127.0.0.1:5555/bigbluebutton/api/" and len(env["BBB_SECRET"]) >= 32
    assert callable(wsgi_app)


def test_stand_in_guest_wait_and_roles_with_redirect_false(bbb_standin):
    client = _client(bbb_standin)
    created = client.create("vr-wait", "Sitzung", guest_policy="ASK_MODERATOR")
    guest = client.join_url("vr-wait", "Gisela", role="VIEWER", create_time=created.create_time, guest=True)
    reply = requests.get(guest + "&redirect=false", timeout=5)
    assert reply.status_code == 403 or "checksumError" in reply.text  # appended params break the signature
    root = client.call(
        "join",
        [
            ("meetingID", "vr-wait"),
            ("fullName", "Gisela"),
            ("role", "VIEWER"),
            ("createTime", created.create_time),
            ("guest", True),
            ("redirect", False),
        ],
    )
    assert root.findtext("messageKey") == "guestWait"
    root = client.call(
        "join",
        [
            ("meetingID", "vr-wait"),
            ("fullName", "Moritz"),
            ("role", "VIEWER"),
            ("createTime", created.create_time),
            ("guest", False),
            ("redirect", False),
        ],
    )
    assert root.findtext("messageKey") == "successfullyJoined"
    assert client.is_meeting_running("vr-wait") is True
    with pytest.raises(BBBError) as info:
        client.call("join", [("meetingID", "vr-nope"), ("fullName", "X"), ("role", "VIEWER")])
    assert info.value.key == "invalidMeetingIdentifier"
