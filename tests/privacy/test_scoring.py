"""The score formula (documented in app.privacy.services.compute_scores)."""

from types import SimpleNamespace

import pytest

from app.privacy.services import ItemState, applicability, compute_scores


def item(key, severity="must", topic="t1", applies_if=(), content_hash="h"):
    return SimpleNamespace(
        key=key,
        severity=severity,
        topic_key=topic,
        applies_if=list(applies_if),
        content_hash=content_hash,
        change=None,
        position=0,
        chapters=[],
    )


def state(severity, status, topic="t1", applicable=True, item_hash="h"):
    answer = SimpleNamespace(status=status, item_hash=item_hash, due_date=None) if status is not None else None
    return ItemState(item(f"{severity}-{status}", severity, topic), answer, applicable, None)


def test_all_yes_is_100_and_nothing_is_none():
    assert compute_scores([state("must", "yes"), state("tip", "yes")]) == (100, {"t1": 100})
    assert compute_scores([]) == (None, {})


def test_weights_by_severity():
    # Pflicht (3) yes, Empfehlung (2) open, Tipp (1) open -> 3 / 6
    assert compute_scores([state("must", "yes"), state("should", None), state("tip", None)])[0] == 50
    # Tipp yes, Pflicht open -> 1 / 4
    assert compute_scores([state("tip", "yes"), state("must", None)])[0] == 25


def test_partial_gives_half_credit():
    assert compute_scores([state("must", "partial")])[0] == 50
    assert compute_scores([state("should", "partial"), state("should", "yes")])[0] == 75


def test_no_on_a_pflicht_item_weighs_most():
    open_must = compute_scores([state("tip", "yes"), state("must", None)])[0]
    no_must = compute_scores([state("tip", "yes"), state("must", "no")])[0]
    no_should = compute_scores([state("tip", "yes"), state("should", "no")])[0]
    no_tip = compute_scores([state("tip", "yes"), state("tip", "no")])[0]
    assert no_must == 20  # 1 / (1 + 4)
    assert no_must < open_must < no_should < no_tip


def test_not_applicable_and_na_answers_do_not_count():
    states = [state("must", "yes"), state("must", None, applicable=False), state("must", "na")]
    assert compute_scores(states) == (100, {"t1": 100})


def test_stale_answer_counts_as_open():
    assert compute_scores([state("must", "yes", item_hash="old"), state("must", "yes")])[0] == 50


def test_topic_scores():
    states = [state("must", "yes", "a"), state("must", "no", "b"), state("tip", None, "c", applicable=False)]
    score, topics = compute_scores(states)
    assert topics == {"a": 100, "b": 0}
    assert score == round(100 * 3 / 7)


@pytest.mark.parametrize(
    "profile, applies",
    [
        ({}, True),  # not answered yet: show it
        ({"website": True}, True),
        ({"website": False, "social": True}, True),  # any condition is enough
        ({"website": False, "social": False}, False),
    ],
)
def test_applicability(profile, applies):
    result, reason = applicability(item("web-publish", applies_if=["website", "social"]), profile)
    assert result is applies
    assert (reason is None) is applies
    if not applies:
        assert "keine eigene Website" in reason
