"""Static files for production: content-hashed names, far-future caching, gzip/brotli (WhiteNoise).

``flask assets`` (run by ``make run``, ``make test``, the Dockerfile and the loopback check) copies
app/static into ``STATIC_BUILD_DIR`` (default: <project>/build/static): each file under its own name and
under a name with a content hash (``css/app.3f2a9c1b7d4e.css``), writes ``manifest.json`` and adds
precompressed ``.gz`` and ``.br`` variants (WhiteNoise's compressor). The app then

- serves that folder with WhiteNoise (in front of Flask, so static requests never touch the app),
  hashed names with ``Cache-Control: max-age=31536000, public, immutable``, others for an hour, and the
  compressed variant the browser accepts;
- makes ``url_for('static', filename=...)`` return the hashed name (templates stay unchanged).

A manifest entry whose source file has changed since the build is ignored, so a stale build can never
serve old CSS: that file is served by Flask from app/static until the next ``flask assets``. Without a
build (development, most tests) Flask serves app/static as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import click
from flask import Flask

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
ONE_YEAR = 31536000
HASH_LENGTH = 12


def default_build_dir(app: Flask) -> str:
    return app.config.get("STATIC_BUILD_DIR") or os.path.join(os.path.dirname(app.root_path), "build", "static")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashed_name(rel: str, digest: str) -> str:
    head, _sep, name = rel.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    hashed = f"{stem}.{digest[:HASH_LENGTH]}.{ext}" if dot else f"{name}.{digest[:HASH_LENGTH]}"
    return f"{head}/{hashed}" if head else hashed


def build(source: str, target: str, *, quiet: bool = True) -> dict:
    """Build the static folder ``target`` from ``source``; returns the manifest."""
    from whitenoise.compress import Compressor  # the build only (flask assets), not the running app

    src, out = Path(source), Path(target)
    staging = out.with_name(out.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    files = {}
    for path in sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(src).as_posix()
        digest = _digest(path)
        hashed = hashed_name(rel, digest)
        for name in (rel, hashed):
            dest = staging / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        files[rel] = {"hashed": hashed, "sha256": digest}
    compressor = Compressor(quiet=quiet, log=lambda *a, **k: None)
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        if compressor.should_compress(str(path)):
            for _compressed in compressor.compress(str(path)):
                pass
    manifest = {"version": 1, "files": files}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def _load_manifest(app: Flask, build_dir: str) -> dict[str, str]:
    """{filename: hashed filename} for every file whose build matches its source."""
    try:
        manifest = json.loads(Path(build_dir, MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    mapping, stale = {}, []
    static = Path(app.static_folder)
    for rel, entry in manifest.get("files", {}).items():
        source = static / rel
        if source.is_file() and _digest(source) == entry.get("sha256"):
            mapping[rel] = entry["hashed"]
        else:
            stale.append(rel)
    if stale:
        log.warning(
            "Statische Dateien: %d geändert seit `flask assets` (%s) – bitte neu bauen",
            len(stale),
            ", ".join(stale[:5]),
        )
    return mapping


def init_app(app: Flask) -> None:
    @app.cli.command("assets")
    def assets_command():
        """Build the static files: hashed names, .gz/.br (STATIC_BUILD_DIR)."""
        target = default_build_dir(app)
        manifest = build(app.static_folder, target)
        click.echo(f"{len(manifest['files'])} statische Dateien gebaut: {target}")

    build_dir = default_build_dir(app)
    mapping = _load_manifest(app, build_dir)
    if not mapping:
        return
    from whitenoise import WhiteNoise  # only when a build exists

    hashed = {"/static/" + name for name in mapping.values()}

    class _WhiteNoise(WhiteNoise):
        FOREVER = ONE_YEAR  # max-age=31536000 for hashed names (WhiteNoise's default is ten years)

    def add_headers(headers, path, url):
        headers["X-Content-Type-Options"] = "nosniff"

    # only files of the build that are current: a changed source falls through to Flask's static view
    current = set(mapping) | set(mapping.values())
    app.wsgi_app = _WhiteNoise(
        app.wsgi_app,
        max_age=3600,
        prefix="static/",
        add_headers_function=add_headers,
        allow_all_origins=False,
        immutable_file_test=lambda path, url: url in hashed,
    )
    noise = app.wsgi_app
    for name in sorted(current):
        path = os.path.join(build_dir, name)
        if os.path.isfile(path):
            noise.add_file_to_dictionary("/static/" + name, path)
    app.extensions["static_manifest"] = mapping

    @app.url_defaults
    def hashed_static(endpoint, values):
        if endpoint == "static" and values.get("filename") in mapping:
            values["filename"] = mapping[values["filename"]]
