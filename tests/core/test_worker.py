"""The production worker: ``huey_consumer app.worker.huey`` as a real process (issue 12, item 6).

One consumer per module, started as the README starts it, with its settings in
the environment: this test database, a Huey SQLite file in a temp directory,
the test SMTP server and a Mattermost stand-in on loopback. The web side runs
with ``HUEY_IMMEDIATE`` off, so every task below goes through the queue.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

import app as app_package
from app.core import jobs
from app.extensions import db
from app.integrations.mattermost.standin import MattermostStandin
from tests.conftest import PASSWORD

ROOT = Path(app_package.__file__).resolve().parent.parent
TASK_DECORATORS = {"task", "periodic_task", "db_task", "db_periodic_task", "lock_task"}


# --- fixtures: one stand-in and one consumer per module ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def mm_server():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    standin = MattermostStandin(url)
    team = standin.add_team("vereinsraum", "Berliner Vereine")
    server = make_server("127.0.0.1", port, standin, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def account(user):
        mm_user = standin.add_user(user.email.split("@")[0], user.email)
        standin.team_members.add((team["id"], mm_user["id"]))
        return mm_user

    yield SimpleNamespace(standin=standin, team=team, url=url, account=account)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def consumer(database_url, smtp_server, mm_server, tmp_path_factory):
    """``huey_consumer app.worker.huey`` in its own process; ``.tasks`` is the task list it announced."""
    folder = tmp_path_factory.mktemp("worker")
    settings = {
        "DATABASE_URL": database_url,
        "HUEY_SQLITE_PATH": str(folder / "huey.db"),
        "DATA_EXPORT_DIR": str(folder / "exports"),
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "http://localhost",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "MATTERMOST_URL": mm_server.url,
        "MATTERMOST_TOKEN": mm_server.standin.token,
        "MATTERMOST_TEAM": "vereinsraum",
    }
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "HUEY_IMMEDIATE")}
    env.update(settings, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    executable = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
    log_path = folder / "consumer.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [executable, "app.worker.huey", "-w", "2", "-d", "0.05", "-m", "0.2", "-b", "1.0"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    ns = SimpleNamespace(process=process, log_path=log_path, settings=settings, log=lambda: log_path.read_text())
    try:
        deadline = time.monotonic() + 60
        while "The following commands are available" not in ns.log():
            assert process.poll() is None, f"consumer exited:\n{ns.log()}"
            assert time.monotonic() < deadline, f"consumer did not start:\n{ns.log()}"
            time.sleep(0.1)
        time.sleep(0.2)  # the rest of the list is in the same log record
        ns.tasks = {line[2:].strip() for line in ns.log().splitlines() if line.startswith("+ ")}
        yield ns
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def app_config(app_config, consumer, mm_server):
    """The web side: same settings as the consumer, tasks queued (not run in process)."""
    app_config.update(
        HUEY_IMMEDIATE=False,
        HUEY_SQLITE_PATH=consumer.settings["HUEY_SQLITE_PATH"],
        DATA_EXPORT_DIR=consumer.settings["DATA_EXPORT_DIR"],
        MATTERMOST_URL=mm_server.url,
        MATTERMOST_TOKEN=mm_server.standin.token,
        MATTERMOST_TEAM="vereinsraum",
        MATTERMOST_TIMEOUT=2.0,
    )
    return app_config


def eventually(check, timeout: float = 30.0, what: str = "", consumer=None):
    """Poll ``check`` (fresh reads each time) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # a new snapshot; releases SQLite read locks for the consumer
        result = check()
        db.session.rollback()
        if result:
            return result
        if time.monotonic() > deadline:
            log = consumer.log()[-4000:] if consumer is not None else ""
            pytest.fail(f"timed out waiting for {what}\n{log}")
        time.sleep(0.05)


def executed(consumer, task_name: str) -> bool:
    return any(line for line in consumer.log().splitlines() if "Executing" in line and task_name in line)


