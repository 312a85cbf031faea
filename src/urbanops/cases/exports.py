"""Exports of a case list (CSV, Excel, GeoJSON) with the list's filters, sort and scope.

Rows come from a server-side cursor in batches (`yield_per`) and leave as they are read, so an
export of 100,000 cases never holds them all: CSV and GeoJSON are written chunk by chunk into
the response; Excel through openpyxl's write-only workbook, which keeps rows in a temporary
file, then the finished file is sent in chunks. An export of more than `EXPORT_LIMIT` cases is
refused before anything is sent, with the count, so that the caller narrows the filters.

Text cells that a spreadsheet would take for a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe, in CSV and Excel alike.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, literal, select, text
from sqlalchemy.orm import Session

from urbanops.areas.models import Unit
from urbanops.areas.service import town_names
from urbanops.cases.listing import CaseFilter, Sort, filtered, ordered
from urbanops.cases.models import Case
from urbanops.cases.workflow import STATUS_LABELS_ZH, CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput
from urbanops.identity.roles import Actor

EXPORT_LIMIT = 200_000
BATCH = 2_000
LOCAL = ZoneInfo("Asia/Shanghai")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SOURCE_LABELS = {
    "citizen": "市民上报",
    "inspector": "监督员上报",
    "hotline": "12345热线",
    "camera": "视频识别",
    "api": "系统接口",
    "open311": "Open311",
    "staff": "工作人员",
    "enterprise": "企业直通车",
}
HEADERS = (
    "案件编号",
    "状态",
    "来源",
    "事项编码",
    "事项名称",
    "镇街",
    "处置单位",
    "问题描述",
    "地址",
    "纬度",
    "经度",
    "上报时间",
    "派遣时间",
    "结案时间",
    "处置时限",
    "是否超期",
    "时限暂定",
    "评价",
)
COLUMNS = (
    Case.id,
    Case.number,
    Case.status,
    Case.source,
    Case.matter_code,
    Case.town_code,
    Case.unit_id,
    Case.description,
    Case.address,
    Case.lat,
    Case.lon,
    Case.reported_at,
    Case.dispatched_at,
    Case.closed_at,
    Case.due_at,
    Case.overdue,
    Case.deadline_provisional,
    Case.rating,
)


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will show as text, never evaluate."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S") if at else ""


@dataclass(frozen=True)
class Export:
    """The rows of an export, read lazily: `cells` (spreadsheets) or `features` (GeoJSON)."""

    session: Session
    where: list[ColumnElement[bool]]
    sort: Sort
    names: dict[str, dict[Any, str]]

    def rows(self) -> Iterator[Any]:
        stmt = ordered(select(*COLUMNS).where(*self.where), self.sort)
        # every row is wanted: plan the cursor for all of them (by default PostgreSQL plans a
        # cursor for its first tenth, e.g. walking the sort's index over the whole table)
        self.session.execute(text("SET LOCAL cursor_tuple_fraction = 1"))
        yield from self.session.execute(stmt.execution_options(yield_per=BATCH))

    def cells(self) -> Iterator[Sequence[str | float]]:
        towns, units, matters = self.names["towns"], self.names["units"], self.names["matters"]
        for r in self.rows():
            yield (
                r.number,
                STATUS_LABELS_ZH[CaseStatus(r.status)],
                SOURCE_LABELS.get(r.source, r.source),
                r.matter_code or "",
                neutralise(matters.get(r.matter_code, "")),
                towns.get(r.town_code, ""),
                units.get(r.unit_id, ""),
                neutralise(r.description),
                neutralise(r.address),
                r.lat,
                r.lon,
                _local(r.reported_at),
                _local(r.dispatched_at),
                _local(r.closed_at),
                _local(r.due_at),
                "是" if r.overdue else "否",
                "是" if r.deadline_provisional else "否",
                "" if r.rating is None else str(r.rating),
            )


def prepare(session: Session, actor: Actor, f: CaseFilter, sort: Sort) -> Export:
    """The export of what `actor` may read matching `f`; refused (422) above EXPORT_LIMIT."""
    where = filtered(actor, f)
    if where is None:
        where = [literal(False)]
    capped = select(literal(1)).select_from(Case).where(*where).limit(EXPORT_LIMIT + 1)
    n = session.scalar(select(func.count()).select_from(capped.subquery())) or 0
    if n > EXPORT_LIMIT:
        raise InvalidInput(
            f"一次最多导出 {EXPORT_LIMIT} 件案件，当前条件超过此数，请缩小筛选范围",
            code="export_too_large",
            message_en=f"more than {EXPORT_LIMIT} cases match: narrow the filters",
            extra={"limit": EXPORT_LIMIT},
        )
    names: dict[str, dict[Any, str]] = {
        "towns": dict(town_names(session)),
        "units": dict(session.execute(select(Unit.id, Unit.name)).tuples().all()),
        "matters": {c: m.name for c, m in catalogue.snapshot(session).matters.items()},
    }
    return Export(session, where, sort, names)


def csv_chunks(export: Export) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads it as UTF-8), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for i, row in enumerate(export.cells(), 1):
        writer.writerow(row)
        if i % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_chunks(export: Export) -> Iterator[bytes]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("案件")
    sheet.append(HEADERS)
    for row in export.cells():
        sheet.append(row)
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(1 << 16):
            yield chunk


def geojson_chunks(export: Export) -> Iterator[bytes]:
    """A FeatureCollection of points (RFC 7946: longitude first, WGS-84)."""
    towns, units, matters = export.names["towns"], export.names["units"], export.names["matters"]
    yield b'{"type":"FeatureCollection","features":['
    parts: list[str] = []
    first = True
    for r in export.rows():
        feature = {
            "type": "Feature",
            "id": r.id,
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "number": r.number,
                "status": r.status,
                "status_label": STATUS_LABELS_ZH[CaseStatus(r.status)],
                "source": r.source,
                "matter_code": r.matter_code,
                "matter_name": matters.get(r.matter_code),
                "town_code": r.town_code,
                "town_name": towns.get(r.town_code),
                "unit_id": r.unit_id,
                "unit_name": units.get(r.unit_id),
                "description": r.description,
                "address": r.address,
                "reported_at": r.reported_at.isoformat(),
                "due_at": r.due_at.isoformat() if r.due_at else None,
                "overdue": r.overdue,
            },
        }
        parts.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False))
        first = False
        if len(parts) >= BATCH:
            yield "".join(parts).encode()
            parts.clear()
    yield ("".join(parts) + "]}").encode()
