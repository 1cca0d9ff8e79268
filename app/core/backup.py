"""Backup and restore of the database: ``flask backup FILE`` and ``flask restore FILE``.

- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --single-transaction``
  (Debian's ``postgresql-client``; the tools are taken from ``PG_BIN_DIR`` when set, else from PATH).
- SQLite (the embedded default): SQLite's online backup API, so a running app may keep writing; a
  restore copies the backup into the live database file the same way.

Files the platform keeps next to the database (registered by their domains, e.g. the evidence on checklist
items) go into a tar file beside the dump, ``<TARGET>.dateien.tar``; a restore puts them back when that file
is there, replacing each registered directory's contents.

What is not in the backup: the job queue and caches (Redis; they refill), the secret key
(``SECRET_KEY`` or ``instance/secret_key``: keep it with the backup, or every session and signed link
becomes invalid) and personal exports that are waiting to be downloaded (they expire anyway).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

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


# --- files beside the database ------------------------------------------------------------------------

FILES_SUFFIX = ".dateien.tar"


def files_archive(database_backup: str) -> Path:
    """Where the files belonging to a database backup are (or go)."""
    return Path(database_backup + FILES_SUFFIX)


def backup_files(directories: dict[str, str], database_backup: str) -> int:
    """Put every file under the registered ``directories`` ({label: path}) into the archive beside the
    database backup, as ``<label>/<relative path>``. Returns the number of files."""
    target = files_archive(database_backup)
    partial = target.with_name(target.name + ".partial")
    count = 0
    with tarfile.open(partial, "w") as archive:
        for label, directory in sorted(directories.items()):
            root = Path(directory)
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                archive.add(path, arcname=f"{label}/{path.relative_to(root).as_posix()}", recursive=False)
                count += 1
    os.replace(partial, target)
    os.chmod(target, 0o600)  # personal data
    return count


def restore_files(directories: dict[str, str], database_backup: str) -> int | None:
    """Replace the registered directories' contents with the archive beside the database backup.
    Returns the number of files, or None when there is no archive (an older backup: the files stay)."""
    source = files_archive(database_backup)
    if not source.is_file():
        return None
    with tarfile.open(source, "r") as archive:
        members = archive.getmembers()
        for member in members:  # check everything before touching anything
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or len(parts) < 2 or parts[0] not in directories or ".." in parts:
                raise BackupError(f"Unerwarteter Eintrag in {source.name}: {member.name}")
        for directory in directories.values():
            root = Path(directory)
            if root.is_dir():
                shutil.rmtree(root)
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, 0o700)
        for member in members:
            label, *rest = PurePosixPath(member.name).parts
            path = Path(directories[label]).joinpath(*rest)
            path.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as data, open(path, "wb") as out:
                shutil.copyfileobj(data, out)
            os.chmod(path, 0o600)
    return len(members)
