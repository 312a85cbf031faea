"""Roles of staff and the kinds of actors that can change a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    intake_clerk = "intake_clerk"  # 受理员
    shift_chief = "shift_chief"  # 值班长
    dispatcher = "dispatcher"  # 派遣员
    handler = "handler"  # 处置人员
    area_chief = "area_chief"  # 片长
    inspector = "inspector"  # 监督员
    unit_manager = "unit_manager"  # 城管分局 / 专业部门 manager
    leader = "leader"  # 领导
    reveal_phone = "reveal_phone"  # may see personal phone numbers unmasked (logged)
    rewards_clerk = "rewards_clerk"  # 积分管理员: prizes, redemptions, points (全莞拍)


#: What the pages call each role, in Chinese and in English.
ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: ("系统管理员", "Administrator"),
    Role.intake_clerk: ("受理员", "Intake clerk"),
    Role.shift_chief: ("值班长", "Shift chief"),
    Role.dispatcher: ("派遣员", "Dispatcher"),
    Role.handler: ("处置人员", "Handler"),
    Role.area_chief: ("片长", "Area chief"),
    Role.inspector: ("监督员", "Inspector"),
    Role.unit_manager: ("单位管理员", "Unit manager"),
    Role.leader: ("领导", "Leader"),
    Role.reveal_phone: ("查看号码", "May reveal phone numbers"),
    Role.rewards_clerk: ("积分管理员", "Rewards clerk"),
}


class ActorKind(StrEnum):
    staff = "staff"
    citizen = "citizen"
    system = "system"
    api = "api"  # another system holding an API key


@dataclass(frozen=True)
class Actor:
    """Who is doing something: passed to every service as `actor`."""

    kind: ActorKind
    id: int | None = None
    label: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)
    unit_id: int | None = None
    communities: frozenset[str] = frozenset()  # an area chief's (片长) patch: communities
    grid_cells: frozenset[str] = frozenset()  # ... and grid cells

    @property
    def patch(self) -> bool:
        """Whether an area chief's patch is set (communities or grid cells)."""
        return bool(self.communities or self.grid_cells)

    def has(self, *roles: Role) -> bool:
        return (
            self.kind is ActorKind.system
            or bool(self.roles & set(roles))
            or (Role.admin in self.roles)
        )


SYSTEM = Actor(kind=ActorKind.system, label="系统")
