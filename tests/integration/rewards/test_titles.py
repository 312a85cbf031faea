"""Titles and badges: the ledger's trigger counts valid reports (first release of a case) and
assists and writes the award job; awards follow the settings' thresholds, once each; the
month's 文明得分王 are its board's first N (ties included); the citizen's progress and the
public honour roll.

Months and weeks are long past (2020) so that no other test's entries are on their boards."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tests import factories
from tests.integration.jobs.conftest import work_off_jobs
from urbanops.core.settings import get_settings
from urbanops.identity.models import Citizen
from urbanops.notifications.models import Notification
from urbanops.rewards import boards, ledger, profiles, titles
from urbanops.rewards.title_models import RewardProgress, TitleAward
from urbanops.worker import job_app

JAN = datetime(2020, 1, 10, 4, tzinfo=UTC)
_phone = iter(range(13700030000, 13700039999))


def person(session: Session, nickname: str = "街坊") -> Citizen:
    return factories.citizen(session, str(next(_phone)), now=JAN, nickname=nickname)


def post(
    session: Session, p: Citizen, kind: str, ref: str, at: datetime = JAN, **points: int
) -> None:
    ref_type = "assist" if kind == "assist" else "case"
    ledger.post(
        session,
        citizen_id=p.id,
        kind=kind,
        key=f"tt:{kind}:{p.id}:{ref}:{secrets.token_hex(3)}",
        now=at,
        reason="测试",
        ref_type=ref_type,
        ref_id=ref,
        **points,
    )


def valid_report(session: Session, p: Citizen, ref: str, at: datetime = JAN) -> None:
    post(session, p, "earn", ref, at, pending=20)
    post(session, p, "release", ref, at + timedelta(hours=1), pending=-20, available=20)


def awards(session: Session, citizen_id: int) -> list[tuple[str, int, str]]:
    rows = session.execute(
        select(TitleAward.title, TitleAward.level, TitleAward.period)
        .where(TitleAward.citizen_id == citizen_id)
        .order_by(TitleAward.title, TitleAward.level)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def inbox(session: Session, citizen_id: int) -> list[str]:
    return sorted(
        session.scalars(
            select(Notification.title).where(
                Notification.recipient_kind == "citizen", Notification.recipient_id == citizen_id
            )
        )
    )


def outbox_jobs(session: Session, citizen_id: int) -> int:
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM job_outbox WHERE task = 'titles:award_titles'"
                " AND (args->>'citizen_id')::bigint = :cid"
            ),
            {"cid": citizen_id},
        )
        or 0
    )


def test_valid_reports_and_assists_are_counted_and_awarded_once(session: Session) -> None:
    p = person(session)
    post(session, p, "earn", "701", pending=20)
    assert session.get(RewardProgress, p.id) is None  # pending points are no valid report yet
    assert titles.award_titles(session, citizen_id=p.id) == []
    post(session, p, "release", "701", pending=-20, available=20)
    post(session, p, "earn", "701", pending=5)
    post(session, p, "release", "701", pending=-5, available=5)  # a second release: one case
    progress = session.get(RewardProgress, p.id)
    assert progress is not None and (progress.valid_reports, progress.assists) == (1, 0)
    assert outbox_jobs(session, p.id) == 1
    assert "titles:award_titles" in job_app().tasks

    new = titles.award_titles(session, citizen_id=p.id)
    assert {(a.title, a.level) for a in new} == {("newcomer", 1), ("reports", 1)}
    assert all(a.awarded_at == progress.updated_at for a in new)
    assert titles.award_titles(session, citizen_id=p.id) == []
    assert inbox(session, p.id) == ["「文明随手拍勋章」升至 1 级", "恭喜获得「文明新秀」称号"]

    for n in range(4):
        valid_report(session, p, f"71{n}")
    for n in range(3):
        post(session, p, "assist", f"a{n}", available=10)
    titles.award_titles(session, citizen_id=p.id)
    assert awards(session, p.id) == [
        ("assist_king", 1, ""),
        ("newcomer", 1, ""),
        ("reports", 1, ""),
        ("reports", 2, ""),  # 5 valid reports: the second threshold
    ]


def test_thresholds_come_from_the_settings(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = get_settings().rewards
    monkeypatch.setattr(cfg, "badge_levels", [2, 3])
    monkeypatch.setattr(cfg, "assist_title_assists", 5)
    p = person(session)
    valid_report(session, p, "801")
    post(session, p, "assist", "b1", available=10)
    titles.award_titles(session, citizen_id=p.id)
    assert awards(session, p.id) == [("newcomer", 1, "")]
    valid_report(session, p, "802")
    valid_report(session, p, "803")
    titles.award_titles(session, citizen_id=p.id)
    assert awards(session, p.id) == [("newcomer", 1, ""), ("reports", 1, ""), ("reports", 2, "")]
    with pytest.raises(ValueError, match="ascending"):
        type(cfg)(badge_levels=[5, 1])


def test_the_months_top_scorers_become_score_kings_once(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().rewards, "score_title_top", 2)
    month, at = "2020-03", datetime(2020, 3, 9, 4, tzinfo=UTC)
    people = {name: person(session, name) for name in ("冠军", "并列甲", "并列乙", "第四", "隐身")}
    for name, reports in (("冠军", 6), ("并列甲", 4), ("并列乙", 4), ("第四", 2), ("隐身", 9)):
        for n in range(reports):
            valid_report(session, people[name], f"{people[name].id}-{n}", at)
    boards.set_listed(session, citizen_id=people["隐身"].id, listed=False, now=at)
    frozen = person(session, "冻结")  # the month's best, but staff froze their earning
    for n in range(12):
        valid_report(session, frozen, f"{frozen.id}-{n}", at)
    profiles.profile(session, frozen.id, at).frozen_at = at
    session.flush()

    after = datetime(2020, 4, 1, 0, 10, tzinfo=boards.BEIJING)
    assert titles.previous_month(after) == month
    assert titles.award_score_kings(session, month=month, now=after) == 3
    assert titles.award_score_kings(session, month=month, now=after) == 0
    assert inbox(session, people["冠军"].id) == ["恭喜当选 2020-03 月「文明得分王」"]
    assert inbox(session, people["第四"].id) == []
    kings = session.execute(
        select(Citizen.nickname, TitleAward.rank, TitleAward.score)
        .join(Citizen, Citizen.id == TitleAward.citizen_id)
        .where(TitleAward.title == "score_king", TitleAward.period == month)
        .order_by(TitleAward.rank, Citizen.nickname)
    ).all()
    assert [tuple(k) for k in kings] == [("冠军", 1, 120), ("并列乙", 2, 80), ("并列甲", 2, 80)]

    roll = client.get(f"/api/v1/rewards/honour-roll?month={month}")
    assert roll.status_code == 200, roll.text
    body = roll.json()
    assert [(k["nickname"], k["rank"]) for k in body["score_kings"]] == [
        ("冠军", 1),
        ("并列甲", 2),
        ("并列乙", 2),
    ]  # ties in the order they joined
    for p in people.values():
        titles.award_titles(session, citizen_id=p.id)
    body = client.get(f"/api/v1/rewards/honour-roll?month={month}").json()
    assert body["newcomers"] == 5 and body["titled"] == 5
    assert "phone" not in roll.text and people["冠军"].phone not in roll.text
    # a king who later stays off the boards is honoured without a name
    boards.set_listed(session, citizen_id=people["冠军"].id, listed=False, now=after)
    body = client.get(f"/api/v1/rewards/honour-roll?month={month}").json()
    assert body["score_kings"][0]["nickname"] == titles.HIDDEN_NAME
    assert client.get("/api/v1/rewards/honour-roll?month=2020-13").status_code == 422


def test_the_citizen_sees_titles_and_progress(session: Session, client: TestClient) -> None:
    p = person(session, "进度")
    for n in range(6):
        valid_report(session, p, f"{p.id}-p{n}")
    post(session, p, "assist", "c1", available=10)
    titles.award_titles(session, citizen_id=p.id)
    raw = factories.citizen_token(session, p.id)
    session.flush()
    r = client.get("/api/v1/citizen/rewards/titles", headers={"X-Citizen-Token": raw})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid_reports"] == 6 and body["assists"] == 1
    assert {(t["name"], t["level"]) for t in body["titles"]} == {
        ("文明新秀", 1),
        ("文明随手拍勋章", 1),
        ("文明随手拍勋章", 2),
    }
    badge = next(x for x in body["progress"] if x["code"] == "reports")
    assert (badge["level"], badge["next_at"], badge["count"]) == (2, 10, 6)
    assist = next(x for x in body["progress"] if x["code"] == "assist_king")
    assert (assist["level"], assist["next_at"]) == (0, 3)
    assert client.get("/api/v1/citizen/rewards/titles").status_code == 401


def test_a_committed_release_is_awarded_by_a_real_worker(committed: sessionmaker[Session]) -> None:
    with committed() as s:
        p = person(s, "真队列")
        s.commit()
        valid_report(s, p, f"{p.id}-w")
        s.commit()
        cid = p.id
    work_off_jobs()
    with committed() as s:
        assert awards(s, cid) == [("newcomer", 1, ""), ("reports", 1, "")]


def test_the_demo_month_has_the_campaigns_titles(session: Session) -> None:
    from urbanops.rewards.demo_campaign import CITIZENS, load_demo_campaign

    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    if session.scalar(select(Citizen.id).where(Citizen.phone.startswith("1990000")).limit(1)):
        pytest.skip("the demo month is loaded in this database")
    assert load_demo_campaign(session, now) == CITIZENS
    assert load_demo_campaign(session, now) == 0
    roll = titles.honour_roll(session, month="2026-11")
    assert len(roll.score_kings) >= get_settings().rewards.score_title_top
    assert len(roll.assist_kings) >= 6 and roll.newcomers >= CITIZENS
    reports = session.scalar(
        text(
            "SELECT sum(valid_reports) FROM reward_progress p JOIN citizen c"
            " ON c.id = p.citizen_id WHERE c.phone LIKE '1990000%'"
        )
    )
    assert 900 <= int(reports or 0) <= 1100


def test_the_score_kings_job_runs_daily_at_0010_beijing_for_the_month_before() -> None:
    registry = job_app().periodic_registry
    (task,) = [
        pt for pt in registry.periodic_tasks.values() if pt.task.name == "titles:award_score_kings"
    ]
    after = datetime(2026, 11, 30, 23, 0, tzinfo=boards.BEIJING)
    at = datetime.fromtimestamp(
        task.croniter.get_next(ret_type=float, start_time=after.timestamp()), UTC
    ).astimezone(boards.BEIJING)
    assert (at.day, at.hour, at.minute) == (1, 0, 10)
    assert titles.previous_month(at) == "2026-11"
