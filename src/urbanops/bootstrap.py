"""Getting a database ready (migrations, reference data, grid, first classifier) and the demo data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from psycopg import errors as pg_errors
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from urbanops.areas import reference as area_reference
from urbanops.areas import service as areas
from urbanops.areas.models import GridCell, Unit
from urbanops.catalogue.reference import load_catalogue
from urbanops.core.db import get_engine, is_embedded, unit_of_work
from urbanops.core.errors import Conflict
from urbanops.core.settings import get_settings
from urbanops.identity import service as identity
from urbanops.identity.models import User
from urbanops.identity.roles import Role

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def load_reference_data(session: Session, now: datetime, progress: Progress = _quiet) -> None:
    from urbanops.reports import suggest  # scikit-learn: imported only when needed

    progress("loading the catalogue (GB/T 47678.5)")
    load_catalogue(session)
    progress("loading towns, communities, units and the responsibility matrix")
    area_reference.load_areas(session)
    if session.scalar(select(func.count()).select_from(GridCell)) == 0:
        area_reference.generate_grid(
            session, get_settings().geo.grid_cell_size_m, progress=progress
        )
    if suggest.ensure_model(session, now):
        progress("trained the first report classifier from the seed corpus")
    areas.invalidate()


def prepare_database(now: datetime, progress: Progress = _quiet) -> None:
    from urbanops.core import migrate  # Alembic: kept out of the web workers (`warm_up`)

    _announce_new_embedded(progress)
    progress("applying database migrations")
    migrate.upgrade(get_engine())
    with unit_of_work() as session:
        load_reference_data(session, now, progress)


class DatabaseNotReady(Conflict):
    default_code = "database_not_ready"


def _announce_new_embedded(progress: Progress) -> None:
    settings = get_settings()
    pgdata = settings.home / "pgdata"
    if is_embedded(settings) and not (pgdata / "PG_VERSION").exists():
        progress(f"creating the embedded PostgreSQL under {pgdata} (first run)")


def _database_state(engine: Engine) -> tuple[frozenset[str], bool]:
    """The database's migration revisions and whether its reference data is loaded, in one
    query (no revisions: never migrated). The reference data is loaded in one transaction,
    so towns stand for all of it."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT version_num, EXISTS (SELECT FROM town) FROM alembic_version")
            ).all()
    except ProgrammingError as exc:
        if isinstance(exc.orig, pg_errors.UndefinedTable):
            return frozenset(), False
        raise
    return frozenset(str(r[0]) for r in rows), any(bool(r[1]) for r in rows)


def ensure_database(now: datetime, progress: Progress = _quiet) -> None:
    """Make sure the database is migrated and holds the reference data (one query when it does).

    The embedded database is prepared here (first run, or after an upgrade brought new
    migrations); an external server (`URBANOPS_DATABASE_URL`) that is not ready is refused with
    what to run, since migrating a shared server is its operator's decision.
    """
    from alembic.script import ScriptDirectory

    from urbanops.core import migrate

    _announce_new_embedded(progress)
    engine = get_engine()
    revisions, loaded = _database_state(engine)
    script = ScriptDirectory.from_config(migrate.alembic_config())
    heads = frozenset(script.get_heads())
    if revisions == heads and loaded:
        return
    known = {s.revision for s in script.walk_revisions()}
    unknown = sorted(revisions - known)
    if unknown:
        raise DatabaseNotReady(
            f"数据库的迁移版本 {', '.join(unknown)} 比当前程序新，请升级 UrbanOps",
            message_en=(
                f"the database is at revision {', '.join(unknown)}, newer than this version "
                "of UrbanOps knows: upgrade UrbanOps"
            ),
        )
    if is_embedded():
        progress("the embedded database is not prepared yet: preparing it")
        prepare_database(now, progress)
        return
    where = engine.url.render_as_string(hide_password=True)
    raise DatabaseNotReady(
        f"数据库 {where} 尚未迁移或缺少基础数据，请先运行 `urbanops migrate`",
        message_en=(
            f"the database {where} is not migrated or has no reference data: "
            "run `urbanops migrate` first"
        ),
    )


