"""The case lifecycle: one action registry, the only description of how a case may change.

Pure: no database. For each action, `REGISTRY` says from which statuses it may be taken and the
status it leads to (the same status for event-only actions such as `urge`), who may take it,
whether it shows on the citizen timeline and Open311, who is told, its labels, and the fields it
asks for. The apply step (`cases.timeline.apply`), notifications, Open311, the citizen timeline,
the console (through `GET /api/v1/workflow`, see `cases.lifecycle`), the deadline sweep and
`docs/case-lifecycle.md` all read it. `next_status` raises `TransitionNotAllowed` before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from urbanops.core.errors import TransitionNotAllowed
from urbanops.identity.roles import Role


class CaseStatus(StrEnum):
    reported = "reported"  # 上报, in the triage queue
    accepted = "accepted"  # 受理
    registered = "registered"  # 立案
    dispatched = "dispatched"  # 派遣
    in_progress = "in_progress"  # 处置中
    returned = "returned"  # 退回 by the unit: not its remit, awaits redispatch
    parked = "parked"  # 挂账
    awaiting_verification = "awaiting_verification"  # 待核查
    closed = "closed"  # 结案
    reopened = "reopened"  # 重新打开 (citizen disputed)
    merged = "merged"  # 并案
    void = "void"  # 作废
    referred = "referred"  # 转办: not urban management, the citizen told which channel takes it


class CaseAction(StrEnum):
    accept = "accept"
    register = "register"
    dispatch = "dispatch"
    redispatch = "redispatch"
    start = "start"
    return_ = "return"
    park = "park"
    unpark = "unpark"
    submit_result = "submit_result"
    verify = "verify"
    rework = "rework"
    reopen = "reopen"
    merge = "merge"
    void = "void"
    refer = "refer"  # 转办: to the channel that takes what is not urban management
    # event-only actions
    submit = "submit"  # the report that opened the case
    rate = "rate"
    urge = "urge"
    escalate = "escalate"
    instruct = "instruct"  # 批示: a leader's written instruction on a case
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    reject_extension = "reject_extension"
    split_off = "split"  # a supporter report split off into its own case
    remind = "remind"
    mark_overdue = "mark_overdue"
    support = "support"
    recompute_deadline = "recompute_deadline"  # a holiday schedule was published (staff only)


class Stage(StrEnum):
    """The deadline stage whose clock runs in a status."""

    dispatch = "dispatch"
    handle = "handle"
    verify = "verify"


class Notify(StrEnum):
    """Who hears of an action (see `urbanops.notifications.service`)."""

    reporter = "reporter"  # the citizen who reported the case (in-app, SMS)
    unit = "unit"  # the staff of the unit the case is dispatched to
    leader = "leader"  # the leader in charge of the case (`cases.supervision`)


@dataclass(frozen=True)
class StatusSpec:
    label_zh: str
    label_en: str
    open: bool  # the case still needs work (not 结案, 并案 or 作废)
    stage: Stage | None  # whose clock runs; None: no clock


@dataclass(frozen=True)
class Field:
    """An input an action reads: its name in the request body and in the verb's signature."""

    name: str
    kind: str  # text | textarea | number | unit | matter | case | case_number | rating | photos
    # | time_unit | channel
    label_zh: str
    label_en: str
    required: bool = False
    minimum: int | None = None  # the range of a `rating` (or other whole-number) field
    maximum: int | None = None


@dataclass(frozen=True)
class ActionSpec:
    action: CaseAction
    label_zh: str
    label_en: str
    transitions: Mapping[CaseStatus, CaseStatus]  # from → to (event-only: to is from)
    roles: frozenset[Role] = frozenset()  # besides admin and the system
    citizen: bool = False  # the reporter may take it on their own case
    anyone: bool = False  # recorded for whoever's report or merge it follows: no role check
    api: bool = True  # staff may take it through POST /api/v1/cases/{id}/actions/{action}
    public: bool = True  # on the citizen timeline and Open311
    notify: frozenset[Notify] = frozenset()
    fields: tuple[Field, ...] = ()

    @property
    def event_only(self) -> bool:
        return all(a == b for a, b in self.transitions.items())

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


