from tests.workshops.conftest import make_schedule, make_workshop  # noqa: F401  (shared fixtures)