DEMO_PASSWORD = "Demo@2026"  # meets the password policy (identity.policy)
DEMO_USERS: list[tuple[str, str, list[Role], str | None]] = [
    ("admin", "系统管理员", [Role.admin, Role.reveal_phone], None),
    ("clerk", "受理员 李敏", [Role.intake_clerk], None),
    ("chief", "值班长 陈强", [Role.shift_chief, Role.reveal_phone], None),
    ("dispatcher", "派遣员 黄丽", [Role.dispatcher], None),
    ("inspector", "监督员 张伟", [Role.inspector], None),
    ("leader", "分管领导 王涛", [Role.leader], None),
    ("dongcheng", "东城分局 处置员 刘洋", [Role.handler], "branch_441900003"),
    ("dongcheng_mgr", "东城分局 负责人 赵静", [Role.unit_manager], "branch_441900003"),
    ("dongcheng_pz", "东城分局 片长 孙悦", [Role.area_chief], "branch_441900003"),
    ("humen", "虎门分局 处置员 周杰", [Role.handler], "branch_441900121"),
    ("humen_mgr", "虎门分局 负责人 林芳", [Role.unit_manager], "branch_441900121"),
    ("municipal", "市政公用事务中心 处置员 吴磊", [Role.handler], "dept_municipal"),
    ("rewards", "积分管理员 何琳", [Role.rewards_clerk], None),
]

# (lat, lon, text, category): points inside Dongguan's towns (WGS-84)
DEMO_REPORTS: list[tuple[float, float, str, str | None]] = [
    (23.0187, 113.7924, "东城这边人行道上的井盖松动，踩上去会翘起来", "manhole"),
    (23.0159, 113.7796, "东城路边路灯一整排都不亮，晚上好黑", "public_lighting"),
    (22.9787, 113.7226, "南城有人在人行道摆摊卖水果，行人要走机动车道", "street_vending"),
    (22.8191, 113.6968, "虎门镇广场旁边垃圾桶满了好几天没人清理，好臭", None),
    (22.9195, 113.6956, "厚街镇凌晨两点还在施工打桩，吵到睡不着", "night_construction_noise"),
    (22.8006, 114.0719, "塘厦镇有人在楼顶加建铁皮房", "illegal_building"),
    (23.0406, 113.6903, "万江街道路边有人乱倒建筑垃圾", None),
    (22.9050, 113.9615, "大朗镇巷子口一堆共享单车倒在地上堵住路", "street_order"),
]


def load_demo(now: datetime, progress: Progress = _quiet) -> bool:
    """Demo users and cases; False when already loaded."""
    from urbanops.reports.schemas import ReportIn
    from urbanops.reports.service import submit_report
    from urbanops.rewards.demo_points import load_demo_points
    from urbanops.rewards.demo_prizes import load_demo_prizes

    with unit_of_work() as session:
        if session.scalar(select(User.id).where(User.username == "admin")) is not None:
            # demo data of an earlier version: add the demo accounts and prizes it lacks
            added = _create_demo_users(session)
            if added:
                progress(f"added demo accounts: {', '.join(sorted(added))}")
                _give_patches(session, added)
            if prizes := load_demo_prizes(session, now):
                progress(f"added {prizes} demo prizes")
            return False
        progress("creating demo users")
        users = _create_demo_users(session)
        progress("adding demo service stations")
        load_demo_stations(session)
        load_demo_prizes(session, now)
        progress("adding the demo campaign month (points, titles)")
        from urbanops.rewards.demo_campaign import load_demo_campaign

        load_demo_campaign(session, now, identity.actor_for_user(users["rewards"]))
        progress("demo citizens with points")
        load_demo_points(session, now)
        progress("submitting demo reports")
        clerk = identity.actor_for_user(users["clerk"])
        for i, (lat, lon, text, category) in enumerate(DEMO_REPORTS):
            submit_report(
                session,
                actor=clerk,
                now=now - timedelta(hours=len(DEMO_REPORTS) - i),
                data=ReportIn(
                    lat=lat,
                    lon=lon,
                    description=text,
                    category_code=category,
                    reporter_name="演示市民",
                ),
                source="staff",
            )
        _give_patches(session, users)
    return True


