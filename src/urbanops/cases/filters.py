"""The query parameters every case list shares (list, counts, map, exports), read once.

`status` may be repeated (`status=dispatched&status=in_progress`) or comma-separated. Dates
(`2026-03-01`) are days in Dongguan: `reported_to` includes its whole day; datetimes without
an offset are UTC. A parameter the lists do not know is refused (422 naming the ones they
know), so that a misspelt filter never silently shows every case.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request

from urbanops.cases.listing import CaseFilter, Sort, param_error
from urbanops.cases.models import SOURCES
from urbanops.cases.workflow import CaseStatus
from urbanops.core.types import IntId, Line, check_datetime

LOCAL = ZoneInfo("Asia/Shanghai")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILTER_PARAMS = frozenset(
    {
        "town",
        "unit",
        "matter",
        "status",
        "source",
        "overdue",
        "provisional",
        "reported_from",
        "reported_to",
        "q",
        "suspected",
    }
)


def _moment(name: str, value: str | None, *, end_of_day: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if DATE.match(value):
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            moment = datetime.combine(day, time(), LOCAL)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return check_datetime(moment)
    except ValueError:
        raise param_error(
            name,
            "invalid_date",
            f"{name} 应为 2000–2100 年间的日期（2026-03-01）或时间（2026-03-01T08:00:00+08:00）",
            f"{name} must be a date (2026-03-01) or an ISO 8601 datetime, years 2000-2100",
        ) from None


def _statuses(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        for s in (part.strip() for part in value.split(",")):
            if not s:
                continue
            if s not in CaseStatus.__members__:
                raise param_error(
                    "status",
                    "unknown_status",
                    f"未知状态“{s}”",
                    f"unknown status {s!r}",
                    allowed=sorted(CaseStatus.__members__),
                )
            if s not in out:
                out.append(s)
    return tuple(out)


def refuse_unknown(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise param_error(
            unknown[0],
            "unknown_parameter",
            f"不支持的查询参数：{'、'.join(unknown)}",
            f"unknown query parameter(s): {', '.join(unknown)}",
            allowed=sorted(allowed),
        )


def case_filter(
    town: Annotated[Line | None, Query(max_length=9, description="town code (镇街)")] = None,
    unit: Annotated[IntId | None, Query(description="unit id (处置单位)")] = None,
    matter: Annotated[Line | None, Query(max_length=5, description="matter code (事项)")] = None,
    status: Annotated[
        list[Annotated[Line, Query(max_length=300)]] | None,
        Query(description="repeatable, or comma-separated"),
    ] = None,
    source: Annotated[Line | None, Query(max_length=16)] = None,
    overdue: bool | None = None,
    provisional: Annotated[
        bool | None, Query(description="the deadline counts weekdays only (year unpublished)")
    ] = None,
    reported_from: Annotated[
        Line | None, Query(max_length=40, description="date (local day) or ISO datetime")
    ] = None,
    reported_to: Annotated[
        Line | None, Query(max_length=40, description="date (inclusive) or ISO datetime")
    ] = None,
    q: Annotated[
        Line | None,
        Query(max_length=100, description="case number (or its start), else words"),
    ] = None,
    suspected: Annotated[
        bool | None,
        Query(description="true: 疑似非城管事项, still in triage with a suspected channel"),
    ] = None,
) -> CaseFilter:
    if source is not None and source not in SOURCES:
        raise param_error(
            "source",
            "unknown_source",
            f"未知来源“{source}”",
            f"unknown source {source!r}",
            allowed=list(SOURCES),
        )
    start = _moment("reported_from", reported_from, end_of_day=False)
    end = _moment("reported_to", reported_to, end_of_day=True)
    if start and end and start >= end:
        raise param_error(
            "reported_from",
            "invalid_date_range",
            "上报时间的起点应早于终点",
            "reported_from must be before reported_to",
        )
    return CaseFilter(
        status=_statuses(status or []),
        town_code=town,
        unit_id=unit,
        matter_code=matter,
        source=source,
        overdue=overdue,
        provisional=provisional,
        reported_from=start,
        reported_to=end,
        q=q,
        suspected=suspected,
    )


FilterDep = Annotated[CaseFilter, Depends(case_filter)]
SortParam = Annotated[Sort, Query(description="sort order; `-` for descending")]
