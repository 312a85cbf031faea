"""Staff accounts and login (argon2 hashes, signed bearer tokens) and API keys for systems."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import secrets
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import anyio
import anyio.to_thread
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from urbanops.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    Locked,
    NotAuthenticated,
    RateLimited,
    ServiceBusy,
)
from urbanops.core.settings import get_settings
from urbanops.identity.models import ApiKey, LoginAttempt, User
from urbanops.identity.policy import check_password_policy
from urbanops.identity.roles import Actor, ActorKind, Role

log = logging.getLogger(__name__)

_hashers: dict[bool, PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """argon2 with its recommended cost; the test environment uses a cheap one."""
    cheap = get_settings().env == "test"
    if cheap not in _hashers:
        _hashers[cheap] = (
            PasswordHasher(time_cost=1, memory_cost=1024) if cheap else PasswordHasher()
        )
    return _hashers[cheap]


ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: list[Role],
    unit_id: int | None = None,
    communities: list[str] | None = None,
    grid_cells: list[str] | None = None,
) -> User:
    check_password_policy(password, username=username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"用户名“{username}”已存在", code="username_taken", message_en="username taken"
        )
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=[str(r) for r in roles],
        unit_id=unit_id,
        communities=sorted(set(communities or ())),
        grid_cells=sorted(set(grid_cells or ())),
    )
    session.add(user)
    session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from (argon2; blocking)."""
    return _verify(password_hash, password)