def _create_demo_users(session: Session) -> dict[str, User]:
    """The demo accounts that do not exist yet, created."""
    unit_ids = dict(session.execute(select(Unit.code, Unit.id)).all())
    existing = set(session.scalars(select(User.username)).all())
    users = {}
    for username, name, roles, unit in DEMO_USERS:
        if username in existing:
            continue
        users[username] = identity.create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            display_name=name,
            roles=roles,
            unit_id=unit_ids[unit] if unit else None,
        )
    return users


def _give_patches(session: Session, users: dict[str, User]) -> None:
    """Each demo area chief's patch: the grid cells of their town the demo reports fell in and
    the cells around them (Dongguan's communities come without outlines, so cases carry a grid
    cell but no community)."""
    from urbanops.cases.models import Case

    for user in users.values():
        if Role.area_chief not in user.roles or user.unit_id is None:
            continue
        town = session.scalar(select(Unit.town_code).where(Unit.id == user.unit_id))
        reported = session.execute(select(Case.lat, Case.lon).where(Case.town_code == town))
        index = areas.area_index(session)
        cells: set[str] = set()
        step = 0.005  # about 500 m: the cell of each report and the eight around it
        for lat, lon in reported:
            for dlat in (-step, 0, step):
                for dlon in (-step, 0, step):
                    where = index.locate(lat + dlat, lon + dlon)
                    if where is not None and where.grid_cell_code and where.town_code == town:
                        cells.add(where.grid_cell_code)
        user.grid_cells = sorted(cells)
    session.flush()


def demo_logins() -> list[tuple[str, str, str]]:
    return [(u, DEMO_PASSWORD, n) for u, n, _, _ in DEMO_USERS]


def demo_accounts(session: Session) -> list[dict[str, object]]:
    """The demo accounts as they are in the database: one object per account with its main
    role, every role, the password, its unit's code and that unit's town (None for city-wide
    accounts and departments), and an area chief's communities."""
    from urbanops.identity.roles import ROLE_LABELS

    usernames = [u for u, _, _, _ in DEMO_USERS]
    rows = session.execute(
        select(User, Unit.code, Unit.town_code)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.username.in_(usernames))
    ).all()
    found = {user.username: (user, unit, town) for user, unit, town in rows}
    out: list[dict[str, object]] = []
    for username, _, roles, _ in DEMO_USERS:
        if username not in found:
            continue
        user, unit_code, town_code = found[username]
        out.append(
            {
                "role": str(roles[0]),
                "role_label": ROLE_LABELS[roles[0]][0],
                "roles": list(user.roles),
                "username": username,
                "password": DEMO_PASSWORD,
                "name": user.display_name,
                "unit_code": unit_code,
                "town_code": town_code,
                "communities": list(user.communities or ()),
                "grid_cells": list(user.grid_cells or ()),
            }
        )
    return out


def warm_up() -> None:
    """Load the in-memory reference data before the first request needs it."""
    from urbanops.cases.clock import working_calendar
    from urbanops.catalogue import service as catalogue
    from urbanops.reports import suggest

    with unit_of_work() as session:
        areas.area_index(session)
        areas.responsible_unit(session, "441900003", "06010")
        catalogue.snapshot(session)
        working_calendar(session)
        suggest.active_model(session)


def load_demo_stations(session: Session) -> None:
    """Service stations for the demo, each marked as demo (is_demo) and named （演示）."""
    from urbanops.areas.models import ServiceStation
    from urbanops.core.resources import read_csv

    for row in read_csv("service_stations_demo.csv"):
        session.add(
            ServiceStation(
                name=row["name"],
                town_code=row["town_code"],
                address=row["address"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                amenities=row["amenities"].split(),
                opening_hours=row["opening_hours"],
                is_demo=True,
            )
        )
    session.flush()
