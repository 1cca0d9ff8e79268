"""Fixtures of the processing-agreement tests: the self-check content and profile fixtures of the privacy tests."""

from tests.privacy.conftest import answer, content, set_profile  # noqa: F401  (fixtures)
