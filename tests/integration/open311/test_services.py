"""Discovery, the service list and service definitions, in JSON and XML."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import BASE, assert_error, validate, xml_root


def test_discovery_in_both_formats(o311: TestClient) -> None:
    r = o311.get(f"{BASE}/discovery.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json; charset=utf-8"
    doc = r.json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= doc.keys()
    assert "urbanops apikey create NAME" in doc["key_service"]
    [endpoint] = doc["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver/open311/v2/",
        "changeset": doc["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }

    root = xml_root(o311.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("changeset") == doc["changeset"]
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_every_active_matter_is_a_service(o311: TestClient) -> None:
    services = o311.get(f"{BASE}/services.json").json()
    validate("services.json", services)
    by_code = {s["service_code"]: s for s in services}
    assert len(by_code) == len(services) > 200
    bin_full = by_code["06042"]
    assert bin_full["service_name"] == "垃圾站（箱）满溢"
    assert bin_full["group"] == "市容环境类"
    assert bin_full["type"] == "realtime" and bin_full["metadata"] is True
    # the major class and the citizen categories the matter belongs to
    assert bin_full["keywords"].split(",") == ["市容环境类", "环卫保洁"]
    assert all(len(code) == 5 and code.isdigit() for code in by_code)

    root = xml_root(o311.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    items = root.findall("service")
    assert len(items) == len(services)
    first = items[0]
    assert [child.tag for child in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "true"


def test_service_definition_has_address_time_and_datum(o311: TestClient) -> None:
    definition = o311.get(f"{BASE}/services/06042.json").json()
    validate("service-definition.json", definition)
    assert definition["service_code"] == "06042"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert [(a["code"], a["datatype"], a["order"]) for a in definition["attributes"]] == [
        ("address_detail", "string", 1),
        ("occurred_at", "datetime", 2),
        ("datum", "singlevaluelist", 3),
    ]
    assert all(a["required"] is False and a["variable"] is True for a in attributes.values())
    assert "详细地址" in attributes["address_detail"]["description"]
    assert "发现时间" in attributes["occurred_at"]["description"]
    assert [v["key"] for v in attributes["datum"]["values"]] == ["wgs84", "gcj02", "bd09"]
    assert "WGS-84" in attributes["datum"]["datatype_description"]

    root = xml_root(o311.get(f"{BASE}/services/06042.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "06042"
    assert [a.findtext("code") for a in root.findall("attributes/attribute")] == [
        "address_detail",
        "occurred_at",
        "datum",
    ]
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "wgs84",
        "gcj02",
        "bd09",
    ]


def test_unknown_service_is_404_in_the_open311_format(o311: TestClient) -> None:
    assert_error(o311.get(f"{BASE}/services/99999.json"), 404, contains="99999")
    assert_error(o311.get(f"{BASE}/services/99999.xml"), 404, "xml", contains="99999")


def test_unknown_format_suffix_is_404(o311: TestClient) -> None:
    for path in (
        "/services.csv",
        "/services/06042.yaml",
        "/discovery.html",
        "/requests.txt",
        "/requests/20260302000001.rss",
        "/servicerequestupdates.atom",
    ):
        assert_error(o311.get(BASE + path), 404, "xml", contains="格式")


def test_open311_routes_leave_the_openapi_document_intact(o311: TestClient) -> None:
    paths = o311.get("/openapi.json").json()["paths"]
    assert f"{BASE}/requests.{{fmt}}" in paths
    assert not any(p.startswith("/open311{") for p in paths)
