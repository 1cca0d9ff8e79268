"""Backup and restore of the database: ``flask backup FILE`` and ``flask restore FILE``.

- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --single-transaction``
  (Debian's ``postgresql-client``; the tools are taken from ``PG_BIN_DIR`` when set, else from PATH).
- SQLite (the embedded default): SQLite's online backup API, so a running app may keep writing; a
  restore copies the backup into the live database file the same way.

What is not in the backup: the job queue and caches (Redis; they refill), the secret key
(``SECRET_KEY`` or ``instance/secret_key``: keep it with the backup, or every session and signed link
becomes invalid) and personal exports that are waiting to be downloaded (they expire anyway).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Something the operator has to fix (German message)."""


def _pg_tool(name: str, bin_dir: str | None) -> str:
    if bin_dir:
        path = Path(bin_dir) / name
        if path.exists():
            return str(path)
        raise BackupError(f"{name} fehlt in PG_BIN_DIR={bin_dir}.")
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} nicht gefunden: Debian-Paket postgresql-client installieren oder PG_BIN_DIR setzen.")
    return found


def _pg_env(url) -> tuple[list[str], dict]:
    """Connection arguments for the libpq tools; the password goes through the environment only."""
    env = dict(os.environ)
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    if url.password:
        env["PGPASSWORD"] = url.password
    args += ["--dbname", url.database]
    return args, env


def _sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("Eine SQLite-Datenbank im Speicher lässt sich nicht sichern.")
    return url.database


def backup(database_uri: str, target: str, *, pg_bin_dir: str | None = None) -> str:
    """Write a backup of the database to ``target``; returns the kind ("postgresql" or "sqlite")."""
    url = make_url(database_uri)
    target_path = Path(target)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    partial = target_path.with_name(target_path.name + ".partial")
    if url.get_backend_name() == "postgresql":
        args, env = _pg_env(url)
        cmd = [
            _pg_tool("pg_dump", pg_bin_dir),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(partial),
            *args,
        ]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump ist gescheitert: {result.stderr.strip()}")
        kind = "postgresql"
    elif url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)  # online backup: consistent even while the app writes
        finally:
            dest.close()
            source.close()
        kind = "sqlite"
    else:
        raise BackupError(f"Datenbank {url.get_backend_name()} wird nicht unterstützt.")
    os.replace(partial, target_path)
    os.chmod(target_path, 0o600)  # personal data
    return kind


def restore(database_uri: str, source: str, *, pg_bin_dir: str | None = None) -> str:
    """Replace the database's contents with the backup in ``source``; returns the kind."""
    url = make_url(database_uri)
    path = Path(source)
    if not path.is_file():
        raise BackupError(f"Sicherung {source} nicht gefunden.")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if url.get_backend_name() == "postgresql":
        if not head.startswith(PG_MAGIC):
            raise BackupError("Diese Datei ist keine PostgreSQL-Sicherung (pg_dump --format=custom).")
        args, env = _pg_env(url)
        cmd = [
            _pg_tool("pg_restore", pg_bin_dir),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(path),
        ]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore ist gescheitert: {result.stderr.strip()}")
        return "postgresql"
    if url.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError("Diese Datei ist keine SQLite-Sicherung.")
        source_db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            source_db.backup(live)  # replaces every page of the live database, under SQLite's locks
        finally:
            live.close()
            source_db.close()
        return "sqlite"
    raise BackupError(f"Datenbank {url.get_backend_name()} wird nicht unterstützt.")
