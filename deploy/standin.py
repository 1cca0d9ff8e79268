"""Run a BigBlueButton or Mattermost stand-in as its own process (for ``make prod-check``).

    python deploy/standin.py bbb --port 8101 --env-file /tmp/x/bbb.env
    python deploy/standin.py mattermost --port 8102 --env-file /tmp/x/mm.env [--extra-users FILE]

The stand-ins are the ones ``make run`` and the tests use (app/integrations/*/standin.py), served by
werkzeug on 127.0.0.1. The settings the app needs (BBB_API_URL/BBB_SECRET or MATTERMOST_URL/TOKEN/TEAM)
are written to ``--env-file`` as KEY=VALUE lines once the port listens. The check reads the stand-in's
counters from ``GET /_check/state`` and turns knobs with ``POST /_check/knobs`` (JSON), on loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402


def bbb(base_url: str, _args):
    from app.integrations.bigbluebutton.standin import make_standin

    app, env = make_standin(base_url)
    state = app.state

    def inspect():
        with state.lock:
            return {
                "calls": [name for name, _query in state.calls],
                "running": sorted(mid for mid, m in state.meetings.items() if m.running),
            }

    def knobs(values):
        state.slow = float(values.get("slow", state.slow))

    return app, env, inspect, knobs


def mattermost(base_url: str, args):
    from app.integrations.mattermost.standin import make_standin

    standin, env = make_standin(base_url)
    team = standin.team_named(env["MATTERMOST_TEAM"])
    if args.extra_users:
        with open(args.extra_users) as fh:
            for line in fh:
                username, _sep, email = line.strip().partition(" ")
                if email:
                    user = standin.add_user(username, email)
                    standin.team_members.add((team["id"], user["id"]))

    def inspect():
        with standin.lock:
            emails = {u["id"]: u["email"] or u["username"] for u in standin.users.values()}
            channels = {}
            for channel in standin.channels.values():
                posts = standin.posts_in(channel["id"])
                channels[channel["name"]] = {
                    "id": channel["id"],
                    "deleted": bool(channel["delete_at"]),
                    "members": sorted(emails[m] for m in standin.members_of(channel["id"])),
                    "markers": [(p.get("props") or {}).get("vereinsraum") for p in posts],
                }
            return {"calls": [f"{method} {path}" for method, path in standin.calls], "channels": channels}

    def knobs(values):
        standin.slow = float(values.get("slow", standin.slow))
        standin.down = bool(values.get("down", standin.down))

    return standin, env, inspect, knobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("bbb", "mattermost"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--extra-users", help="file with 'username email' lines (Mattermost accounts)")
    args = parser.parse_args()
    base_url = f"http://127.0.0.1:{args.port}"
    wsgi_app, env, inspect, knobs = (bbb if args.kind == "bbb" else mattermost)(base_url, args)

    def app(environ, start_response):
        request = Request(environ)
        if request.path == "/_check/state" and request.method == "GET":
            return Response(json.dumps(inspect()), content_type="application/json")(environ, start_response)
        if request.path == "/_check/knobs" and request.method == "POST":
            knobs(request.get_json(force=True) or {})
            return Response("ok")(environ, start_response)
        return wsgi_app(environ, start_response)

    server = make_server("127.0.0.1", args.port, app, threaded=True)
    tmp = args.env_file + ".part"
    with open(tmp, "w") as fh:
        fh.writelines(f"{key}={value}\n" for key, value in env.items())
    os.replace(tmp, args.env_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
