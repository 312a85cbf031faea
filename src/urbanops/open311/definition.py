"""The Open311 service definition every service shares: the attributes a request may carry
(address details, when the problem was seen, the datum of lat/long). Pure data: read by the
service-definition document (`queries.definition`) and by the checks of a POST
(`service.check_attributes`)."""

from __future__ import annotations

from urbanops.open311.schemas import Attribute, AttributeValue

# when this interface last changed (sortable); bump it with any change of the documents
CHANGESET = "2026-11-21T00:00:00+08:00"
ADDRESS_MAX = 256

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
