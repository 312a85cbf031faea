"""Demo points (a new demo database only): a few citizens whose app reports were registered,
some verified (points available), one voided (points taken back), one brought by another's
share link (an assist), and one who reported the same spot again and again (a farming flag to
review). Everything goes through intake, the verbs, the projection and the farming job's
detection, as in a running city."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from urbanops.cases import verbs
from urbanops.core.settings import get_settings
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.identity.roles import SYSTEM
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report
from urbanops.rewards import earning, farming, profiles

# (phone, nickname, reports: (lat, lon, text), how many of them are verified)
DEMO_CITIZENS: list[tuple[str, str, list[tuple[float, float, str]], int]] = [
    (
        "13800000001",
        "文明小王",
        [
            (23.0212, 113.7581, "东城中路人行道上有一堆建筑垃圾"),
            (23.0268, 113.7689, "东城旗峰路边绿化带被人倒了垃圾"),
            (23.0342, 113.7524, "东城万达对面的垃圾桶满了没人清理"),
        ],
        3,
    ),
    (
        "13800000002",
        "街坊阿珍",
        [
            (22.9823, 113.7310, "南城鸿福路有人乱摆摊占道"),
            (22.9761, 113.7402, "南城体育路井盖缺失很危险"),
        ],
        1,
    ),
    ("13800000003", "热心李叔", [(22.8207, 113.6721, "虎门大道旁的护栏倒了")], 1),
]
# reported again and again at one spot (a `same_spot` flag for the rewards clerk)
FARMER = ("13800000009", "刷分测试号", (23.0501, 113.7480, "东城这里有垃圾"))


def _citizen(session: Session, phone: str, nickname: str, now: datetime) -> Citizen:
    person = Citizen(phone=phone, nickname=nickname, created_at=now)
    session.add(person)
    session.flush()
    return person


def _report(session: Session, who: Citizen, at: datetime, where: tuple[float, float, str]) -> Any:
    lat, lon, text = where
    return submit_report(
        session,
        actor=citizen_actor(who),
        now=at,
        data=ReportIn(lat=lat, lon=lon, description=text, matter_code="06042"),
        source="citizen",
        citizen_id=who.id,
    )


def load_demo_points(session: Session, now: datetime) -> int:
    """The demo citizens and their points; returns how many citizens were made."""
    start = now - timedelta(days=2)
    made: list[Citizen] = []
    for i, (phone, nickname, reports, verified) in enumerate(DEMO_CITIZENS):
        who = _citizen(session, phone, nickname, start)
        made.append(who)
        if i == 2:  # brought by the first one's share link: his valid report is an assist
            code = profiles.profile(session, made[0].id, start).share_code
            profiles.record_invite(session, citizen_id=who.id, ref=code, now=start)
        for j, where in enumerate(reports):
            case = _report(session, who, start + timedelta(hours=j), where).case
            if case.status != "dispatched":
                continue
            kw: dict[str, Any] = {
                "actor": SYSTEM,
                "now": now - timedelta(hours=2),
                "case_id": case.id,
            }
            if j < verified:
                verbs.start_case(session, **kw)
                verbs.submit_result(session, note="已清理完毕", **kw)
                verbs.verify_case(session, **kw)
            elif nickname == "街坊阿珍":
                verbs.return_case(session, reason="经核实不属实", **kw)
                verbs.void_case(session, reason="现场未发现问题", **kw)
    phone, nickname, spot = FARMER
    farmer = _citizen(session, phone, nickname, start)
    for k in range(get_settings().rewards.flag_same_spot_reports):
        _report(session, farmer, now - timedelta(hours=5 - k), spot)
    while earning.project(session, now=now) == earning.BATCH:
        pass
    farming.detect(session, now=now)
    return len(made) + 1
