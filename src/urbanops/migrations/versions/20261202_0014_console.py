"""the console: reply templates per matter and status (a few seeded), and a partial index of
the triage queue that the live stream polls

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (matter_code, status, title, body): None applies to every matter / status
SEEDED = (
    (
        None,
        "reported",
        "已受理",
        "您好，您反映的问题已受理，我们将尽快安排处置单位办理，请留意后续进展。",
    ),
    (None, "registered", "派遣说明", "请按时限到场处置，处置前后各拍照上传，完成后及时反馈。"),
    (None, "dispatched", "催办", "该案件已派遣，请尽快到场处置并在时限内反馈结果。"),
    (None, "returned", "改派说明", "原处置单位反映不属其职责，已核实责任单位，现重新派遣。"),
    (None, "awaiting_verification", "核查说明", "处置结果已反馈，请监督员到现场核查并拍照。"),
    ("06042", None, "垃圾满溢", "请环卫作业单位 2 小时内清运满溢垃圾，并清洗周边地面。"),
    ("06036", None, "乱堆杂物", "请责任单位通知当事人限期清理杂物；逾期未清理的依法处理。"),
)


def upgrade() -> None:
    table = op.create_table(
        "reply_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(5)),
        sa.Column("status", sa.String(24)),
        sa.Column("title", sa.String(60), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_template")),
    )
    op.create_index("ix_reply_template_matter_status", "reply_template", ["matter_code", "status"])
    now = datetime(2026, 12, 2, tzinfo=UTC)
    op.bulk_insert(
        table,
        [
            {"matter_code": m, "status": s, "title": t, "body": b, "created_at": now}
            for m, s, t, b in SEEDED
        ],
    )
    op.create_index(
        "ix_case_triage", "case", ["id"], postgresql_where=sa.text("status = 'reported'")
    )


def downgrade() -> None:
    op.drop_index("ix_case_triage", table_name="case")
    op.drop_index("ix_reply_template_matter_status", table_name="reply_template")
    op.drop_table("reply_template")
