"""The deployment recipes in deploy/ run what CI proves: the same app and worker commands as the loopback
production check (deploy/prod_check.py, `make prod-check`), and only flask commands that exist."""

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _prod_check():
    spec = importlib.util.spec_from_file_location("prod_check", DEPLOY / "prod_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROD_CHECK = _prod_check()
WEB, WORKER = list(PROD_CHECK.WEB_COMMAND), list(PROD_CHECK.WORKER_COMMAND)


def _exec_start(unit: str) -> list[str]:
    line = next(x for x in (DEPLOY / "systemd" / unit).read_text().splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_compose_runs_the_checked_commands_behind_one_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["app1"]["command"] == WEB and services["app2"]["command"] == WEB
    assert services["worker"]["command"] == WORKER
    assert services["app1"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"  # nginx in front, nothing else
    assert {"db", "redis", "nginx", "migrate"} <= set(services)
    assert "REDIS_URL" in services["app1"]["environment"]  # shared state across the instances


def test_systemd_units_run_the_checked_commands():
    web, worker = _exec_start("vereinsraum-web@.service"), _exec_start("vereinsraum-worker.service")
    assert Path(web[0]).name == WEB[0] and web[1:] == WEB[1:]
    assert Path(worker[0]).name == WORKER[0] and worker[1:] == WORKER[1:]


def test_the_image_serves_with_the_checked_command_as_a_user_without_rights():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    assert yaml.safe_load(cmd) == WEB
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")


def _systemd_unescape(instance: str) -> str:
    """What systemd's %I gives for an escaped instance name: \\xNN is that byte, "-" is "/"."""
    out, i = [], 0
    while i < len(instance):
        if instance.startswith("\\x", i):
            out.append(chr(int(instance[i + 2 : i + 4], 16)))
            i += 4
        else:
            out.append("/" if instance[i] == "-" else instance[i])
            i += 1
    return "".join(out)


def _timer_commands() -> dict[str, str]:
    commands = {}
    for timer in sorted((DEPLOY / "systemd").glob("*.timer")):
        unit = re.search(r"^Unit=vereinsraum-task@(.+)\.service$", timer.read_text(), re.M).group(1)
        commands[timer.name] = _systemd_unescape(unit)
    return commands


def _cron_commands() -> list[str]:
    lines = [x for x in (DEPLOY / "crontab.example").read_text().splitlines() if re.match(r"^[0-9*]", x)]
    return [line.split(".venv/bin/flask ", 1)[1].strip() for line in lines]


def _resolves(app, command_line: str) -> bool:
    """The words name a flask command of this app, and its arguments and options parse."""
    import click

    words = shlex.split(command_line)
    command = app.cli
    context = click.Context(app.cli, info_name="flask")
    while isinstance(command, click.Group) and words:
        sub = command.get_command(context, words[0])
        if sub is None:
            return False
        command, words = sub, words[1:]
    command.make_context(command.name, list(words), parent=context)  # raises on unknown options
    return True


def test_timers_and_crontab_name_existing_commands(app):
    timers, cron = _timer_commands(), _cron_commands()
    assert len(timers) >= 6
    assert set(timers.values()) == set(cron)  # the two ways to schedule agree
    for name, command in timers.items():
        assert _resolves(app, command), f"{name}: flask {command}"
    assert timers["vereinsraum-backup.timer"] == "backup /var/lib/vereinsraum/backup/vereinsraum.dump"


def test_the_resolver_refuses_what_does_not_exist(app):
    # guards the check above: it must be able to say no
    assert not _resolves(app, "privacy send-everything")
    import click

    with pytest.raises(click.UsageError):
        _resolves(app, "privacy send-reminders --weeks 7")
