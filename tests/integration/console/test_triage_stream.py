"""The live triage queue (GET /api/v1/triage/stream): a report that needs a clerk reaches an
open stream within a second of its commit; a stream shows only what its account may see;
a reconnecting client resumes after its Last-Event-ID; tickets open streams and nothing else.

Streams are read from a real server (uvicorn on a free port, as the browser tests run it),
and the cases are committed, since a stream polls the database on its own connections."""

from __future__ import annotations

import json
import queue
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, update
from sqlalchemy.orm import sessionmaker

from urbanops.app import create_app
from urbanops.cases.models import Case
from urbanops.cases.workflow import CaseStatus
from urbanops.core.clock import utcnow
from urbanops.identity.roles import Role

from ...factories import DONGCHENG, PASSWORD, discard_case, report_case, staff_member

Event = tuple[str, str | None, Any]  # (event, id, data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[str]:
    port = _free_port()
    app = create_app()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def accounts(engine: Engine) -> dict[str, str]:
    """Committed accounts (unique names): a clerk, a 虎门 handler, one with no role."""
    suffix = f"{random.randrange(16**6):06x}"
    specs: dict[str, list[Role]] = {
        "clerk": [Role.intake_clerk],
        "handler": [Role.handler],
        "nobody": [],
    }
    from sqlalchemy import select

    from urbanops.areas.models import Unit

    with sessionmaker(engine).begin() as s:
        humen = s.scalar(select(Unit.id).where(Unit.code == "branch_441900121"))
        for name, roles in specs.items():
            unit = humen if name == "handler" else None
            staff_member(s, f"sse_{name}_{suffix}", roles, unit_id=unit)
    return {name: f"sse_{name}_{suffix}" for name in specs}


