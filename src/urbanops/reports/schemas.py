"""Report API shapes: intake (every source), and the citizen app's reports and cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from urbanops.cases.workflow import RATING_SCALE
from urbanops.core.geo import Datum
from urbanops.core.types import Line, Text


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lat: float = Field(ge=-90, le=90, description="latitude in `datum`")
    lon: float = Field(ge=-180, le=180, description="longitude in `datum`")
    datum: Datum = Datum.wgs84
    description: Text = Field(default="", max_length=4000)
    matter_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    category_code: Line | None = Field(default=None, max_length=32)
    address: Line = Field(default="", max_length=256)
    idempotency_key: Line | None = Field(default=None, min_length=8, max_length=80)
    media: list[Annotated[Line, Field(max_length=2048)]] = Field(default_factory=list, max_length=9)
    reporter_name: Line = Field(default="", max_length=64)
    reporter_phone: Line = Field(default="", max_length=20)
    external_id: Line | None = Field(default=None, max_length=100)


class SuggestionOut(BaseModel):
    matter_code: str
    matter_name: str
    confidence: float


class ReportOut(BaseModel):
    report_id: int
    case_id: int
    case_number: str
    outcome: str = Field(description="dispatched | triage | joined | replayed")
    status: str
    town_code: str | None
    town_name: str | None
    community_code: str | None
    grid_cell_code: str | None
    matter_code: str | None
    matter_name: str | None
    unit_id: int | None
    unit_name: str | None
    due_at: datetime | None
    suggestions: list[SuggestionOut]
    message: str


# --- the citizen app ---------------------------------------------------------------------------


class PhotoOut(BaseModel):
    id: str
    url: str
    thumb_url: str
    width: int
    height: int
    gps: dict[str, float] | None


class CitizenReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    datum: Datum = Datum.wgs84
    description: Text = Field(default="", max_length=2000)
    category_code: Line | None = Field(default=None, max_length=32)
    matter_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    address: Line = Field(default="", max_length=256)
    photo_ids: list[Annotated[Line, Field(max_length=2048)]] = Field(
        default_factory=list, max_length=9
    )
    idempotency_key: Line = Field(min_length=8, max_length=80)


class MyCaseOut(BaseModel):
    """One of the citizen's reports, with the case it opened or joined."""

    case_id: int
    number: str
    status: str
    status_label: str
    matter_name: str | None
    unit_name: str | None
    reported_at: datetime
    due_at: datetime | None
    supporter: bool
    thumb_url: str | None


class TimelineItem(BaseModel):
    at: datetime
    action: str
    label: str
    note: str
    photos: list[str]


class PublicCaseOut(BaseModel):
    """A case as its reporter sees it: public timeline, before/after photos, what they may do."""

    case_id: int
    number: str
    status: str
    status_label: str
    matter_name: str | None
    category_code: str | None
    description: str
    unit_name: str | None
    town_name: str | None
    lat: float
    lon: float
    reported_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    before_photos: list[str]
    after_photos: list[str]
    timeline: list[TimelineItem]
    supporters: int
    mine: bool
    can_rate: bool
    can_dispute: bool
    rating: int | None
    rating_comment: str | None


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=RATING_SCALE[0], le=RATING_SCALE[1])
    comment: Text = Field(default="", max_length=500)


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=500)
    photo_ids: list[Annotated[Line, Field(max_length=2048)]] = Field(
        default_factory=list, max_length=9
    )


class GateOut(BaseModel):
    """When the active model dispatches a report without a clerk, and what the evaluation set
    gave for it (shares between 0 and 1; `holdout_*` from a gate chosen on the other half)."""

    target: float  # the precision the gate was chosen for
    remit: float  # least probability of being urban management
    matter: float  # least confidence in the top matter
    auto_rate: float | None
    auto_precision: float | None
    out_of_remit_auto: float | None
    top1: float | None
    top3: float | None
    holdout_auto_rate: float | None
    holdout_auto_precision: float | None
    holdout_out_of_remit_auto: float | None
    evaluated: int | None  # messages in the evaluation set


class ClassifierStatusOut(BaseModel):
    """The classifier intake serves now, and why the newest training was not published."""

    id: int | None  # the active model; None: no model, intake sends every report to triage
    created_at: datetime | None
    samples: int | None
    clerk_decisions: int | None  # of the samples, decisions clerks took in triage
    usable: bool  # the active model loads here (False: stored by another version)
    gate: GateOut | None  # None: nothing is dispatched without a clerk
    refused: str | None  # why the newest model, trained after the active one, is not active
    refused_at: datetime | None
