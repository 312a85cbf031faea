"""Deadline rules: the stage clock and the escalation ladder. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum


class Ladder(IntEnum):
    """Escalation levels a running stage climbs (stored in `Case.escalation_level`)."""

    none = 0
    reminded = 1  # 临期提醒: the stage's last `remind_fraction` has begun
    overdue = 2  # 超期: past due
    urged = 3  # 督办: `urge_after` past due
    escalated = 4  # 提级: `escalate_after` past due, to the leader in charge


@dataclass(frozen=True)
class LadderPolicy:
    remind_fraction: float = 0.2
    urge_after: timedelta = timedelta(hours=24)
    escalate_after: timedelta = timedelta(hours=72)


def ladder_level(
    now: datetime, started_at: datetime, due_at: datetime, policy: LadderPolicy
) -> Ladder:
    """The level a stage that started at `started_at` and is due at `due_at` has reached."""
    if now >= due_at + policy.escalate_after:
        return Ladder.escalated
    if now >= due_at + policy.urge_after:
        return Ladder.urged
    if now >= due_at:
        return Ladder.overdue
    remind_at = due_at - (due_at - started_at) * policy.remind_fraction
    if now >= remind_at:
        return Ladder.reminded
    return Ladder.none


def next_step_at(
    level: int, started_at: datetime, due_at: datetime, policy: LadderPolicy
) -> datetime | None:
    """When a stage at `level` reaches its next level (None at the top of the ladder)."""
    if level < Ladder.reminded:
        return due_at - (due_at - started_at) * policy.remind_fraction
    if level < Ladder.overdue:
        return due_at
    if level < Ladder.urged:
        return due_at + policy.urge_after
    if level < Ladder.escalated:
        return due_at + policy.escalate_after
    return None
