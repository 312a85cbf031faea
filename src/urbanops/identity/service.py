"""Staff accounts and login (argon2 hashes, signed bearer tokens) and API keys for systems."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.core.errors import Conflict, InvalidInput, NotAuthenticated
from urbanops.core.settings import get_settings
from urbanops.identity.models import ApiKey, User
from urbanops.identity.roles import Actor, ActorKind, Role

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
) -> User:
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位", code="weak_password", message_en="password too short")
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
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    try:
        if user is None:
            _hasher().hash(password)  # same work whether or not the user exists
            raise VerificationError
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.is_active:
        raise NotAuthenticated(
            "用户名或密码错误", code="invalid_credentials", message_en="wrong username or password"
        )
    return user


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
    )


def user_from_token(session: Session, token: str) -> User:
    try:
        payload = jwt.decode(token, get_settings().auth.secret_key, algorithms=[ALGORITHM])
        user_id = int(payload["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise NotAuthenticated(
            "登录已失效，请重新登录", code="invalid_token", message_en="invalid or expired token"
        ) from exc
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("账号不可用", code="inactive_user", message_en="user inactive")
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
