"""Input types that carry the database's limits, for every request schema and parameter.

Text reaching PostgreSQL may not hold NUL (`\\x00`) and UTF-8 cannot carry lone surrogates;
integers must fit their column (`bigint`, `integer`); timestamps must lie in a sane window. A
bad value is refused at the boundary with a 422 that names the field, never found later as a
database error (500). Use the types with `Field(max_length=n)` matching the column's
`String(n)`::

    note: Text = Field(default="", max_length=2000)          # multi-line: \\n \\r \\t allowed
    town_code: Annotated[Line | None, Query(max_length=9)] = None   # one line, no controls
    case_id: DbId                                            # a bigint id, 1 .. 2**63-1
    unit_id: IntId | None = None                             # an integer id, 1 .. 2**31-1

The checks are plain functions too (`check_line`, `check_text`, `check_datetime`) for
parameters read by hand (Open311).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1
SMALLINT_MAX = 2**15 - 1

# the window of datetimes the platform accepts (both ends are far from what PostgreSQL and
# Python can hold, so arithmetic of a few months either way never overflows)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# C0 controls, DEL, C1 controls and lone surrogates (JSON may carry "\ud800"; UTF-8 cannot)
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_ERROR = "control_character"


def _control_error(found: str) -> PydanticCustomError:
    return PydanticCustomError(
        CONTROL_ERROR,
        "must not contain control characters (found U+{code})",
        {"code": f"{ord(found):04X}"},
    )


def has_control(value: str, *, multiline: bool = False) -> bool:
    """Whether `value` holds a character the platform refuses in text (see module doc)."""
    return (_CONTROL_TEXT if multiline else _CONTROL_LINE).search(value) is not None


def check_line(value: str) -> str:
    """A single line: no control character at all (tabs and newlines included)."""
    found = _CONTROL_LINE.search(value)
    if found is not None:
        raise _control_error(found.group())
    return value


def check_text(value: str) -> str:
    """Multi-line text: newlines, carriage returns and tabs allowed, other controls not."""
    found = _CONTROL_TEXT.search(value)
    if found is not None:
        raise _control_error(found.group())
    return value


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def in_window(value: datetime) -> bool:
    """Whether `value` (naive: UTC) lies in EARLIEST .. LATEST. The year is looked at first:
    comparing an aware datetime near year 1 or 9999 would overflow."""
    if not EARLIEST.year - 1 <= value.year <= LATEST.year:
        return False
    return EARLIEST <= _as_utc(value) <= LATEST


def check_datetime(value: datetime) -> datetime:
    """Timezone-aware (naive values are taken as UTC) and within EARLIEST .. LATEST."""
    if not in_window(value):
        raise PydanticCustomError(
            "datetime_out_of_range",
            "must lie between {earliest} and {latest}",
            {"earliest": EARLIEST.date().isoformat(), "latest": LATEST.date().isoformat()},
        )
    return _as_utc(value)


Line = Annotated[str, AfterValidator(check_line)]
"""One line of text (names, codes, keys, addresses): no control characters."""

Text = Annotated[str, AfterValidator(check_text)]
"""Multi-line text (descriptions, notes, reasons): `\\n`, `\\r` and `\\t` allowed."""

DbId = Annotated[int, Ge(1), Le(BIGINT_MAX)]
"""The id of a row in a `bigint` primary key (cases, reports, citizens)."""

IntId = Annotated[int, Ge(1), Le(INTEGER_MAX)]
"""The id of a row in an `integer` primary key (units, users, API keys)."""

SaneDatetime = Annotated[
    datetime,
    AfterValidator(check_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": f"ISO 8601, between {EARLIEST.date()} and {LATEST.date()}; "
            "without a time zone it is taken as UTC",
        }
    ),
]
"""A timestamp in the platform's window; naive values are taken as UTC."""
