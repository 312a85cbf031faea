"""Leaderboards: the score counts what was earned (spending never lowers it), ranks come from the
histogram the trigger keeps, towns are the cases', nicknames only, and a citizen may stay off.

Rank assertions use weeks long past (2019–2021) that other tests never post in, and scores far
above anything else on the shared all-time board."""

from __future__ import annotations

import re
import secrets
import threading
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests import factories
from urbanops.identity import citizens
from urbanops.identity.models import Citizen
from urbanops.rewards import boards, ledger

DONGCHENG_TOWN = "441900003"
HUMEN_TOWN = "441900121"
_phone = iter(range(13700020000, 13700029999))


def person(session: Session, nickname: str = "街坊", home: str | None = None) -> Citizen:
    p = factories.citizen(
        session, str(next(_phone)), now=datetime(2019, 1, 1, tzinfo=UTC), nickname=nickname
    )
    p.home_town_code = home
    session.flush()
    return p


def signed_in(session: Session, p: Citizen) -> dict[str, str]:
    raw = factories.citizen_token(session, p.id)
    session.flush()
    return {"X-Citizen-Token": raw}


def post(
    session: Session,
    p: Citizen,
    kind: str,
    at: datetime,
    *,
    pending: int = 0,
    available: int = 0,
    ref_type: str = "case",
    ref_id: str | int = 0,
) -> None:
    ledger.post(
        session,
        citizen_id=p.id,
        kind=kind,
        key=f"t:{kind}:{p.id}:{ref_type}:{ref_id}:{secrets.token_hex(4)}",
        now=at,
        reason="测试",
        ref_type=ref_type,
        ref_id=ref_id,
        pending=pending,
        available=available,
    )


def test_the_score_counts_earnings_not_spending_and_a_clawback_its_earnings_week(
    session: Session,
) -> None:
    week1 = datetime(2019, 3, 5, 2, tzinfo=UTC)  # Tuesday of 2019-W10 (Beijing)
    week2 = datetime(2019, 3, 12, 2, tzinfo=UTC)  # 2019-W11
    p = person(session)
    post(session, p, "earn", week1, pending=20, ref_id=901)
    post(session, p, "earn", week1, pending=20, ref_id=902)
    post(session, p, "release", week2, pending=-20, available=20, ref_id=901)
    post(session, p, "assist", week2, available=10, ref_type="assist", ref_id=p.id)
    post(session, p, "spend", week2, available=-30, ref_type="redemption", ref_id=1)
    post(session, p, "adjust", week2, available=500, ref_type="adjustment", ref_id=1)
    post(session, p, "clawback", week2, pending=-20, ref_id=902)

    def score(key: str) -> int:
        return boards.standing(session, key, "city", p.id).score

    assert score("2019-W10") == 20  # 40 earned, the clawed-back 20 taken from this week
    assert score("2019-W11") == 10  # the assist; the release moved nothing, spending neither
    assert score("2019-03") == 30 and score("all") == 30
    assert boards.tally_drift(session, [p.id]) == []
    for key in ("2019-W10", "2019-W11", "2019-03"):
        assert boards.histogram_drift(session, key, "city") == []


