"""Case, its timeline (`CaseEvent`) and extension requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.cases.workflow import OPEN_STATUSES, CaseStatus
from urbanops.core.db import Base

STATUSES = tuple(s.value for s in CaseStatus)
SOURCES = ("citizen", "inspector", "hotline", "camera", "api", "open311", "staff", "enterprise")

case_number_seq = Sequence("case_number_seq", metadata=Base.metadata)


def number_sql(reported_at: str) -> str:
    """SQL for a case number: the local date of `reported_at` and a 6-digit sequence."""
    return (
        f"to_char({reported_at} AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')"
        " || lpad(mod(nextval('case_number_seq'), 1000000)::text, 6, '0')"
    )


NUMBER_DEFAULT = number_sql("now()")
H3_INT = "('x' || lpad(h3_cell, 16, '0'))::bit(64)::bigint"
OPEN_COVERED = [
    "status",
    "overdue",
    "due_at",
    "matter_code",
    "source",
    "reported_at",
    "deadline_provisional",
    "suspected_channel",
    "lat",
    "lon",
    "h3_int",
]
# the open cases (`workflow.OPEN_STATUSES`): the predicate of the console's covering index
OPEN_PREDICATE = "status IN ({})".format(
    ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES, key=lambda s: s.value))
)
# the deadline sort key: a case without a deadline sorts after every real one
DEADLINE_KEY = "coalesce(due_at, '2200-01-01 00:00:00+00'::timestamptz)"


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint(f"source IN {SOURCES}", name="source"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("escalation_level BETWEEN 0 AND 4", name="escalation_level"),
        Index("ix_case_unit_status", "unit_id", "status"),
        Index("ix_case_town_status", "town_code", "status"),
        Index("ix_case_h3_matter", "h3_cell", "matter_code"),
        # the console's list, map and counts (migration 0010): one index per sort order, each
        # ending in the id for keyset paging (`cases.listing`)
        Index("ix_case_reported_at_id", "reported_at", "id"),
        Index("ix_case_unit_reported_at_id", "unit_id", "reported_at", "id"),
        Index("ix_case_deadline_id", text(DEADLINE_KEY), "id"),
        # on `number COLLATE "C"` (byte order: prefix ranges); reflected as a plain column index
        Index("ix_case_number_c", "number"),
        Index("ix_case_status_id", "status", "id"),
        Index("ix_case_point", text("point(lon, lat)"), postgresql_using="gist"),
        # the open tenth of the cases, with every column the counts and the map read or filter
        # on: both answer from this index alone (an index-only scan), whatever the case table's size
        Index(
            "ix_case_open",
            "unit_id",
            "town_code",
            postgresql_include=OPEN_COVERED,
            postgresql_where=text(OPEN_PREDICATE),
        ),
        # the triage queue alone, which the live stream polls (cases.triage)
        Index("ix_case_triage", "id", postgresql_where=text("status = 'reported'")),
        # the open cases' positions: a map box among them alone (`cases.casemap`)
        Index(
            "ix_case_open_point",
            text("point(lon, lat)"),
            postgresql_using="gist",
            postgresql_where=text(OPEN_PREDICATE),
        ),
        # the open cases by deadline: those due within 24 h from the index alone (the counts)
        Index(
            "ix_case_open_due",
            "due_at",
            postgresql_include=["status", "overdue", "town_code", "unit_id"],
            postgresql_where=text(OPEN_PREDICATE),
        ),
    )

    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # 案件编号: set by the database; intake numbers by the report's local date (see number_sql)
    number: Mapped[str] = mapped_column(
        String(20), unique=True, server_default=text(NUMBER_DEFAULT)
    )
    status: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))
    matter_code: Mapped[str | None] = mapped_column(ForeignKey("matter.code"))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16))
    # the same cell as a 64-bit integer, for clustering by parent cell in SQL (`cases.casemap`)
    h3_int: Mapped[int] = mapped_column(BigInteger, Computed(H3_INT))
    town_code: Mapped[str | None] = mapped_column(ForeignKey("town.code"))
    community_code: Mapped[str | None] = mapped_column(ForeignKey("community.code"))
    grid_cell_code: Mapped[str | None] = mapped_column(String(15))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    reporter_citizen_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reported_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # the running deadline: which stage and when it is due (None when no clock runs)
    stage: Mapped[str | None] = mapped_column(String(10))
    stage_started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # set when a deadline could not be computed because the calendar is not yet published
    deadline_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    # set when the deadline runs into a year whose schedule is not yet published: counted on
    # weekdays alone, and recomputed when the year is published. (The database's default
    # `false` is not declared here: intake's one-statement INSERT leaves out columns with a
    # server default, and this one is set by the application.)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    # when the deadline sweep must look at this case again (the next escalation step)
    next_step_at: Mapped[datetime | None] = mapped_column(index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    park_reason: Mapped[str | None] = mapped_column(Text)
    # the remit decision at intake: the model's probability that this is an urban-management
    # matter, and the other channel it suspects when it thinks not (「疑似非城管事项」)
    in_remit: Mapped[float | None] = mapped_column(Float)
    suspected_channel: Mapped[str | None] = mapped_column(ForeignKey("channel.code"))
    channel_code: Mapped[str | None] = mapped_column(ForeignKey("channel.code"))  # referred to


class CaseTally(Base):
    """How many cases changed into (n > 0) or out of (n < 0) one status, town, unit and overdue
    flag: statement triggers on `case` write one row per key a statement changed (migration
    0020), in that statement's transaction, and `cases.tally.fold` adds the rows of each key
    into one. The sum of `n` over a key is exactly the number of cases with that key, in any
    snapshot (`cases.tally`)."""

    __tablename__ = "case_tally"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(24))
    town_code: Mapped[str | None] = mapped_column(String(9))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    overdue: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(BigInteger)


class CaseMapTally(Base):
    """The open cases' changes per res-7 h3 cell (`cell`: the top bits of `h3_int`, shifted
    right by 24), town and overdue flag, with the sums of their positions: written by the same
    triggers as `CaseTally` (migration 0023) and folded with it. The console's map of the whole
    city adds these up by parent cell (`cases.casemap`)."""

    __tablename__ = "case_map_tally"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cell: Mapped[int] = mapped_column(BigInteger)
    town_code: Mapped[str | None] = mapped_column(String(9))
    overdue: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(BigInteger)
    lat_sum: Mapped[float] = mapped_column(Float)
    lon_sum: Mapped[float] = mapped_column(Float)
    # the envelope of the cases the row adds (None for a removal; migration 0024)
    lat_min: Mapped[float | None] = mapped_column(Float)
    lat_max: Mapped[float | None] = mapped_column(Float)
    lon_min: Mapped[float | None] = mapped_column(Float)
    lon_max: Mapped[float | None] = mapped_column(Float)


class CaseEvent(Base):
    """One row per change of a case, written in the same transaction as the change."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attachments: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class ExtensionRequest(Base):
    """延期: a unit asks for more time; an approval moves the handle deadline."""

    __tablename__ = "extension_request"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime]
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class ActionRequest(Base):
    """A staff action sent with an `Idempotency-Key` header: its answer, so that the same key
    again (a phone's outbox retrying after a lost answer) gets the same answer and takes no
    second action. `key` is the caller's key qualified by who sent it."""

    __tablename__ = "action_request"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of case, action and body
    created_at: Mapped[datetime]
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ReplyTemplate(Base):
    """A reply an operator inserts into an action's note: for one matter (or every matter,
    `matter_code` None) in one status (or every status). The matter is checked against the
    catalogue when a template is written, not by a key, so that the seeded ones need no
    catalogue loaded before the migration."""

    __tablename__ = "reply_template"
    __table_args__ = (Index("ix_reply_template_matter_status", "matter_code", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_code: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[str | None] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class SavedView(Base):
    """A console operator's saved view of the case list (常用筛选): a name and the list's query
    parameters (`filters`, checked against `cases.filters` when written; never case data).
    Kept per user on the server, so that it follows the operator to another desk; `shared`
    shows it (read-only) to the others of the owner's unit."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_view_owner_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
