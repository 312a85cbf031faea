"""The input types carry the database's limits: no control characters, ids within their
column, datetimes within the platform's window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, Field, ValidationError

from urbanops.core.types import (
    BIGINT_MAX,
    INTEGER_MAX,
    DbId,
    IntId,
    Line,
    SaneDatetime,
    Text,
    has_control,
)


class Sample(BaseModel):
    line: Line = Field(default="", max_length=10)
    text: Text = Field(default="", max_length=10)
    big: DbId | None = None
    small: IntId | None = None
    at: SaneDatetime | None = None


def error_type(**fields: object) -> str:
    """The error of `fields` sent as JSON (ASCII-escaped, as a client may: "\\ud800")."""
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(json.loads(json.dumps(fields)))  # as FastAPI reads a body
    return str(caught.value.errors()[0]["type"])


@pytest.mark.parametrize("bad", ["a\x00", "\t", "a\nb", "\x7f", "\x85"])
def test_a_line_refuses_control_characters(bad: str) -> None:
    assert error_type(line=bad) == "control_character"


def test_lone_surrogates_are_refused() -> None:
    # pydantic refuses them in a Python str itself; the types' own check is for hand-read input
    assert error_type(line="\ud800") == "string_unicode"
    assert error_type(text="\udfff") == "string_unicode"
    assert has_control("a\ud800") and has_control("\udfff", multiline=True)


def test_text_allows_newlines_and_tabs_but_no_other_control() -> None:
    assert Sample(text="a\r\n\tb").text == "a\r\n\tb"
    assert error_type(text="a\x00b") == "control_character"
    assert error_type(text="\x1b[31m") == "control_character"
    assert Sample(line="市民 ✓").line == "市民 ✓"


def test_lengths_still_apply() -> None:
    assert error_type(line="x" * 11) == "string_too_long"


def test_ids_fit_their_columns() -> None:
    assert Sample(big=BIGINT_MAX, small=INTEGER_MAX).big == BIGINT_MAX
    assert error_type(big=BIGINT_MAX + 1) == "less_than_equal"
    assert error_type(small=INTEGER_MAX + 1) == "less_than_equal"
    assert error_type(big=0) == "greater_than_equal"
    assert error_type(small=1.5) == "int_from_float"


def test_datetimes_lie_in_the_window_and_naive_ones_are_utc() -> None:
    assert Sample(at="2026-03-02T10:00:00").at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    plus8 = timezone(timedelta(hours=8))
    assert Sample(at="2026-03-02T10:00:00+08:00").at == datetime(2026, 3, 2, 10, tzinfo=plus8)
    for far in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59Z"):
        assert error_type(at=far) == "datetime_out_of_range"
