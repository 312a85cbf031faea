"""Admin routes for the city's reference data: units, the responsibility matrix and its
tester, matters' time limits and service stations (admins only; every other caller gets 403).
Each change is audited by the service it calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from urbanops.admin import matrix, stations, time_limits, units
from urbanops.admin.schemas import (
    LimitIn,
    LimitsIn,
    MatterLimitsOut,
    RoutingOut,
    RuleIn,
    RuleOut,
    StationIn,
    StationOut,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from urbanops.areas.models import Responsibility, ServiceStation, Unit
from urbanops.core.types import IntId, Line
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=PROBLEM_RESPONSES)


# --- units -----------------------------------------------------------------------------------


def _unit(u: Unit, rules: int = 0, staff: int = 0) -> UnitOut:
    return UnitOut(
        id=u.id,
        code=u.code,
        name=u.name,
        kind=u.kind,
        town_code=u.town_code,
        is_active=u.is_active,
        rules=rules,
        staff=staff,
    )


@router.get("/units", response_model=list[UnitOut])
def list_units(session: SessionDep, actor: StaffDep) -> list[UnitOut]:
    """Every unit, active or not, with the rules routing to it and its staff counted."""
    return [_unit(u, r, s) for u, r, s in units.list_units(session, actor=actor)]


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(session: SessionDep, actor: StaffDep, now: NowDep, body: UnitIn) -> UnitOut:
    unit = units.create_unit(
        session,
        actor=actor,
        now=now,
        code=body.code,
        name=body.name,
        kind=body.kind,
        town_code=body.town_code or None,
    )
    return _unit(unit)


@router.patch("/units/{unit_id}", response_model=UnitOut)
def update_unit(
    session: SessionDep,
    actor: StaffDep,
    now: NowDep,
    unit_id: Annotated[IntId, Path()],
    body: UnitPatch,
) -> UnitOut:
    """Change a unit's name, kind or town, or deactivate it (refused, 409, while the
    matrix routes to it)."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if changes.get("name") is None:
        changes.pop("name", None)
    if changes.get("kind") is None:
        changes.pop("kind", None)
    if "is_active" in changes and changes["is_active"] is None:
        del changes["is_active"]
    if "town_code" in changes:
        changes["town_code"] = changes["town_code"] or None
    unit = units.update_unit(session, actor=actor, now=now, unit_id=unit_id, changes=changes)
    return _unit(unit)


# --- the responsibility matrix ---------------------------------------------------------------


def _rule(r: Responsibility) -> RuleOut:
    return RuleOut(
        id=r.id,
        town_code=r.town_code,
        matter_class=r.matter_class,
        matter_code=r.matter_code,
        unit_id=r.unit_id,
    )


def _rule_in(body: RuleIn) -> matrix.Rule:
    return matrix.Rule(
        town_code=body.town_code or None,
        matter_class=body.matter_class or None,
        matter_code=body.matter_code or None,
        unit_id=body.unit_id,
    )


RuleId = Annotated[IntId, Path(description="the rule's id")]


@router.get("/responsibility", response_model=list[RuleOut])
def list_rules(session: SessionDep, actor: StaffDep) -> list[RuleOut]:
    return [_rule(r) for r in matrix.list_rules(session, actor=actor)]


@router.post("/responsibility", response_model=RuleOut, status_code=201)
def add_rule(session: SessionDep, actor: StaffDep, now: NowDep, body: RuleIn) -> RuleOut:
    return _rule(matrix.add_rule(session, actor=actor, now=now, rule=_rule_in(body)))


@router.put("/responsibility/{rule_id}", response_model=RuleOut)
def update_rule(
    session: SessionDep, actor: StaffDep, now: NowDep, rule_id: RuleId, body: RuleIn
) -> RuleOut:
    row = matrix.update_rule(session, actor=actor, now=now, rule_id=rule_id, rule=_rule_in(body))
    return _rule(row)


@router.delete("/responsibility/{rule_id}", status_code=204, response_class=Response)
def remove_rule(session: SessionDep, actor: StaffDep, now: NowDep, rule_id: RuleId) -> Response:
    matrix.remove_rule(session, actor=actor, now=now, rule_id=rule_id)
    return Response(status_code=204)