S, A = CaseStatus, CaseAction
_staff = frozenset  # readability below: roles that may take an action

STATUSES: Mapping[CaseStatus, StatusSpec] = {
    S.reported: StatusSpec("待受理", "Reported", True, None),
    S.accepted: StatusSpec("已受理", "Accepted", True, Stage.dispatch),
    S.registered: StatusSpec("已立案", "Registered", True, Stage.dispatch),
    S.dispatched: StatusSpec("已派遣", "Dispatched", True, Stage.handle),
    S.in_progress: StatusSpec("处置中", "In progress", True, Stage.handle),
    S.returned: StatusSpec("已退回", "Returned", True, Stage.dispatch),
    S.parked: StatusSpec("挂账", "Parked", True, None),
    S.awaiting_verification: StatusSpec("待核查", "Awaiting verification", True, Stage.verify),
    S.closed: StatusSpec("已结案", "Closed", False, None),
    S.reopened: StatusSpec("重新处置", "Reopened", True, Stage.handle),
    S.merged: StatusSpec("已并案", "Merged", False, None),
    S.void: StatusSpec("已作废", "Void", False, None),
    S.referred: StatusSpec("已转办", "Referred", False, None),
}

OPEN_STATUSES = frozenset(s for s, spec in STATUSES.items() if spec.open)
# statuses in which a stage clock runs, and so the deadline sweep climbs its ladder
CLOCKED = frozenset(s for s, spec in STATUSES.items() if spec.stage is not None)


def _stay(statuses: Iterable[CaseStatus]) -> Mapping[CaseStatus, CaseStatus]:
    """The transitions of an event-only action: allowed in `statuses`, status unchanged."""
    return {s: s for s in sorted(statuses, key=list(CaseStatus).index)}


_NOTE = Field("note", "textarea", "说明", "Note")
RATING_SCALE = (1, 5)  # the stars a case is rated with (评价)
_PHOTOS = Field("photos", "photos", "照片", "Photos")


def _reason(zh: str, en: str) -> Field:
    return Field("reason", "textarea", zh, en, required=True)


_CLERK = _staff({Role.intake_clerk, Role.shift_chief})
_DISPATCH = _staff({Role.dispatcher, Role.shift_chief})
_UNIT = _staff({Role.handler, Role.area_chief, Role.unit_manager})
_INSPECT = _staff({Role.inspector, Role.shift_chief})
_EXTENDABLE = (S.dispatched, S.in_progress, S.reopened)
_R, _U, _L = Notify.reporter, Notify.unit, Notify.leader

