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