def bearer(server: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{server}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ticket(server: str, username: str) -> str:
    r = httpx.post(f"{server}/api/v1/triage/ticket", headers=bearer(server, username))
    assert r.status_code == 200, r.text
    assert 0 < r.json()["expires_in"] <= 120
    return str(r.json()["ticket"])


class Listener:
    """An open stream read on a thread of its own; its events in a queue."""

    def __init__(self, url: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.status: int | None = None
        self._stop = threading.Event()
        self._open = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, params, headers))
        self._thread.daemon = True
        self._thread.start()
        assert self._open.wait(10), "the stream did not answer"

    def _run(self, url: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        with httpx.stream("GET", url, params=params, headers=headers, timeout=30) as r:
            self.status = r.status_code
            self.content_type = r.headers.get("content-type", "")
            self._open.set()
            name, eid, data = "message", None, ""
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if data:
                        self.events.put((name, eid, json.loads(data)))
                    name, eid, data = "message", None, ""
                elif line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("id: "):
                    eid = line[4:]
                elif line.startswith("data: "):
                    data += line[6:]

    def wait_for(self, wanted: Callable[[Event], bool], timeout: float) -> Event | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if wanted(event):
                return event
        return None

    def close(self) -> None:
        self._stop.set()


@pytest.fixture
def triage_case(engine: Engine) -> Iterator[Callable[[], Case]]:
    """`make()`: a committed report that needs a clerk (no matter), at a place of its own;
    discarded afterwards."""
    maker = sessionmaker(engine, expire_on_commit=False)
    made: list[int] = []

    def make() -> Case:
        where = (
            DONGCHENG[0] + random.uniform(-3e-3, 3e-3),
            DONGCHENG[1] + random.uniform(-3e-3, 3e-3),
        )
        with maker.begin() as s:
            case = report_case(s, now=utcnow(), where=where, matter_code=None).case
        assert case.status == CaseStatus.reported
        made.append(case.id)
        return case

    yield make
    with maker.begin() as s:
        discard_case(s, *made, now=utcnow())


def stream(server: str, username: str, **params: Any) -> Listener:
    url = f"{server}/api/v1/triage/stream"
    headers = {k: str(v) for k, v in params.pop("headers", {}).items()}
    return Listener(url, {"ticket": ticket(server, username), **params}, headers)


def is_case(case_id: int) -> Callable[[Event], bool]:
    return lambda e: e[0] == "case" and e[2]["id"] == case_id


def test_a_new_report_reaches_an_open_stream_within_a_second(
    server: str, accounts: dict[str, str], triage_case: Callable[[], Case], engine: Engine
) -> None:
    listener = stream(server, accounts["clerk"])
    try:
        assert listener.status == 200
        assert listener.content_type.startswith("text/event-stream")
        time.sleep(0.5)  # the opening burst is read
        case = triage_case()
        committed_at = time.monotonic()
        event = listener.wait_for(is_case(case.id), timeout=5)
        assert event is not None, "the new case never came"
        assert time.monotonic() - committed_at < 1.0
        name, eid, data = event
        assert eid == str(case.id)
        assert data["number"] == case.number and data["status"] == "reported"

        # a clerk takes it up: the stream says it left triage
        with sessionmaker(engine).begin() as s:
            discard_case(s, case.id, now=utcnow())
        gone = listener.wait_for(lambda e: e[0] == "gone" and e[2]["id"] == case.id, timeout=5)
        assert gone is not None and gone[1] is None  # no id: the cursor stays
    finally:
        listener.close()


def test_a_stream_shows_only_what_its_account_may_see(
    server: str, accounts: dict[str, str], triage_case: Callable[[], Case]
) -> None:
    clerk = stream(server, accounts["clerk"])
    handler = stream(server, accounts["handler"])  # 虎门: no triage case is its unit's
    try:
        time.sleep(0.5)
        case = triage_case()
        assert clerk.wait_for(is_case(case.id), timeout=5) is not None
        assert handler.wait_for(lambda e: e[0] == "case", timeout=1.5) is None
    finally:
        clerk.close()
        handler.close()
    r = httpx.post(f"{server}/api/v1/triage/ticket", headers=bearer(server, accounts["nobody"]))
    assert r.status_code == 403 and r.json()["code"] == "no_role"


def test_a_reconnecting_client_resumes_after_its_last_event_id(
    server: str, accounts: dict[str, str], triage_case: Callable[[], Case], engine: Engine
) -> None:
    old = triage_case()
    # seen long ago: outside the look back for late commits
    with sessionmaker(engine).begin() as s:
        s.execute(
            update(Case).where(Case.id == old.id).values(updated_at=utcnow() - timedelta(hours=1))
        )
    fresh = stream(server, accounts["clerk"])
    try:
        assert fresh.wait_for(is_case(old.id), timeout=5) is not None  # in the opening burst
    finally:
        fresh.close()
    for how in ({"headers": {"Last-Event-ID": old.id}}, {"after": old.id}):
        resumed = stream(server, accounts["clerk"], **how)
        try:
            new = triage_case()
            got = resumed.wait_for(is_case(new.id), timeout=5)
            assert got is not None, how
            assert resumed.wait_for(is_case(old.id), timeout=0.5) is None, how
        finally:
            resumed.close()


def test_tickets_open_streams_and_nothing_else(server: str, accounts: dict[str, str]) -> None:
    url = f"{server}/api/v1/triage/stream"
    t = ticket(server, accounts["clerk"])
    # a ticket is no bearer token, and a bearer token is no ticket
    r = httpx.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 401
    token = bearer(server, accounts["clerk"])["Authorization"].split()[1]
    r = httpx.get(url, params={"ticket": token}, timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "invalid_ticket"
    r = httpx.get(url, params={"ticket": t[:-3] + "abc"}, timeout=5)
    assert r.status_code == 401
    r = httpx.get(url, timeout=5)
    assert r.status_code == 422
    r = httpx.get(url, params={"ticket": t[:-3] + "abc"}, headers={"Accept-Language": "en"})
    assert r.json()["detail"] == "invalid or expired stream ticket"
