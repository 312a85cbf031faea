"""Open311's one write: creating a service request through the one intake (`submit_report`),
after checking its `attribute[code]` values against the service definition
(`urbanops.open311.definition`). Everything GET answers is in `urbanops.open311.queries`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput
from urbanops.core.geo import Datum
from urbanops.identity.roles import Actor
from urbanops.open311 import params
from urbanops.open311.definition import ADDRESS_DETAIL, ADDRESS_MAX, ATTRIBUTES, DATUM, OCCURRED_AT
from urbanops.open311.formats import local_text
from urbanops.open311.queries import definition
from urbanops.open311.schemas import Attribute, CheckedAttributes, CreatedRequest, NewRequest
from urbanops.reports.photos import media_refs
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import IntakeResult, submit_report

FUTURE_TOLERANCE = timedelta(minutes=10)

POST_NOTICES = {
    "dispatched": "已受理并派遣至{unit}，案件编号 {number} / accepted and dispatched to {unit} as case {number}",
    "triage": "已收到，案件编号 {number}，待指挥中心受理 / received as case {number}; awaiting the command centre",
    "joined": (
        "附近已有相同问题的案件 {number}，您的上报已并入该案件 / "
        "joined the existing case {number} for the same problem nearby"
    ),
    "replayed": "重复提交：案件编号 {number} / repeated submission of case {number}",
}

# --- creating a request ---------------------------------------------------------------------------


def _bad_attribute(code: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        f"属性 {code}：{zh}",
        code="open311_bad_attribute",
        message_en=f"attribute {code}: {en}",
        extra={"field": f"attribute[{code}]"},
    )


def _check_value(attribute: Attribute, value: str, now: datetime) -> Any:
    code = attribute.code
    match attribute.datatype:
        case "number":
            try:
                return params.number(f"attribute[{code}]", value)
            except InvalidInput:
                raise _bad_attribute(code, "须为数字", "must be a number") from None
        case "datetime":
            moment = params.w3c_datetime(f"attribute[{code}]", value)
            if moment > now + FUTURE_TOLERANCE:
                raise _bad_attribute(code, "不能晚于当前时间", "may not lie in the future")
            return moment
        case "singlevaluelist" | "multivaluelist":
            keys = [v.key for v in attribute.values]
            key = value.lower().replace("-", "").replace("_", "")
            if key not in keys:
                raise _bad_attribute(
                    code,
                    f"取值“{value}”无效，可选 {'、'.join(keys)}",
                    f"invalid value {value!r}: use one of {', '.join(keys)}",
                )
            return key
        case "string":
            if len(value) > ADDRESS_MAX or "\n" in value:
                raise _bad_attribute(
                    code,
                    f"须为单行文字，最多 {ADDRESS_MAX} 字",
                    f"must be one line of at most {ADDRESS_MAX} characters",
                )
            return value
        case _:
            return value


def check_attributes(raw: Mapping[str, Sequence[str]], now: datetime) -> CheckedAttributes:
    """The `attribute[code]` values of a POST, against the service definition."""
    known = {a.code: a for a in ATTRIBUTES}
    for code in raw:
        if code not in known:
            raise _bad_attribute(
                code,
                f"未定义的属性，可用 {'、'.join(known)}",
                f"unknown attribute; defined: {', '.join(known)}",
            )
    values: dict[str, Any] = {}
    for code, attribute in known.items():
        given = list(raw.get(code, ()))
        if not given:
            if attribute.required:
                raise _bad_attribute(code, "必须填写", "is required")
            continue
        if attribute.datatype != "multivaluelist" and len(given) > 1:
            raise _bad_attribute(code, "只能有一个值", "takes a single value")
        checked = [_check_value(attribute, value, now) for value in given]
        values[code] = checked if attribute.datatype == "multivaluelist" else checked[0]
    return CheckedAttributes(
        address_detail=values.get(ADDRESS_DETAIL, ""),
        occurred_at=values.get(OCCURRED_AT),
        datum=Datum(values.get(DATUM, Datum.wgs84)),
    )


def _report_in(new: NewRequest, attrs: CheckedAttributes) -> ReportIn:
    description = new.description
    if attrs.occurred_at is not None:
        seen = f"发现时间：{local_text(attrs.occurred_at)}"
        description = f"{description}\n{seen}" if description else seen
        if len(description) > params.MAX_DESCRIPTION:
            raise InvalidInput(
                f"问题描述加发现时间超过 {params.MAX_DESCRIPTION} 字，请精简描述",
                code="open311_bad_parameter",
                message_en=f"description and occurred_at together exceed {params.MAX_DESCRIPTION} characters",
            )
    address = "；".join(a for a in (attrs.address_detail, new.address_string) if a)
    if len(address) > ADDRESS_MAX:
        raise InvalidInput(
            f"地址（address_string 与详细地址合计）不能超过 {ADDRESS_MAX} 字",
            code="open311_bad_parameter",
            message_en=f"address_string and address_detail together exceed {ADDRESS_MAX} characters",
        )
    return ReportIn(
        lat=new.lat,
        lon=new.lon,
        datum=attrs.datum,
        description=description,
        matter_code=new.service_code,
        address=address,
        media=list(new.media),
        reporter_name=new.reporter_name,
        reporter_phone=new.reporter_phone,
    )


def create_request(
    session: Session, *, actor: Actor, api_key_id: int, now: datetime, new: NewRequest
) -> CreatedRequest:
    """POST requests: one report through the common intake. A report of a problem already
    reported nearby joins that case, whose number is returned."""
    definition(session, new.service_code)
    data = _report_in(new, check_attributes(new.attributes, now))
    # this platform's photos (id or /media/ path) or links to an allow-listed https origin
    data = data.model_copy(update={"media": media_refs(session, new.media, field="media_url")})
    result = submit_report(
        session, actor=actor, now=now, data=data, source="open311", api_key_id=api_key_id
    )
    return CreatedRequest(
        service_request_id=result.case.number,
        service_notice=post_notice(result),
        account_id=new.account_id,
    )


def post_notice(result: IntakeResult) -> str:
    return POST_NOTICES[result.outcome].format(
        unit=result.unit_name or "", number=result.case.number
    )
