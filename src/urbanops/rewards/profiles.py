"""Citizens' rewards profiles: the share code of their links (助攻), who invited them, and the
freeze that staff set by confirming a farming flag.

A profile is made on first need (the rewards page, a sign-in through a link). The inviter is set
once, at the sign-in that creates the citizen's account: a link opened by someone who already
has an account brings no one. A code that names no one is ignored (a stale link must not stop a
sign-in).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.rewards.earning_models import RewardsProfile
from urbanops.rewards.vouchers import ALPHABET

SHARE_CODE_LENGTH = 8  # 29^8 ≈ 5·10^11: codes are public (in links), guessing one brings nothing
SHARE_CODE = re.compile(rf"^[{ALPHABET}]{{{SHARE_CODE_LENGTH}}}$")


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SHARE_CODE_LENGTH))


def profile(session: Session, citizen_id: int, now: datetime) -> RewardsProfile:
    """The citizen's profile, made now when they have none (safe against a concurrent twin)."""
    found = session.get(RewardsProfile, citizen_id)
    if found is not None:
        return found
    while True:
        made = session.execute(
            insert(RewardsProfile)
            .values(citizen_id=citizen_id, share_code=_new_code(), created_at=now)
            .on_conflict_do_nothing()
            .returning(RewardsProfile.citizen_id)
        ).scalar_one_or_none()
        row = session.get(RewardsProfile, citizen_id, populate_existing=True)
        if row is not None:
            return row
        assert made is None  # the code was taken by another citizen: draw again


def find_profile(session: Session, citizen_id: int) -> RewardsProfile | None:
    return session.get(RewardsProfile, citizen_id)


def by_share_code(session: Session, code: str) -> RewardsProfile | None:
    code = (code or "").strip().upper()
    if not SHARE_CODE.match(code):
        return None
    return session.scalar(select(RewardsProfile).where(RewardsProfile.share_code == code))


def record_invite(session: Session, *, citizen_id: int, ref: str | None, now: datetime) -> bool:
    """At a new citizen's first sign-in: remember who brought them (the owner of share code
    `ref`). False when the code names no one, or the citizen themselves, or they have an
    inviter already."""
    if not ref:
        return False
    inviter = by_share_code(session, ref)
    if inviter is None or inviter.citizen_id == citizen_id:
        return False
    mine = profile(session, citizen_id, now)
    if mine.invited_by_id is not None:
        return False
    mine.invited_by_id = inviter.citizen_id
    mine.invited_at = now
    session.flush()
    return True


def is_frozen(session: Session, citizen_id: int) -> bool:
    row = session.get(RewardsProfile, citizen_id)
    return row is not None and row.frozen_at is not None