# --- every task is known to the consumer -------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _decorator_name(node) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return None


def tasks_in_source() -> set[str]:
    """Every function under app/ decorated as a (periodic) Huey task, by the name Huey registers."""
    found = set()
    for path in sorted((ROOT / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if _decorator_name(decorator) in TASK_DECORATORS:
                    names = [
                        kw.value.value
                        for kw in getattr(decorator, "keywords", ())
                        if kw.arg == "name" and isinstance(kw.value, ast.Constant)
                    ]
                    found.add(f"{_module_name(path)}.{names[0] if names else node.name}")
    return found


def tasks_after_importing_everything() -> set[str]:
    """Import every module under app/ (not the worker entry point itself) and read Huey's registry."""
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name not in ("app.worker", "app.devserver"):
            importlib.import_module(module.name)
    return set(jobs.huey._registry._registry)


def test_consumer_knows_every_task_defined_under_app(consumer):
    in_source = tasks_in_source()
    imported = tasks_after_importing_everything()
    assert any(name.endswith(".run_op") for name in in_source) and len(in_source) >= 5  # the scan works
    assert in_source <= imported
    assert consumer.tasks == imported, (
        f"missing in the consumer: {sorted(imported - consumer.tasks)}; unknown: {sorted(consumer.tasks - imported)}"
    )


def test_every_task_lives_in_its_domains_tasks_module():
    """One shape: ``create_app`` imports ``<domain>.tasks``; a task elsewhere could be missed."""
    for name in tasks_in_source():
        module = name.split(".tasks.")[0] + ".tasks" if ".tasks." in name else name.rsplit(".", 1)[0]
        assert module.endswith(".tasks"), f"{name} is not defined in a tasks module"


# --- end to end through the consumer ------------------------------------------------------------------


def test_chat_operation_runs_in_the_consumer(consumer, mm_server, roles, client_for):
    from app.chat import services
    from app.chat.models import ChatOp

    board_mm = mm_server.account(roles.board)
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/chat/einstellungen/anlegen")
    assert response.status_code == 303

    def provisioned():
        link = services.link_for(roles.club)
        ops = list(db.session.scalars(sa.select(ChatOp).where(ChatOp.club_id == roles.club.id)))
        return link is not None and link.channel_id and ops and all(op.status == "done" for op in ops) and link

    link = eventually(provisioned, what="the provisioning op", consumer=consumer)
    assert ("POST", "/api/v4/channels") in mm_server.standin.calls
    assert board_mm["id"] in mm_server.standin.members_of(link.channel_id)
    assert executed(consumer, "app.chat.tasks.run_op")


def test_community_channel_join_runs_in_the_consumer(consumer, mm_server, roles, client_for):
    from app.chat.models import ChatOp, CommunityChannel

    member_mm = mm_server.account(roles.member)
    response = client_for(roles.member).post("/community/beitreten", data={"accept": "y"})
    assert response.status_code == 303

    def joined():
        ops = list(db.session.scalars(sa.select(ChatOp).where(ChatOp.kind == "community")))
        channel = db.session.get(CommunityChannel, 1)
        return channel is not None and ops and all(op.status == "done" for op in ops) and channel

    channel = eventually(joined, what="the community op", consumer=consumer)
    assert member_mm["id"] in mm_server.standin.members_of(channel.channel_id)


def test_personal_export_runs_in_the_consumer(consumer, roles, client_for, mailbox):
    from app.dataprotection.models import DataExport

    response = client_for(roles.member).post("/konto/meine-daten/export")
    assert response.status_code == 200

    def mailed():
        return [m for m in mailbox.to(roles.member.email) if "Datenexport" in m["Subject"]]

    mails = eventually(mailed, what="the export mail", consumer=consumer)
    assert "/konto/meine-daten/export/" in mailbox.body(mails[-1])
    export = db.session.scalar(sa.select(DataExport).where(DataExport.user_id == roles.member.id))
    assert export.status == "ready"
    path = Path(consumer.settings["DATA_EXPORT_DIR"]) / export.filename
    assert path.is_file() and path.stat().st_size == export.size
    assert executed(consumer, "app.dataprotection.tasks.prepare_user_export")
    path.unlink()


def test_club_deletion_runs_in_the_consumer(consumer, roles, client_for, runner):
    from app.clubs.models import Club
    from app.core.db import utcnow
    from app.dataprotection.models import ClubDeletion

    slug, club_id = roles.club.slug, roles.club.id
    response = client_for(roles.board).post(
        f"/c/{slug}/daten/schliessen", data={"understood": "y", "current_password": PASSWORD}
    )
    assert response.status_code == 303
    deletion = db.session.scalar(sa.select(ClubDeletion).where(ClubDeletion.club_id == club_id))
    deletion.delete_after = utcnow() - timedelta(minutes=1)  # the grace period is over
    db.session.commit()
    deletion_id = deletion.id

    result = runner.invoke(args=["retention", "run"])  # cron: enqueues the due deletion
    assert result.exit_code == 0, result.output

    def deleted():
        done = db.session.get(ClubDeletion, deletion_id)
        return done is not None and done.completed_at is not None and db.session.get(Club, club_id) is None

    eventually(deleted, what="the club deletion", consumer=consumer)
    assert executed(consumer, "app.dataprotection.tasks.run_club_deletion")


def test_consumer_writes_each_log_line_once(consumer, roles, client_for, mailbox):
    """create_app's root handler and huey_consumer's own handler must not both write huey's lines."""
    import re

    client_for(roles.board).post("/konto/meine-daten/export")
    eventually(
        lambda: [m for m in mailbox.to(roles.board.email) if "Datenexport" in m["Subject"]],
        what="the export mail",
        consumer=consumer,
    )
    time.sleep(0.3)  # the "executed in" line follows the mail
    log = consumer.log()
    executing = re.findall(r"Executing (\S+): ([0-9a-f-]{36})", log)
    finished = re.findall(r"(\S+): ([0-9a-f-]{36}) executed in", log)
    assert "app.dataprotection.tasks.prepare_user_export" in {name for name, _id in executing}
    for lines in (executing, finished):
        doubled = sorted({line for line in lines if lines.count(line) > 1})
        assert not doubled, f"logged more than once: {doubled}\n{log[-3000:]}"


def test_toolkit_reminders_run_in_the_consumer(consumer, roles, mailbox):
    """The periodic reminder task of the toolkit, queued as the scheduler queues it, runs in the consumer."""
    from datetime import date

    from app.toolkit import services, tasks
    from app.toolkit.models import SubjectRequest

    item = services.log_request(
        roles.club,
        kind="access",
        received_on=services.today() - timedelta(days=27),
        channel="email",
        note="",
        by=roles.board,
    )
    item_id = item.id
    tasks.send_reminders_job()  # HUEY_IMMEDIATE is off: this only enqueues

    def mailed():
        return [m for m in mailbox.to(roles.board.email) if "Frist läuft ab" in m["Subject"]]

    mails = eventually(mailed, what="the reminder mail", consumer=consumer)
    assert f"/werkzeuge/anfragen/{item_id}" in mailbox.body(mails[-1])
    assert executed(consumer, "app.toolkit.tasks.toolkit.send_reminders")
    reminded = db.session.get(SubjectRequest, item_id)
    assert isinstance(reminded.reminded_for, date) and reminded.reminded_stage >= 1
    tasks.send_reminders_job()  # a second run sends nothing more (once per reminder)
    eventually(
        lambda: (
            len(
                [
                    line
                    for line in consumer.log().splitlines()
                    if "toolkit.send_reminders" in line and "executed in" in line
                ]
            )
            >= 2
        ),
        what="the second run",
        consumer=consumer,
    )
    assert len(mailed()) == 1
