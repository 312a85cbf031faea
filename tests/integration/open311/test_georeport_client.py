"""A third-party Open311 client, `georeport` (read-only), against a real HTTP server.

The server is uvicorn on a free loopback port, in a thread; it serves the app bound to this
test's session, so everything stays inside the test's transaction and is rolled back. Requests
are sequential, so the session is never used by two threads at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from urbanops.app import create_app
from urbanops.core.web import get_now, get_session

from ..conftest import NOW, per_request
from .conftest import HUMEN

georeport = pytest.importorskip("georeport")
requests = pytest.importorskip("requests")


@pytest.fixture
def server(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    app = create_app()

    app.dependency_overrides[get_session] = per_request(session)
    app.dependency_overrides[get_now] = lambda: NOW
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="open311-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def as_list(value: Any) -> list[Any]:
    """xmltodict gives a dict for one repeated element and a list for several."""
    return value if isinstance(value, list) else [value]


def test_georeport_reads_services_and_a_request_created_by_a_form_post(
    server: str, api_key: str
) -> None:
    discovery = requests.get(f"{server}/open311/v2/discovery.json", timeout=10).json()
    endpoint = discovery["endpoints"][0]["url"]
    assert endpoint == f"{server}/open311/v2/"

    created = requests.post(
        f"{endpoint}requests.json",
        timeout=10,
        data={
            "api_key": api_key,
            "service_code": "06042",
            "lat": HUMEN[0],
            "long": HUMEN[1],
            "description": "垃圾桶满了",
            "attribute[datum]": "wgs84",
        },
    )
    assert created.status_code == 200, created.text
    number = created.json()[0]["service_request_id"]

    for fmt in ("json", "xml"):
        client = georeport.GeoReport(endpoint, output_format=fmt)
        services = as_list(client.get_service_list())
        [bins] = [s for s in services if s["service_code"] == "06042"]
        assert (bins["service_name"], bins["group"]) == ("垃圾站（箱）满溢", "市容环境类")

        definition = client.get_service_definition("06042")
        attributes = (
            definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        )
        assert [a["code"] for a in as_list(attributes)] == [
            "address_detail",
            "occurred_at",
            "datum",
        ]

        listed = as_list(client.get_service_requests(service_request_id=number))
        assert [r["service_request_id"] for r in listed] == [number]
        recent = as_list(client.get_service_requests(status="open", service_code="06042"))
        assert number in [r["service_request_id"] for r in recent]

        one = client.get_service_request(number)
        assert one["agency_responsible"] == "虎门城管分局"
        assert one["status"] == "open"
        assert one["expected_datetime"] == "2026-03-03T18:00:00+08:00"
        assert float(one["lat"]) == pytest.approx(HUMEN[0])

    with pytest.raises(requests.HTTPError) as err:
        georeport.GeoReport(endpoint).get_service_definition("99999")
    assert err.value.response.status_code == 404
    assert err.value.response.json()[0]["code"] == 404
