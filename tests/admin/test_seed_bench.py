"""``flask seed-bench``: the city-scale data set the benchmark runs on (bench/run.py), in small."""

import sqlalchemy as sa

from app.extensions import db


def _load_checklist():
    from app.privacy.content import sync

    sync()


def test_seed_bench_builds_a_consistent_data_set_the_admin_pages_serve(app, runner, client_for):
    from app.admin.statistics import statistics
    from app.auth.models import User
    from app.clubs.models import Club, Membership
    from app.privacy.models import Answer, Assessment

    _load_checklist()
    result = runner.invoke(args=["seed-bench", "--clubs", "40", "--users-per-club", "3", "--password", "bench-pw-123"])
    assert result.exit_code == 0, result.output
    assert "Vereine: 40" in result.output

    assert db.session.scalar(sa.select(sa.func.count(Club.id))) == 40
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 40 * 3
    # every answer belongs to a club with an assessment; the statistics see them
    assessed = db.session.scalar(sa.select(sa.func.count(Assessment.id)))
    assert 0 < assessed < 40
    orphans = db.session.scalar(
        sa.select(sa.func.count(Answer.id)).where(~Answer.club_id.in_(sa.select(Assessment.club_id)))
    )
    assert orphans == 0
    stats = statistics()
    assert sum(stats.by_status.values()) == 40
    assert stats.open_items and all(n > 0 for *_rest, n in stats.open_items)
    assert [n for *_rest, n in stats.open_items] == sorted((n for *_rest, n in stats.open_items), reverse=True)

    # the seeded staff account is real staff; the admin list serves the seeded clubs
    staff = db.session.scalar(sa.select(User).where(User.is_staff.is_(True), User.email.like("bench-staff-%")))
    from tests.conftest import enrol_two_factor

    enrol_two_factor(staff)
    page = client_for(staff).get("/admin/vereine?status=approved")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    approved = db.session.scalars(sa.select(Club.id).where(Club.status == "approved")).all()
    assert approved and any(f"/admin/vereine/{club_id}" in html for club_id in approved)


def test_seed_bench_leaves_planner_statistics_fresh(app, runner):
    """After a bulk load the planner knows the tables' sizes (ANALYZE / VACUUM ANALYZE), as autovacuum would
    shortly after on a running server."""
    _load_checklist()
    result = runner.invoke(args=["seed-bench", "--clubs", "30", "--users-per-club", "2"])
    assert result.exit_code == 0, result.output
    if db.engine.dialect.name == "postgresql":
        analyzed = db.session.scalar(
            sa.text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'privacy_answer'")
        )
        assert analyzed
    else:
        rows = db.session.execute(sa.text("SELECT tbl FROM sqlite_stat1")).scalars().all()
        assert "privacy_answer" in rows
