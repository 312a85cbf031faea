"""Staff login: lockout per account, rate limit per address, every attempt kept."""

from __future__ import annotations

import logging
import statistics
import time
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.core.settings import get_settings
from urbanops.identity import service
from urbanops.identity.models import LoginAttempt, User

from ..conftest import PASSWORD, Staff
from .conftest import Clock

PROBLEM = "application/problem+json"
LOGIN = "/api/v1/auth/token"


def _login(client: TestClient, username: str, password: str, **headers: str) -> Any:
    return client.post(LOGIN, data={"username": username, "password": password}, headers=headers)


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).one()
    session.refresh(user)
    return user


def test_five_wrong_passwords_lock_the_account_until_the_lockout_ends(
    client: TestClient, session: Session, accounts: dict[str, Staff], clock: Clock
) -> None:
    name = accounts["dispatcher"].username
    for i in range(4):
        r = _login(client, name, f"wrong-{i}")
        assert r.status_code == 401 and r.json()["code"] == "invalid_credentials", r.text
    assert _user(session, name).failed_logins == 4
    r = _login(client, name, "wrong-4")  # the fifth locks
    assert r.status_code == 429 and r.json()["code"] == "account_locked", r.text
    # even the right password is refused while locked, with when to come back (Beijing time)
    clock.now += timedelta(minutes=14)
    r = _login(client, name, PASSWORD)
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "account_locked"
    assert "2026-03-02 10:15" in body["detail"] and "北京时间" in body["detail"]
    assert int(r.headers["Retry-After"]) == 60
    en = _login(client, name, PASSWORD, **{"Accept-Language": "en"}).json()
    assert "locked until 2026-03-02 10:15 (Beijing time)" in en["detail"]
    # after the lockout time the right password works again, and the counter starts anew
    clock.now += timedelta(minutes=1, seconds=1)
    r = _login(client, name, PASSWORD)
    assert r.status_code == 200, r.text
    user = _user(session, name)
    assert user.failed_logins == 0 and user.locked_until is None


def test_a_success_resets_the_count_of_wrong_passwords(
    client: TestClient, session: Session, accounts: dict[str, Staff], clock: Clock
) -> None:
    name = accounts["inspector"].username
    for round_ in range(2):
        for i in range(4):
            assert _login(client, name, f"wrong-{round_}-{i}").status_code == 401
        assert _login(client, name, PASSWORD).status_code == 200
        clock.now += timedelta(minutes=1)  # the per-address limit is not what this tests
    assert _user(session, name).failed_logins == 0


def test_a_lockout_that_has_run_out_counts_from_one_again(
    client: TestClient, session: Session, accounts: dict[str, Staff], clock: Clock
) -> None:
    name = accounts["clerk"].username
    for i in range(5):
        _login(client, name, f"wrong-{i}")
    clock.now += timedelta(minutes=16)
    r = _login(client, name, "wrong-again")
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials", r.text
    assert _user(session, name).failed_logins == 1
    assert _login(client, name, PASSWORD).status_code == 200


def test_failed_attempts_are_kept_and_the_lockout_is_logged(
    client: TestClient,
    session: Session,
    accounts: dict[str, Staff],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = accounts["leader"].username
    with caplog.at_level(logging.WARNING, logger="urbanops.identity.service"):
        for i in range(5):
            _login(client, name, f"secret-guess-{i}")
    assert _login(client, name, PASSWORD).status_code == 429
    attempts = session.execute(
        select(LoginAttempt.username, LoginAttempt.ip, LoginAttempt.succeeded)
        .where(LoginAttempt.username == name)
        .order_by(LoginAttempt.id)
    ).all()
    assert attempts == [(name, "testclient", False)] * 6
    locks = [r for r in caplog.records if "locked" in r.getMessage()]
    assert len(locks) == 1 and locks[0].levelno == logging.WARNING
    text = locks[0].getMessage()
    assert name in text and "testclient" in text and "secret-guess" not in text
    clock.now += timedelta(minutes=16)
    assert _login(client, name, PASSWORD).status_code == 200
    last = session.scalars(
        select(LoginAttempt).where(LoginAttempt.username == name).order_by(LoginAttempt.id.desc())
    ).first()
    assert last is not None and last.succeeded


def test_one_address_may_fail_ten_times_a_minute(
    client: TestClient, session: Session, accounts: dict[str, Staff], clock: Clock
) -> None:
    limit = get_settings().auth.login_per_ip_per_minute
    assert limit == 10
    for i in range(limit):  # different names, so that no account locks
        r = _login(client, f"nobody-{i}", "guess")
        assert r.status_code == 401, r.text
        clock.now += timedelta(seconds=3)
    before = session.scalar(select(LoginAttempt.id).order_by(LoginAttempt.id.desc()).limit(1))
    r = _login(client, accounts["chief"].username, PASSWORD)  # even the right password
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "login_rate_limited"
    # the oldest failure leaves the window 60 s after it was made: 30 s from now
    assert int(r.headers["Retry-After"]) == 30
    assert r.json()["retry_after"] == 30
    # a refused request checks no password and writes nothing
    newest = session.scalar(select(LoginAttempt.id).order_by(LoginAttempt.id.desc()).limit(1))
    assert newest == before
    clock.now += timedelta(seconds=30)
    assert _login(client, accounts["chief"].username, PASSWORD).status_code == 200


def test_an_unknown_username_answers_like_a_wrong_password(
    client: TestClient, accounts: dict[str, Staff], clock: Clock
) -> None:
    known, unknown = accounts["municipal"].username, "no-such-user"
    for i in range(5):
        a, b = _login(client, known, f"wrong-{i}"), _login(client, unknown, f"wrong-{i}")
        assert (a.status_code, a.headers["content-type"]) == (
            b.status_code,
            b.headers["content-type"],
        )
        body_a, body_b = a.json(), b.json()
        assert body_a == body_b, (body_a, body_b)
        clock.now += timedelta(seconds=15)
    assert body_a["code"] == "account_locked"  # an unknown name locks like an account
    assert _login(client, unknown, "again").json()["code"] == "account_locked"
    # names that PostgreSQL cannot store or match are refused the same way, not with a 500
    for odd in ("nul\x00name", "x" * 300):
        r = _login(client, odd, "guess")
        assert r.status_code == 401 and r.json()["code"] == "invalid_credentials", r.text


def test_an_unknown_username_costs_as_much_as_a_wrong_password(
    client: TestClient,
    session: Session,
    accounts: dict[str, Staff],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the production cost (the tests otherwise hash cheaply), the answer for an unknown
    name takes as long as for a known name with a wrong password: both check an argon2 hash."""
    real = PasswordHasher()
    monkeypatch.setattr(service, "_hasher", lambda: real)
    service._decoy_hash.cache_clear()
    monkeypatch.setattr(get_settings().auth, "login_per_ip_per_minute", 100)
    monkeypatch.setattr(get_settings().auth, "login_max_failures", 100)
    user = _user(session, accounts["humen"].username)
    user.password_hash = real.hash(PASSWORD)
    session.commit()
    _login(client, "warm-up", "x")  # the decoy hash is made once

    def timed(name: str) -> float:
        start = time.perf_counter()
        r = _login(client, name, "wrong-password")
        assert r.status_code == 401
        return time.perf_counter() - start

    known = statistics.median(timed(user.username) for _ in range(5))
    unknown = statistics.median(timed(f"nobody-{i}") for i in range(5))
    service._decoy_hash.cache_clear()
    assert 0.6 < unknown / known < 1.6, (known, unknown)
    assert known > 0.01  # a real argon2 check ran
