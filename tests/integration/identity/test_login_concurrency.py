"""Staff logins in parallel, through the real request sessions on committed rows: every wrong
password counts, one address cannot slip past its limit, and at most `login_concurrency`
password checks run at once, off the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from urbanops.app import create_app
from urbanops.core.settings import get_settings
from urbanops.identity import service
from urbanops.identity.models import LoginAttempt, User
from urbanops.identity.roles import Role

PASSWORD = "Concurrent-Pass-2026"


@pytest.fixture
def committed_user(engine: Engine) -> Iterator[str]:
    """A staff account committed for real (parallel requests each have their own session),
    removed afterwards with the attempts made in the test."""
    name = f"c_{uuid.uuid4().hex[:8]}"
    maker = sessionmaker(engine)
    with maker.begin() as s:
        service.create_user(
            s, username=name, password=PASSWORD, display_name="并发", roles=[Role.dispatcher]
        )
    yield name
    with maker.begin() as s:
        s.execute(delete(LoginAttempt).where(LoginAttempt.ip.like("127.0.9.%")))
        s.execute(delete(User).where(User.username == name))


def _failed_logins(engine: Engine, name: str) -> int:
    with sessionmaker(engine)() as s:
        return s.scalars(select(User.failed_logins).where(User.username == name)).one()


async def _parallel(ip: str, logins: list[tuple[str, str]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=create_app(), client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        return await asyncio.gather(
            *(c.post("/api/v1/auth/token", data={"username": u, "password": p}) for u, p in logins)
        )


def test_parallel_wrong_passwords_are_all_counted(
    engine: Engine, committed_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = get_settings().auth
    monkeypatch.setattr(auth, "login_per_ip_per_minute", 100)
    monkeypatch.setattr(auth, "login_max_failures", 100)
    rs = asyncio.run(_parallel("127.0.9.1", [(committed_user, f"wrong-{i}") for i in range(16)]))
    assert [r.status_code for r in rs] == [401] * 16
    assert _failed_logins(engine, committed_user) == 16


def test_parallel_wrong_passwords_lock_the_account_once(
    engine: Engine, committed_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().auth, "login_per_ip_per_minute", 100)
    rs = asyncio.run(_parallel("127.0.9.2", [(committed_user, f"wrong-{i}") for i in range(12)]))
    codes = sorted(r.json()["code"] for r in rs)
    # the first four are plain failures; the fifth locks, and the rest find it locked
    assert codes.count("invalid_credentials") == 4 and codes.count("account_locked") == 8
    assert _failed_logins(engine, committed_user) >= 5
    r = asyncio.run(_parallel("127.0.9.2", [(committed_user, PASSWORD)]))[0]
    assert r.json()["code"] == "account_locked"


def test_parallel_attempts_from_one_address_stop_at_its_limit(
    engine: Engine, committed_user: str
) -> None:
    limit = get_settings().auth.login_per_ip_per_minute
    rs = asyncio.run(_parallel("127.0.9.3", [(f"nobody-{i}", "guess") for i in range(16)]))
    statuses = sorted(r.status_code for r in rs)
    assert statuses == [401] * limit + [429] * (16 - limit)
    assert all(int(r.headers["Retry-After"]) > 0 for r in rs if r.status_code == 429)
    with sessionmaker(engine)() as s:
        kept = s.scalars(select(LoginAttempt.id).where(LoginAttempt.ip == "127.0.9.3")).all()
    assert len(kept) == limit


def test_password_checks_are_bounded_and_off_the_event_loop(
    committed_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = get_settings().auth
    monkeypatch.setattr(auth, "login_per_ip_per_minute", 100)
    monkeypatch.setattr(auth, "login_max_failures", 100)
    assert auth.login_concurrency == 2
    real_verify = service._verify
    lock = threading.Lock()
    running, most, threads = 0, 0, set()

    def slow_verify(password_hash: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.get_ident())
        time.sleep(0.3)  # longer than a real argon2 check, holding no lock
        try:
            return real_verify(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(service, "_verify", slow_verify)
    logins = [(committed_user, PASSWORD if i % 2 else f"wrong-{i}") for i in range(8)]

    async def flood() -> tuple[list[httpx.Response], float, int]:
        loop_thread = threading.get_ident()
        gaps: list[float] = []

        async def heartbeat() -> None:
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        beat = asyncio.create_task(heartbeat())
        rs = await _parallel("127.0.9.4", logins)
        beat.cancel()
        return rs, max(gaps), loop_thread

    rs, worst_gap, loop_thread = asyncio.run(flood())
    assert sorted(r.status_code for r in rs) == [200] * 4 + [401] * 4
    assert most == 2  # eight logins, never more than two checks at once
    assert loop_thread not in threads
    assert worst_gap < 0.25, worst_gap  # the event loop kept running during the checks


def test_logins_beyond_the_queue_time_are_told_to_come_back(
    committed_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = get_settings().auth
    monkeypatch.setattr(auth, "login_per_ip_per_minute", 100)
    monkeypatch.setattr(auth, "login_concurrency", 1)
    monkeypatch.setattr(auth, "login_queue_seconds", 0.2)
    real_verify = service._verify

    def slow_verify(password_hash: str, password: str) -> bool:
        time.sleep(0.5)
        return real_verify(password_hash, password)

    monkeypatch.setattr(service, "_verify", slow_verify)
    rs: list[Any] = asyncio.run(_parallel("127.0.9.5", [(committed_user, PASSWORD)] * 3))
    by_status = sorted(r.status_code for r in rs)
    assert by_status == [200, 503, 503]
    busy = next(r for r in rs if r.status_code == 503)
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["code"] == "login_busy" and busy.headers["Retry-After"] == "5"
