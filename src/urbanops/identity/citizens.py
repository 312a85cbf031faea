"""Citizens: sign-in by phone and one-time code, sessions, profiles, masked phone numbers.

A code leaves through the `send_sms` job after the request commits (a rolled-back request sends
nothing); in demo mode the console adapter is used and the code is also returned to the page.
Codes and session tokens are stored only as keyed hashes (the message text waits in
`outbound_sms` only until it is sent). Requests for one phone, and from one address, are
serialised by advisory locks, so the limits hold under concurrent requests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.core.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceBusy,
)
from urbanops.core.settings import get_settings
from urbanops.identity.models import Citizen, CitizenSession, OtpChallenge, PhoneReveal
from urbanops.identity.roles import Actor, ActorKind, Role
from urbanops.notifications.delivery import queue_sms
from urbanops.notifications.ports import ConsoleSms, sms_sender

PHONE = re.compile(r"^1[3-9]\d{9}$")
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60
LOCK_WAIT_SECONDS = 5.0


def normalise_phone(raw: str) -> str:
    phone = re.sub(r"[\s\-()]", "", raw or "")
    phone = phone.removeprefix("+86").removeprefix("0086")
    if not PHONE.match(phone):
        raise InvalidInput(
            "请输入正确的 11 位手机号",
            code="invalid_phone",
            message_en="enter a valid 11-digit mobile number",
            extra={"field": "phone"},
        )
    return phone


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def keyed_digest(*parts: str) -> str:
    """What is stored of a secret (a code, a session token): an HMAC under the platform's key,
    of `parts` joined, the first naming what it is."""
    key = get_settings().auth.secret_key.encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def _serialise(session: Session, *keys: str) -> None:
    """Take a transaction-level advisory lock for each key, waiting at most LOCK_WAIT_SECONDS in
    all (a request that would wait longer is told to try again, never left hanging). Tried, not
    queued for: nobody waits while holding what another waits for, so no deadlock either."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    for key in keys:
        take = text("SELECT pg_try_advisory_xact_lock(hashtext(:k))")
        while not session.scalar(take, {"k": key}):
            if time.monotonic() > deadline:
                raise ServiceBusy(
                    "请求过多，请稍后再获取验证码",
                    code="otp_busy",
                    message_en="too many requests at once; ask for a code again shortly",
                    extra={"retry_after": 2},
                )
            time.sleep(0.02)


@dataclass(frozen=True)
class CodeIssued:
    expires_at: datetime
    demo_code: str | None  # shown on the page only when messages go to the console


