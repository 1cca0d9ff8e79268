"""``make run``: serve the app on 127.0.0.1:5000 for development.

When no BigBlueButton or Mattermost server is configured, the local stand-ins
(real HTTP servers that speak the same API) start on free loopback ports and
the app is pointed at them, so every workspace panel works on a fresh machine.
A Huey consumer runs the background jobs.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import threading

from werkzeug.serving import make_server, run_simple

from app import create_app

#: (settings that mean "a real server is configured", module with make_standin(), description)
STANDINS = (
    ("BBB_API_URL", "app.integrations.bigbluebutton.standin", "BigBlueButton-Stand-in"),
    ("MATTERMOST_URL", "app.integrations.mattermost.standin", "Mattermost-Stand-in"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_standins() -> None:
    for setting, module_name, label in STANDINS:
        if os.environ.get(setting):
            print(f"{label}: nicht gestartet, {setting} ist gesetzt.")
            continue
        module = importlib.import_module(module_name)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        wsgi_app, env = module.make_standin(base_url)
        server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        os.environ.update(env)
        print(f"{label} läuft auf {base_url}")


def start_consumer() -> subprocess.Popen:
    consumer = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
    return subprocess.Popen([consumer, "app.worker.huey", "-w", "2", "-q"], env=os.environ.copy())


def link_demo_channel(app) -> None:
    """The stand-ins start empty each time: link the demo club to its channel in the fresh chat stand-in."""
    from app import demo

    with app.app_context():
        try:
            done = demo.link_demo_channel()
        except Exception as exc:  # noqa: BLE001 - a demo convenience must never stop the server
            print(f"Demo-Kanal nicht verknüpft: {exc}")
            return
    if done:
        print(done)


def main() -> None:
    start_standins()
    consumer = start_consumer()
    app = create_app()
    link_demo_channel(app)
    print("\nVereinsraum läuft: http://127.0.0.1:5000  (Demo-Zugänge: siehe README)\n")
    try:
        run_simple("127.0.0.1", int(os.environ.get("PORT", 5000)), app, use_reloader=False, threaded=True)
    finally:
        consumer.send_signal(signal.SIGINT)
        consumer.wait(timeout=10)


if __name__ == "__main__":
    main()
