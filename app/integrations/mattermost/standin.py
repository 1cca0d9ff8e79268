"""A Mattermost stand-in: a small WSGI app that speaks REST API v4 on loopback.

It implements the endpoints our client uses with Mattermost's status codes,
JSON error bodies (``id``, ``message``, ``detailed_error``, ``request_id``,
``status_code``), the plain-text 429 with rate-limit headers, bearer-token
auth and incoming webhooks (``POST /hooks/<id>`` answers ``ok``). Tests and
``make run`` can switch it to be down, slow or rate limiting::

    standin.down = True           # 503 from "the proxy" for every call
    standin.slow = 2.0            # sleep before answering
    standin.rate_limit(3, retry_after=1)   # the next 3 API calls get 429

``make_standin(base_url)`` returns ``(wsgi_app, env)`` for app/devserver.py.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
import time

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

ID_ALPHABET = string.ascii_lowercase + string.digits
CHANNEL_NAME = re.compile(r"^[a-z0-9]+([a-z\-\_0-9]+|(__)?)[a-z0-9]*$")
DEMO_TEAM = "vereinsraum"
DEMO_TOKEN = "standin-bot-token"
DEMO_CHANNEL = "imker-pankow"  # the Imkerverein's own channel in the demo (app/demo links it)


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(26))


def now_ms() -> int:
    return int(time.time() * 1000)


class ApiError(Exception):
    def __init__(self, status: int, error_id: str, message: str):
        self.status, self.id, self.message = status, error_id, message


def _not_found(what="resource"):
    return ApiError(
        404,
        "app.channel.get_by_name.missing.app_error" if what == "channel" else f"app.{what}.missing.app_error",
        f"Unable to find the {what}.",
    )


class MattermostStandin:
    def __init__(self, base_url: str = "http://127.0.0.1", token: str = DEMO_TOKEN):
        self.base_url = base_url.rstrip("/")
        self.lock = threading.RLock()
        self.calls: list[tuple[str, str]] = []
        self.host_headers: list[str] = []
        self.down = False
        self.slow = 0.0
        #: ServiceSettings.EnableAPIChannelDeletion (default false): DELETE ?permanent=true works only then
        self.api_channel_deletion = False
        self._limited = 0
        self._retry_after = 1
        self.users: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.team_members: set[tuple[str, str]] = set()
        #: (team_id, user_id): team admins may read every incoming webhook of the team.
        self.team_admins: set[tuple[str, str]] = set()
        self.channels: dict[str, dict] = {}
        self.channel_members: dict[str, set[str]] = {}
        self.posts: dict[str, dict] = {}
        self.hooks: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}
        bot = self.add_user("vereinsraum-bot", is_bot=True, first_name="Vereinsraum")
        self.bot_id = bot["id"]
        self.tokens[token] = bot["id"]
        self.token = token
        self.url_map = Map(
            [
                Rule("/api/v4/system/ping", endpoint="ping", methods=["GET"]),
                Rule("/api/v4/users/<user_id>", endpoint="get_user", methods=["GET"]),
                Rule("/api/v4/users/email/<email>", endpoint="user_by_email", methods=["GET"]),
                Rule("/api/v4/users/ids", endpoint="users_by_ids", methods=["POST"]),
                Rule("/api/v4/teams/name/<team_name>", endpoint="team_by_name", methods=["GET"]),
                Rule("/api/v4/teams/<team_id>/members", endpoint="add_team_member", methods=["POST"]),
                Rule("/api/v4/teams/<team_id>/members/<user_id>", endpoint="get_team_member", methods=["GET"]),
                Rule("/api/v4/channels", endpoint="create_channel", methods=["POST"]),
                Rule("/api/v4/channels/<channel_id>", endpoint="get_channel", methods=["GET"]),
                Rule("/api/v4/channels/<channel_id>", endpoint="archive_channel", methods=["DELETE"]),
                Rule("/api/v4/channels/<channel_id>/patch", endpoint="patch_channel", methods=["PUT"]),
                Rule("/api/v4/channels/<channel_id>/restore", endpoint="restore_channel", methods=["POST"]),
                Rule(
                    "/api/v4/teams/<team_id>/channels/name/<channel_name>", endpoint="channel_by_name", methods=["GET"]
                ),
                Rule(
                    "/api/v4/teams/name/<team_name>/channels/name/<channel_name>",
                    endpoint="channel_by_team_name",
                    methods=["GET"],
                ),
                Rule("/api/v4/channels/<channel_id>/members", endpoint="list_members", methods=["GET"]),
                Rule("/api/v4/channels/<channel_id>/members", endpoint="add_member", methods=["POST"]),
                Rule("/api/v4/channels/<channel_id>/members/<user_id>", endpoint="remove_member", methods=["DELETE"]),
                Rule("/api/v4/channels/<channel_id>/members/<user_id>", endpoint="get_member", methods=["GET"]),
                Rule("/api/v4/posts", endpoint="create_post", methods=["POST"]),
                Rule("/api/v4/channels/<channel_id>/posts", endpoint="channel_posts", methods=["GET"]),
                Rule("/api/v4/hooks/incoming", endpoint="create_hook", methods=["POST"]),
                Rule("/api/v4/hooks/incoming/<hook_id>", endpoint="get_hook", methods=["GET"]),
                Rule("/hooks/<hook_id>", endpoint="use_hook", methods=["POST"]),
            ]
        )

    # --- seeding and inspection (tests, devserver) ---------------------------------------

    def add_user(
        self,
        username: str,
        email: str = "",
        *,
        is_bot: bool = False,
        first_name: str = "",
        last_name: str = "",
        deleted: bool = False,
        email_verified: bool = True,
    ) -> dict:
        with self.lock:
            user = {
                "id": new_id(),
                "create_at": now_ms(),
                "update_at": now_ms(),
                "delete_at": now_ms() if deleted else 0,
                "username": username,
                "auth_data": "",
                "auth_service": "",
                "email": email.lower(),
                "email_verified": email_verified,
                "nickname": "",
                "first_name": first_name,
                "last_name": last_name,
                "position": "",
                "roles": "system_user",
                "locale": "de",
                "is_bot": is_bot,
                "timezone": {
                    "automaticTimezone": "Europe/Berlin",
                    "manualTimezone": "",
                    "useAutomaticTimezone": "true",
                },
                "last_picture_update": 0,
            }
            self.users[user["id"]] = user
            return user

    def add_team(self, name: str, display_name: str = "", *, bot_member: bool = True) -> dict:
        with self.lock:
            team = {
                "id": new_id(),
                "create_at": now_ms(),
                "update_at": now_ms(),
                "delete_at": 0,
                "display_name": display_name or name,
                "name": name,
                "description": "",
                "email": "",
                "type": "I",
                "company_name": "",
                "allowed_domains": "",
                "invite_id": "",
                "allow_open_invite": False,
                "scheme_id": "",
                "group_constrained": False,
                "policy_id": "",
            }
            self.teams[team["id"]] = team
            if bot_member:
                self.team_members.add((team["id"], self.bot_id))
            return team

    def add_channel(
        self,
        team_id: str,
        name: str,
        display_name: str = "",
        *,
        private: bool = False,
        creator_id: str = "",
        members: tuple[str, ...] = (),
    ) -> dict:
        with self.lock:
            channel = {
                "id": new_id(),
                "create_at": now_ms(),
                "update_at": now_ms(),
                "delete_at": 0,
                "team_id": team_id,
                "type": "P" if private else "O",
                "display_name": display_name or name,
                "name": name,
                "header": "",
                "purpose": "",
                "last_post_at": 0,
                "total_msg_count": 0,
                "extra_update_at": 0,
                "creator_id": creator_id,
            }
            self.channels[channel["id"]] = channel
            self.channel_members[channel["id"]] = set(members)
            return channel

    def add_post(self, channel_id: str, user_id: str, message: str, props: dict | None = None) -> dict:
        with self.lock:
            post = {
                "id": new_id(),
                "create_at": now_ms(),
                "update_at": now_ms(),
                "edit_at": 0,
                "delete_at": 0,
                "is_pinned": False,
                "user_id": user_id,
                "channel_id": channel_id,
                "root_id": "",
                "original_id": "",
                "message": message,
                "type": "",
                "props": dict(props or {}),
                "hashtags": "",
                "file_ids": [],
                "pending_post_id": "",
                "reply_count": 0,
                "last_reply_at": 0,
                "metadata": {},
            }
            time.sleep(0.001)  # distinct create_at for stable ordering
            self.posts[post["id"]] = post
            self.channels[channel_id]["last_post_at"] = post["create_at"]
            self.channels[channel_id]["total_msg_count"] += 1
            return post

    def add_hook(self, channel_id: str, user_id: str | None = None) -> dict:
        with self.lock:
            hook = {
                "id": new_id(),
                "create_at": now_ms(),
                "update_at": now_ms(),
                "delete_at": 0,
                "user_id": user_id or self.bot_id,
                "channel_id": channel_id,
                "team_id": self.channels[channel_id]["team_id"],
                "display_name": "Vereinsraum",
                "description": "",
                "username": "",
                "icon_url": "",
                "channel_locked": True,
            }
            self.hooks[hook["id"]] = hook
            return hook

    def hook_url(self, hook: dict) -> str:
        return f"{self.base_url}/hooks/{hook['id']}"

    def team_named(self, name: str) -> dict | None:
        return next((t for t in self.teams.values() if t["name"] == name), None)

    def channel_named(self, team_id: str, name: str) -> dict | None:
        return next((c for c in self.channels.values() if c["team_id"] == team_id and c["name"] == name), None)

    def members_of(self, channel_id: str) -> set[str]:
        return set(self.channel_members.get(channel_id, ()))

    def posts_in(self, channel_id: str) -> list[dict]:
        return sorted((p for p in self.posts.values() if p["channel_id"] == channel_id), key=lambda p: p["create_at"])

    def rate_limit(self, count: int, retry_after: int = 1) -> None:
        with self.lock:
            self._limited = count
            self._retry_after = retry_after

    def api_calls(self, method: str | None = None, prefix: str = "") -> list[tuple[str, str]]:
        return [c for c in self.calls if (method is None or c[0] == method) and c[1].startswith(prefix)]

    # --- WSGI -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            self.calls.append((request.method, request.path))
            self.host_headers.append(request.host)
        if self.slow:
            time.sleep(self.slow)
        if self.down:
            return Response(
                "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                status=503,
                content_type="text/html",
            )
        with self.lock:
            if self._limited > 0:
                self._limited -= 1
                return Response(
                    "limit exceeded\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                    headers={
                        "X-Ratelimit-Limit": "10",
                        "X-Ratelimit-Remaining": "0",
                        "X-Ratelimit-Reset": str(self._retry_after),
                        "Retry-After": str(self._retry_after),
                    },
                )
        request_id = new_id()
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            return self._error(
                ApiError(exc.code or 404, "api.context.404.app_error", "Sorry, we could not find the page."), request_id
            )
        try:
            if endpoint != "use_hook":
                self._authenticate(request)
            with self.lock:
                status, body = getattr(self, "on_" + endpoint)(request, **args)
        except ApiError as exc:
            return self._error(exc, request_id)
        if endpoint == "use_hook":
            return Response("ok", status=200, content_type="text/plain", headers={"X-Request-Id": request_id})
        return Response(
            json.dumps(body),
            status=status,
            content_type="application/json",
            headers={"X-Request-Id": request_id, "X-Version-Id": "11.1.0.standin"},
        )

    @staticmethod
    def _error(exc: ApiError, request_id: str) -> Response:
        body = {
            "id": exc.id,
            "message": exc.message,
            "detailed_error": "",
            "request_id": request_id,
            "status_code": exc.status,
        }
        return Response(
            json.dumps(body), status=exc.status, content_type="application/json", headers={"X-Request-Id": request_id}
        )

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user_id = self.tokens.get(token.strip()) if scheme.lower() in ("bearer", "token") else None
        if not user_id:
            raise ApiError(
                401, "api.context.session_expired.app_error", "Invalid or expired session, please login again."
            )
        request.user_id = user_id

    @staticmethod
    def _body(request: Request):
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing body in request body."
            ) from None

    def _user(self, user_id: str) -> dict:
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(404, "app.user.missing.app_error", "Unable to find the user.")
        return user

    def _channel(self, channel_id: str, request: Request, *, include_deleted: bool = False) -> dict:
        channel = self.channels.get(channel_id)
        if channel is None or (channel["delete_at"] and not include_deleted):
            raise ApiError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        self._can_read(channel, request)
        return channel

    def _can_read(self, channel: dict, request: Request) -> None:
        if channel["type"] == "P" and request.user_id not in self.channel_members[channel["id"]]:
            raise ApiError(
                403, "api.context.permissions.app_error", "You do not have the appropriate permissions. (read_channel)"
            )
        if (channel["team_id"], request.user_id) not in self.team_members:
            raise ApiError(
                403,
                "api.context.permissions.app_error",
                "You do not have the appropriate permissions. (read_public_channel)",
            )

    # --- endpoints --------------------------------------------------------------------------

    def on_ping(self, request):
        return 200, {
            "status": "OK",
            "AndroidLatestVersion": "",
            "AndroidMinVersion": "",
            "IosLatestVersion": "",
            "IosMinVersion": "",
        }

    def on_get_user(self, request, user_id):
        return 200, self._user(request.user_id if user_id == "me" else user_id)

    def on_user_by_email(self, request, email):
        user = next((u for u in self.users.values() if u["email"] and u["email"] == email.lower()), None)
        if user is None:
            raise ApiError(404, "app.user.missing.app_error", "Unable to find the user.")
        return 200, user

    def on_users_by_ids(self, request):
        ids = self._body(request)
        if not isinstance(ids, list):
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing user_ids in request body."
            )
        return 200, [self.users[i] for i in ids if i in self.users]

    def on_team_by_name(self, request, team_name):
        team = self.team_named(team_name)
        if team is None:
            raise ApiError(404, "app.team.get_by_name.missing.app_error", "Unable to find the existing team.")
        if (team["id"], request.user_id) not in self.team_members:
            raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        return 200, team

    def _team_member(self, team_id, user_id):
        return {
            "team_id": team_id,
            "user_id": user_id,
            "roles": "team_user",
            "delete_at": 0,
            "scheme_user": True,
            "scheme_admin": False,
            "explicit_roles": "",
        }

    def on_get_team_member(self, request, team_id, user_id):
        if (team_id, user_id) not in self.team_members:
            raise ApiError(
                404, "app.team.get_member.missing.app_error", "No team member found for that user ID and team ID."
            )
        return 200, self._team_member(team_id, user_id)

    def on_add_team_member(self, request, team_id):
        body = self._body(request) or {}
        user_id = body.get("user_id") if isinstance(body, dict) else None
        if not user_id or body.get("team_id") != team_id:
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing user_id in request body."
            )
        if team_id not in self.teams:
            raise ApiError(404, "app.team.get.find.app_error", "Unable to find the existing team.")
        if (team_id, request.user_id) not in self.team_members:
            raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        self._user(user_id)
        self.team_members.add((team_id, user_id))
        return 201, self._team_member(team_id, user_id)

    def on_create_channel(self, request):
        body = self._body(request)
        if not isinstance(body, dict):
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing channel in request body."
            )
        for field in ("team_id", "name", "display_name", "type"):
            if not isinstance(body.get(field), str) or not body.get(field):
                raise ApiError(
                    400, "api.context.invalid_body_param.app_error", f"Invalid or missing {field} in request body."
                )
        name, display = body["name"], body["display_name"].strip()
        if body["type"] not in ("O", "P"):
            raise ApiError(400, "api.channel.create_channel.direct_channel.app_error", "Must use createDirectChannel.")
        if len(name) > 64 or not CHANNEL_NAME.match(name):
            raise ApiError(
                400,
                "model.channel.is_valid.1_or_more.app_error",
                "Name must be 1 or more lowercase alphanumeric characters.",
            )
        if re.fullmatch(r"[0-9a-f]{40}", name) or re.fullmatch(r"[a-z0-9]{26}__[a-z0-9]{26}", name):
            raise ApiError(400, "model.channel.is_valid.name.app_error", "Invalid channel name.")
        if not display or len(display) > 64:
            raise ApiError(400, "model.channel.is_valid.display_name.app_error", "Invalid display name.")
        if len(body.get("purpose") or "") > 250:
            raise ApiError(400, "model.channel.is_valid.purpose.app_error", "Invalid purpose.")
        if body["team_id"] not in self.teams:
            raise ApiError(404, "app.channel.get_channels.not_found.app_error", "No channels were found.")
        if (body["team_id"], request.user_id) not in self.team_members:
            raise ApiError(
                403,
                "api.context.permissions.app_error",
                "You do not have the appropriate permissions. (create_private_channel)",
            )
        if self.channel_named(body["team_id"], name) is not None:
            raise ApiError(
                400,
                "store.sql_channel.save_channel.exists.app_error",
                "A channel with that name already exists on the same team.",
            )
        channel = self.add_channel(
            body["team_id"],
            name,
            display,
            private=body["type"] == "P",
            creator_id=request.user_id,
            members=(request.user_id,),
        )
        channel["purpose"] = body.get("purpose") or ""
        channel["header"] = body.get("header") or ""
        return 201, channel

    def on_get_channel(self, request, channel_id):
        return 200, self._channel(channel_id, request)

    def on_archive_channel(self, request, channel_id):
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ApiError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        self._can_read(channel, request)
        if request.args.get("permanent") == "true":
            if not self.api_channel_deletion:
                raise ApiError(
                    401,
                    "api.user.delete_channel.not_enabled.app_error",
                    "Permanent channel deletion feature is not enabled. Please contact your System Administrator.",
                )
            del self.channels[channel_id]
            self.channel_members.pop(channel_id, None)
            for post_id in [p for p, post in self.posts.items() if post["channel_id"] == channel_id]:
                del self.posts[post_id]
            return 200, {"status": "OK"}
        if channel["delete_at"]:
            raise ApiError(
                400, "api.channel.delete_channel.deleted.app_error", "The channel has been archived or deleted."
            )
        channel["delete_at"] = channel["update_at"] = now_ms()
        return 200, {"status": "OK"}

    def on_restore_channel(self, request, channel_id):
        """Unarchive: ``manage_team`` on the channel's team (team admins here), as in the server's restoreChannel."""
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ApiError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        if (channel["team_id"], request.user_id) not in self.team_admins:
            raise ApiError(
                403, "api.context.permissions.app_error", "You do not have the appropriate permissions. (manage_team)"
            )
        if not channel["delete_at"]:
            raise ApiError(400, "api.channel.restore_channel.restored.app_error", "Channel is not archived.")
        channel["delete_at"] = 0
        channel["update_at"] = now_ms()
        return 200, channel

    def on_patch_channel(self, request, channel_id):
        channel = self._channel(channel_id, request)
        body = self._body(request)
        if not isinstance(body, dict):
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing channel in request body."
            )
        if "display_name" in body:
            display = str(body["display_name"]).strip()
            if not display or len(display) > 64:
                raise ApiError(400, "model.channel.is_valid.display_name.app_error", "Invalid display name.")
            channel["display_name"] = display
        for field in ("purpose", "header"):
            if field in body:
                channel[field] = str(body[field])
        channel["update_at"] = now_ms()
        return 200, channel

    def _by_name(self, request, team_id, channel_name):
        channel = self.channel_named(team_id, channel_name)
        include_deleted = request.args.get("include_deleted") == "true"
        if channel is None or (channel["delete_at"] and not include_deleted):
            raise ApiError(404, "app.channel.get_by_name.missing.app_error", "Channel does not exist.")
        self._can_read(channel, request)
        return 200, channel

    def on_channel_by_name(self, request, team_id, channel_name):
        return self._by_name(request, team_id, channel_name)

    def on_channel_by_team_name(self, request, team_name, channel_name):
        team = self.team_named(team_name)
        if team is None:
            raise ApiError(404, "app.team.get_by_name.missing.app_error", "Unable to find the existing team.")
        return self._by_name(request, team["id"], channel_name)

    def _member(self, channel_id, user_id):
        return {
            "channel_id": channel_id,
            "user_id": user_id,
            "roles": "channel_user",
            "last_viewed_at": 0,
            "msg_count": 0,
            "mention_count": 0,
            "notify_props": {"desktop": "default", "email": "default", "mark_unread": "all", "push": "default"},
            "last_update_at": now_ms(),
        }

    def on_list_members(self, request, channel_id):
        self._channel(channel_id, request)
        try:
            page = int(request.args.get("page", 0))
            per_page = min(int(request.args.get("per_page", 60)), 200)
        except ValueError:
            raise ApiError(
                400, "api.context.invalid_url_param.app_error", "Invalid or missing page in request URL."
            ) from None
        ids = sorted(self.channel_members[channel_id])
        return 200, [self._member(channel_id, u) for u in ids[page * per_page : (page + 1) * per_page]]

    def on_add_member(self, request, channel_id):
        channel = self._channel(channel_id, request)
        body = self._body(request)
        user_id = body.get("user_id") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not user_id:
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing user_id in request body."
            )
        user = self._user(user_id)
        if user["delete_at"]:
            raise ApiError(403, "app.channel.add_member.deleted_user.app_error", "Cannot add a deactivated user.")
        if (channel["team_id"], user_id) not in self.team_members:
            raise ApiError(
                404, "app.team.get_member.missing.app_error", "No team member found for that user ID and team ID."
            )
        self.channel_members[channel_id].add(user_id)
        return 201, self._member(channel_id, user_id)

    def on_get_member(self, request, channel_id, user_id):
        self._channel(channel_id, request)
        if user_id not in self.channel_members[channel_id]:
            raise ApiError(
                404,
                "app.channel.get_member.missing.app_error",
                "No channel member found for that user ID and channel ID.",
            )
        return 200, self._member(channel_id, user_id)

    def on_remove_member(self, request, channel_id, user_id):
        self._channel(channel_id, request)
        self._user(user_id)
        self.channel_members[channel_id].discard(user_id)
        return 200, {"status": "OK"}

    def on_create_post(self, request):
        body = self._body(request)
        if not isinstance(body, dict) or not isinstance(body.get("channel_id"), str):
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing channel_id in request body."
            )
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing message in request body."
            )
        if len(message) > 16383:
            raise ApiError(400, "model.post.is_valid.message_length.app_error", "Message too long.")
        channel = self._channel(body["channel_id"], request)
        if request.user_id not in self.channel_members[channel["id"]]:
            raise ApiError(
                403, "api.context.permissions.app_error", "You do not have the appropriate permissions. (create_post)"
            )
        props = body.get("props") if isinstance(body.get("props"), dict) else {}
        props = dict(props, from_bot="true") if self.users[request.user_id]["is_bot"] else props
        return 201, self.add_post(channel["id"], request.user_id, message, props)

    def on_channel_posts(self, request, channel_id):
        self._channel(channel_id, request)
        try:
            page = int(request.args.get("page", 0))
            per_page = min(int(request.args.get("per_page", 60)), 200)
        except ValueError:
            raise ApiError(
                400, "api.context.invalid_url_param.app_error", "Invalid or missing page in request URL."
            ) from None
        newest = sorted(
            (p for p in self.posts.values() if p["channel_id"] == channel_id and not p["delete_at"]),
            key=lambda p: p["create_at"],
            reverse=True,
        )[page * per_page : (page + 1) * per_page]
        return 200, {
            "order": [p["id"] for p in newest],
            "posts": {p["id"]: p for p in newest},
            "next_post_id": "",
            "prev_post_id": "",
            "has_next": False,
        }

    def on_create_hook(self, request):
        body = self._body(request)
        channel_id = body.get("channel_id") if isinstance(body, dict) else None
        if not isinstance(channel_id, str) or channel_id not in self.channels:
            raise ApiError(
                400, "api.context.invalid_body_param.app_error", "Invalid or missing channel_id in request body."
            )
        return 201, self.add_hook(channel_id, request.user_id)

    def on_get_hook(self, request, hook_id):
        hook = self.hooks.get(hook_id)
        if hook is None or hook["delete_at"]:
            raise ApiError(404, "app.webhooks.get_incoming.app_error", "Unable to get the webhook.")
        # manage_incoming_webhooks on the channel, plus manage_others_incoming_webhooks for someone else's hook:
        # the creator, or a team admin of the hook's team.
        if request.user_id != hook["user_id"] and (hook["team_id"], request.user_id) not in self.team_admins:
            raise ApiError(
                403,
                "api.context.permissions.app_error",
                "You do not have the appropriate permissions. (manage_others_incoming_webhooks)",
            )
        return 200, hook

    def on_use_hook(self, request, hook_id):
        hook = self.hooks.get(hook_id)
        if hook is None:
            raise ApiError(400, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
        body = self._body(request)
        if not isinstance(body, dict) or not str(body.get("text") or "").strip():
            raise ApiError(400, "web.incoming_webhook.text.app_error", "No text specified.")
        self.add_post(hook["channel_id"], hook["user_id"], str(body["text"]), {"from_webhook": "true"})
        return 200, None


def make_standin(base_url: str):
    """A seeded stand-in for ``make run``: ``(wsgi_app, env)``.

    Team ``vereinsraum`` with the bot; users for some demo accounts (see
    app/demo DEMO_CLUBS) so provisioning finds them; one public channel.
    """
    standin = MattermostStandin(base_url)
    team = standin.add_team(DEMO_TEAM, "Berliner Vereine")
    standin.team_admins.add((team["id"], standin.bot_id))  # restores a reactivated club's channel (manage_team)
    for username, email in (
        ("hanna.bienert", "vorstand@imker-pankow.example"),
        ("jonas.wabe", "ehrenamt@imker-pankow.example"),
        ("deniz.aydin", "vorstand@fc-kreuzberg.example"),
        ("mia.schulte", "trainerin@fc-kreuzberg.example"),
        ("lou.brandt", "vorstand@kunst-wedding.example"),
    ):
        user = standin.add_user(username, email)
        standin.team_members.add((team["id"], user["id"]))
    town_square = standin.add_channel(
        team["id"], "town-square", "Town Square", creator_id=standin.bot_id, members=(standin.bot_id,)
    )
    standin.add_post(town_square["id"], standin.bot_id, "Willkommen auf dem Chat-Server der Plattform (Stand-in).")
    # The demo club's own channel (app/demo links it when ``make run`` starts): members and a few posts.
    people = {u["username"]: u["id"] for u in standin.users.values()}
    imker = standin.add_channel(
        team["id"],
        DEMO_CHANNEL,
        "Imkerverein Pankow",
        private=True,
        creator_id=people["hanna.bienert"],
        members=(people["hanna.bienert"], people["jonas.wabe"], standin.bot_id),
    )
    for username, text in (
        ("hanna.bienert", "Moin zusammen! Die Schleuder ist ab Samstag wieder im Vereinsheim."),
        ("jonas.wabe", "Super, ich bringe Gläser mit. Wer hilft beim Etikettieren?"),
        ("hanna.bienert", "Erinnerung: Vorstandssitzung am Donnerstag, 19 Uhr – Link im Arbeitsbereich."),
    ):
        standin.add_post(imker["id"], people[username], text)
    env = {"MATTERMOST_URL": base_url, "MATTERMOST_TOKEN": standin.token, "MATTERMOST_TEAM": DEMO_TEAM}
    return standin, env
