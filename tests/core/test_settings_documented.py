"""Every setting the code reads is listed in the README's settings table ("Alle Einstellungen")."""

import re
from pathlib import Path

from app.config import ENV_SETTINGS, Config
from app.dataprotection.retention import RETENTION_DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"config(?:\.get\(|\[|\.setdefault\()\s*[\"']([A-Z][A-Z0-9_]+)[\"']")


def _settings_read_by_the_code() -> set[str]:
    keys = set()
    for path in (ROOT / "app").rglob("*.py"):
        keys.update(READ.findall(path.read_text(encoding="utf-8")))
    keys.update(name for name in vars(Config) if name.isupper())
    keys.update(ENV_SETTINGS)
    keys.update(RETENTION_DEFAULTS)
    return keys


def _documented() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("### Alle Einstellungen") :]


def test_every_setting_the_code_reads_is_in_the_readme_table():
    table = _documented()
    missing = sorted(key for key in _settings_read_by_the_code() if f"`{key}`" not in table)
    assert not missing, f"Settings read by the code but missing in README 'Alle Einstellungen': {missing}"


def test_the_scan_finds_settings_at_all():
    # guards the scan itself: a broken pattern would make the test above pass vacuously
    keys = _settings_read_by_the_code()
    assert {"BASE_URL", "BBB_STATUS_TTL", "TRUSTED_PROXY_COUNT", "MAX_CONTENT_LENGTH"} <= keys


def _table_rows() -> list[str]:
    rows = []
    for line in _documented().splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("| `"):
            rows.append(line.split("|")[1])
    return rows


def test_settings_not_marked_file_only_can_be_set_from_the_environment():
    """The README promises: default → instance/config.py → environment, except where a row says "nur Datei"
    (file only), "abgeleitet" (derived, not set at all) or "nur Umgebung" (read by gunicorn or make, not the app)."""
    rows = _table_rows()
    assert len(rows) > 30  # the table was found
    markers = ("nur Datei", "abgeleitet", "nur Umgebung")
    promised = {
        key
        for cell in rows
        if not any(marker in cell for marker in markers)
        for key in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)
    }
    not_readable = sorted(promised - set(ENV_SETTINGS) - {"DATABASE_URL"})
    assert not not_readable, (
        f"README says these can come from the environment, but ENV_SETTINGS lacks them: {not_readable}"
    )
