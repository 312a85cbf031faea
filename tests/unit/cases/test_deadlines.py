from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from urbanops.cases.deadlines import Ladder, LadderPolicy, ladder_level, next_step_at

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DUE = START + timedelta(hours=10)
POLICY = LadderPolicy(
    remind_fraction=0.2, urge_after=timedelta(hours=24), escalate_after=timedelta(hours=72)
)


@pytest.mark.parametrize(
    ("offset_h", "level"),
    [
        (0, Ladder.none),
        (7.9, Ladder.none),
        (8, Ladder.reminded),
        (9.99, Ladder.reminded),
        (10, Ladder.overdue),
        (33.9, Ladder.overdue),
        (34, Ladder.urged),
        (81.9, Ladder.urged),
        (82, Ladder.escalated),
        (500, Ladder.escalated),
    ],
)
def test_ladder_levels(offset_h: float, level: Ladder) -> None:
    assert ladder_level(START + timedelta(hours=offset_h), START, DUE, POLICY) is level


def test_next_step_walks_the_ladder() -> None:
    steps = [next_step_at(level, START, DUE, POLICY) for level in Ladder]
    assert steps == [
        START + timedelta(hours=8),
        DUE,
        DUE + timedelta(hours=24),
        DUE + timedelta(hours=72),
        None,
    ]
    # the level at each scheduled step is the next one
    for level, at in zip(list(Ladder)[:-1], steps[:-1], strict=True):
        assert at is not None
        assert ladder_level(at, START, DUE, POLICY) == level + 1
