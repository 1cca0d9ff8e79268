"""City-scale data for benchmarks: ``flask seed-bench --clubs 10000``.

Bulk inserts (executemany on the Core tables, explicit ids), one password hash
for all accounts, deterministic random data. Writes clubs, users, memberships,
status history, audit entries, privacy answers + assessments (when the privacy
checklist content has been synced) and meeting runs.
"""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from ..auth.models import User
from ..clubs.models import DISTRICTS, LEGAL_FORMS, Club, ClubStatus, ClubStatusChange, Membership, Role, club_name_key
from ..core.audit import AuditEntry
from ..core.db import utcnow
from ..extensions import db
from ..meetings.models import MeetingRun
from ..privacy.models import Answer, Assessment, ChecklistItem
from .queries import current_version_id

BATCH = 5000
KINDS = (
    "Sportverein",
    "Kleingartenverein",
    "Förderverein",
    "Chor",
    "Kulturverein",
    "Nachbarschaftsinitiative",
    "Schachclub",
    "Imkerverein",
    "Tafel",
    "Jugendclub",
    "Theatergruppe",
    "Umweltinitiative",
    "Elternverein",
    "Ruderclub",
    "Tanzgruppe",
    "Geschichtswerkstatt",
)
PLACES = ("am Kiez", "Nord", "Süd", "Mitte", "an der Spree", "im Park", "am See", "Altstadt", "am Markt", "West")
FIRST = (
    "Anna",
    "Ben",
    "Clara",
    "Deniz",
    "Elif",
    "Finn",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Kemal",
    "Lena",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sami",
    "Tara",
    "Uwe",
    "Vera",
    "Yusuf",
    "Zoe",
)
LAST = (
    "Müller",
    "Schmidt",
    "Yılmaz",
    "Nowak",
    "Becker",
    "Wagner",
    "Hoffmann",
    "Schulz",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Kaya",
)
STATUS_WEIGHTS = (
    (ClubStatus.APPROVED, 85),
    (ClubStatus.PENDING, 8),
    (ClubStatus.REJECTED, 4),
    (ClubStatus.SUSPENDED, 3),
)
ANSWER_WEIGHTS = (("yes", 50), ("partial", 18), ("no", 17), ("na", 5), (None, 10))
FALLBACK_TOPICS = ("grundlagen", "mitglieder", "kommunikation", "sicherheit", "rechte")


def _insert(table, rows):
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(table), rows[start : start + BATCH])


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def seed_bench(
    n_clubs: int,
    *,
    users_per_club: int = 10,
    assessed: float = 0.5,
    password: str = "bench-passwort-123",
    seed: int = 42,
) -> dict:
    rng = random.Random(seed)
    now = utcnow()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA synchronous=OFF"))  # bulk load; the bench DB is throwaway
    password_hash = generate_password_hash(password)
    first_user, first_club = _next_id(User), _next_id(Club)
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    legal_forms = list(LEGAL_FORMS)

    users, clubs, memberships, changes, audits = [], [], [], [], []
    staff_id = first_user
    users.append(
        dict(
            id=staff_id,
            email=f"bench-staff-{first_club}@bench.example",
            name="Bench Team",
            password_hash=password_hash,
            email_confirmed_at=now,
            is_staff=True,
            created_at=now,
        )
    )
    uid = staff_id + 1
    club_status = {}
    for i in range(n_clubs):
        cid = first_club + i
        status = ClubStatus.APPROVED if i == 0 else rng.choices(statuses, weights)[0]
        created = now - timedelta(days=rng.randint(1, 3 * 365), minutes=rng.randint(0, 1440))
        district = rng.choice(DISTRICTS)
        name = f"{rng.choice(KINDS)} {district.split('-')[0]} {rng.choice(PLACES)} {cid}"
        club_status[cid] = status
        clubs.append(
            dict(
                id=cid,
                slug=f"bench-{cid}",
                name=name,
                name_key=club_name_key(name),
                legal_form=rng.choice(legal_forms),
                district=district,
                contact_email=f"kontakt-{cid}@bench.example",
                website=None,
                description=f"Benchmark-Verein {cid}",
                status=status,
                status_reason="Benchmark" if status in (ClubStatus.REJECTED, ClubStatus.SUSPENDED) else None,
                created_at=created,
                approved_at=created + timedelta(days=2) if status is not ClubStatus.PENDING else None,
                created_by_id=uid,
            )
        )
        changes.append(
            dict(
                club_id=cid,
                old_status=None,
                new_status=ClubStatus.PENDING,
                changed_by_id=uid,
                created_at=created,
                reason=None,
            )
        )
        audits.append(
            dict(created_at=created, actor_id=uid, club_id=cid, action="club.registered", details={"name": name})
        )
        if status is not ClubStatus.PENDING:
            decided = created + timedelta(days=2)
            first = ClubStatus.REJECTED if status is ClubStatus.REJECTED else ClubStatus.APPROVED
            changes.append(
                dict(
                    club_id=cid,
                    old_status=ClubStatus.PENDING,
                    new_status=first,
                    changed_by_id=staff_id,
                    created_at=decided,
                    reason="Benchmark" if first is ClubStatus.REJECTED else None,
                )
            )
            audits.append(
                dict(
                    created_at=decided,
                    actor_id=staff_id,
                    club_id=cid,
                    action=f"club.{first.value}",
                    details={"old": "pending"},
                )
            )
            if status is ClubStatus.SUSPENDED:
                changes.append(
                    dict(
                        club_id=cid,
                        old_status=ClubStatus.APPROVED,
                        new_status=status,
                        changed_by_id=staff_id,
                        created_at=decided + timedelta(days=30),
                        reason="Benchmark",
                    )
                )
        for j in range(users_per_club):
            users.append(
                dict(
                    id=uid,
                    email=f"u{uid}@bench.example",
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    password_hash=password_hash,
                    email_confirmed_at=created,
                    is_staff=False,
                    created_at=created,
                )
            )
            role = Role.BOARD if j == 0 or (j == 1 and rng.random() < 0.5) else Role.MEMBER
            memberships.append(dict(club_id=cid, user_id=uid, role=role, created_at=created))
            uid += 1

    _insert(User.__table__, users)
    _insert(Club.__table__, clubs)
    _insert(Membership.__table__, memberships)
    _insert(ClubStatusChange.__table__, changes)
    _insert(AuditEntry.__table__, audits)
    summary = {
        "Vereine": len(clubs),
        "Konten": len(users),
        "Mitgliedschaften": len(memberships),
        "Protokolleinträge": len(audits),
    }

    approved = [cid for cid, s in club_status.items() if s in (ClubStatus.APPROVED, ClubStatus.SUSPENDED)]
    summary.update(_seed_privacy(rng, approved, assessed, now, first_club, n_clubs))
    summary.update(_seed_meetings(rng, approved, now))
    db.session.commit()
    _refresh_planner_statistics()
    summary["Login Team"] = users[0]["email"]
    summary["Login Vorstand"] = f"u{staff_id + 1}@bench.example (Verein bench-{first_club})"
    summary["Passwort"] = password
    return summary