@cache
def _decoy_hash(cheap: bool) -> str:
    """A hash of nothing anyone knows, checked when the username is unknown: the same work as a
    real check, so an unknown name answers as slowly as a wrong password."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _wrong_credentials() -> NotAuthenticated:
    return NotAuthenticated(
        "用户名或密码错误", code="invalid_credentials", message_en="wrong username or password"
    )


# --- staff login: per-IP rate limit, per-account lockout, bounded password checks ------------------
#
# A login is three steps: `begin_login` (one short transaction: the per-IP limit, the audit row,
# the account's lockout), `check_password` (argon2 in a worker thread, at most
# `auth.login_concurrency` at once per process, the others waiting on the event loop), and
# `finish_login` (one short transaction: the counter, the lockout, the audit row's outcome). The
# route commits each step before it answers, so failed attempts are kept even though it fails.

IP_WINDOW = timedelta(minutes=1)
_LOGIN_LOCK_SPACE = 0x4C4F47  # first key of the per-IP advisory locks ("LOG")


@dataclass(frozen=True)
class LoginStart:
    attempt_id: int
    username: str
    ip: str
    user_id: int | None
    password_hash: str  # the account's, or a decoy of the same cost
    refused: DomainError | None = None  # answer this (after commit) without checking the password


@dataclass(frozen=True)
class LoginEnd:
    user: User | None
    error: DomainError | None = None


def _text(value: str, limit: int) -> str:
    """`value` as PostgreSQL can store it in a column of `limit` characters."""
    return value.replace("\x00", "\ufffd")[:limit]


def _local(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(get_settings().timezone))


def _seconds_until(later: datetime, now: datetime) -> int:
    return max(1, math.ceil((later - now).total_seconds()))


def _locked(until: datetime, now: datetime) -> Locked:
    n = get_settings().auth.login_max_failures
    shown = _local(until).strftime("%Y-%m-%d %H:%M")
    return Locked(
        f"密码连续错误 {n} 次，账号已锁定，请于 {shown}（北京时间）后再试",
        code="account_locked",
        message_en=f"{n} wrong passwords in a row: the account is locked until {shown} "
        "(Beijing time)",
        extra={"locked_until": until.isoformat(), "retry_after": _seconds_until(until, now)},
    )


def begin_login(session: Session, *, username: str, ip: str, now: datetime) -> LoginStart:
    """Admit a login attempt: raises `RateLimited` (nothing written) when `ip` has made too
    many failed attempts in the last minute; else records the attempt, as failed until
    `finish_login` says otherwise, so attempts in flight count too. The count and the insert run
    under a per-IP lock, so that parallel attempts cannot all slip under the limit."""
    cfg = get_settings().auth
    ip = _text(ip, 45)
    name = _text(username, 64)
    session.execute(
        select(func.pg_advisory_xact_lock(literal(_LOGIN_LOCK_SPACE), func.hashtext(ip)))
    )
    recent = session.scalars(
        select(LoginAttempt.at)
        .where(
            LoginAttempt.ip == ip,
            LoginAttempt.at > now - IP_WINDOW,
            LoginAttempt.succeeded.is_(False),
        )
        .order_by(LoginAttempt.at.desc())
        .limit(cfg.login_per_ip_per_minute)
    ).all()
    if len(recent) >= cfg.login_per_ip_per_minute:
        wait = _seconds_until(recent[-1] + IP_WINDOW, now)
        log.warning("login rate limit: ip %s, username %r", ip, name)
        raise RateLimited(
            f"登录失败次数过多，请 {wait} 秒后再试",
            code="login_rate_limited",
            message_en=f"too many failed logins from your address; try again in {wait} s",
            extra={"retry_after": wait},
        )
    attempt = LoginAttempt(username=name, ip=ip, at=now, succeeded=False)
    session.add(attempt)
    session.flush()
    user = None
    if name == username:  # a name PostgreSQL could not store is nobody's
        user = session.execute(
            select(User.id, User.password_hash, User.locked_until).where(User.username == name)
        ).one_or_none()
    if user is None:
        refused = _decoy_lockout(session, name, attempt.id, now)
        decoy = _decoy_hash(get_settings().env == "test")
        return LoginStart(attempt.id, name, ip, None, decoy, refused)
    refused = None
    if user.locked_until is not None and user.locked_until > now:
        refused = _locked(user.locked_until, now)
    return LoginStart(attempt.id, name, ip, user.id, user.password_hash, refused)


def _decoy_lockout(session: Session, name: str, attempt_id: int, now: datetime) -> Locked | None:
    """An unknown username locks like an account does (after `login_max_failures` failures
    within the lockout time), so that the lockout does not tell which usernames exist."""
    cfg = get_settings().auth
    window = timedelta(minutes=cfg.login_lockout_minutes)
    failures = session.scalars(
        select(LoginAttempt.at)
        .where(
            LoginAttempt.username == name,
            LoginAttempt.at > now - window,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.id != attempt_id,
        )
        .order_by(LoginAttempt.at)
        .limit(cfg.login_max_failures)
    ).all()
    if len(failures) >= cfg.login_max_failures:
        return _locked(failures[-1] + window, now)
    return None


def _login_limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = anyio.CapacityLimiter(get_settings().auth.login_concurrency)
        _limiters[loop] = limiter
    return limiter


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def check_password(password_hash: str, password: str) -> bool:
    """argon2 (~64 MB and tens of ms of CPU) in a worker thread, never on the event loop, and
    at most `auth.login_concurrency` at once in this process; the others wait on the event
    loop (holding no thread) up to `auth.login_queue_seconds`, then get `ServiceBusy`."""
    limiter = _login_limiter()
    try:
        with anyio.fail_after(get_settings().auth.login_queue_seconds):
            await limiter.acquire()
    except TimeoutError:
        raise ServiceBusy(
            "登录的人太多，请稍后再试",
            code="login_busy",
            message_en="too many logins at once; try again in a moment",
            extra={"retry_after": 5},
        ) from None
    try:
        return await anyio.to_thread.run_sync(_verify, password_hash, password)
    finally:
        limiter.release()


def finish_login(session: Session, start: LoginStart, *, ok: bool, now: datetime) -> LoginEnd:
    """Record the outcome of a checked password. A success resets the account's counter; a
    failure adds one to it in a single UPDATE (parallel failures are all counted) and, at
    `login_max_failures`, locks the account for `login_lockout_minutes` (logged)."""
    cfg = get_settings().auth
    if start.user_id is None:
        return LoginEnd(None, _decoy_lockout_now(session, start, now) or _wrong_credentials())
    if ok:
        reset = session.execute(
            update(User)
            .where(
                User.id == start.user_id,
                User.is_active.is_(True),
                (User.locked_until.is_(None)) | (User.locked_until <= now),
            )
            .values(failed_logins=0, locked_until=None)
            .returning(User.id)
        ).one_or_none()
        if reset is not None:
            session.execute(
                update(LoginAttempt)
                .where(LoginAttempt.id == start.attempt_id)
                .values(succeeded=True)
            )
            user = session.get(User, start.user_id, populate_existing=True)
            assert user is not None
            return LoginEnd(user)
        # locked meanwhile by parallel wrong attempts, or deactivated: refused like a failure
    until = now + timedelta(minutes=cfg.login_lockout_minutes)
    # after a lockout has run out, counting starts again from one
    expired = User.locked_until.is_not(None) & (User.locked_until <= now)
    count = case((expired, 1), else_=User.failed_logins + 1)
    row = session.execute(
        update(User)
        .where(User.id == start.user_id)
        .values(
            failed_logins=count,
            locked_until=case(
                (count >= cfg.login_max_failures, until),
                (expired, None),
                else_=User.locked_until,
            ),
        )
        .returning(User.failed_logins, User.locked_until)
    ).one()
    if row.failed_logins == cfg.login_max_failures:
        log.warning(
            "staff account %r locked until %s after %d wrong passwords (last from ip %s)",
            start.username,
            row.locked_until.isoformat() if row.locked_until else "?",
            row.failed_logins,
            start.ip,
        )
    if row.locked_until is not None and row.locked_until > now:
        return LoginEnd(None, _locked(row.locked_until, now))
    return LoginEnd(None, _wrong_credentials())


def _decoy_lockout_now(session: Session, start: LoginStart, now: datetime) -> Locked | None:
    """The lockout an account would get from this failure, for an unknown username."""
    cfg = get_settings().auth
    window = timedelta(minutes=cfg.login_lockout_minutes)
    failures = (
        session.scalar(
            select(func.count()).where(
                LoginAttempt.username == start.username,
                LoginAttempt.at > now - window,
                LoginAttempt.succeeded.is_(False),
            )
        )
        or 0
    )
    if failures == cfg.login_max_failures:
        log.warning(
            "unknown staff username %r refused as locked after %d failures (last from ip %s)",
            start.username,
            failures,
            start.ip,
        )
    if failures >= cfg.login_max_failures:
        return _locked(now + window, now)
    return None


def issue_token(user: User, now: datetime) -> tuple[str, int]:
    cfg = get_settings().auth
    ttl = timedelta(minutes=cfg.token_ttl_minutes)
    payload = {
        "sub": str(user.id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(payload, cfg.secret_key, algorithm=ALGORITHM), int(ttl.total_seconds())


def actor_for_user(user: User) -> Actor:
    return Actor(
        kind=ActorKind.staff,
        id=user.id,
        label=user.display_name,
        roles=frozenset(Role(r) for r in user.roles),
        unit_id=user.unit_id,
        communities=frozenset(user.communities or ()),
        grid_cells=frozenset(user.grid_cells or ()),
    )


def user_from_token(session: Session, token: str) -> User:
    try:
        payload = jwt.decode(
            token,
            get_settings().auth.secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
            # a token handed back by a password change is dated at the change (`iat` rounded up
            # to the next second, so that older ones in that second are refused): not "future"
            leeway=2,
        )
        user_id = int(payload["sub"])
        if not 0 < user_id < 2**31:
            raise ValueError(user_id)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise NotAuthenticated(
            "登录已失效，请重新登录", code="invalid_token", message_en="invalid or expired token"
        ) from exc
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("账号不可用", code="inactive_user", message_en="user inactive")
    changed = user.password_changed_at
    if changed is not None and payload["iat"] < changed.timestamp():
        raise NotAuthenticated(
            "密码已修改，请重新登录",
            code="invalid_token",
            message_en="the password was changed: log in again",
        )
    return user


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    name = name.strip()
    if not name:
        raise InvalidInput("请填写名称", code="missing_field", message_en="name is required")
    secret = "uo_" + secrets.token_urlsafe(24)
    row = ApiKey(name=name, prefix=secret[:10], key_hash=_digest(secret))
    session.add(row)
    session.flush()
    return row, secret


API_KEY_CACHE_SECONDS = 30.0
_key_cache: dict[str, tuple[float, int, str]] = {}


def forget_api_key(key_id: int) -> None:
    """Drop a revoked key from this process's memory of valid keys (others forget it within
    `API_KEY_CACHE_SECONDS`)."""
    for digest, (_, cached_id, _) in list(_key_cache.items()):
        if cached_id == key_id:
            _key_cache.pop(digest, None)


def api_key_actor(session: Session, key: str) -> tuple[int, Actor] | None:
    """The system holding `key`; valid keys are remembered for 30 s (a revocation takes
    effect within that time), unknown keys are looked up every time."""
    digest = _digest(key)
    hit = _key_cache.get(digest)
    if hit is None or time.monotonic() - hit[0] > API_KEY_CACHE_SECONDS:
        row = session.execute(
            select(ApiKey.id, ApiKey.name).where(
                ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
            )
        ).one_or_none()
        if row is None:
            _key_cache.pop(digest, None)
            return None
        hit = (time.monotonic(), row.id, row.name)
        _key_cache[digest] = hit
    return hit[1], Actor(kind=ActorKind.api, id=hit[1], label=hit[2])
