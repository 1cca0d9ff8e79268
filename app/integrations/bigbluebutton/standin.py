"""A BigBlueButton stand-in: a small WSGI app that speaks the real API over HTTP.

Used by ``make run`` (when ``BBB_API_URL`` is unset) and by the tests. It
checks checksums like bbb-web does (over the raw query string as received;
sha1, sha256 and sha512, chosen by the hex length), keeps meetings and
recordings in memory, answers create (idempotent: ``duplicateWarning``), join
(redirect to a "Konferenzraum (Demo)" page, or XML with ``redirect=false``),
isMeetingRunning, getMeetingInfo, getMeetings, end, getRecordings (with
``meta_`` filters), publishRecordings and deleteRecordings, and holds guests
in a waiting room when the meeting's guestPolicy asks for it.

Failure modes for tests and demos, set on ``app.state`` or by
``POST /_standin/control`` (form fields ``slow``, ``down``, ``fail``,
``malformed``, ``reset``):
- ``slow`` seconds before each API reply,
- ``down``: an nginx-like HTML 502 page,
- ``fail``: FAILED with that messageKey,
- ``malformed``: broken XML.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

HASHES_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
API_PREFIX = "/bigbluebutton/api"


@dataclass
class Attendee:
    token: str
    user_id: str
    full_name: str
    role: str  # MODERATOR | VIEWER
    guest: bool
    waiting: bool = False
    joined_at: float = field(default_factory=time.time)


@dataclass
class Meeting:
    meeting_id: str
    name: str
    create_time: str
    internal_id: str
    voice_bridge: str
    record: bool
    guest_policy: str
    mute_on_start: bool
    logout_url: str
    meta: dict
    attendee_pw: str | None
    moderator_pw: str | None
    attendees: dict = field(default_factory=dict)  # token -> Attendee
    start_time: int = 0

    @property
    def present(self):
        return [a for a in self.attendees.values() if not a.waiting]

    @property
    def running(self) -> bool:
        return bool(self.present)


@dataclass
class Recording:
    record_id: str
    meeting_id: str
    name: str
    published: bool
    meta: dict
    start_time: int
    end_time: int
    participants: int = 1
    deleted: bool = False


class StandinState:
    """Everything the stand-in knows, plus the knobs tests turn."""

    def __init__(self, secret: str, algorithms=("sha1", "sha256", "sha512")):
        self.secret = secret
        self.algorithms = set(algorithms)
        self.lock = threading.RLock()
        self.meetings: dict[str, Meeting] = {}
        self.recordings: dict[str, Recording] = {}
        self.sessions: dict[str, tuple[str, str]] = {}  # token -> (meeting_id, attendee token)
        self.calls: list[tuple[str, str]] = []  # (call name, raw query)
        self.slow = 0.0
        self.down = False
        self.fail: str | None = None
        self.malformed = False
        self.release = threading.Event()  # set() to cut a slow reply short (test teardown)
        self._last_create = 0

    def reset_modes(self):
        self.slow, self.down, self.fail, self.malformed = 0.0, False, None, False

    def calls_of(self, name: str) -> list[str]:
        return [query for call, query in self.calls if call == name]

    def _create_time(self) -> str:
        now = int(time.time() * 1000)
        self._last_create = max(now, self._last_create + 1)
        return str(self._last_create)

    def add_recording(
        self, meeting_id: str, meta: dict | None = None, name: str = "Aufzeichnung", published: bool = True
    ) -> Recording:
        with self.lock:
            ts = int(self._create_time())
            record_id = hashlib.sha1(meeting_id.encode()).hexdigest() + f"-{ts}"
            rec = Recording(
                record_id, meeting_id, name, published, {k.lower(): v for k, v in (meta or {}).items()}, ts, ts + 60_000
            )
            self.recordings[record_id] = rec
            return rec

    def end_meeting(self, meeting: Meeting) -> None:
        with self.lock:
            self.meetings.pop(meeting.meeting_id, None)
            for token in list(meeting.attendees):
                self.sessions.pop(token, None)
            if meeting.record:
                rec = Recording(
                    meeting.internal_id,
                    meeting.meeting_id,
                    meeting.name,
                    True,
                    dict(meeting.meta),
                    int(meeting.create_time),
                    int(time.time() * 1000),
                    max(1, len(meeting.attendees)),
                )
                self.recordings[rec.record_id] = rec


# --- XML helpers -------------------------------------------------------------------------


def _xml(*parts: str) -> str:
    return "<response>" + "".join(parts) + "</response>"


def _el(tag: str, value) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _success(*parts: str) -> str:
    return _xml(_el("returncode", "SUCCESS"), *parts)


def _failed(key: str, message: str) -> str:
    return _xml(_el("returncode", "FAILED"), _el("messageKey", key), _el("message", message))


def _meta_xml(meta: dict) -> str:
    return "<metadata>" + "".join(_el(k, v) for k, v in meta.items()) + "</metadata>"


def _meeting_xml(m: Meeting) -> str:
    attendees = "".join(
        "<attendee>"
        + _el("userID", a.user_id)
        + _el("fullName", a.full_name)
        + _el("role", a.role)
        + _el("isPresenter", False)
        + _el("isListeningOnly", False)
        + _el("hasJoinedVoice", False)
        + _el("hasVideo", False)
        + _el("clientType", "HTML5")
        + _el("guest", a.guest)
        + "</attendee>"
        for a in m.present
    )
    present = m.present
    return (
        _el("meetingName", m.name)
        + _el("meetingID", m.meeting_id)
        + _el("internalMeetingID", m.internal_id)
        + _el("createTime", m.create_time)
        + _el("createDate", time.ctime(int(m.create_time) / 1000))
        + _el("voiceBridge", m.voice_bridge)
        + _el("dialNumber", "613-555-1234")
        + _el("running", m.running)
        + _el("duration", 0)
        + _el("hasUserJoined", bool(m.start_time))
        + _el("recording", False)
        + _el("hasBeenForciblyEnded", False)
        + _el("startTime", m.start_time)
        + _el("endTime", 0)
        + _el("participantCount", len(present))
        + _el("listenerCount", 0)
        + _el("voiceParticipantCount", 0)
        + _el("videoCount", 0)
        + _el("maxUsers", 0)
        + _el("moderatorCount", sum(1 for a in present if a.role == "MODERATOR"))
        + "<attendees>"
        + attendees
        + "</attendees>"
        + _meta_xml(m.meta)
        + _el("isBreakout", False)
    )


def _recording_xml(r: Recording, base: str) -> str:
    state = "published" if r.published else "unpublished"
    return (
        "<recording>"
        + _el("recordID", r.record_id)
        + _el("meetingID", r.meeting_id)
        + _el("internalMeetingID", r.record_id)
        + _el("name", r.name)
        + _el("isBreakout", False)
        + _el("published", r.published)
        + _el("state", state)
        + _el("startTime", r.start_time)
        + _el("endTime", r.end_time)
        + _el("participants", r.participants)
        + _meta_xml(r.meta)
        + "<playback><format>"
        + _el("type", "presentation")
        + _el("url", f"{base}bigbluebutton/playback/{r.record_id}")
        + _el("length", 1)
        + "</format></playback></recording>"
    )


# --- the WSGI app ---------------------------------------------------------------------------


class BBBStandin:
    def __init__(self, state: StandinState):
        self.state = state

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    # routing
    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == API_PREFIX:
            return self._xml_response(
                _success(_el("version", "2.0"), _el("apiVersion", "2.0"), _el("bbbVersion", "3.0-standin"))
            )
        if path.startswith(API_PREFIX + "/"):
            return self.api(request, path[len(API_PREFIX) + 1 :])
        if path.startswith("/bigbluebutton/demo/"):
            return self.demo(request, path[len("/bigbluebutton/demo/") :].split("/"))
        if path.startswith("/bigbluebutton/playback/"):
            return self._page("Aufzeichnung (Demo)", "<p>Hier würde die Aufzeichnung abgespielt.</p>")
        if path == "/_standin/control" and request.method == "POST":
            return self.control(request)
        return Response("Nicht gefunden", 404, content_type="text/plain; charset=utf-8")

    def control(self, request: Request) -> Response:
        form = request.form
        with self.state.lock:
            if form.get("reset"):
                self.state.reset_modes()
            if "slow" in form:
                self.state.slow = float(form["slow"] or 0)
            if "down" in form:
                self.state.down = form["down"] in ("1", "true")
            if "fail" in form:
                self.state.fail = form["fail"] or None
            if "malformed" in form:
                self.state.malformed = form["malformed"] in ("1", "true")
        return Response("ok", content_type="text/plain")

    @staticmethod
    def _xml_response(body: str, status: int = 200) -> Response:
        return Response(body, status, content_type="text/xml; charset=utf-8")

    # --- API ----------------------------------------------------------------------------------

    def verify_checksum(self, call: str, raw_query: str) -> bool:
        params = parse_qsl(raw_query, keep_blank_values=True)
        given = next((v for k, v in params if k == "checksum"), None)
        if not given:
            return False
        # like bbb-web: strip "checksum=X" from the raw query, hash the rest byte for byte
        query = raw_query.replace("&checksum=" + given, "").replace("checksum=" + given + "&", "")
        query = query.replace("checksum=" + given, "")
        algorithm = HASHES_BY_LENGTH.get(len(given))
        if algorithm is None or algorithm not in self.state.algorithms:
            return False
        expected = hashlib.new(algorithm, (call + query + self.state.secret).encode("utf-8")).hexdigest()
        return secrets.compare_digest(expected, given)

    def api(self, request: Request, call: str) -> Response:
        state = self.state
        raw_query = request.environ.get("QUERY_STRING", "")
        with state.lock:
            state.calls.append((call, raw_query))
            slow, down, fail, malformed = state.slow, state.down, state.fail, state.malformed
        if slow:
            state.release.wait(slow)
        if down:
            return Response(
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
                "</h1></center><hr><center>nginx</center></body></html>",
                502,
                content_type="text/html",
            )
        if malformed:
            return self._xml_response("<response><returncode>SUCCESS</returncode><meetings><meeting>")
        if not self.verify_checksum(call, raw_query):
            return self._xml_response(_failed("checksumError", "Checksums do not match"))
        if fail:
            return self._xml_response(_failed(fail, f"Stand-in told to fail with {fail}"))
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        params.pop("checksum", None)
        handler = getattr(self, "call_" + call, None)
        if handler is None:
            return self._xml_response(_failed("unsupportedRequest", "This request is not supported."))
        with state.lock:
            return handler(request, params)

    def call_create(self, request, p) -> Response:
        meeting_id = p.get("meetingID", "")
        if not meeting_id:
            return self._xml_response(_failed("missingParamMeetingID", "You must specify a meeting ID."))
        name = p.get("name", "")
        if not (2 <= len(meeting_id) <= 256) or "," in meeting_id or not (2 <= len(name) <= 256):
            return self._xml_response(_failed("validationError", "Invalid meetingID or name."))
        existing = self.state.meetings.get(meeting_id)
        if existing is not None:
            for key, have in (("attendeePW", existing.attendee_pw), ("moderatorPW", existing.moderator_pw)):
                if p.get(key) and have and p[key] != have:
                    return self._xml_response(_failed("idNotUnique", "A meeting already exists with that meeting ID."))
            return self._xml_response(self._create_reply(existing, duplicate=True))
        create_time = self.state._create_time()
        meta = {k[5:].lower(): v for k, v in p.items() if k.startswith("meta_")}
        meeting = Meeting(
            meeting_id=meeting_id,
            name=name,
            create_time=create_time,
            internal_id=hashlib.sha1(meeting_id.encode()).hexdigest() + "-" + create_time,
            voice_bridge=str(70000 + secrets.randbelow(9999)),
            record=p.get("record") == "true",
            guest_policy=p.get("guestPolicy", "ALWAYS_ACCEPT"),
            mute_on_start=p.get("muteOnStart") == "true",
            logout_url=p.get("logoutURL", ""),
            meta=meta,
            attendee_pw=p.get("attendeePW") or secrets.token_hex(4),
            moderator_pw=p.get("moderatorPW") or secrets.token_hex(4),
        )
        self.state.meetings[meeting_id] = meeting
        return self._xml_response(self._create_reply(meeting, duplicate=False))

    @staticmethod
    def _create_reply(m: Meeting, duplicate: bool) -> str:
        parts = [
            _el("meetingID", m.meeting_id),
            _el("internalMeetingID", m.internal_id),
            _el("parentMeetingID", "bbb-none"),
            _el("attendeePW", m.attendee_pw),
            _el("moderatorPW", m.moderator_pw),
            _el("createTime", m.create_time),
            _el("voiceBridge", m.voice_bridge),
            _el("dialNumber", "613-555-1234"),
            _el("createDate", time.ctime(int(m.create_time) / 1000)),
            _el("hasUserJoined", bool(m.start_time)),
            _el("duration", 0),
            _el("hasBeenForciblyEnded", False),
        ]
        if duplicate:
            parts += [
                _el("messageKey", "duplicateWarning"),
                _el("message", "This conference was already in existence and may currently be in progress."),
            ]
        return _success(*parts)

    def call_join(self, request, p) -> Response:
        meeting_id, full_name = p.get("meetingID", ""), p.get("fullName", "").strip()
        if not meeting_id:
            return self._xml_response(_failed("missingParamMeetingID", "You must specify a meeting ID."))
        if not full_name:
            return self._xml_response(_failed("missingParamFullName", "You must specify a name."))
        meeting = self.state.meetings.get(meeting_id)
        if meeting is None:
            return self._xml_response(
                _failed(
                    "invalidMeetingIdentifier", "The meeting ID that you supplied did not match any existing meetings"
                )
            )
        if p.get("createTime") and p["createTime"] != meeting.create_time:
            return self._xml_response(
                _failed(
                    "mismatchCreateTimeParam", "The createTime parameter submitted mismatches with the current meeting."
                )
            )
        role = p.get("role", "").upper()
        if role not in ("MODERATOR", "VIEWER"):
            if p.get("password") == meeting.moderator_pw:
                role = "MODERATOR"
            elif p.get("password") == meeting.attendee_pw:
                role = "VIEWER"
            else:
                return self._xml_response(
                    _failed(
                        "invalidPassword",
                        "You either did not supply a password or the "
                        "password supplied is neither the attendee or "
                        "moderator password for this conference.",
                    )
                )
        guest_param = p.get("guest")
        guest = guest_param == "true"
        waiting = False
        if role != "MODERATOR":
            if meeting.guest_policy == "ALWAYS_DENY" and guest:
                return self._xml_response(_failed("guestDeniedAccess", "You have been denied access."))
            if meeting.guest_policy == "ASK_MODERATOR" and guest_param != "false":
                waiting = True
            if meeting.guest_policy == "ALWAYS_ACCEPT_AUTH" and guest:
                waiting = True
        token = secrets.token_urlsafe(12)
        attendee = Attendee(token, p.get("userID") or "w_" + secrets.token_hex(5), full_name, role, guest, waiting)
        meeting.attendees[token] = attendee
        self.state.sessions[token] = (meeting_id, token)
        if not waiting and not meeting.start_time:
            meeting.start_time = int(time.time() * 1000)
        url = f"{request.host_url}bigbluebutton/demo/{token}"
        if p.get("redirect") == "false":
            key, message = (
                ("guestWait", "Please wait for a moderator to approve you.")
                if waiting
                else ("successfullyJoined", "You have joined successfully.")
            )
            return self._xml_response(
                _success(
                    _el("messageKey", key),
                    _el("message", message),
                    _el("meeting_id", meeting.internal_id),
                    _el("user_id", attendee.user_id),
                    _el("auth_token", token),
                    _el("session_token", token),
                    _el("url", url),
                )
            )
        return Response("", 302, headers={"Location": url})

    def call_isMeetingRunning(self, request, p) -> Response:
        meeting = self.state.meetings.get(p.get("meetingID", ""))
        return self._xml_response(_success(_el("running", bool(meeting and meeting.running))))

    def call_getMeetingInfo(self, request, p) -> Response:
        meeting = self.state.meetings.get(p.get("meetingID", ""))
        if meeting is None:
            return self._xml_response(_failed("notFound", "A meeting with that ID does not exist"))
        return self._xml_response(_success(_meeting_xml(meeting)))

    def call_getMeetings(self, request, p) -> Response:
        meetings = list(self.state.meetings.values())
        if not meetings:
            return self._xml_response(
                _success(
                    "<meetings/>",
                    _el("messageKey", "noMeetings"),
                    _el("message", "no meetings were found on this server"),
                )
            )
        return self._xml_response(
            _success(
                "<meetings>" + "".join("<meeting>" + _meeting_xml(m) + "</meeting>" for m in meetings) + "</meetings>"
            )
        )

    def call_end(self, request, p) -> Response:
        meeting = self.state.meetings.get(p.get("meetingID", ""))
        if meeting is None:
            return self._xml_response(_failed("notFound", "We could not find a meeting with that meeting ID"))
        self.state.end_meeting(meeting)
        return self._xml_response(
            _success(
                _el("messageKey", "sentEndMeetingRequest"), _el("message", "A request to end the meeting was sent.")
            )
        )

    def _select_recordings(self, p) -> list[Recording]:
        recs = [r for r in self.state.recordings.values() if not r.deleted]
        if p.get("meetingID"):
            ids = set(p["meetingID"].split(","))
            recs = [r for r in recs if r.meeting_id in ids]
        if p.get("recordID"):
            ids = p["recordID"].split(",")
            recs = [r for r in recs if any(r.record_id == i or r.record_id.startswith(i) for i in ids)]
        if p.get("state"):
            states = set(p["state"].split(","))
            if "any" not in states:
                recs = [r for r in recs if ("published" if r.published else "unpublished") in states]
        for key, value in p.items():
            if key.startswith("meta_"):
                recs = [r for r in recs if r.meta.get(key[5:].lower()) == value]
        return recs

    def call_getRecordings(self, request, p) -> Response:
        recs = self._select_recordings(p)
        if not recs:
            return self._xml_response(
                _success(
                    "<recordings></recordings>",
                    _el("messageKey", "noRecordings"),
                    _el("message", "There are no recordings for the meeting(s)."),
                )
            )
        return self._xml_response(
            _success("<recordings>" + "".join(_recording_xml(r, request.host_url) for r in recs) + "</recordings>")
        )

    def call_publishRecordings(self, request, p) -> Response:
        if not p.get("recordID") or p.get("publish") not in ("true", "false"):
            return self._xml_response(_failed("missingParamRecordID", "You must specify a recordID and publish."))
        recs = self._select_recordings({"recordID": p["recordID"]})
        if not recs:
            return self._xml_response(_failed("notFound", "We could not find recordings"))
        for rec in recs:
            rec.published = p["publish"] == "true"
        return self._xml_response(_success(_el("published", p["publish"] == "true")))

    def call_deleteRecordings(self, request, p) -> Response:
        if not p.get("recordID"):
            return self._xml_response(_failed("missingParamRecordID", "You must specify a recordID."))
        recs = self._select_recordings({"recordID": p["recordID"]})
        if not recs:
            return self._xml_response(_failed("notFound", "We could not find recordings"))
        for rec in recs:
            rec.deleted = True
        return self._xml_response(_success(_el("deleted", True)))

    # --- demo room pages -------------------------------------------------------------------

    def demo(self, request: Request, parts: list[str]) -> Response:
        with self.state.lock:
            token = parts[0] if parts else ""
            session = self.state.sessions.get(token)
            meeting = self.state.meetings.get(session[0]) if session else None
            attendee = meeting.attendees.get(token) if meeting else None
            if attendee is None:
                return self._page(
                    "Konferenz beendet",
                    "<p>Diese Konferenz ist beendet oder der Link ist nicht mehr gültig.</p>",
                    status=404,
                )
            if request.method == "POST" and len(parts) == 2 and parts[1] == "verlassen":
                meeting.attendees.pop(token, None)
                self.state.sessions.pop(token, None)
                if not meeting.attendees:
                    self.state.end_meeting(meeting)
                target = meeting.logout_url or request.host_url
                return Response("", 303, headers={"Location": target})
            if request.method == "POST" and len(parts) == 3 and parts[1] == "zulassen":
                if attendee.role == "MODERATOR" and parts[2] in meeting.attendees:
                    meeting.attendees[parts[2]].waiting = False
                return Response("", 303, headers={"Location": f"{request.host_url}bigbluebutton/demo/{token}"})
            return self._room_page(meeting, attendee)

    def _room_page(self, meeting: Meeting, attendee: Attendee) -> Response:
        esc = html.escape
        role = {"MODERATOR": "Moderation", "VIEWER": "Teilnahme"}[attendee.role]
        if attendee.guest:
            role += " (Gast)"
        if attendee.waiting:
            body = (
                f'<p class="box" role="status" id="state" data-state="waiting">Sie sind im Warteraum von '
                f"<strong>{esc(meeting.name)}</strong>. Die Moderation lässt Sie gleich herein. Diese Seite "
                f"aktualisiert sich von selbst.</p>"
            )
            return self._page("Warteraum – Konferenzraum (Demo)", body, refresh=3)
        people = "".join(
            f"<li>{esc(a.full_name)} – {'Moderation' if a.role == 'MODERATOR' else 'Teilnahme'}"
            f"{' (Gast)' if a.guest else ''}</li>"
            for a in meeting.present
        )
        waiting = ""
        if attendee.role == "MODERATOR":
            held = [a for a in meeting.attendees.values() if a.waiting]
            if held:
                waiting = (
                    "<h2>Im Warteraum</h2><ul>"
                    + "".join(
                        f'<li>{esc(a.full_name)} <form method="post" action="/bigbluebutton/demo/{attendee.token}'
                        f'/zulassen/{a.token}"><button type="submit">{esc(a.full_name)} zulassen</button></form></li>'
                        for a in held
                    )
                    + "</ul>"
                )
        recording = (
            "<p>In diesem Raum darf aufgezeichnet werden. Eine Aufzeichnung startet nur, wenn die "
            "Moderation sie einschaltet.</p>"
            if meeting.record
            else ""
        )
        body = (
            f'<p class="box" id="state" data-state="joined">Sie sind in der Konferenz <strong id="meeting-name">'
            f'{esc(meeting.name)}</strong> als <strong id="role" data-role="{attendee.role.lower()}">{role}</strong>'
            f" angemeldet: {esc(attendee.full_name)}.</p>"
            f"<p>Dies ist eine Demo ohne Ton und Bild. Auf einem echten BigBlueButton-Server sähen Sie hier "
            f"Video, Präsentation und Chat.</p>{recording}"
            f"<h2>Im Raum ({len(meeting.present)})</h2><ul>{people}</ul>{waiting}"
            f'<form method="post" action="/bigbluebutton/demo/{attendee.token}/verlassen">'
            f'<button type="submit">Raum verlassen</button></form>'
        )
        return self._page("Konferenzraum (Demo)", body)

    @staticmethod
    def _page(title: str, body: str, status: int = 200, refresh: int | None = None) -> Response:
        meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
        page = (
            '<!doctype html><html lang="de"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"{meta}<title>{html.escape(title)}</title><style>"
            "body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1b1f23;background:#fff}"
            "header{background:#0b5e55;color:#fff;padding:.8rem 1rem}main{max-width:44rem;margin:0 auto;"
            "padding:1rem}.box{border-left:6px solid #0b5e55;background:#f3f6f5;padding:.7rem 1rem}"
            "button{font:inherit;font-weight:600;padding:.5rem 1rem;border:2px solid #0b5e55;background:#0b5e55;"
            "color:#fff;border-radius:8px;cursor:pointer}button:focus-visible{outline:3px solid #ffbf47}"
            "form{display:inline}</style></head><body>"
            "<header><p><strong>BigBlueButton-Stand-in</strong> – nur zum Ausprobieren</p></header>"
            f'<main id="main"><h1>Konferenzraum (Demo)</h1>{body}</main></body></html>'
        )
        return Response(page, status, content_type="text/html; charset=utf-8")


def make_standin(base_url: str, secret: str | None = None):
    """``(wsgi_app, env)`` for ``make run``: env points the app at this stand-in."""
    state = StandinState(secret or secrets.token_hex(20))
    app = BBBStandin(state)
    base = base_url.rstrip("/")
    return app, {"BBB_API_URL": f"{base}{API_PREFIX}/", "BBB_SECRET": state.secret}


class StandinServer:
    """The stand-in served on a free loopback port in a thread (tests, scripts)."""

    def __init__(self, secret: str | None = None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app, self.env = make_standin(self.url, secret)
        self.state: StandinState = self.app.state
        self.api_url = self.env["BBB_API_URL"]
        self.secret = self.env["BBB_SECRET"]
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def calls(self):
        return self.state.calls

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.state.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
