"""The city's reference data through /api/v1/admin: units, the responsibility matrix and the
routing tester (the routing intake uses), matters' time limits and service stations; each
change audited, each bad input a clear 4xx that writes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import DONGCHENG, report_case
from urbanops.areas.models import Responsibility, ServiceStation, Unit
from urbanops.cases.clock import _reference
from urbanops.catalogue.models import TimeLimit

from ..conftest import NOW
from .conftest import audit_rows, problem

DONGCHENG_TOWN = "441900003"


def _rule_id(session: Session, town: str | None, cls: str | None, matter: str | None) -> int:
    found = session.scalar(
        select(Responsibility.id).where(
            Responsibility.town_code.is_not_distinct_from(town),
            Responsibility.matter_class.is_not_distinct_from(cls),
            Responsibility.matter_code.is_not_distinct_from(matter),
        )
    )
    assert found is not None
    return found


def test_a_unit_is_created_edited_and_kept_while_the_matrix_routes_to_it(
    client: TestClient, admin: dict[str, str], session: Session, unit_ids: dict[str, int]
) -> None:
    r = client.post(
        "/api/v1/admin/units",
        headers=admin,
        json={"code": "dept_lighting", "name": "市路灯管理所", "kind": "department"},
    )
    assert r.status_code == 201, r.text
    unit_id = r.json()["id"]
    r = client.patch(f"/api/v1/admin/units/{unit_id}", headers=admin, json={"name": "市照明管理所"})
    assert r.json()["name"] == "市照明管理所"
    created, renamed = audit_rows(session, "unit", "dept_lighting")
    assert created.change == "create" and created.after is not None
    assert created.after["kind"] == "department"
    assert (renamed.before, renamed.after) == ({"name": "市路灯管理所"}, {"name": "市照明管理所"})
    # a unit the matrix routes to stays active until its rules go elsewhere
    branch = unit_ids["branch_441900003"]
    r = client.patch(f"/api/v1/admin/units/{branch}", headers=admin, json={"is_active": False})
    assert "请先改派" in problem(r, 409, "unit_in_matrix")["detail"]
    session.expire_all()
    assert session.get(Unit, branch).is_active  # type: ignore[union-attr]
    r = client.patch(f"/api/v1/admin/units/{unit_id}", headers=admin, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False


def test_bad_units_are_refused(client: TestClient, admin: dict[str, str], session: Session) -> None:
    url = "/api/v1/admin/units"
    r = client.post(
        url, headers=admin, json={"code": "dept_water", "name": "x", "kind": "department"}
    )
    problem(r, 409, "unit_code_taken")
    r = client.post(url, headers=admin, json={"code": "new_b", "name": "x", "kind": "town_branch"})
    problem(r, 422, "town_required")
    r = client.post(url, headers=admin, json={"code": "new_b", "name": "x", "kind": "shop"})
    problem(r, 422, "invalid_unit_kind")
    r = client.post(
        url,
        headers={**admin, "Accept-Language": "en"},
        json={"code": "new_b", "name": "x", "kind": "town_branch", "town_code": "999999999"},
    )
    assert problem(r, 422, "unknown_town")["detail"] == "unknown town code '999999999'"
    assert audit_rows(session, "unit") == []


def test_a_matrix_rule_changes_where_intake_sends_a_matter(
    client: TestClient, admin: dict[str, str], session: Session, unit_ids: dict[str, int]
) -> None:
    ask = {"town_code": DONGCHENG_TOWN, "matter_code": "06042"}
    # given 06042 in 东城 goes to the town branch by the town's default rule
    r = client.get("/api/v1/admin/routing", headers=admin, params=ask)
    assert r.json()["unit_id"] == unit_ids["branch_441900003"]
    assert r.json()["rule"]["matter_class"] is None and r.json()["rule"]["town_code"] == "441900003"
    # when an admin adds a rule: class 06 in 东城 → the sanitation centre
    r = client.post(
        "/api/v1/admin/responsibility",
        headers=admin,
        json={
            "town_code": DONGCHENG_TOWN,
            "matter_class": "06",
            "unit_id": unit_ids["dept_sanitation"],
        },
    )
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    # then the tester and intake itself both send it there
    r = client.get("/api/v1/admin/routing", headers=admin, params=ask)
    assert r.json()["unit_id"] == unit_ids["dept_sanitation"]
    assert r.json()["rule"]["id"] == rule_id
    case = report_case(session, now=NOW, where=DONGCHENG).case
    assert case.unit_id == unit_ids["dept_sanitation"]
    # and editing it to another unit, then removing it, is audited step by step
    r = client.put(
        f"/api/v1/admin/responsibility/{rule_id}",
        headers=admin,
        json={
            "town_code": DONGCHENG_TOWN,
            "matter_class": "06",
            "unit_id": unit_ids["dept_greening"],
        },
    )
    assert r.json()["unit_id"] == unit_ids["dept_greening"]
    assert (
        client.delete(f"/api/v1/admin/responsibility/{rule_id}", headers=admin).status_code == 204
    )
    r = client.get("/api/v1/admin/routing", headers=admin, params=ask)
    assert r.json()["unit_id"] == unit_ids["branch_441900003"]
    added, edited, removed = audit_rows(session, "responsibility", "441900003/06/*")
    assert added.after == {
        "town_code": DONGCHENG_TOWN,
        "matter_class": "06",
        "matter_code": None,
        "unit_id": unit_ids["dept_sanitation"],
    }
    assert edited.before == {"unit_id": unit_ids["dept_sanitation"]}
    assert edited.after == {"unit_id": unit_ids["dept_greening"]}
    assert removed.change == "delete" and removed.after is None


def test_bad_matrix_rules_are_refused(
    client: TestClient, admin: dict[str, str], session: Session, unit_ids: dict[str, int]
) -> None:
    url = "/api/v1/admin/responsibility"
    water = unit_ids["dept_water"]
    r = client.post(url, headers=admin, json={"matter_code": "06024", "unit_id": water})
    problem(r, 409, "rule_exists")
    r = client.post(
        url, headers=admin, json={"matter_class": "06", "matter_code": "06024", "unit_id": water}
    )
    problem(r, 422, "class_or_matter")
    r = client.post(url, headers=admin, json={"matter_code": "99999", "unit_id": water})
    problem(r, 422, "unknown_matter")
    r = client.post(url, headers=admin, json={"matter_code": "06001", "unit_id": 99999})
    problem(r, 422, "unknown_unit")
    rule_id = _rule_id(session, None, None, "06024")
    r = client.put(
        f"{url}/{rule_id}", headers=admin, json={"matter_code": "06025", "unit_id": water}
    )
    problem(r, 409, "rule_exists")
    problem(client.delete(f"{url}/999999", headers=admin), 404, "rule_not_found")
    r = client.get(
        "/api/v1/admin/routing", headers=admin, params={"town_code": "1", "matter_code": "06042"}
    )
    problem(r, 422, "unknown_town")
    assert audit_rows(session, "responsibility") == []


def test_a_time_limit_is_edited_for_new_stages(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    r = client.get("/api/v1/admin/time-limits", headers=admin)
    [manhole] = [m for m in r.json() if m["code"] == "01001"]
    assert manhole["stages"]["handle"] == {"amount": 4.0, "unit": "natural_hours"}
    r = client.put(
        "/api/v1/admin/time-limits/01001",
        headers=admin,
        json={"stages": {"handle": {"amount": 2, "unit": "natural_hours"}, "verify": None}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["handle"] == {"amount": 2.0, "unit": "natural_hours"}
    assert "verify" not in r.json()
    session.expire_all()
    stored = session.get(TimeLimit, ("01001", "handle"))
    assert stored is not None and stored.amount == 2
    assert session.get(TimeLimit, ("01001", "verify")) is None
    # the deadline clock reads the edit, not a cached copy
    assert _reference(session)[0][("01001", "handle")] == (2.0, "natural_hours")
    [entry] = audit_rows(session, "time_limit", "01001")
    assert entry.before == {
        "handle": {"amount": 4.0, "unit": "natural_hours"},
        "verify": {"amount": 4.0, "unit": "working_hours"},
    }
    assert entry.after == {"handle": {"amount": 2.0, "unit": "natural_hours"}, "verify": None}
    # a case dispatched now is given the new limit to handle it
    case = report_case(session, now=NOW, matter_code="01001").case
    assert case.due_at == NOW + timedelta(hours=2)


def test_bad_time_limits_are_refused(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    url = "/api/v1/admin/time-limits"
    r = client.put(
        f"{url}/01001",
        headers=admin,
        json={"stages": {"handle": {"amount": 0, "unit": "natural_hours"}}},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("amount")
    r = client.put(
        f"{url}/01001", headers=admin, json={"stages": {"handle": {"amount": 1, "unit": "weeks"}}}
    )
    assert r.status_code == 422
    r = client.put(f"{url}/01001", headers=admin, json={"stages": {"close": None}})
    assert r.status_code == 422
    r = client.put(f"{url}/99999", headers=admin, json={"stages": {"handle": None}})
    problem(r, 404, "matter_not_found")
    assert audit_rows(session, "time_limit") == []


def test_a_service_station_is_placed_on_the_map_edited_and_deleted(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    body = {
        "name": "东城城市服务驿站",
        "address": "东城街道 主山社区",
        "opening_hours": "08:00-20:00",
        "amenities": ["wifi", "water"],
        "lat": DONGCHENG[0],
        "lon": DONGCHENG[1],
    }
    r = client.post("/api/v1/admin/stations", headers=admin, json=body)
    assert r.status_code == 201, r.text
    station = r.json()
    assert station["town_code"] == DONGCHENG_TOWN and station["is_demo"] is False
    assert station["amenities"] == ["water", "wifi"]
    r = client.put(
        f"/api/v1/admin/stations/{station['id']}",
        headers=admin,
        json={**body, "opening_hours": "全天 24 小时"},
    )
    assert r.json()["opening_hours"] == "全天 24 小时"
    # the citizens' map shows it
    public = client.get("/api/v1/citizen/stations").json()
    assert station["id"] in [s["id"] for s in public]
    assert (
        client.delete(f"/api/v1/admin/stations/{station['id']}", headers=admin).status_code == 204
    )
    session.expire_all()
    assert session.get(ServiceStation, station["id"]) is None
    created, edited, deleted = audit_rows(session, "service_station", station["id"])
    assert edited.after == {"opening_hours": "全天 24 小时"}
    assert deleted.before is not None and deleted.before["name"] == "东城城市服务驿站"


def test_a_station_outside_the_city_or_with_unknown_facilities_is_refused(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    body = {"name": "驿站", "lat": 39.9, "lon": 116.4}
    problem(
        client.post("/api/v1/admin/stations", headers=admin, json=body), 422, "outside_service_area"
    )
    body = {"name": "驿站", "lat": DONGCHENG[0], "lon": DONGCHENG[1], "amenities": ["spa"]}
    problem(
        client.post("/api/v1/admin/stations", headers=admin, json=body), 422, "unknown_facility"
    )
    assert audit_rows(session, "service_station") == []