@router.get("/routing", response_model=RoutingOut)
def which_unit(
    session: SessionDep,
    actor: StaffDep,
    town_code: Annotated[Line, Query(max_length=9)],
    matter_code: Annotated[Line, Query(max_length=5)],
) -> RoutingOut:
    """Which unit intake gives `matter_code` reported in `town_code`, and the rule that decided
    (the routing function intake itself calls)."""
    answer = matrix.which_unit(session, actor=actor, town_code=town_code, matter_code=matter_code)
    return RoutingOut(
        town_code=answer.town_code,
        matter_code=answer.matter_code,
        unit_id=answer.unit_id,
        unit_name=answer.unit_name,
        rule=_rule(answer.rule) if answer.rule is not None else None,
    )


# --- time limits -----------------------------------------------------------------------------


def _limit(limit: time_limits.Limit) -> LimitIn:
    return LimitIn.model_validate({"amount": limit.amount, "unit": limit.unit})


@router.get("/time-limits", response_model=list[MatterLimitsOut])
def list_limits(session: SessionDep, actor: StaffDep) -> list[MatterLimitsOut]:
    """Every matter with its limit per stage (a stage left out has none)."""
    return [
        MatterLimitsOut(
            code=m.code,
            name=m.name,
            class_code=m.class_code,
            is_active=m.is_active,
            stages={s: _limit(lim) for s, lim in found.items()},
        )
        for m, found in time_limits.limits(session, actor=actor)
    ]


@router.put("/time-limits/{matter_code}", response_model=dict[str, LimitIn])
def set_limits(
    session: SessionDep,
    actor: StaffDep,
    now: NowDep,
    matter_code: Annotated[Line, Path(max_length=5)],
    body: LimitsIn,
) -> dict[str, LimitIn]:
    """Set a matter's limits for the stages given (null: no limit); applies to stages that
    start from now on."""
    after = time_limits.set_limits(
        session,
        actor=actor,
        now=now,
        matter_code=matter_code,
        stages={
            s: time_limits.Limit(v.amount, v.unit) if v is not None else None
            for s, v in body.stages.items()
        },
    )
    return {s: _limit(v) for s, v in after.items()}


# --- service stations ------------------------------------------------------------------------


def _station(s: ServiceStation) -> StationOut:
    return StationOut(
        id=s.id,
        name=s.name,
        town_code=s.town_code,
        address=s.address,
        lat=s.lat,
        lon=s.lon,
        amenities=list(s.amenities),
        opening_hours=s.opening_hours,
        is_demo=s.is_demo,
    )


def _station_in(body: StationIn) -> stations.StationData:
    return stations.StationData(
        name=body.name,
        address=body.address,
        opening_hours=body.opening_hours,
        amenities=body.amenities,
        lat=body.lat,
        lon=body.lon,
    )


StationId = Annotated[IntId, Path(description="the station's id")]


@router.get("/stations", response_model=list[StationOut])
def list_stations(session: SessionDep, actor: StaffDep) -> list[StationOut]:
    return [_station(s) for s in stations.list_stations(session, actor=actor)]


@router.post("/stations", response_model=StationOut, status_code=201)
def create_station(
    session: SessionDep, actor: StaffDep, now: NowDep, body: StationIn
) -> StationOut:
    """A new station; its town is the one its map point lies in."""
    row = stations.create_station(session, actor=actor, now=now, data=_station_in(body))
    return _station(row)


@router.put("/stations/{station_id}", response_model=StationOut)
def update_station(
    session: SessionDep, actor: StaffDep, now: NowDep, station_id: StationId, body: StationIn
) -> StationOut:
    row = stations.update_station(
        session, actor=actor, now=now, station_id=station_id, data=_station_in(body)
    )
    return _station(row)


@router.delete("/stations/{station_id}", status_code=204, response_class=Response)
def delete_station(
    session: SessionDep, actor: StaffDep, now: NowDep, station_id: StationId
) -> Response:
    stations.delete_station(session, actor=actor, now=now, station_id=station_id)
    return Response(status_code=204)