_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        A.accept,
        "受理",
        "Accept",
        {S.reported: S.accepted},
        _CLERK,
        fields=(Field("matter_code", "matter", "管理事项", "Matter"),),
    ),
    ActionSpec(A.register, "立案", "Register", {S.accepted: S.registered}, _CLERK),
    ActionSpec(
        A.dispatch,
        "派遣",
        "Dispatch",
        {S.registered: S.dispatched},
        _DISPATCH,
        notify=frozenset({_R, _U}),
        fields=(
            Field("unit_id", "unit", "处置单位（留空按责任矩阵）", "Unit (blank: by the matrix)"),
        ),
    ),
    ActionSpec(
        A.redispatch,
        "改派",
        "Redispatch",
        {S.dispatched: S.dispatched, S.returned: S.dispatched},
        _DISPATCH,
        notify=frozenset({_R, _U}),
        fields=(
            Field("unit_id", "unit", "处置单位（留空按责任矩阵）", "Unit (blank: by the matrix)"),
            _NOTE,
        ),
    ),
    ActionSpec(
        A.start,
        "开始处置",
        "Start work",
        {S.dispatched: S.in_progress, S.reopened: S.in_progress},
        _UNIT,
        notify=frozenset({_R}),
    ),
    ActionSpec(
        A.return_,
        "退回",
        "Return (not our remit)",
        {S.dispatched: S.returned, S.in_progress: S.returned},
        _UNIT,
        fields=(_reason("退回理由", "Reason"),),
    ),
    ActionSpec(
        A.park,
        "挂账",
        "Park",
        {S.dispatched: S.parked, S.in_progress: S.parked},
        _DISPATCH,
        notify=frozenset({_R}),
        fields=(_reason("挂账原因", "Reason"),),
    ),
    ActionSpec(
        A.unpark, "解除挂账", "Unpark", {S.parked: S.in_progress}, _DISPATCH, fields=(_NOTE,)
    ),
    ActionSpec(
        A.submit_result,
        "处置反馈",
        "Submit result",
        {S.in_progress: S.awaiting_verification},
        _UNIT,
        notify=frozenset({_R}),
        fields=(
            Field("note", "textarea", "处置情况说明", "What was done", required=True),
            Field("before_photos", "photos", "处置前照片", "Before photos"),
            Field("photos", "photos", "处置后照片", "After photos"),
        ),
    ),
    ActionSpec(
        A.verify,
        "核查通过，结案",
        "Verify and close",
        {S.awaiting_verification: S.closed},
        _INSPECT,
        notify=frozenset({_R}),
        fields=(_NOTE, _PHOTOS),
    ),
    ActionSpec(
        A.rework,
        "返工",
        "Send back for rework",
        {S.awaiting_verification: S.in_progress},
        _INSPECT,
        notify=frozenset({_R, _U}),
        fields=(_reason("返工原因", "Reason"), _PHOTOS),
    ),
    ActionSpec(
        A.reopen,
        "重新打开",
        "Reopen",
        {S.closed: S.reopened},
        _CLERK,
        citizen=True,
        notify=frozenset({_R, _U}),
        fields=(_reason("重新处置的理由", "Reason"), _PHOTOS),
    ),
    ActionSpec(
        A.merge,
        "并案",
        "Merge",
        {S.reported: S.merged, S.accepted: S.merged},
        _CLERK,
        notify=frozenset({_R}),
        fields=(
            # by its number (案件编号), as operators know it (the verb also takes an id)
            Field(
                "into_number",
                "case_number",
                "并入的案件编号",
                "Number of the case to merge into",
                required=True,
            ),
            _NOTE,
        ),
    ),
    ActionSpec(
        A.void,
        "作废",
        "Void",
        {S.reported: S.void, S.accepted: S.void, S.registered: S.void, S.returned: S.void},
        _CLERK,
        notify=frozenset({_R}),
        fields=(_reason("作废原因", "Reason"),),
    ),
    ActionSpec(
        A.refer,
        "转办",
        "Refer to another channel",
        {S.reported: S.referred, S.accepted: S.referred, S.returned: S.referred},
        _CLERK,
        notify=frozenset({_R}),
        fields=(
            Field("channel", "channel", "转办渠道", "Channel", required=True),
            Field("reply", "textarea", "答复市民", "Reply to the citizen"),
        ),
    ),
    # --- event-only actions ---
    ActionSpec(A.submit, "上报", "Reported", _stay({S.reported}), anyone=True, api=False),
    ActionSpec(
        A.rate,
        "评价",
        "Rate",
        _stay({S.closed}),
        _staff({Role.intake_clerk}),
        citizen=True,
        fields=(
            Field(
                "rating",
                "rating",
                "评分（{}–{}）".format(*RATING_SCALE),
                "Rating ({}–{})".format(*RATING_SCALE),
                required=True,
                minimum=RATING_SCALE[0],
                maximum=RATING_SCALE[1],
            ),
            Field("comment", "textarea", "评价内容", "Comment"),
        ),
    ),
    ActionSpec(
        A.urge,
        "督办",
        "Urge",
        _stay(CLOCKED),
        _staff({Role.shift_chief, Role.dispatcher, Role.leader}),
        public=False,
        notify=frozenset({_U, _L}),
        fields=(_NOTE,),
    ),
    ActionSpec(
        A.escalate,
        "提级",
        "Escalate",
        _stay(CLOCKED | {S.parked}),
        _staff({Role.shift_chief, Role.leader}),
        public=False,
        notify=frozenset({_U, _L}),
        fields=(_NOTE,),
    ),
    ActionSpec(
        A.instruct,
        "批示",
        "Instruction",
        _stay(OPEN_STATUSES),
        _staff({Role.leader}),
        public=False,
        notify=frozenset({_U}),
        fields=(Field("note", "textarea", "批示内容", "Instruction", required=True),),
    ),
    ActionSpec(
        A.remind,
        "临期提醒",
        "Deadline near",
        _stay(CLOCKED),
        api=False,
        public=False,
        notify=frozenset({_U}),
    ),
    ActionSpec(
        A.mark_overdue,
        "超期",
        "Overdue",
        _stay(CLOCKED),
        api=False,
        public=False,
        notify=frozenset({_U}),
    ),
    ActionSpec(
        A.request_extension,
        "申请延期",
        "Request an extension",
        _stay(_EXTENDABLE),
        _UNIT,
        public=False,
        fields=(
            Field("amount", "number", "延期时长", "Amount", required=True),
            Field("unit", "time_unit", "时长单位", "Unit of time"),
            _reason("延期理由", "Reason"),
        ),
    ),
    ActionSpec(
        A.approve_extension,
        "批准延期",
        "Approve the extension",
        _stay(_EXTENDABLE),
        _DISPATCH,
        notify=frozenset({_U}),
        fields=(_NOTE,),
    ),
    ActionSpec(
        A.reject_extension,
        "驳回延期",
        "Reject the extension",
        _stay(_EXTENDABLE),
        _DISPATCH,
        notify=frozenset({_U}),
        fields=(_NOTE,),
    ),
    ActionSpec(
        A.split_off,
        "拆分",
        "Split off a report",
        _stay(OPEN_STATUSES | {S.merged}),
        _CLERK,
        api=False,  # POST /api/v1/cases/{id}/reports/{report_id}/split
        public=False,
    ),
    ActionSpec(
        A.support,
        "附议",
        "Supported",
        _stay(OPEN_STATUSES),
        anyone=True,  # a report joining the case, or a case merged into it
        api=False,
        notify=frozenset({_R}),
    ),
    ActionSpec(
        A.recompute_deadline,
        "时限重算（节假日安排发布）",
        "Deadline recomputed (holiday schedule published)",
        _stay(CLOCKED),
        api=False,
        public=False,
    ),
)