def test_ranks_ties_top_and_me_through_the_api(session: Session, client: TestClient) -> None:
    at = datetime(2020, 6, 2, 3, tzinfo=UTC)  # 2020-W23
    scores = {"甲": 60, "乙": 40, "丙": 40, "丁": 20}
    people = {name: person(session, f"榜{name}") for name in scores}
    for name, points in scores.items():
        for i in range(points // 20):
            post(session, people[name], "earn", at, pending=20, ref_id=1000 + i)
    anonymous = person(session, nickname="")
    post(session, anonymous, "earn", at, pending=20, ref_id=1)

    assert boards.standing(session, "2020-W23", "city", people["甲"].id).rank == 1
    ranks = {n: boards.standing(session, "2020-W23", "city", p.id).rank for n, p in people.items()}
    assert ranks == {"甲": 1, "乙": 2, "丙": 2, "丁": 4}

    me = signed_in(session, people["丙"])
    r = client.get("/api/v1/citizen/boards?period=week&day=2020-06-03", headers=me)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period_key"] == "2020-W23" and body["period_label"] == "周榜"
    assert body["me"] == {"score": 40, "rank": 2, "listed": True}
    mine = [row for row in body["top"] if row["nickname"].startswith("榜")]
    assert [(row["nickname"], row["rank"]) for row in mine] == [
        ("榜甲", 1),
        ("榜乙", 2),
        ("榜丙", 2),
        ("榜丁", 4),
    ]
    assert [row["is_me"] for row in mine] == [False, False, True, False]
    masked = citizens.mask_phone(anonymous.phone)
    assert any(row["nickname"] == f"市民{masked}" for row in body["top"])
    assert anonymous.phone not in r.text

    public = client.get("/api/v1/rewards/boards?period=week&day=2020-06-03")
    assert public.status_code == 200
    assert "me" not in public.json() and "citizen_id" not in public.text
    assert all(set(row) == {"rank", "nickname", "score"} for row in public.json()["top"])
    assert client.get("/api/v1/citizen/boards").status_code == 401


def test_staying_off_the_boards_takes_a_citizen_off_every_board_at_once(
    session: Session, client: TestClient
) -> None:
    at = datetime(2021, 2, 2, 3, tzinfo=UTC)  # 2021-W05
    high, low = person(session, "高分"), person(session, "低分")
    post(session, high, "earn", at, pending=100_000, ref_type="adjustment", ref_id=1)
    post(session, low, "earn", at, pending=90_000, ref_type="adjustment", ref_id=1)
    headers = signed_in(session, high)
    assert client.get("/api/v1/citizen/boards/preference", headers=headers).json() == {
        "listed": True
    }
    assert boards.standing(session, "2021-W05", "city", low.id).rank == 2

    off = client.put("/api/v1/citizen/boards/preference", json={"listed": False}, headers=headers)
    assert off.status_code == 200 and off.json() == {"listed": False}
    for key in ("2021-W05", "2021-02", "all"):
        assert boards.standing(session, key, "city", low.id).rank is not None
        assert boards.histogram_drift(session, key, "city") == []
    assert boards.standing(session, "2021-W05", "city", low.id).rank == 1
    r = client.get("/api/v1/citizen/boards?period=week&day=2021-02-02", headers=headers).json()
    assert r["me"] == {"score": 100_000, "rank": None, "listed": False}
    assert "高分" not in [row["nickname"] for row in r["top"]]
    # points earned while off stay off the boards
    post(session, high, "earn", at, pending=20, ref_type="adjustment", ref_id=2)
    assert boards.histogram_drift(session, "2021-W05", "city") == []

    back = client.put("/api/v1/citizen/boards/preference", json={"listed": True}, headers=headers)
    assert back.json() == {"listed": True}
    assert boards.standing(session, "2021-W05", "city", high.id).rank == 1
    assert boards.standing(session, "2021-W05", "city", low.id).rank == 2
    assert boards.histogram_drift(session, "2021-W05", "city") == []
    bad = client.put("/api/v1/citizen/boards/preference", json={"listed": "x"}, headers=headers)
    assert bad.status_code == 422


def test_a_case_counts_on_its_towns_board_an_assist_on_the_home_towns(
    session: Session, client: TestClient
) -> None:
    at = datetime(2021, 5, 11, 3, tzinfo=UTC)  # 2021-W19
    p = person(session, "跨镇", home=HUMEN_TOWN)
    case = factories.report_case(session, now=at).case
    assert case.town_code == DONGCHENG_TOWN
    post(session, p, "earn", at, pending=20, ref_id=case.id)
    post(session, p, "assist", at, available=10, ref_type="assist", ref_id=p.id)
    assert boards.standing(session, "2021-W19", DONGCHENG_TOWN, p.id).score == 20
    assert boards.standing(session, "2021-W19", HUMEN_TOWN, p.id).score == 10
    assert boards.standing(session, "2021-W19", "city", p.id).score == 30
    assert boards.tally_drift(session, [p.id]) == []

    headers = signed_in(session, p)
    home = client.get(
        "/api/v1/citizen/boards?period=week&scope=town&day=2021-05-11", headers=headers
    ).json()
    assert home["town_code"] == HUMEN_TOWN and home["town_name"] and home["me"]["score"] == 10
    there = client.get(
        f"/api/v1/citizen/boards?period=week&scope=town&town={DONGCHENG_TOWN}&day=2021-05-11",
        headers=headers,
    ).json()
    assert there["me"]["score"] == 20 and there["me"]["rank"] is not None

    assert client.get("/api/v1/rewards/boards?scope=town").json()["code"] == "town_required"
    unknown = client.get("/api/v1/rewards/boards?scope=town&town=441900999")
    assert unknown.status_code == 404 and "镇街" in unknown.json()["detail"]
    assert client.get("/api/v1/rewards/boards?period=year").status_code == 422
    assert client.get("/api/v1/rewards/boards?town=abc&scope=town").status_code == 422
    assert client.get("/api/v1/rewards/boards?day=1900-01-01").status_code == 422


def test_concurrent_postings_keep_tallies_and_histogram_exact(
    committed: sessionmaker[Session],
) -> None:
    """Eight citizens post at once, earning and clawing back over the same scores: no
    deadlock, and every tally and histogram count matches a recount of the ledger."""
    at = datetime(2019, 8, 6, 3, tzinfo=UTC)  # 2019-W32
    with committed() as s:
        people = [person(s, f"并发{i}") for i in range(8)]
        s.commit()
        ids = [p.id for p in people]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(ids))

    def work(citizen_id: int) -> None:
        barrier.wait()
        try:
            for i in range(12):
                with committed() as s:
                    p = s.get(Citizen, citizen_id)
                    assert p is not None
                    post(s, p, "earn", at, pending=20, ref_id=citizen_id * 100 + i)
                    if i % 3 == 2:
                        post(s, p, "clawback", at, pending=-20, ref_id=citizen_id * 100 + i)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(cid,)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with committed() as s:
        assert boards.tally_drift(s, ids) == []
        assert boards.histogram_drift(s, "2019-W32", "city") == []
        assert {boards.standing(s, "2019-W32", "city", cid).score for cid in ids} == {160}


