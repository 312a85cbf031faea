"""Prize routes: the citizen's catalogue, redemptions, vouchers and their QR
(`/api/v1/citizen/...`), and the rewards staff's catalogue, redemptions and fulfilment at
service stations by voucher code (`/api/v1/rewards/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from urbanops.core.types import DbId, IntId, Line, SaneDatetime, Text
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity import citizens
from urbanops.identity.deps import CitizenDep, StaffDep
from urbanops.identity.models import Citizen
from urbanops.rewards import ledger, prizes, redemption, vouchers
from urbanops.rewards.prize_models import PRIZE_KINDS, Prize, Redemption

citizen_router = APIRouter(
    prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES
)
staff_router = APIRouter(prefix="/api/v1/rewards", tags=["rewards"], responses=PROBLEM_RESPONSES)

STATUS_LABELS = {
    "requested": ("待发放", "requested"),
    "issued": ("待领取", "ready to collect"),
    "collected": ("已领取", "collected"),
    "cancelled": ("已取消", "cancelled"),
}
Kind = Literal["gift", "outing", "mystery", "phone_credit", "data", "cash_red_packet"]
assert set(Kind.__args__) == set(PRIZE_KINDS)  # type: ignore[attr-defined]
Status = Literal["requested", "issued", "collected", "cancelled"]
Points = Annotated[int, Field(ge=1, le=1_000_000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Code = Annotated[str, Path(max_length=40, description="the voucher code, as typed or scanned")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PrizeOut(BaseModel):
    id: int
    name: str
    description: str
    kind: str
    kind_label: str
    kind_label_en: str
    price_points: int
    stock: int
    per_person_limit: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    image_url: str | None
    face_value_fen: int | None


class CitizenPrizeOut(PrizeOut):
    my_redeemed: int
    my_remaining_limit: int | None  # None: no per-person limit
    affordable: bool
    open: bool  # active and within its validity now
    can_redeem: bool


class CatalogueOut(BaseModel):
    available_points: int
    prizes: list[CitizenPrizeOut]


class StaffPrizeOut(PrizeOut):
    active: bool
    low_stock_threshold: int
    low_stock: bool
    is_demo: bool
    updated_at: datetime


class PrizeIn(Strict):
    name: Annotated[Line, Field(min_length=1, max_length=60)]
    description: Annotated[Text, Field(max_length=2000)] = ""
    kind: Kind
    price_points: Points
    stock: Count
    per_person_limit: Annotated[int | None, Field(ge=1, le=10_000)] = None
    valid_from: SaneDatetime | None = None
    valid_until: SaneDatetime | None = None
    active: bool = True
    image_url: Annotated[Line | None, Field(max_length=300, pattern=r"^(https://|/)")] = None
    low_stock_threshold: Count = 0
    face_value_fen: Annotated[int | None, Field(ge=1, le=20_000)] = None


class PrizePatch(Strict):
    name: Annotated[Line | None, Field(min_length=1, max_length=60)] = None
    description: Annotated[Text | None, Field(max_length=2000)] = None
    kind: Kind | None = None
    price_points: Points | None = None
    stock: Count | None = None
    per_person_limit: Annotated[int | None, Field(ge=1, le=10_000)] = None
    valid_from: SaneDatetime | None = None
    valid_until: SaneDatetime | None = None
    active: bool | None = None
    image_url: Annotated[Line | None, Field(max_length=300, pattern=r"^(https://|/)")] = None
    low_stock_threshold: Count | None = None
    face_value_fen: Annotated[int | None, Field(ge=1, le=20_000)] = None


# fields that may be cleared (null) by a patch; the others keep their value when null
NULLABLE = {"per_person_limit", "valid_from", "valid_until", "image_url", "face_value_fen"}


class RedeemIn(Strict):
    # the WeChat openid that receives a cash red packet (the mini-program knows it)
    wechat_openid: Annotated[Line | None, Field(max_length=64)] = None


class RedemptionOut(BaseModel):
    id: int
    prize_id: int
    prize_name: str
    kind: str
    points: int
    status: str
    status_label: str
    status_label_en: str
    voucher_code: str
    created_at: datetime
    expires_at: datetime | None
    issued_at: datetime | None
    collected_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None


class CitizenRedemptionOut(RedemptionOut):
    qr_url: str | None  # the voucher's QR image while it can be collected


class StaffRedemptionOut(RedemptionOut):
    citizen_id: int
    citizen_nickname: str
    citizen_phone: str  # masked


class CancelIn(Strict):
    reason: Annotated[Line | None, Field(max_length=200)] = None


def _prize_fields(p: Prize) -> dict[str, object]:
    zh, en = prizes.KIND_LABELS[p.kind]
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "kind": p.kind,
        "kind_label": zh,
        "kind_label_en": en,
        "price_points": p.price_points,
        "stock": p.stock,
        "per_person_limit": p.per_person_limit,
        "valid_from": p.valid_from,
        "valid_until": p.valid_until,
        "image_url": p.image_url,
        "face_value_fen": p.face_value_fen,
    }


def _staff_prize(p: Prize) -> StaffPrizeOut:
    return StaffPrizeOut(
        **_prize_fields(p),
        active=p.active,
        low_stock_threshold=p.low_stock_threshold,
        low_stock=p.stock <= p.low_stock_threshold,
        is_demo=p.is_demo,
        updated_at=p.updated_at,
    )


def _redemption_fields(session: SessionDep, r: Redemption) -> dict[str, object]:
    prize = session.get(Prize, r.prize_id)
    assert prize is not None
    zh, en = STATUS_LABELS[r.status]
    return {
        "id": r.id,
        "prize_id": r.prize_id,
        "prize_name": prize.name,
        "kind": prize.kind,
        "points": r.points,
        "status": r.status,
        "status_label": zh,
        "status_label_en": en,
        "voucher_code": r.voucher_code,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "issued_at": r.issued_at,
        "collected_at": r.collected_at,
        "cancelled_at": r.cancelled_at,
        "cancelled_by": r.cancelled_by,
        "cancel_reason": r.cancel_reason,
    }


def _mine(session: SessionDep, r: Redemption) -> CitizenRedemptionOut:
    fields = _redemption_fields(session, r)
    open_voucher = r.status in ("requested", "issued") and fields["kind"] != "cash_red_packet"
    return CitizenRedemptionOut(
        **fields,
        qr_url=f"/api/v1/citizen/redemptions/{r.id}/qr.svg" if open_voucher else None,
    )


def _staff(session: SessionDep, r: Redemption) -> StaffRedemptionOut:
    person = session.get(Citizen, r.citizen_id)
    assert person is not None
    return StaffRedemptionOut(
        **_redemption_fields(session, r),
        citizen_id=person.id,
        citizen_nickname=person.nickname,
        citizen_phone=citizens.mask_phone(person.phone),
    )


# --- the citizen's -----------------------------------------------------------------------------


@citizen_router.get("/prizes", response_model=CatalogueOut)
def catalogue(session: SessionDep, now: NowDep, citizen: CitizenDep) -> CatalogueOut:
    """The prizes on offer: price, stock left, how many more I may redeem, whether I can
    afford each now."""
    items = prizes.catalogue(session, citizen_id=citizen.id, now=now)
    return CatalogueOut(
        available_points=ledger.balance_of(session, citizen.id).available,
        prizes=[
            CitizenPrizeOut(
                **_prize_fields(i.prize),
                my_redeemed=i.mine,
                my_remaining_limit=i.remaining_limit,
                affordable=i.affordable,
                open=i.open,
                can_redeem=i.open and i.affordable and i.prize.stock > 0 and i.remaining_limit != 0,
            )
            for i in items
        ],
    )


@citizen_router.post(
    "/prizes/{prize_id}/redeem", response_model=CitizenRedemptionOut, status_code=201
)
def redeem(
    session: SessionDep,
    now: NowDep,
    citizen: CitizenDep,
    response: Response,
    prize_id: Annotated[IntId, Path()],
    idempotency_key: Annotated[
        str | None,
        Header(description="required: any 1-80 visible ASCII characters, the same on a retry"),
    ] = None,
    body: RedeemIn | None = None,
) -> CitizenRedemptionOut:
    """Redeem one: 201 with the voucher, 200 with the same voucher for a repeated
    `Idempotency-Key`; 409 when out of stock, over the limit or short of points."""
    result = redemption.redeem_reward(
        session,
        actor=citizens.citizen_actor(citizen),
        now=now,
        prize_id=prize_id,
        idempotency_key=idempotency_key,
        openid=body.wechat_openid if body else None,
    )
    if result.replayed:
        response.status_code = 200
    return _mine(session, result.redemption)


@citizen_router.get("/redemptions", response_model=list[CitizenRedemptionOut])
def my_redemptions(session: SessionDep, citizen: CitizenDep) -> list[CitizenRedemptionOut]:
    """My redemptions and vouchers, newest first."""
    return [_mine(session, r) for r in redemption.my_redemptions(session, citizen.id)]


@citizen_router.post("/redemptions/{redemption_id}/cancel", response_model=CitizenRedemptionOut)
def cancel_mine(
    session: SessionDep, now: NowDep, citizen: CitizenDep, redemption_id: DbId
) -> CitizenRedemptionOut:
    """Cancel my redemption before it is issued: the points come back."""
    r = redemption.cancel_redemption(
        session, actor=citizens.citizen_actor(citizen), now=now, redemption_id=redemption_id
    )
    return _mine(session, r)


@citizen_router.get(
    "/redemptions/{redemption_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def voucher_qr(session: SessionDep, citizen: CitizenDep, redemption_id: DbId) -> Response:
    """My voucher's code as a QR image (another's is 404)."""
    r = redemption.own_redemption(session, citizen_id=citizen.id, redemption_id=redemption_id)
    return Response(
        vouchers.qr_svg(r.voucher_code),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store"},
    )


# --- the rewards staff's -----------------------------------------------------------------------


@staff_router.get("/prizes", response_model=list[StaffPrizeOut])
def staff_prizes(session: SessionDep, actor: StaffDep) -> list[StaffPrizeOut]:
    return [_staff_prize(p) for p in prizes.staff_prizes(session, actor)]


@staff_router.post("/prizes", response_model=StaffPrizeOut, status_code=201)
def create_prize(session: SessionDep, now: NowDep, actor: StaffDep, body: PrizeIn) -> StaffPrizeOut:
    prize = prizes.create_prize(session, actor=actor, now=now, values=body.model_dump())
    return _staff_prize(prize)


@staff_router.patch("/prizes/{prize_id}", response_model=StaffPrizeOut)
def update_prize(
    session: SessionDep,
    now: NowDep,
    actor: StaffDep,
    prize_id: Annotated[IntId, Path()],
    body: PrizePatch,
) -> StaffPrizeOut:
    """Change what is given; `stock` sets what is left now."""
    changes = {
        name: getattr(body, name)
        for name in body.model_fields_set
        if getattr(body, name) is not None or name in NULLABLE
    }
    prize = prizes.update_prize(session, actor=actor, now=now, prize_id=prize_id, changes=changes)
    return _staff_prize(prize)


@staff_router.get("/redemptions", response_model=list[StaffRedemptionOut])
def staff_redemptions(
    session: SessionDep,
    actor: StaffDep,
    status: Status | None = None,
    prize_id: Annotated[IntId | None, Query()] = None,
    before_id: Annotated[DbId | None, Query(description="paging: older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[StaffRedemptionOut]:
    """Redemptions, newest first, by state and prize."""
    rows = redemption.staff_redemptions(
        session, actor=actor, status=status, prize_id=prize_id, before_id=before_id, limit=limit
    )
    return [_staff(session, r) for r in rows]


@staff_router.get("/vouchers/{code}", response_model=StaffRedemptionOut)
def find_voucher(session: SessionDep, actor: StaffDep, code: Code) -> StaffRedemptionOut:
    """A redemption by its voucher code (typed or scanned)."""
    return _staff(session, redemption.by_code(session, actor=actor, code=code))


@staff_router.post("/vouchers/{code}/issue", response_model=StaffRedemptionOut)
def issue(session: SessionDep, now: NowDep, actor: StaffDep, code: Code) -> StaffRedemptionOut:
    """The prize is ready at the station (or the phone topped up)."""
    return _staff(session, redemption.issue_voucher(session, actor=actor, now=now, code=code))


@staff_router.post("/vouchers/{code}/collect", response_model=StaffRedemptionOut)
def collect(session: SessionDep, now: NowDep, actor: StaffDep, code: Code) -> StaffRedemptionOut:
    """The citizen took the prize; a second collection is refused (409)."""
    return _staff(session, redemption.collect_voucher(session, actor=actor, now=now, code=code))


@staff_router.post("/redemptions/{redemption_id}/cancel", response_model=StaffRedemptionOut)
def staff_cancel(
    session: SessionDep,
    now: NowDep,
    actor: StaffDep,
    redemption_id: DbId,
    body: CancelIn | None = None,
) -> StaffRedemptionOut:
    """Cancel a redemption not yet collected: stock and points come back."""
    r = redemption.cancel_redemption(
        session,
        actor=actor,
        now=now,
        redemption_id=redemption_id,
        reason=body.reason if body else None,
    )
    return _staff(session, r)