def _refresh_planner_statistics() -> None:
    """What autovacuum and ANALYZE do on a running server within minutes of a bulk load: planner statistics,
    and on PostgreSQL the visibility map that lets index-only scans skip the table. Without it a benchmark
    right after seeding measures a state production never stays in."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        else:
            connection.exec_driver_sql("ANALYZE")


def _seed_privacy(rng, approved, share, now, first_club, n_clubs) -> dict:
    Item = ChecklistItem
    items = db.session.execute(
        sa.select(Item.key, Item.topic_key, Item.severity, Item.content_hash).where(
            Item.version_id == current_version_id()
        )
    ).all()
    if not items:
        return {}
    count = min(len(approved), round(n_clubs * share))  # "half the clubs" means half of all clubs
    chosen = set(rng.sample(approved, count)) if count else set()
    chosen.add(first_club)
    answers, assessments = [], []
    weight_of = {"must": 3, "should": 2, "tip": 1}
    credit = {"yes": 1.0, "partial": 0.5, "no": 0.0}
    statuses = [s for s, _ in ANSWER_WEIGHTS]
    weights = [w for _, w in ANSWER_WEIGHTS]
    for cid in sorted(chosen):
        started = now - timedelta(days=rng.randint(1, 300))
        tw = tc = 0.0
        topics: dict[str, list[float]] = {}
        answered = 0
        for key, topic, severity, content_hash in items:
            status = rng.choices(statuses, weights)[0]
            if status is None:
                w, c = weight_of.get(severity, 1), 0.0
            elif status == "na":
                answers.append(
                    dict(
                        club_id=cid,
                        item_key=key,
                        status=status,
                        item_hash=content_hash,
                        version=1,
                        updated_at=started,
                        note=None,
                    )
                )
                answered += 1
                continue
            else:
                w = 4 if (status == "no" and severity == "must") else weight_of.get(severity, 1)
                c = credit[status]
                answers.append(
                    dict(
                        club_id=cid,
                        item_key=key,
                        status=status,
                        item_hash=content_hash,
                        version=1,
                        updated_at=started,
                        note="Notiz des Vereins" if rng.random() < 0.1 else None,
                    )
                )
                answered += 1
            tw += w
            tc += w * c
            bucket = topics.setdefault(topic, [0.0, 0.0])
            bucket[0] += w
            bucket[1] += w * c
        assessments.append(
            dict(
                club_id=cid,
                score=round(100 * tc / tw) if tw and answered else None,
                topic_scores={k: round(100 * c / w) for k, (w, c) in topics.items() if w} if answered else {},
                answered_count=answered,
                applicable_count=len(items),
                profile={},
                members_may_answer=False,
                consultation_wanted=rng.random() < 0.05,
                started_at=started,
                updated_at=started + timedelta(days=1),
            )
        )
    _insert(Assessment.__table__, assessments)
    _insert(Answer.__table__, answers)
    return {"Selbstchecks": len(assessments), "Antworten": len(answers)}


def _seed_meetings(rng, approved, now) -> dict:
    runs = []
    for cid in approved:
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 6)):
                started = now - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1440))
                runs.append(
                    dict(
                        club_id=cid,
                        room_id=None,
                        started_at=started,
                        ended_at=started + timedelta(minutes=rng.randint(20, 120)),
                    )
                )
    _insert(MeetingRun.__table__, runs)
    return {"Konferenzen": len(runs)}
