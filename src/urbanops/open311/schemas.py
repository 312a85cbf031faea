"""Open311 GeoReport v2 documents, field by field in the order of the spec (XML element order
follows the field order), and the parsed inputs of the endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from urbanops.core.geo import Datum

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]


# --- output ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


@dataclass(frozen=True)
class Discovery:
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


@dataclass(frozen=True)
class Service:
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    # options of the list datatypes (empty for the others)
    values: list[AttributeValue] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceDefinition:
    service_code: str
    attributes: list[Attribute]


@dataclass(frozen=True)
class CreatedRequest:
    service_request_id: str
    service_notice: str
    account_id: str | None


@dataclass(frozen=True)
class ServiceRequest:
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


@dataclass(frozen=True)
class RequestUpdate:
    """mySociety extension; `external_status_code` carries our own detailed status."""

    update_id: str
    service_request_id: str
    status: str
    updated_datetime: str
    description: str
    media_url: str
    external_status_code: str


# --- input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A range of datetimes, both ends included."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class RequestQuery:
    """GET requests: `ids` (case numbers) overrides every other filter."""

    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    window: Window | None = None
    page: int = 1
    page_size: int = 1000


@dataclass(frozen=True)
class UpdateQuery:
    window: Window
    page: int = 1
    page_size: int = 1000


@dataclass(frozen=True)
class NewRequest:
    """POST requests, checked for form (types, lengths); the service checks the rest."""

    service_code: str
    lat: float
    lon: float
    description: str = ""
    address_string: str = ""
    media: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    email: str = ""
    device_id: str = ""
    account_id: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""


@dataclass(frozen=True)
class CheckedAttributes:
    """The values of a request's attributes after checking them against the definition."""

    address_detail: str = ""
    occurred_at: datetime | None = None
    datum: Datum = Datum.wgs84
