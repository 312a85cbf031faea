"""Case API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from urbanops.cases.workflow import RATING_SCALE
from urbanops.core.types import IntId, Line, Text


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    status: str
    status_label: str = ""
    source: str
    matter_code: str | None
    category_code: str | None
    description: str
    address: str
    lat: float
    lon: float
    town_code: str | None
    community_code: str | None
    grid_cell_code: str | None
    unit_id: int | None
    reported_at: datetime
    dispatched_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    stage: str | None
    due_at: datetime | None
    deadline_unknown: bool
    deadline_provisional: bool = False  # on weekdays alone: the year is not yet published
    overdue: bool
    escalation_level: int
    merged_into_id: int | None
    supporters: int
    rating: int | None
    # the remit decision at intake: the model's probability that the text is urban management,
    # and the channel it suspected when it thought not (「疑似非城管事项」)
    in_remit: float | None
    suspected_channel: str | None
    channel_code: str | None  # the channel the case was referred to (转办)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    action_label: str = ""
    from_status: str | None
    to_status: str
    actor_kind: str
    actor_label: str
    note: str
    data: dict[str, Any]
    attachments: list[Any]
    # submit_result: which of `attachments` show the spot before the work (the rest: after)
    before_photos: list[str] = []
    public: bool


class PendingExtensionOut(BaseModel):
    """An extension request awaiting the dispatcher's decision."""

    model_config = ConfigDict(from_attributes=True)

    amount: float
    unit: str
    reason: str
    requested_at: datetime


class CaseDetail(CaseOut):
    rating_comment: str | None = None
    pending_extension: PendingExtensionOut | None = None
    matter_name: str | None = None
    town_name: str | None = None
    unit_name: str | None = None
    suspected_channel_name_zh: str | None = None
    suspected_channel_name_en: str | None = None
    channel_name_zh: str | None = None
    channel_name_en: str | None = None
    allowed_actions: list[str] = []
    # the case's point in the datums of Chinese map apps (高德: gcj02, 百度: bd09), [lat, lon],
    # for navigation links; `lat`/`lon` are WGS-84
    map_points: dict[str, tuple[float, float]] = {}
    timeline: list[EventOut] = []


class CandidateOut(CaseOut):
    """A case another may be merged into, and how far it is from that one."""

    distance_m: float
    matter_name: str | None = None


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    # above 10,000 matching cases the total is the planner's estimate, not a count
    total_is_estimate: bool = False
    page: int  # 1 for the first page, one more for each cursor followed
    page_size: int
    next_cursor: str | None = None  # pass as `cursor` for the next page; None on the last


class CaseCounts(BaseModel):
    total: int
    total_is_estimate: bool = Field(description="some finished statuses' counts are estimates")
    by_status: dict[str, int] = Field(description="exact for open statuses")
    estimated_statuses: list[str] = Field(
        description="finished statuses (closed, void …) above 10,000: estimated, not counted"
    )
    by_town: dict[str, int] = Field(description="open cases by town (exact)")
    overdue_by_town: dict[str, int] = Field(description="overdue cases by town (exact)")
    overdue: int
    due_soon: int = Field(description="deadline within 24 h and not yet overdue")


class MapCell(BaseModel):
    h3: str
    lat: float
    lon: float
    count: int
    overdue: int


class MapPoint(BaseModel):
    id: int
    number: str
    lat: float
    lon: float
    status: str
    overdue: bool
    matter_name: str | None


class CaseMapOut(BaseModel):
    kind: Literal["cells", "points"]
    resolution: int | None = Field(description="h3 resolution of the cells; None for points")
    cells: list[MapCell]
    points: list[MapPoint]
    capped: bool = Field(description="more cases lie in the box than `limit` points shown")
    limit: int


class ActionIn(BaseModel):
    """Body of a workflow action; each action reads the fields it needs."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field(default="", max_length=2000)
    reason: Text = Field(default="", max_length=2000)
    unit_id: IntId | None = None
    matter_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    into_number: str | None = Field(
        default=None, pattern=r"^[0-9]{6,20}$", description="案件编号 of the case to merge into"
    )
    rating: int | None = Field(default=None, ge=RATING_SCALE[0], le=RATING_SCALE[1])
    comment: Text = Field(default="", max_length=1000)
    amount: float | None = Field(default=None, gt=0, le=10000)
    unit: Line | None = Field(default=None, max_length=16)
    channel: Line | None = Field(default=None, max_length=16, description="a channel's code")
    reply: Text = Field(default="", max_length=2000)
    photos: list[Annotated[Line, Field(max_length=2048)]] = Field(
        default_factory=list,
        max_length=9,
        description="ids of photos uploaded with POST /api/v1/photos (or by the citizen); "
        "on submit_result, the photos after the work",
    )
    before_photos: list[Annotated[Line, Field(max_length=2048)]] = Field(
        default_factory=list,
        max_length=9,
        description="submit_result: ids of photos of the spot before the work",
    )


class CaseReportOut(BaseModel):
    """A report of a case as staff see it: the reporter's phone masked."""

    id: int
    source: str
    submitted_at: datetime
    description: str
    is_supporter: bool
    reporter_name: str
    phone_masked: str
    citizen_id: int | None
    media: list[str]


class SplitOut(BaseModel):
    case_id: int
    case_number: str
    status: str
    unit_id: int | None
