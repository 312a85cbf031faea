"""Open311 use cases: the catalogue as services (an active matter 管理事项 is a service: its code,
its name, its 大类 as `group`, its citizen categories as keywords), service definitions, and
creating requests through the one intake (`submit_report`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.core.geo import Datum
from urbanops.core.settings import get_settings
from urbanops.identity.roles import Actor
from urbanops.open311 import params
from urbanops.open311.formats import local_text
from urbanops.open311.schemas import (
    FORMATS,
    SPECIFICATION,
    Attribute,
    AttributeValue,
    CheckedAttributes,
    CreatedRequest,
    Discovery,
    Endpoint,
    NewRequest,
    Service,
    ServiceDefinition,
)
from urbanops.reports.photos import media_refs
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import IntakeResult, submit_report

# when this interface last changed (sortable); bump it with any change of the documents
CHANGESET = "2026-11-21T00:00:00+08:00"
ADDRESS_MAX = 256
FUTURE_TOLERANCE = timedelta(minutes=10)

ADDRESS_DETAIL, OCCURRED_AT, DATUM = "address_detail", "occurred_at", "datum"
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        variable=True,
        code=ADDRESS_DETAIL,
        datatype="string",
        required=False,
        datatype_description="门牌号、楼栋、路口等，最多 256 字 / street number, building, crossing",
        order=1,
        description="详细地址 / address details",
    ),
    Attribute(
        variable=True,
        code=OCCURRED_AT,
        datatype="datetime",
        required=False,
        datatype_description="W3C 日期时间，须带时区，例如 2026-03-02T10:00:00+08:00",
        order=2,
        description="发现时间 / when the problem was seen",
    ),
    Attribute(
        variable=True,
        code=DATUM,
        datatype="singlevaluelist",
        required=False,
        datatype_description="lat/long 所用坐标系，默认 WGS-84（GeoReport 标准）/ datum of lat and long, WGS-84 by default",
        order=3,
        description="坐标系 / coordinate datum",
        values=[
            AttributeValue("wgs84", "WGS-84（GPS，默认）"),
            AttributeValue("gcj02", "GCJ-02（高德、腾讯、微信地图）"),
            AttributeValue("bd09", "BD-09（百度地图）"),
        ],
    ),
)

POST_NOTICES = {
    "dispatched": "已受理并派遣至{unit}，案件编号 {number} / accepted and dispatched to {unit} as case {number}",
    "triage": "已收到，案件编号 {number}，待指挥中心受理 / received as case {number}; awaiting the command centre",
    "joined": (
        "附近已有相同问题的案件 {number}，您的上报已并入该案件 / "
        "joined the existing case {number} for the same problem nearby"
    ),
    "replayed": "重复提交：案件编号 {number} / repeated submission of case {number}",
}

# --- discovery and services -------------------------------------------------------------------------


def discovery(base_url: str) -> Discovery:
    url = base_url.rstrip("/") + "/open311/v2/"
    cfg = get_settings().open311
    return Discovery(
        changeset=CHANGESET,
        contact=cfg.contact,
        key_service=cfg.key_service,
        endpoints=[Endpoint(SPECIFICATION, url, CHANGESET, cfg.endpoint_type, list(FORMATS))],
    )


def services(session: Session) -> list[Service]:
    snap = catalogue.snapshot(session)
    categories: dict[str, list[str]] = {}
    for category in snap.categories.values():
        for code in category.matters:
            categories.setdefault(code, []).append(category.name_zh)
    out = []
    for matter in sorted(snap.matters.values(), key=lambda m: m.code):
        keywords = [matter.class_name, *categories.get(matter.code, [])]
        out.append(
            Service(
                service_code=matter.code,
                service_name=matter.name,
                description=f"{matter.class_name}：{matter.name}（管理事项 {matter.code}）",
                metadata=bool(ATTRIBUTES),
                type="realtime",
                keywords=",".join(k for k in dict.fromkeys(keywords) if k),
                group=matter.class_name,
            )
        )
    return out


def definition(session: Session, service_code: str) -> ServiceDefinition:
    if service_code not in catalogue.snapshot(session).matters:
        raise NotFound(
            f"服务代码“{service_code}”不存在",
            code="open311_unknown_service",
            message_en=f"unknown service_code {service_code!r}",
        )
    return ServiceDefinition(service_code=service_code, attributes=list(ATTRIBUTES))


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
