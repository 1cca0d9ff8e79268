"""Our BigBlueButton API client (see ../shared/reference/bbb-api.md).

Small on purpose: ``requests`` with connect/read timeouts on every call, one
error type (:class:`BBBError`, always with a German message), checksums over
the exact query string we send (sha1/sha256/sha512), URLs built as strings and
sent verbatim, and XML parsed with defusedxml into plain dicts and lists (zero,
one or many meetings/recordings all come back as lists).

Works the same against a BigBlueButton server, a Scalelite load balancer and
our stand-in (``standin.py``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import quote_plus
from xml.etree.ElementTree import Element

import requests
from defusedxml import ElementTree as SafeET
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
CONNECT_TIMEOUT_MAX = 3.05


class BBBError(Exception):
    """Anything that went wrong talking to BigBlueButton.

    ``message`` is German and safe to show; ``key`` is BBB's messageKey (or
    ``timeout``/``unreachable``/``badResponse``/``config`` for transport problems).
    """

    def __init__(self, message: str, key: str = "error", detail: str = ""):
        super().__init__(message)
        self.message = message
        self.key = key
        self.detail = detail

    @property
    def transport(self) -> bool:
        return self.key in {"timeout", "unreachable", "badResponse", "config"}


#: The German message for each error key of the BBB API (translated when one is shown, not on import).
_MESSAGES = {
    "checksumError": _l(
        "Der Konferenzserver hat die Anfrage abgelehnt (Prüfsumme falsch). Bitte informieren Sie das Plattform-Team."
    ),
    "notFound": _l("Diese Konferenz läuft nicht (mehr)."),
    "invalidMeetingIdentifier": _l("Diese Konferenz gibt es auf dem Server nicht. Bitte starten Sie sie neu."),
    "idNotUnique": _l(
        "Eine Konferenz mit dieser Kennung läuft bereits mit anderen Einstellungen. Bitte versuchen "
        "Sie es in einer Minute noch einmal."
    ),
    "missingParamMeetingID": _l("Die Anfrage an den Konferenzserver war unvollständig."),
    "missingParamFullName": _l("Bitte geben Sie einen Namen an."),
    "validationError": _l("Der Konferenzserver hat die Angaben nicht akzeptiert."),
    "mismatchCreateTimeParam": _l("Der Beitrittslink ist veraltet. Bitte treten Sie erneut bei."),
    "meetingForciblyEnded": _l("Diese Konferenz wurde beendet."),
    "maxParticipantsReached": _l("Die Konferenz ist voll."),
    "guestDeniedAccess": _l("Der Zutritt wurde nicht erlaubt."),
    "unsupportedContentType": _l("Der Konferenzserver hat die Anfrage nicht verstanden."),
    "timeout": _l("Der Konferenzserver antwortet gerade nicht. Bitte versuchen Sie es gleich noch einmal."),
    "unreachable": _l("Der Konferenzserver ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal."),
    "badResponse": _l(
        "Der Konferenzserver hat eine unverständliche Antwort geschickt. Bitte versuchen Sie es später noch einmal."
    ),
    "config": _l("Videokonferenzen sind auf dieser Plattform noch nicht eingerichtet."),
}


def german_message(key: str) -> str:
    message = _MESSAGES.get(key)
    return (
        str(message) if message is not None else _("Der Konferenzserver hat die Anfrage abgelehnt (%(key)s).", key=key)
    )


def encode_query(params) -> str:
    """``key=value&…`` with form encoding (space → ``+``); order kept, ``None`` values left out."""
    items = params.items() if isinstance(params, dict) else params
    parts = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{quote_plus(str(key))}={quote_plus(str(value))}")
    return "&".join(parts)


def checksum(call: str, query: str, secret: str, algorithm: str = "sha256") -> str:
    """hex(H(callName + queryString + secret)) – the query exactly as sent, without ``checksum``."""
    try:
        hasher = ALGORITHMS[algorithm.lower()]
    except KeyError as exc:
        raise BBBError(german_message("config"), "config", f"unknown checksum algorithm {algorithm}") from exc
    return hasher((call + query + secret).encode("utf-8")).hexdigest()


def _text(element: Element | None, tag: str, default: str | None = None) -> str | None:
    if element is None:
        return default
    child = element.find(tag)
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _metadata(element: Element | None) -> dict:
    if element is None:
        return {}
    return {child.tag.lower(): (child.text or "").strip() for child in element}


def parse_meeting(el: Element) -> dict:
    attendees = []
    for att in el.findall("attendees/attendee"):
        attendees.append(
            {
                "user_id": _text(att, "userID"),
                "full_name": _text(att, "fullName") or "",
                "role": (_text(att, "role") or "").upper(),
                "is_guest": _bool(_text(att, "guest")),
            }
        )
    return {
        "meeting_id": _text(el, "meetingID"),
        "name": _text(el, "meetingName") or "",
        "internal_meeting_id": _text(el, "internalMeetingID"),
        "create_time": _text(el, "createTime"),
        "running": _bool(_text(el, "running")),
        "has_user_joined": _bool(_text(el, "hasUserJoined")),
        "participant_count": _int(_text(el, "participantCount")),
        "moderator_count": _int(_text(el, "moderatorCount")),
        "start_time": _int(_text(el, "startTime")),
        "recording": _bool(_text(el, "recording")),
        "metadata": _metadata(el.find("metadata")),
        "attendees": attendees,
    }


def parse_recording(el: Element) -> dict:
    formats = []
    for fmt in el.findall("playback/format"):
        formats.append({"type": _text(fmt, "type"), "url": _text(fmt, "url"), "length": _int(_text(fmt, "length"))})
    return {
        "record_id": _text(el, "recordID"),
        "meeting_id": _text(el, "meetingID"),
        "name": _text(el, "name") or "",
        "published": _bool(_text(el, "published")),
        "state": _text(el, "state") or "",
        "start_time": _int(_text(el, "startTime")),
        "end_time": _int(_text(el, "endTime")),
        "participants": _int(_text(el, "participants")),
        "metadata": _metadata(el.find("metadata")),
        "formats": formats,
    }


@dataclass
class CreateResult:
    meeting_id: str
    internal_meeting_id: str | None
    create_time: str
    duplicate: bool


class BBBClient:
    def __init__(
        self,
        api_url: str,
        secret: str,
        algorithm: str = "sha256",
        timeout: float = 5.0,
        session: requests.Session | None = None,
    ):
        if not api_url or not secret:
            raise BBBError(german_message("config"), "config", "BBB_API_URL/BBB_SECRET missing")
        if algorithm.lower() not in ALGORITHMS:
            raise BBBError(german_message("config"), "config", f"unsupported checksum algorithm {algorithm}")
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.secret = secret
        self.algorithm = algorithm.lower()
        self.timeout = (min(float(timeout), CONNECT_TIMEOUT_MAX), float(timeout))
        self.session = session or requests.Session()

    # --- URLs ------------------------------------------------------------------

    def url(self, call: str, params=()) -> str:
        """The signed URL string (sent verbatim; the checksum covers exactly this query)."""
        query = encode_query(params)
        sig = checksum(call, query, self.secret, self.algorithm)
        return f"{self.api_url}{call}?{query + '&' if query else ''}checksum={sig}"

    def join_url(
        self,
        meeting_id: str,
        full_name: str,
        *,
        role: str,
        create_time: str | None,
        user_id: str | None = None,
        guest: bool | None = None,
    ) -> str:
        """A browser redirect URL (GET). ``role`` is MODERATOR or VIEWER; guests are VIEWER with guest=true."""
        full_name = (full_name or "").strip()
        if not full_name:
            raise BBBError(german_message("missingParamFullName"), "missingParamFullName")
        role = role.upper()
        if role not in {"MODERATOR", "VIEWER"}:
            raise ValueError(role)
        params = [("meetingID", meeting_id), ("fullName", full_name[:120]), ("role", role)]
        if create_time:
            params.append(("createTime", create_time))
        if user_id:
            params.append(("userID", user_id))
        if guest is not None:  # guest=false matters: ASK_MODERATOR holds every join without it
            params.append(("guest", bool(guest)))
        return self.url("join", params)

    # --- transport ---------------------------------------------------------------

    def call(self, call: str, params=()) -> Element:
        """GET the call, return the ``<response>`` element of a SUCCESS reply, else raise BBBError."""
        url = self.url(call, params)
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.Timeout as exc:
            log.warning("BBB %s timed out", call)
            raise BBBError(german_message("timeout"), "timeout", str(exc)) from exc
        except requests.RequestException as exc:
            log.warning("BBB %s unreachable: %s", call, exc)
            raise BBBError(german_message("unreachable"), "unreachable", str(exc)) from exc
        try:
            root = SafeET.fromstring(response.content)
        except Exception as exc:  # noqa: BLE001 - ParseError, defusedxml's forbidden constructs, …
            log.warning("BBB %s: no XML (HTTP %s)", call, response.status_code)
            raise BBBError(
                german_message("badResponse"), "badResponse", f"HTTP {response.status_code}: {response.text[:200]!r}"
            ) from exc
        if root.tag != "response":
            raise BBBError(german_message("badResponse"), "badResponse", f"root element {root.tag}")
        code = _text(root, "returncode")
        if code == "SUCCESS":
            return root
        key = _text(root, "messageKey") or "badResponse"
        if code != "FAILED":
            key = "badResponse"
        log.info("BBB %s FAILED: %s %s", call, key, _text(root, "message"))
        raise BBBError(german_message(key), key, _text(root, "message") or "")

    # --- calls -----------------------------------------------------------------------

    def create(
        self,
        meeting_id: str,
        name: str,
        *,
        meta: dict | None = None,
        logout_url: str | None = None,
        record: bool = False,
        mute_on_start: bool = False,
        guest_policy: str = "ALWAYS_ACCEPT",
        welcome: str | None = None,
        extra: dict | None = None,
    ) -> CreateResult:
        """Create the meeting, or get the running one (duplicateWarning). Builds fresh params every call."""
        params: list[tuple[str, object]] = [
            ("meetingID", meeting_id),
            ("name", (name or meeting_id)[:64]),
            ("record", bool(record)),
            ("autoStartRecording", False),
            ("allowStartStopRecording", bool(record)),
            ("muteOnStart", bool(mute_on_start)),
            ("guestPolicy", guest_policy),
        ]
        if logout_url:
            params.append(("logoutURL", logout_url))
        if welcome:
            params.append(("welcome", welcome))
        for key, value in (extra or {}).items():
            params.append((key, value))
        for key, value in (meta or {}).items():
            params.append((f"meta_{key}", value))
        root = self.call("create", params)
        return CreateResult(
            meeting_id=_text(root, "meetingID") or meeting_id,
            internal_meeting_id=_text(root, "internalMeetingID"),
            create_time=_text(root, "createTime") or "",
            duplicate=_text(root, "messageKey") == "duplicateWarning",
        )

    def is_meeting_running(self, meeting_id: str) -> bool:
        return _bool(_text(self.call("isMeetingRunning", [("meetingID", meeting_id)]), "running"))

    def get_meeting_info(self, meeting_id: str) -> dict | None:
        """The meeting as a dict, or None when BBB does not know it (notFound)."""
        try:
            root = self.call("getMeetingInfo", [("meetingID", meeting_id)])
        except BBBError as error:
            if error.key == "notFound":
                return None
            raise
        return parse_meeting(root)

    def get_meetings(self) -> list[dict]:
        root = self.call("getMeetings")
        return [parse_meeting(el) for el in root.findall("meetings/meeting")]

    def end(self, meeting_id: str) -> bool:
        """End a meeting; False if it was not running (notFound)."""
        try:
            self.call("end", [("meetingID", meeting_id)])
        except BBBError as error:
            if error.key == "notFound":
                return False
            raise
        return True

    def get_recordings(
        self,
        meeting_id: str | None = None,
        meta: dict | None = None,
        state: str | None = "published,unpublished,processing,processed",
    ) -> list[dict]:
        params: list[tuple[str, object]] = []
        if meeting_id:
            params.append(("meetingID", meeting_id))
        if state:
            params.append(("state", state))
        for key, value in (meta or {}).items():
            params.append((f"meta_{key}", value))
        root = self.call("getRecordings", params)
        return [parse_recording(el) for el in root.findall("recordings/recording")]

    def publish_recordings(self, record_ids, publish: bool) -> None:
        ids = ",".join(record_ids) if not isinstance(record_ids, str) else record_ids
        self.call("publishRecordings", [("recordID", ids), ("publish", bool(publish))])

    def delete_recordings(self, record_ids) -> None:
        ids = ",".join(record_ids) if not isinstance(record_ids, str) else record_ids
        if ids:
            self.call("deleteRecordings", [("recordID", ids)])


def client_from_config(config=None) -> BBBClient:
    """The client for the current app's settings (raises BBBError 'config' when unset)."""
    if config is None:
        from flask import current_app  # the client itself needs no Flask; only this helper reads the app

        config = current_app.config
    return BBBClient(
        config.get("BBB_API_URL") or "",
        config.get("BBB_SECRET") or "",
        config.get("BBB_CHECKSUM") or "sha256",
        config.get("BBB_TIMEOUT") or 5.0,
    )
