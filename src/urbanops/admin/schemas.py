"""Shapes of the administration API (/api/v1/admin/…): what an admin sends and is shown.
No shape carries a password hash or an API key's digest; a new key's secret and a reset
password are answered once, in their own shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from urbanops.core.types import IntId, Line
from urbanops.identity.roles import Role
from urbanops.notifications.schemas import PHONE_PATTERN, WECOM_PATTERN

Stage = Literal["dispatch", "handle", "verify"]
TimeUnitName = Literal["natural_hours", "working_hours", "working_days"]
Username = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- options: the words and choices every admin page offers --------------------------------


class Choice(BaseModel):
    code: str
    label: str
    label_en: str


class OptionsOut(BaseModel):
    roles: list[Choice]
    unit_kinds: list[Choice]
    facilities: list[Choice]
    towns: list[Choice]
    matter_classes: list[Choice]


class SummaryOut(BaseModel):
    users: int
    active_users: int
    units: int
    active_units: int
    rules: int
    matters_with_limits: int
    stations: int
    demo_stations: int
    api_keys: int
    audit_entries: int


# --- users -----------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    unit_id: int | None
    communities: list[str]
    is_active: bool
    must_change_password: bool
    locked: bool
    created_at: datetime
    phone: str | None = None  # SMS (supervision, the daily digest)
    wecom_userid: str | None = None  # 企业微信 work messages, used before SMS


class UserIn(Strict):
    username: Line = Username
    display_name: Line = Field(min_length=1, max_length=64)
    password: Line = Field(max_length=128)
    roles: list[Role] = Field(max_length=len(Role))
    unit_id: IntId | None = None
    communities: list[Line] = Field(default_factory=list, max_length=500)
    must_change_password: bool = True


class UserPatch(Strict):
    """The fields to change; a `unit_id` of null takes the account out of its unit."""

    display_name: Line | None = Field(default=None, min_length=1, max_length=64)
    roles: list[Role] | None = Field(default=None, max_length=len(Role))
    unit_id: IntId | None = None
    communities: list[Line] | None = Field(default=None, max_length=500)
    is_active: bool | None = None
    # where the account is reached off the platform; "" or null: not that way
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN, description="手机号（短信）")
    wecom_userid: str | None = Field(
        default=None, max_length=64, pattern=WECOM_PATTERN, description="企业微信 UserID"
    )


class PasswordResetOut(BaseModel):
    user_id: int
    temporary_password: str  # shown once; the account must change it at the next sign-in


class CommunityOut(BaseModel):
    code: str
    name: str
    town_code: str


# --- units -----------------------------------------------------------------------------------


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    town_code: str | None
    is_active: bool
    rules: int  # rules of the matrix routing to it
    staff: int


class UnitIn(Strict):
    code: Line = Field(min_length=2, max_length=32, pattern=r"^[a-z0-9_]+$")
    name: Line = Field(min_length=1, max_length=100)
    kind: Line = Field(max_length=20)
    town_code: Line | None = Field(default=None, max_length=9)


class UnitPatch(Strict):
    """The fields to change; a `town_code` of null makes the unit city-wide."""

    name: Line | None = Field(default=None, min_length=1, max_length=100)
    kind: Line | None = Field(default=None, max_length=20)
    town_code: Line | None = Field(default=None, max_length=9)
    is_active: bool | None = None


# --- the responsibility matrix ---------------------------------------------------------------


class RuleOut(BaseModel):
    id: int
    town_code: str | None
    matter_class: str | None
    matter_code: str | None
    unit_id: int


class RuleIn(Strict):
    """A rule: null town = city-wide; null class and matter = every matter (the default)."""

    town_code: Line | None = Field(default=None, max_length=9)
    matter_class: Line | None = Field(default=None, max_length=2)
    matter_code: Line | None = Field(default=None, max_length=5)
    unit_id: IntId


class RoutingOut(BaseModel):
    town_code: str
    matter_code: str
    unit_id: int | None
    unit_name: str
    rule: RuleOut | None  # the rule that decided; null: no rule, the case waits in triage


# --- time limits -----------------------------------------------------------------------------


class LimitIn(Strict):
    amount: float = Field(gt=0, le=1000, allow_inf_nan=False)
    unit: TimeUnitName


class MatterLimitsOut(BaseModel):
    code: str
    name: str
    class_code: str
    is_active: bool
    stages: dict[str, LimitIn]


class LimitsIn(Strict):
    """The stages to set; a stage given as null has no limit from now on."""

    stages: dict[Stage, LimitIn | None] = Field(min_length=1)


# --- service stations ------------------------------------------------------------------------


class StationOut(BaseModel):
    id: int
    name: str
    town_code: str | None
    address: str
    lat: float
    lon: float
    amenities: list[str]
    opening_hours: str
    is_demo: bool


class StationIn(Strict):
    name: Line = Field(min_length=1, max_length=100)
    address: Line = Field(default="", max_length=200)
    opening_hours: Line = Field(default="", max_length=100)
    amenities: list[Line] = Field(default_factory=list, max_length=20)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


# --- API keys --------------------------------------------------------------------------------


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str  # the secret's first characters, to recognise a key
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIn(Strict):
    name: Line = Field(min_length=1, max_length=100)


class ApiKeyCreatedOut(ApiKeyOut):
    secret: str  # shown this once; only its digest is kept


# --- the audit trail -------------------------------------------------------------------------


class AuditOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    actor: str
    entity: str
    entity_key: str
    change: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
