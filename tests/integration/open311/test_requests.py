"""POST and GET requests: intake through Open311, duplicates, datum conversion, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases import verbs
from urbanops.cases.models import Case
from urbanops.core import geo
from urbanops.identity.roles import SYSTEM
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import distance_m, submit_report

from ..conftest import NOW, Staff
from .conftest import BASE, HUMEN, post, validate, xml_root

M_PER_DEG_LAT = 111_320.0


def north(metres: float) -> tuple[float, float]:
    return HUMEN[0] + metres / M_PER_DEG_LAT, HUMEN[1]


def get_one(client: TestClient, request_id: str) -> dict[str, object]:
    r = client.get(f"{BASE}/requests/{request_id}.json")
    assert r.status_code == 200, r.text
    body = r.json()
    validate("requests.json", body)
    assert len(body) == 1
    one: dict[str, object] = body[0]
    return one


def test_post_creates_a_dispatched_case(o311: TestClient, session: Session, api_key: str) -> None:
    r = post(
        o311,
        api_key,
        media_url="https://img.example.org/bin.jpg",
        first_name="小明",
        last_name="王",
        phone="13800138000",
        email="wang@example.org",
        account_id="acc-7",
        device_id="dev-1",
        address_string="虎门镇连升中路",
        **{
            "attribute[address_detail]": "12 号门口",
            "attribute[occurred_at]": "2026-03-02T09:30:00+08:00",
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    [created] = r.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    number = created["service_request_id"]
    assert created["account_id"] == "acc-7"
    assert created["service_notice"].startswith("已受理并派遣至虎门城管分局")
    assert " / " in created["service_notice"]

    report = session.scalars(select(Report).join(Case).where(Case.number == number)).one()
    assert report.source == "open311" and report.api_key_id is not None
    assert (report.reporter_name, report.reporter_phone) == ("王小明", "13800138000")
    assert report.media == ["https://img.example.org/bin.jpg"]
    assert report.description == "垃圾桶满了，溢出来了\n发现时间：2026-03-02 09:30"

    shown = get_one(o311, number)
    assert shown["service_request_id"] == number
    assert shown["status"] == "open"
    assert str(shown["status_notes"]).startswith("已派遣")
    assert (shown["service_code"], shown["service_name"]) == ("06042", "垃圾站（箱）满溢")
    assert shown["agency_responsible"] == "虎门城管分局"
    # class 06 is handled within 1 working day: Tuesday 18:00 in Dongguan
    assert shown["expected_datetime"] == "2026-03-03T18:00:00+08:00"
    assert shown["requested_datetime"] == "2026-03-02T10:00:00+08:00"
    assert shown["updated_datetime"] == "2026-03-02T10:00:00+08:00"
    assert shown["address"] == "12 号门口；虎门镇连升中路"
    assert shown["media_url"] == "https://img.example.org/bin.jpg"
    assert shown["lat"] == pytest.approx(HUMEN[0]) and shown["long"] == pytest.approx(HUMEN[1])
    assert (shown["address_id"], shown["zipcode"]) == (None, None)
    assert "虎门城管分局" in str(shown["service_notice"])


def test_a_report_20_m_away_joins_the_case_and_200_m_away_opens_another(
    o311: TestClient, api_key: str
) -> None:
    first = post(o311, api_key).json()[0]["service_request_id"]
    lat, lon = north(20)
    joined = post(o311, api_key, lat=lat, long=lon, description="这个垃圾桶也满了").json()[0]
    assert joined["service_request_id"] == first
    zh, en = joined["service_notice"].split(" / ")
    assert "附近已有相同问题的案件" in zh and first in zh and first in en
    lat, lon = north(200)
    other = post(o311, api_key, lat=lat, long=lon).json()[0]
    assert other["service_request_id"] != first
    assert other["service_notice"].startswith("已受理并派遣")


def test_gcj02_coordinates_are_converted_by_the_datum_attribute(
    o311: TestClient, api_key: str
) -> None:
    glat, glon = geo.wgs84_to_gcj02(*HUMEN)
    assert distance_m(glat, glon, *HUMEN) > 300  # enough to land in the wrong place unconverted
    r = post(o311, api_key, lat=glat, long=glon, **{"attribute[datum]": "GCJ-02"})
    assert r.status_code == 200, r.text
    shown = get_one(o311, r.json()[0]["service_request_id"])
    assert shown["lat"] == pytest.approx(HUMEN[0], abs=1e-6)
    assert shown["long"] == pytest.approx(HUMEN[1], abs=1e-6)


def test_xml_post_and_get(o311: TestClient, api_key: str) -> None:
    # markup is escaped; control characters (which XML 1.0 cannot carry) are refused (at the
    # end: a refused request rolls back what the test wrote, the API key too)
    root = xml_root(post(o311, api_key, fmt="xml", description="<b>满了</b> & 臭"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    number = request.findtext("service_request_id")
    assert number and request.findtext("service_notice")
    assert request.find("account_id") is not None and not request.findtext("account_id")

    root = xml_root(o311.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert request.findtext("description") == "<b>满了</b> & 臭"
    assert request.findtext("agency_responsible") == "虎门城管分局"
    assert float(request.findtext("lat") or 0) == pytest.approx(HUMEN[0])

    root = xml_root(o311.get(f"{BASE}/requests.xml?jurisdiction_id=dg.gov.cn"))
    assert number in [r.findtext("service_request_id") for r in root.findall("request")]
    refused = xml_root(post(o311, api_key, fmt="xml", description="满了\x07"))
    assert refused.tag == "errors"
    assert "description" in (refused.findtext("error/description") or "")


def _submit(session: Session, lat: float, lon: float, **kw: object) -> Case:
    data = ReportIn(lat=lat, lon=lon, **kw)
    return submit_report(session, actor=SYSTEM, now=NOW, data=data, source="citizen").case


@pytest.fixture
def three_cases(session: Session, staff: dict[str, Staff]) -> dict[str, Case]:
    """An open bin case, a void street-light case and a triage case merged into the first."""
    bin_case = _submit(session, *HUMEN, matter_code="06042", description="垃圾满了")
    light = _submit(session, *north(500), matter_code="01037", description="路灯不亮")
    verbs.return_case(
        session,
        actor=staff["humen"].actor,
        now=NOW + timedelta(minutes=30),
        case_id=light.id,
        reason="不属于本单位",
    )
    verbs.void_case(
        session,
        actor=staff["chief"].actor,
        now=NOW + timedelta(hours=1),
        case_id=light.id,
        reason="重复上报，已有人处理",
    )
    loose = _submit(session, *north(900), description="")
    verbs.merge_case(
        session,
        actor=staff["chief"].actor,
        now=NOW + timedelta(hours=2),
        case_id=loose.id,
        into_case_id=bin_case.id,
    )
    session.flush()
    return {"open": bin_case, "void": light, "merged": loose}


def numbers(client: TestClient, query: str = "") -> list[str]:
    r = client.get(f"{BASE}/requests.json{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    if body:
        validate("requests.json", body)
    return [item["service_request_id"] for item in body]


def test_get_requests_filters(o311: TestClient, three_cases: dict[str, Case]) -> None:
    opened, void, merged = (three_cases[k].number for k in ("open", "void", "merged"))
    everything = numbers(o311)
    assert opened in everything and void in everything
    assert merged not in everything  # represented by the case it joined

    assert opened in numbers(o311, "?status=open") and void not in numbers(o311, "?status=open")
    assert void in numbers(o311, "?status=closed") and opened not in numbers(o311, "?status=closed")
    assert {opened, void} <= set(numbers(o311, "?status=open,closed"))
    assert {opened, void} <= set(numbers(o311, "?status=open&status=closed"))
    assert void in numbers(o311, "?service_code=01037,02017")
    assert opened not in numbers(o311, "?service_code=01037")
    # empty parameters are absent parameters
    assert set(numbers(o311, "?status=&service_code=&start_date=&end_date=&page=")) == set(
        everything
    )
    # ids override every other filter (newest first)
    query = f"?service_request_id={void},{opened},19990101000001&status=closed&service_code=09999"
    assert set(numbers(o311, query)) == {opened, void}
    assert numbers(o311, f"?service_request_id={merged}") == [merged]
    # a window that ends before the cases were reported
    assert opened not in numbers(
        o311, "?start_date=2026-02-01T00:00:00Z&end_date=2026-03-01T00:00:00Z"
    )
    assert opened in numbers(o311, "?start_date=2026-03-02T00:00:00+08:00")
    # '+' of the time zone not percent-encoded by the client arrives as a space
    assert opened in numbers(
        o311, "?start_date=2026-03-02T00:00:00+08:00&end_date=2026-03-03T00:00:00+08:00"
    )


def test_get_requests_pages(o311: TestClient, three_cases: dict[str, Case]) -> None:
    everything = numbers(o311)
    assert len(everything) >= 2
    pages = [numbers(o311, f"?page_size=1&page={n}") for n in range(1, len(everything) + 1)]
    assert [p[0] for p in pages] == everything
    assert numbers(o311, f"?page_size=1&page={len(everything) + 1}") == []


def test_void_and_merged_requests_are_closed_with_notes(
    o311: TestClient, three_cases: dict[str, Case]
) -> None:
    void = get_one(o311, three_cases["void"].number)
    assert void["status"] == "closed"
    assert void["status_notes"] == "已作废：重复上报，已有人处理"
    assert void["updated_datetime"] == "2026-03-02T11:00:00+08:00"
    merged = get_one(o311, three_cases["merged"].number)
    assert merged["status"] == "closed"
    assert merged["status_notes"] == f"已并案：并入案件 {three_cases['open'].number}"
    assert merged["service_code"] == ""  # it never had a matter


def test_hotline_and_enterprise_cases_are_not_published(o311: TestClient, session: Session) -> None:
    data = ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="06042")
    hidden = submit_report(
        session, actor=SYSTEM, now=NOW, data=data, source="hotline", check_duplicates=False
    ).case
    r = o311.get(f"{BASE}/requests/{hidden.number}.json")
    assert r.status_code == 404
    assert hidden.number not in numbers(o311)
