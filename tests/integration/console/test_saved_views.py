"""Saved views of the console's case list on the server: each user's own (others are told a
view does not exist), a unit's shared ones read-only, limits, and filters checked as the list
checks its query."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases import views
from urbanops.cases.models import SavedView
from urbanops.identity import service as identity
from urbanops.identity.roles import Role

from ..conftest import PASSWORD, Staff, token

URL = "/api/v1/console/views"
OVERDUE = {"status": "dispatched,in_progress", "overdue": True, "sort": "deadline"}


def save(client: TestClient, who: dict[str, str], name: str, **filters: Any) -> Any:
    return client.post(URL, json={"name": name, "filters": filters}, headers=who)


def test_views_are_the_owners_and_follow_them_to_another_sign_in(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    clerk, chief = token(client, "t_clerk"), token(client, "t_chief")
    r = save(client, clerk, "超期派遣", **OVERDUE)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["filters"] == OVERDUE and view["mine"] is True
    # another sign-in (another desk) sees it; the list takes its filters as they are
    listed = client.get(URL, headers=token(client, "t_clerk")).json()
    assert [v["id"] for v in listed if v["name"] == "超期派遣"] == [view["id"]]
    assert client.get("/api/v1/cases", params=view["filters"], headers=clerk).status_code == 200

    # another user neither sees, changes nor removes it
    assert view["id"] not in [v["id"] for v in client.get(URL, headers=chief).json()]
    body = {"name": "我的", "filters": {}}
    assert client.put(f"{URL}/{view['id']}", json=body, headers=chief).status_code == 404
    assert client.delete(f"{URL}/{view['id']}", headers=chief).status_code == 404
    # ... and may use the same name for their own
    assert save(client, chief, "超期派遣").status_code == 201

    r = client.put(
        f"{URL}/{view['id']}",
        json={"name": "东城超期", "filters": {"town": "441900003"}},
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "东城超期" and r.json()["filters"] == {
        "town": "441900003",
        "sort": "-reported_at",
    }
    assert client.delete(f"{URL}/{view['id']}", headers=clerk).status_code == 204
    assert session.get(SavedView, view["id"]) is None
    assert client.delete(f"{URL}/{view['id']}", headers=clerk).status_code == 404


def test_a_shared_view_is_read_only_for_the_owners_unit(
    session: Session, client: TestClient, staff: dict[str, Staff], unit_ids: dict[str, int]
) -> None:
    dongcheng = unit_ids["branch_441900003"]
    identity.create_user(
        session,
        username="t_dongcheng2",
        password=PASSWORD,
        display_name="东城二",
        roles=[Role.handler],
        unit_id=dongcheng,
    )
    owner = token(client, "t_dongcheng")
    shared = client.post(
        URL, json={"name": "本单位超期", "filters": OVERDUE, "shared": True}, headers=owner
    ).json()
    private = save(client, owner, "只给自己").json()
    mate = token(client, "t_dongcheng2")
    seen = {v["id"]: v for v in client.get(URL, headers=mate).json()}
    assert shared["id"] in seen and private["id"] not in seen
    assert seen[shared["id"]]["mine"] is False and seen[shared["id"]]["owner"] == "dongcheng"
    assert client.delete(f"{URL}/{shared['id']}", headers=mate).status_code == 404
    # another unit's handler does not see it
    humen = client.get(URL, headers=token(client, "t_humen")).json()
    assert shared["id"] not in [v["id"] for v in humen]


def test_bad_filters_are_refused_with_the_parameter_named(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    clerk = token(client, "t_clerk")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"colour": "red"}, "colour"),  # not a list parameter
        ({"status": "nonsense"}, "status"),
        ({"source": "pigeon"}, "source"),
        ({"reported_from": "2026-13-40"}, "reported_from"),
        ({"reported_from": "2026-03-05", "reported_to": "2026-03-01"}, "reported_from"),
        ({"matter": "12"}, "matter"),
        ({"sort": "colour"}, "sort"),
        ({"unit": 0}, "unit"),
    ]
    before = session.scalar(
        select(func.count())
        .select_from(SavedView)
        .where(SavedView.owner_id == staff["clerk"].actor.id)
    )
    for filters, field in bad:
        r = save(client, clerk, "坏的", **filters)
        assert r.status_code == 422, (filters, r.text)
        problem = r.json()
        assert any(field in str(e.get("field", "")) for e in problem.get("errors", [])), problem
        assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"]), problem
    after = session.scalar(
        select(func.count())
        .select_from(SavedView)
        .where(SavedView.owner_id == staff["clerk"].actor.id)
    )
    assert after == before


def test_limits_on_names_and_count(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    clerk = token(client, "t_clerk")
    assert save(client, clerk, "名" * (views.NAME_MAX + 1)).status_code == 422
    assert save(client, clerk, "   ").status_code == 422
    assert save(client, clerk, "名" * views.NAME_MAX).status_code == 201
    r = save(client, clerk, "名" * views.NAME_MAX)
    assert r.status_code == 409 and r.json()["code"] == "view_name_taken"
    for i in range(views.MAX_VIEWS - 1):
        assert save(client, clerk, f"视图{i}").status_code == 201
    r = save(client, clerk, "再来一个")
    assert r.status_code == 409 and r.json()["code"] == "too_many_views", r.text
    assert "50" in r.json()["detail"]
    mine = session.scalar(select(func.count()).where(SavedView.owner_id == staff["clerk"].actor.id))
    assert mine == views.MAX_VIEWS
    # renaming onto another of one's names is refused too
    ids = {v["name"]: v["id"] for v in client.get(URL, headers=clerk).json()}
    r = client.put(f"{URL}/{ids['视图0']}", json={"name": "视图1", "filters": {}}, headers=clerk)
    assert r.status_code == 409