def request_code(session: Session, *, phone: str, ip: str, now: datetime) -> CodeIssued:
    phone = normalise_phone(phone)
    cfg = get_settings().auth
    # one request at a time per phone, then per address, to the end of the transaction: each
    # request counts the codes committed before it
    _serialise(session, f"otp:{phone}", f"otp-ip:{ip}")
    hour_ago = now - timedelta(hours=1)
    per_phone = (
        session.scalar(
            select(func.count()).where(
                OtpChallenge.phone == phone, OtpChallenge.created_at > hour_ago
            )
        )
        or 0
    )
    per_ip = (
        session.scalar(
            select(func.count()).where(OtpChallenge.ip == ip, OtpChallenge.created_at > hour_ago)
        )
        or 0
    )
    if per_phone >= cfg.otp_per_phone_per_hour or per_ip >= cfg.otp_per_ip_per_hour:
        raise RateLimited(
            "获取验证码过于频繁，请一小时后再试",
            code="otp_rate_limited",
            message_en="too many codes requested; try again in an hour",
        )
    last = session.scalar(
        select(func.max(OtpChallenge.created_at)).where(OtpChallenge.phone == phone)
    )
    if last is not None and now - last < timedelta(seconds=RESEND_SECONDS):
        # a request that read the clock before the one it waited for can see a negative age
        wait = min(RESEND_SECONDS, max(1, RESEND_SECONDS - int((now - last).total_seconds())))
        raise RateLimited(
            f"请 {wait} 秒后再获取验证码",
            code="otp_too_soon",
            message_en=f"wait {wait} s before asking again",
            extra={"retry_after": wait},
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = now + timedelta(minutes=cfg.otp_ttl_minutes)
    session.add(
        OtpChallenge(
            phone=phone,
            ip=ip,
            code_hash=keyed_digest(phone, code),
            created_at=now,
            expires_at=expires,
        )
    )
    queue_sms(
        session,
        phone=phone,
        text=f"您的验证码是 {code}，{cfg.otp_ttl_minutes} 分钟内有效。如非本人操作请忽略。",
        purpose="otp",
        now=now,
        expires_at=expires,
    )
    demo = code if isinstance(sms_sender(), ConsoleSms) and get_settings().demo_mode else None
    return CodeIssued(expires_at=expires, demo_code=demo)


@dataclass(frozen=True)
class SignIn:
    citizen: Citizen | None
    token: str | None
    error: InvalidInput | NotAuthenticated | None = None
    created: bool = False  # the account was made by this sign-in


def sign_in(session: Session, *, phone: str, code: str, now: datetime) -> SignIn:
    """Check a code. A wrong code is counted (the caller commits even then) and refused."""
    phone = normalise_phone(phone)
    challenge = session.scalars(
        select(OtpChallenge)
        .where(
            OtpChallenge.phone == phone,
            OtpChallenge.consumed_at.is_(None),
            OtpChallenge.expires_at > now,
        )
        .order_by(OtpChallenge.created_at.desc())
        .limit(1)
        .with_for_update()
    ).one_or_none()
    if challenge is None:
        return SignIn(
            None,
            None,
            NotAuthenticated(
                "验证码已过期或未获取，请重新获取",
                code="otp_expired",
                message_en="the code has expired; ask for a new one",
            ),
        )
    challenge.attempts += 1
    if challenge.attempts > MAX_ATTEMPTS:
        challenge.consumed_at = now
        return SignIn(
            None,
            None,
            NotAuthenticated(
                "错误次数过多，请重新获取验证码",
                code="otp_locked",
                message_en="too many wrong codes; ask for a new one",
            ),
        )
    if not hmac.compare_digest(challenge.code_hash, keyed_digest(phone, (code or "").strip())):
        return SignIn(
            None,
            None,
            NotAuthenticated(
                "验证码不正确",
                code="otp_wrong",
                message_en="wrong code",
                extra={"attempts_left": MAX_ATTEMPTS - challenge.attempts},
            ),
        )
    challenge.consumed_at = now
    citizen = session.scalars(select(Citizen).where(Citizen.phone == phone)).one_or_none()
    if citizen is None:
        citizen = Citizen(phone=phone, nickname=f"市民{phone[-4:]}", created_at=now)
        session.add(citizen)
        session.flush()
        created = True
    else:
        created = False
    token = secrets.token_urlsafe(32)
    days = get_settings().auth.citizen_session_days
    session.add(
        CitizenSession(
            token_hash=keyed_digest("session", token),
            citizen_id=citizen.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return SignIn(citizen, token, created=created)


def citizen_from_token(session: Session, token: str, now: datetime) -> Citizen:
    row = session.scalars(
        select(CitizenSession).where(
            CitizenSession.token_hash == keyed_digest("session", token),
            CitizenSession.expires_at > now,
        )
    ).one_or_none()
    citizen = session.get(Citizen, row.citizen_id) if row else None
    if citizen is None:
        raise NotAuthenticated(
            "请先用手机号登录",
            code="citizen_not_signed_in",
            message_en="sign in with your phone first",
        )
    return citizen


def sign_out(session: Session, token: str) -> None:
    row = session.get(CitizenSession, keyed_digest("session", token))
    if row is not None:
        session.delete(row)


def citizen_actor(citizen: Citizen) -> Actor:
    return Actor(
        kind=ActorKind.citizen, id=citizen.id, label=citizen.nickname or mask_phone(citizen.phone)
    )


def update_profile(
    session: Session,
    citizen: Citizen,
    *,
    nickname: str | None,
    home_town_code: str | None,
    language: str | None,
) -> Citizen:
    from urbanops.areas.models import Town

    if nickname is not None:
        nickname = nickname.strip()
        if not 1 <= len(nickname) <= 16:
            raise InvalidInput(
                "昵称须为 1 到 16 个字",
                code="invalid_nickname",
                message_en="nickname: 1 to 16 characters",
                extra={"field": "nickname"},
            )
        citizen.nickname = nickname
    if home_town_code is not None:
        if home_town_code and session.get(Town, home_town_code) is None:
            raise InvalidInput(
                "所选镇街不存在",
                code="unknown_town",
                message_en="unknown town",
                extra={"field": "home_town_code"},
            )
        citizen.home_town_code = home_town_code or None
    if language is not None:
        if language not in ("zh", "en"):
            raise InvalidInput(
                "语言只能是 zh 或 en",
                code="invalid_language",
                message_en="language must be zh or en",
            )
        citizen.language = language
    return citizen


def require_reveal(actor: Actor) -> None:
    """Refuse (403) anyone but a staff member with the `reveal_phone` permission."""
    if (
        Role.reveal_phone not in actor.roles
        or actor.kind is not ActorKind.staff
        or actor.id is None
    ):
        raise PermissionDenied(
            "您没有查看完整手机号的权限",
            code="reveal_not_allowed",
            message_en="you may not see full phone numbers",
        )


def reveal_phone(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    citizen_id: int,
    case_id: int,
    reason: str,
) -> str:
    """A citizen's full phone number for a staff member with the permission; always logged.
    The caller has checked that the citizen reported `case_id` and that the case is in the
    staff member's scope (`cases.queries.reveal_reporter_phone`)."""
    require_reveal(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "请填写查看原因",
            code="missing_field",
            message_en="reason is required",
            extra={"field": "reason"},
        )
    citizen = session.get(Citizen, citizen_id)
    if citizen is None:
        raise NotFound("市民不存在", code="citizen_not_found", message_en="citizen not found")
    session.add(
        PhoneReveal(user_id=actor.id, citizen_id=citizen_id, case_id=case_id, at=now, reason=reason)
    )
    return citizen.phone
