"""Identity API shapes: the citizen's phone sign-in and profile."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from urbanops.core.types import Line
from urbanops.identity import citizens
from urbanops.identity.models import Citizen


class CodeIn(BaseModel):
    phone: Line = Field(max_length=20)


class CodeOut(BaseModel):
    expires_at: datetime
    demo_code: str | None = None


class SignInIn(BaseModel):
    phone: Line = Field(max_length=20)
    code: Line = Field(max_length=10)
    # the share code of the link that brought a new citizen (助攻); ignored for an existing one
    ref: Line | None = Field(default=None, max_length=16)


class ProfileOut(BaseModel):
    id: int
    phone_masked: str
    nickname: str
    home_town_code: str | None
    language: str

    @classmethod
    def of(cls, citizen: Citizen) -> ProfileOut:
        """The citizen's own profile, phone number masked."""
        return cls(
            id=citizen.id,
            phone_masked=citizens.mask_phone(citizen.phone),
            nickname=citizen.nickname,
            home_town_code=citizen.home_town_code,
            language=citizen.language,
        )


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nickname: Line | None = Field(default=None, max_length=32)
    home_town_code: Line | None = Field(default=None, max_length=9)
    language: Line | None = Field(default=None, max_length=5)
