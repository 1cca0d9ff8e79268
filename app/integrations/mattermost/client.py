"""A small Mattermost REST API v4 client on ``requests``.

- One error type, :class:`MattermostError`, keeps Mattermost's stable error
  ``id`` and the HTTP status, so callers branch on them (never on messages).
- Every call has a connect and a read timeout.
- HTTP 429 has a plain-text body: it is never parsed; the wait comes from
  ``Retry-After`` or ``X-Ratelimit-Reset``. A short wait may be taken once
  (``max_wait``); otherwise the error carries ``retry_after`` for the caller
  (the background jobs reschedule themselves).
- No cookies are kept (a ``MMAUTHTOKEN`` cookie would win over the token).
- Incoming webhooks are URLs a club gave us: they go through the guarded
  outbound layer (app/core/outbound.py: https only, global addresses only,
  the checked address pinned, no redirects) under the client's ``policy``.
"""

from __future__ import annotations

import http.cookiejar
import json
import time
from urllib.parse import quote

import requests

from ...core import outbound

#: Error ids we branch on.
CHANNEL_EXISTS = "store.sql_channel.save_channel.exists.app_error"
TEAM_MEMBER_MISSING = "app.team.get_member.missing.app_error"
UNREACHABLE = "vereinsraum.unreachable"
RATE_LIMITED = "vereinsraum.rate_limited"
BAD_RESPONSE = "vereinsraum.bad_response"
REFUSED = "vereinsraum.refused_target"
REDIRECT = "vereinsraum.redirect_not_followed"
CHANNEL_MEMBER_MISSING = "app.channel.get_member.missing.app_error"


class MattermostError(Exception):
    """A failed call. ``status`` is None when the server was not reached."""

    def __init__(
        self,
        status: int | None,
        error_id: str,
        message: str = "",
        *,
        request_id: str = "",
        retry_after: float | None = None,
        transient: bool | None = None,
    ):
        super().__init__(f"{status or '-'} {error_id}: {message}".strip())
        self.status = status
        self.id = error_id
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after
        self._transient = transient

    @property
    def transient(self) -> bool:
        """Worth retrying later: unreachable, rate limited or a server error (never a refused target)."""
        if self._transient is not None:
            return self._transient
        return self.status is None or self.status == 429 or self.status >= 500

    def __repr__(self) -> str:
        return f"MattermostError({self.status!r}, {self.id!r})"


def _seconds(value) -> float | None:
    try:
        seconds = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    if seconds < 0:
        return None
    if seconds > 10**9:  # an epoch timestamp (as the docs claim) rather than a delta
        seconds = max(0.0, seconds - time.time())
    return seconds


def retry_after_from(headers) -> float | None:
    """Seconds to wait after a 429: Retry-After first, then X-Ratelimit-Reset."""
    for name in ("Retry-After", "X-Ratelimit-Reset"):
        if name in headers:
            seconds = _seconds(headers[name])
            if seconds is not None:
                return seconds
    return None


class MattermostClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 5.0,
        connect_timeout: float | None = None,
        max_wait: float = 0.0,
        sleep=time.sleep,
        policy: outbound.Policy | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        #: Rules for webhook URLs (the platform's own server is trusted by default).
        self.policy = policy or outbound.Policy(trusted_origins=frozenset({outbound.origin_of(self.base_url)}))
        self.timeout = (connect_timeout or min(3.05, timeout), timeout)
        self.max_wait = max_wait
        self._sleep = sleep
        self.session = requests.Session()
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.session.trust_env = False

    # --- transport -----------------------------------------------------------------

    def request(self, method: str, path: str, *, json=None, params=None, auth: bool = True, api: bool = True):
        url = self.base_url + ("/api/v4" if api else "") + path
        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        waited = False
        while True:
            try:
                response = self.session.request(
                    method, url, json=json, params=params, headers=headers, timeout=self.timeout, allow_redirects=False
                )
            except requests.Timeout as exc:
                raise MattermostError(None, UNREACHABLE, f"timeout: {exc.__class__.__name__}") from exc
            except requests.RequestException as exc:
                raise MattermostError(None, UNREACHABLE, exc.__class__.__name__) from exc
            if response.status_code == 429:
                wait = retry_after_from(response.headers)
                if not waited and wait is not None and wait <= self.max_wait:
                    waited = True
                    self._sleep(wait)
                    continue
                raise MattermostError(
                    429,
                    RATE_LIMITED,
                    "rate limited",
                    retry_after=wait,
                    request_id=response.headers.get("X-Request-Id", ""),
                )
            if response.status_code >= 400:
                raise self._error(response)
            return response

    @staticmethod
    def _error(response) -> MattermostError:
        return MattermostClient._error_from(
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.content,
            response.headers,
            reason=response.reason or "",
        )

    @staticmethod
    def _error_from(status: int, content_type: str, content: bytes, headers, *, reason: str = "") -> MattermostError:
        body = {}
        if content_type.startswith("application/json"):
            try:
                body = json.loads(content.decode("utf-8"))
            except ValueError:
                body = {}
        if not isinstance(body, dict):
            body = {}
        return MattermostError(
            status,
            str(body.get("id") or f"http.{status}"),
            str(body.get("message") or reason),
            request_id=str(body.get("request_id") or headers.get("X-Request-Id", "")),
        )

    def _json(self, method, path, **kwargs):
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise MattermostError(response.status_code, BAD_RESPONSE, "no JSON body") from exc

    # --- API --------------------------------------------------------------------------

    def ping(self) -> dict:
        return self._json("GET", "/system/ping")

    def me(self) -> dict:
        return self._json("GET", "/users/me")

    def team_by_name(self, name: str) -> dict:
        return self._json("GET", f"/teams/name/{quote(name, safe='')}")

    def channel(self, channel_id: str) -> dict:
        return self._json("GET", f"/channels/{quote(channel_id, safe='')}")

    def channel_by_name(self, team_id: str, name: str, include_deleted: bool = False) -> dict:
        params = {"include_deleted": "true"} if include_deleted else None
        return self._json(
            "GET", f"/teams/{quote(team_id, safe='')}/channels/name/{quote(name, safe='')}", params=params
        )

    def channel_by_team_name(self, team_name: str, name: str) -> dict:
        return self._json("GET", f"/teams/name/{quote(team_name, safe='')}/channels/name/{quote(name, safe='')}")

    def create_channel(
        self, team_id: str, name: str, display_name: str, *, private: bool = True, purpose: str = "", header: str = ""
    ) -> dict:
        body = {"team_id": team_id, "name": name, "display_name": display_name, "type": "P" if private else "O"}
        if purpose:
            body["purpose"] = purpose
        if header:
            body["header"] = header
        return self._json("POST", "/channels", json=body)

    def patch_channel(self, channel_id: str, **fields) -> dict:
        return self._json("PUT", f"/channels/{quote(channel_id, safe='')}/patch", json=fields)

    def archive_channel(self, channel_id: str) -> dict:
        return self._json("DELETE", f"/channels/{quote(channel_id, safe='')}")

    def delete_channel_permanently(self, channel_id: str) -> dict:
        """``DELETE /channels/{id}?permanent=true``: needs ServiceSettings.EnableAPIChannelDeletion (else 401)."""
        return self._json("DELETE", f"/channels/{quote(channel_id, safe='')}", params={"permanent": "true"})

    def restore_channel(self, channel_id: str) -> dict:
        """``POST /channels/{id}/restore`` (unarchive): needs ``manage_team`` on the channel's team."""
        return self._json("POST", f"/channels/{quote(channel_id, safe='')}/restore")

    def user_by_email(self, email: str) -> dict:
        return self._json("GET", f"/users/email/{quote(email, safe='@')}")

    def user(self, user_id: str) -> dict:
        return self._json("GET", f"/users/{quote(user_id, safe='')}")

    def users_by_ids(self, ids: list[str]) -> list[dict]:
        return self._json("POST", "/users/ids", json=list(ids)) if ids else []

    def team_member(self, team_id: str, user_id: str) -> dict:
        return self._json("GET", f"/teams/{quote(team_id, safe='')}/members/{quote(user_id, safe='')}")

    def add_team_member(self, team_id: str, user_id: str) -> dict:
        return self._json(
            "POST", f"/teams/{quote(team_id, safe='')}/members", json={"team_id": team_id, "user_id": user_id}
        )

    def ensure_team_member(self, team_id: str, user_id: str) -> bool:
        """Add to the team unless already there; True when added."""
        try:
            self.team_member(team_id, user_id)
            return False
        except MattermostError as exc:
            if exc.status != 404:
                raise
        self.add_team_member(team_id, user_id)
        return True

    def channel_members(self, channel_id: str) -> list[dict]:
        members, page = [], 0
        while True:
            batch = self._json(
                "GET", f"/channels/{quote(channel_id, safe='')}/members", params={"page": page, "per_page": 200}
            )
            members.extend(batch)
            if len(batch) < 200:
                return members
            page += 1

    def channel_member(self, channel_id: str, user_id: str) -> dict:
        """One membership; 404 ``app.channel.get_member.missing.app_error`` when the user is not in the channel."""
        return self._json("GET", f"/channels/{quote(channel_id, safe='')}/members/{quote(user_id, safe='')}")

    def is_channel_member(self, channel_id: str, user_id: str) -> bool:
        try:
            self.channel_member(channel_id, user_id)
        except MattermostError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def add_channel_member(self, channel_id: str, user_id: str) -> dict:
        return self._json("POST", f"/channels/{quote(channel_id, safe='')}/members", json={"user_id": user_id})

    def remove_channel_member(self, channel_id: str, user_id: str) -> dict:
        return self._json("DELETE", f"/channels/{quote(channel_id, safe='')}/members/{quote(user_id, safe='')}")

    def create_post(self, channel_id: str, message: str, props: dict | None = None) -> dict:
        body = {"channel_id": channel_id, "message": message}
        if props:
            body["props"] = props
        return self._json("POST", "/posts", json=body)

    def channel_posts(self, channel_id: str, per_page: int = 3) -> dict:
        return self._json(
            "GET", f"/channels/{quote(channel_id, safe='')}/posts", params={"page": 0, "per_page": per_page}
        )

    def incoming_hook(self, hook_id: str) -> dict:
        """An incoming webhook (its ``channel_id``, ``team_id`` and creator ``user_id``).

        Needs the right to manage that hook: its creator, or a team/system admin
        (``manage_others_incoming_webhooks``); otherwise 403.
        """
        return self._json("GET", f"/hooks/incoming/{quote(hook_id, safe='')}")

    def post_webhook(self, hook_url: str, text: str) -> None:
        """Post through an incoming webhook (full hook URL; no auth header; answers ``ok``).

        The URL is checked (and its address pinned) by :mod:`app.core.outbound` under
        ``self.policy``; a refused URL is a permanent error (``REFUSED``), never retried.
        """
        try:
            reply = outbound.post_json(hook_url, {"text": text}, self.policy, timeout=self.timeout)
        except outbound.OutboundRefused as exc:
            raise MattermostError(None, REFUSED, exc.code, transient=False) from exc
        except outbound.OutboundFailed as exc:
            raise MattermostError(None, UNREACHABLE, str(exc)) from exc
        if reply.status == 429:
            raise MattermostError(429, RATE_LIMITED, "rate limited", retry_after=retry_after_from(reply.headers))
        if 300 <= reply.status < 400:
            raise MattermostError(reply.status, REDIRECT, "webhook answered with a redirect", transient=False)
        if reply.status >= 400:
            raise self._error_from(reply.status, reply.content_type, reply.body, reply.headers)


def client_from_config(config, *, max_wait: float = 0.0) -> MattermostClient | None:
    """The platform's client, or None when no Mattermost is configured."""
    url, token = config.get("MATTERMOST_URL"), config.get("MATTERMOST_TOKEN")
    if not url or not token:
        return None
    return MattermostClient(
        url,
        token,
        timeout=float(config.get("MATTERMOST_TIMEOUT") or 5.0),
        max_wait=max_wait,
        policy=outbound.Policy.from_config(config),
    )
