"""Identity tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base


class User(Base):
    """A staff member; `roles` are names from `identity.roles.Role`."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # consecutive wrong passwords since the last successful login, and the lockout they caused
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # an area chief's (片长) communities: the cases they see
    communities: Mapped[list[str]] = mapped_column(
        ARRAY(String(12)), default=list, server_default="{}"
    )
    # ... and grid cells (单元网格), where cases carry no community (no community outlines)
    grid_cells: Mapped[list[str]] = mapped_column(
        ARRAY(String(15)), default=list, server_default="{}"
    )
    # tokens issued before this are refused; None: never changed since the account was made
    password_changed_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )


class StaffSession(Base):
    """A signed-in browser of a staff member (pages: console, field app, leaders, admin); the
    cookie holds the token, the table its digest."""

    __tablename__ = "staff_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    """One administrative change: who, when, what, before → after. Rows are never changed."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_key", "at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(16))  # create | update | delete | action
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class LoginAttempt(Base):
    """Audit log of staff logins, and the per-IP rate limit's memory (shared by all processes)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_ip_at", "ip", "at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ApiKey(Base):
    """A key for another system (12345 platform, Open311 client); only its hash is stored."""

    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]


class Citizen(Base):
    """A citizen bound by phone number (personal data: staff see it masked)."""

    __tablename__ = "citizen"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    nickname: Mapped[str] = mapped_column(String(32), default="", server_default="")
    home_town_code: Mapped[str | None] = mapped_column(ForeignKey("town.code"))
    language: Mapped[str] = mapped_column(String(5), default="zh", server_default="zh")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OtpChallenge(Base):
    """A one-time sign-in code sent to a phone; only its hash is stored."""

    __tablename__ = "otp_challenge"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None]


class CitizenSession(Base):
    __tablename__ = "citizen_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PhoneReveal(Base):
    """Audit log: a staff member saw a citizen's full phone number."""

    __tablename__ = "phone_reveal"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
