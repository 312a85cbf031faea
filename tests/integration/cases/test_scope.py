"""What a staff account may read: its roles and unit decide; no roles, nothing."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from urbanops.identity import service as identity
from urbanops.identity.roles import Role

from ..conftest import PASSWORD, Staff, token

HUMEN = {"lat": 22.8191, "lon": 113.6968}
DONGCHENG = {"lat": 23.0159, "lon": 113.7796}


@pytest.fixture
def cases(client: TestClient, staff: dict[str, Staff]) -> dict[str, int]:
    chief = token(client, "t_chief")
    out = {}
    for name, where in (("humen", HUMEN), ("dongcheng", DONGCHENG)):
        r = client.post("/api/v1/reports", json={**where, "matter_code": "06042"}, headers=chief)
        assert r.status_code == 201, r.text
        out[name] = r.json()["case_id"]
    return out


def account(
    session: Session,
    name: str,
    roles: list[Role],
    unit_id: int | None = None,
    communities: list[str] | None = None,
    grid_cells: list[str] | None = None,
) -> str:
    user = identity.create_user(
        session,
        username=f"scope_{name}",
        password=PASSWORD,
        display_name=name,
        roles=roles,
        unit_id=unit_id,
        communities=communities,
        grid_cells=grid_cells,
    )
    return user.username


@pytest.mark.parametrize(
    "roles", [[], [Role.reveal_phone], [Role.handler]], ids=["none", "permission", "no_unit"]
)
def test_an_account_without_a_reading_role_sees_nothing(
    client: TestClient, session: Session, cases: dict[str, int], roles: list[Role]
) -> None:
    h = token(client, account(session, "nobody", roles))
    listed = client.get("/api/v1/cases", headers=h)
    assert listed.status_code == 200 and listed.json()["total"] == 0
    assert listed.json()["items"] == []
    assert client.get("/api/v1/cases?overdue=false", headers=h).json()["total"] == 0
    for case_id in cases.values():
        for path in (f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/reports"):
            r = client.get(path, headers=h)
            assert r.status_code == 403, (path, r.text)
            assert "timeline" not in r.json() and "description" not in r.text
    me = client.get("/api/v1/me", headers=h).json()
    assert me["roles"] == sorted(roles)


def test_an_account_without_roles_files_no_report(client: TestClient, session: Session) -> None:
    h = token(client, account(session, "nobody", []))
    r = client.post("/api/v1/reports", json={**HUMEN, "matter_code": "06042"}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "no_role"
    photo = client.post(
        "/api/v1/photos", files={"photo": ("a.png", _png(), "image/png")}, headers=h
    )
    assert photo.status_code == 403 and photo.json()["code"] == "no_role"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def test_a_unit_handler_reads_its_units_cases_only(
    client: TestClient, staff: dict[str, Staff], cases: dict[str, int]
) -> None:
    humen = token(client, "t_humen")
    listed = client.get("/api/v1/cases", headers=humen).json()
    ids = {c["id"] for c in listed["items"]}
    assert cases["humen"] in ids and cases["dongcheng"] not in ids
    # asking for another unit's cases by filter does not widen the scope
    other_unit = client.get(f"/api/v1/cases/{cases['dongcheng']}", headers=token(client, "t_chief"))
    unit_id = other_unit.json()["unit_id"]
    assert client.get(f"/api/v1/cases?unit={unit_id}", headers=humen).json()["total"] == 0
    assert client.get(f"/api/v1/cases/{cases['humen']}", headers=humen).status_code == 200
    assert client.get(f"/api/v1/cases/{cases['humen']}/reports", headers=humen).status_code == 200
    for path in (
        f"/api/v1/cases/{cases['dongcheng']}",
        f"/api/v1/cases/{cases['dongcheng']}/reports",
    ):
        r = client.get(path, headers=humen)
        assert r.status_code == 403 and r.json()["code"] == "outside_unit_scope", path


def test_city_wide_roles_read_every_case(
    client: TestClient, staff: dict[str, Staff], cases: dict[str, int]
) -> None:
    for who in ("t_clerk", "t_dispatcher", "t_inspector", "t_leader"):
        h = token(client, who)
        ids = {
            c["id"] for c in client.get("/api/v1/cases?page_size=200", headers=h).json()["items"]
        }
        assert set(cases.values()) <= ids, who
        assert client.get(f"/api/v1/cases/{cases['dongcheng']}", headers=h).status_code == 200


def test_an_area_chief_reads_and_works_the_cases_of_their_patch(
    client: TestClient, session: Session, staff: dict[str, Staff], cases: dict[str, int]
) -> None:
    chief = token(client, "t_chief")
    dongcheng = client.get(f"/api/v1/cases/{cases['dongcheng']}", headers=chief).json()
    cell = dongcheng["grid_cell_code"]
    assert cell and cell.startswith("441900003")
    # a 片长 of the Dongcheng branch whose patch is that grid cell: the patch decides, not the
    # whole branch (a second Dongcheng case outside the patch stays out of sight)
    outside = client.post(
        "/api/v1/reports",
        json={"lat": 23.0187, "lon": 113.7924, "matter_code": "06042"},
        headers=chief,
    )
    assert outside.status_code == 201, outside.text
    outside_case = client.get(f"/api/v1/cases/{outside.json()['case_id']}", headers=chief).json()
    assert outside_case["grid_cell_code"] != cell
    assert outside_case["unit_id"] == dongcheng["unit_id"]
    h = token(
        client,
        account(session, "pz", [Role.area_chief], unit_id=dongcheng["unit_id"], grid_cells=[cell]),
    )
    listed = client.get("/api/v1/cases?page_size=200", headers=h).json()["items"]
    # (other tests may have committed cases in the same cell: they belong to the patch too)
    assert cases["dongcheng"] in {c["id"] for c in listed}
    assert outside_case["id"] not in {c["id"] for c in listed}
    assert {c["grid_cell_code"] for c in listed} == {cell}
    assert client.get(f"/api/v1/cases/{cases['dongcheng']}", headers=h).status_code == 200
    for case_id in (cases["humen"], outside_case["id"]):
        other = client.get(f"/api/v1/cases/{case_id}", headers=h)
        assert other.status_code == 403 and other.json()["code"] == "outside_unit_scope"
    # acting follows the same reach: refused (and nothing written) outside the patch
    before = client.get(f"/api/v1/cases/{outside_case['id']}", headers=chief).json()
    refused = client.post(f"/api/v1/cases/{outside_case['id']}/actions/start", json={}, headers=h)
    assert refused.status_code == 403, refused.text
    after = client.get(f"/api/v1/cases/{outside_case['id']}", headers=chief).json()
    assert after["status"] == before["status"] and len(after["timeline"]) == len(before["timeline"])
    started = client.post(f"/api/v1/cases/{cases['dongcheng']}/actions/start", json={}, headers=h)
    assert started.status_code == 200 and started.json()["status"] == "in_progress", started.text
    me = client.get("/api/v1/me", headers=h).json()
    assert me["grid_cells"] == [cell] and me["role_labels"][0]["label"] == "片长"


def test_an_area_chief_without_a_patch_sees_their_unit_or_nothing(
    client: TestClient, session: Session, unit_ids: dict[str, int], cases: dict[str, int]
) -> None:
    h = token(client, account(session, "pz_empty", [Role.area_chief]))
    assert client.get("/api/v1/cases", headers=h).json()["total"] == 0
    unit = token(
        client, account(session, "pz_unit", [Role.area_chief], unit_ids["branch_441900121"])
    )
    ids = {c["id"] for c in client.get("/api/v1/cases", headers=unit).json()["items"]}
    assert ids == {cases["humen"]}
