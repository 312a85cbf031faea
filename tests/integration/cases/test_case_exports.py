"""Exports of the case list: CSV (BOM, Chinese headers, formulas neutralised), Excel and
GeoJSON, with the list's filters and the caller's scope, and the size limit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases import exports
from urbanops.cases.models import Case

from ...factories import DONGCHENG, HUMEN, report_case
from ..conftest import NOW, Staff, token

FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def book(session: Session, staff: dict[str, Staff]) -> dict[str, int]:
    out = {}
    for i, (name, where, text) in enumerate(
        (
            ("formula", DONGCHENG, FORMULA),
            ("plus", DONGCHENG, "+86 13800000000 打不通"),
            ("at", HUMEN, "@所有人 井盖丢失"),
            ("plain", HUMEN, "路灯不亮"),
        )
    ):
        case = report_case(
            session, now=NOW - timedelta(hours=i), where=where, description=text
        ).case
        out[name] = case.id
    return out


def cases_in(session: Session, **where: object) -> list[Case]:
    stmt = select(Case).filter_by(**where)
    return sorted(session.scalars(stmt), key=lambda c: (c.reported_at, c.id), reverse=True)


def test_csv_has_a_bom_chinese_headers_every_row_and_no_formulas(
    client: TestClient, session: Session, book: dict[str, int]
) -> None:
    r = client.get("/api/v1/cases/export.csv", headers=token(client, "t_chief"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="cases-2') and ".csv" in disposition
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == exports.HEADERS and "案件编号" in rows[0]
    expected = cases_in(session)
    assert [row[0] for row in rows[1:]] == [c.number for c in expected]
    text = {row[0]: row[rows[0].index("问题描述")] for row in rows[1:]}
    by_id = {c.id: c for c in expected}
    assert text[by_id[book["formula"]].number] == "'" + FORMULA
    assert text[by_id[book["plus"]].number].startswith("'+86")
    assert text[by_id[book["at"]].number].startswith("'@")
    assert text[by_id[book["plain"]].number] == "路灯不亮"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


def test_excel_export_opens_and_holds_the_filtered_rows(
    client: TestClient, session: Session, book: dict[str, int]
) -> None:
    r = client.get("/api/v1/cases/export.xlsx?town=441900121", headers=token(client, "t_chief"))
    assert r.status_code == 200, r.text
    assert "filename*=UTF-8''%E6%A1%88%E4%BB%B6-" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.HEADERS
    expected = cases_in(session, town_code="441900121")
    assert [row[0] for row in rows[1:]] == [c.number for c in expected]
    assert all(row[5] == "虎门镇" for row in rows[1:])
    at = next(row for row in rows[1:] if row[7] and "所有人" in str(row[7]))
    assert at[7] == "'@所有人 井盖丢失"
    assert isinstance(rows[1][9], float)  # latitude stays a number


def test_geojson_export_is_a_feature_collection_within_the_callers_unit(
    client: TestClient, session: Session, staff: dict[str, Staff], book: dict[str, int]
) -> None:
    r = client.get("/api/v1/cases/export.geojson?sort=number", headers=token(client, "t_dongcheng"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    unit = staff["dongcheng"].actor.unit_id
    expected = sorted(cases_in(session, unit_id=unit), key=lambda c: c.number)
    assert [f["id"] for f in doc["features"]] == [c.id for c in expected]
    assert book["formula"] in {c.id for c in expected}
    assert book["plain"] not in {f["id"] for f in doc["features"]}
    first = doc["features"][0]
    case = expected[0]
    assert first["geometry"] == {"type": "Point", "coordinates": [case.lon, case.lat]}
    assert first["properties"]["number"] == case.number
    assert first["properties"]["town_name"] == "东城街道"


def test_an_export_above_the_limit_is_refused_before_anything_is_sent(
    client: TestClient, book: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 2)
    r = client.get("/api/v1/cases/export.csv", headers=token(client, "t_chief"))
    assert r.status_code == 422 and r.json()["code"] == "export_too_large"
    assert (
        client.get("/api/v1/cases/export.csv?q=路灯", headers=token(client, "t_chief")).status_code
        == 200
    )


def test_one_export_route_documents_its_formats_and_refuses_others(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    """`/export.{fmt}`: the three formats at their URLs, one operation in the OpenAPI document
    with the format an enum, and a format it does not write refused in Chinese, not taken for
    a case id."""
    paths = client.get("/openapi.json").json()["paths"]
    exports_ = [p for p in paths if "/api/v1/cases/export" in p]
    assert exports_ == ["/api/v1/cases/export.{fmt}"]
    op = paths["/api/v1/cases/export.{fmt}"]["get"]
    [fmt] = [p for p in op["parameters"] if p["name"] == "fmt"]
    schema = fmt["schema"]
    enum = (
        schema.get("enum")
        or client.get("/openapi.json").json()["components"]["schemas"][
            schema["$ref"].rsplit("/", 1)[1]
        ]["enum"]
    )
    assert sorted(enum) == ["csv", "geojson", "xlsx"]
    assert {"text/csv; charset=utf-8", "application/geo+json"} <= set(
        op["responses"]["200"]["content"]
    )
    assert {p["name"] for p in op["parameters"]} >= {"town", "status", "q", "sort"}
    h = token(client, "t_chief")
    for name in enum:
        r = client.get(f"/api/v1/cases/export.{name}?town=441900121", headers=h)
        assert r.status_code == 200, r.text
        assert f".{name}" in r.headers["content-disposition"]
    r = client.get("/api/v1/cases/export.pdf", headers=h)
    assert r.status_code == 422, r.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"]), r.json()
    assert client.get("/api/v1/cases/export.csv?colour=red", headers=h).status_code == 422