def test_the_bench_measures_a_board_and_leaves_nothing_behind(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.board import run

    def counts() -> tuple[int, int]:
        with engine.connect() as c:
            return (
                int(c.scalar(text("SELECT count(*) FROM citizen")) or 0),
                int(c.scalar(text("SELECT count(*) FROM board_tally")) or 0),
            )

    before = counts()
    lines: list[str] = []
    run(citizens=3000, rounds=5, progress=lines.append)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"board: citizens=3000 top_p95_ms=[\d.]+ me_p95_ms=[\d.]+ post_p95_ms=[\d.]+", last
    ), last
    assert "3000 citizens on board" in lines[0] and "board of 3000 citizens" in lines[1]
    assert counts() == before


def test_staying_off_while_others_post_keeps_the_histogram_exact(
    committed: sessionmaker[Session],
) -> None:
    """Two citizens flip their choice again and again while they and six others post: no
    deadlock, and the histogram still counts exactly the listed tallies."""
    at = datetime(2019, 10, 1, 3, tzinfo=UTC)  # 2019-W40
    with committed() as s:
        people = [person(s, f"切换{i}") for i in range(8)]
        s.commit()
        ids = [p.id for p in people]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(ids) + 2)

    def poster(citizen_id: int) -> None:
        barrier.wait()
        try:
            for i in range(10):
                with committed() as s:
                    p = s.get(Citizen, citizen_id)
                    assert p is not None
                    post(s, p, "earn", at, pending=20, ref_id=citizen_id * 100 + i)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    def flipper(citizen_id: int) -> None:
        barrier.wait()
        try:
            for i in range(10):
                with committed() as s:
                    boards.set_listed(s, citizen_id=citizen_id, listed=i % 2 == 1, now=at)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=poster, args=(cid,)) for cid in ids]
    threads += [threading.Thread(target=flipper, args=(cid,)) for cid in ids[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with committed() as s:
        for key in ("2019-W40", "2019-10", "all"):
            assert boards.histogram_drift(s, key, "city") == []
        assert boards.tally_drift(s, ids) == []
        assert all(boards.is_listed(s, cid) for cid in ids)