REGISTRY: Mapping[CaseAction, ActionSpec] = {spec.action: spec for spec in _ACTIONS}
assert set(REGISTRY) == set(CaseAction), "every action has one entry"

# views of the registry, for readers that need only one column
STATUS_LABELS_ZH: Mapping[CaseStatus, str] = {s: spec.label_zh for s, spec in STATUSES.items()}
ACTION_LABELS_ZH: Mapping[CaseAction, str] = {a: spec.label_zh for a, spec in REGISTRY.items()}
PUBLIC_ACTIONS = frozenset(a for a, spec in REGISTRY.items() if spec.public)
API_ACTIONS = frozenset(a for a, spec in REGISTRY.items() if spec.api)
UNIT_SCOPED_ROLES = _UNIT


def next_status(status: CaseStatus, action: CaseAction) -> CaseStatus:
    """The status after `action`, or `TransitionNotAllowed` (event-only actions keep it)."""
    target = REGISTRY[action].transitions.get(status)
    if target is not None:
        return target
    raise TransitionNotAllowed(
        f"案件当前状态为“{STATUS_LABELS_ZH[status]}”，不能执行“{ACTION_LABELS_ZH[action]}”",
        message_en=f"action '{action}' is not allowed in status '{status}'",
        extra={"case_status": str(status), "action": str(action)},
    )


def allowed_actions(status: CaseStatus) -> list[CaseAction]:
    """The actions the table allows in `status`, in registry order."""
    return [a for a, spec in REGISTRY.items() if status in spec.transitions]


def stage_for(status: CaseStatus) -> Stage | None:
    """Which deadline stage runs in a status (None: no clock runs)."""
    return STATUSES[status].stage


def label(action: str) -> str:
    """The Chinese label of a stored action name (the name itself if it is unknown)."""
    try:
        return REGISTRY[CaseAction(action)].label_zh
    except ValueError:
        return action
