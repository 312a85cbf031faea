"""The action registry as others read it: the JSON document the front-ends fetch
(`GET /api/v1/workflow`) and the Markdown of `docs/case-lifecycle.md`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from urbanops.cases.workflow import REGISTRY, STATUSES, ActionSpec, Field
from urbanops.core.calendar import TimeUnit

# the choices of a field of kind "time_unit" (the units an extension is counted in)
TIME_UNIT_LABELS: Mapping[TimeUnit, tuple[str, str]] = {
    TimeUnit.working_days: ("工作日", "Working days"),
    TimeUnit.working_hours: ("工作小时", "Working hours"),
    TimeUnit.natural_hours: ("自然小时", "Hours"),
}


def _choices(f: Field) -> dict[str, Any]:
    """The `options` of a field with fixed choices (value and labels), for the front-ends."""
    if f.kind != "time_unit":
        return {}
    options = [
        {"value": str(u), "label_zh": zh, "label_en": en}
        for u, (zh, en) in TIME_UNIT_LABELS.items()
    ]
    return {"options": options}


def _range(f: Field) -> dict[str, Any]:
    """The `minimum` and `maximum` of a field that has them (a rating's scale)."""
    return {k: v for k, v in (("minimum", f.minimum), ("maximum", f.maximum)) if v is not None}


def workflow_document() -> dict[str, Any]:
    """The registry as JSON for the front-ends (`GET /api/v1/workflow`)."""
    return {
        "statuses": [
            {
                "code": str(s),
                "label_zh": spec.label_zh,
                "label_en": spec.label_en,
                "open": spec.open,
                "stage": str(spec.stage) if spec.stage else None,
            }
            for s, spec in STATUSES.items()
        ],
        "actions": [
            {
                "code": str(a),
                "label_zh": spec.label_zh,
                "label_en": spec.label_en,
                "transitions": {str(k): str(v) for k, v in spec.transitions.items()},
                "event_only": spec.event_only,
                "roles": sorted(str(r) for r in spec.roles),
                "citizen": spec.citizen,
                "anyone": spec.anyone,
                "api": spec.api,
                "public": spec.public,
                "notify": sorted(str(n) for n in spec.notify),
                "fields": [
                    {
                        "name": f.name,
                        "kind": f.kind,
                        "required": f.required,
                        "label_zh": f.label_zh,
                        "label_en": f.label_en,
                        **_choices(f),
                        **_range(f),
                    }
                    for f in spec.fields
                ],
            }
            for a, spec in REGISTRY.items()
        ],
    }


def render_table() -> str:
    """The registry as Markdown (docs/case-lifecycle.md is generated from it)."""
    lines = [
        "# Case lifecycle",
        "",
        "Generated from `urbanops.cases.workflow.REGISTRY`; a test fails when this file is stale.",
        "The same registry is served as JSON by `GET /api/v1/workflow`.",
        "",
        "## Statuses",
        "",
        "| status | label | open | deadline stage |",
        "|---|---|---|---|",
    ]
    for s, st in STATUSES.items():
        lines.append(
            f"| {s} | {st.label_zh} {st.label_en} | {'yes' if st.open else 'no'} "
            f"| {st.stage or '—'} |"
        )
    lines += [
        "",
        "## Actions that change the status",
        "",
        "| action | from → to | who (besides admin and the system) | public | notifies | fields |",
        "|---|---|---|---|---|---|",
    ]
    events = []
    for a, spec in REGISTRY.items():
        if spec.event_only:
            events.append(spec)
            continue
        moves = "<br>".join(f"{k} → {v}" for k, v in spec.transitions.items())
        lines.append(f"| {a} {spec.label_zh} | {moves} | {_cells(spec)} |")
    lines += [
        "",
        "## Actions that record an event without changing the status",
        "",
        "| action | allowed in | who (besides admin and the system) | public | notifies | fields |",
        "|---|---|---|---|---|---|",
    ]
    for spec in events:
        allowed = ", ".join(str(s) for s in spec.transitions)
        lines.append(f"| {spec.action} {spec.label_zh} | {allowed} | {_cells(spec)} |")
    lines += [
        "",
        "Citizens may take the actions marked “citizen” on their own cases only (reopen within",
        "the reopen window). Handlers, area chiefs and unit managers act only on cases dispatched",
        "to their unit. The deadline sweep takes `remind`, `mark_overdue`, `urge` and `escalate`",
        "as the system, in the statuses where a stage clock runs.",
        "",
    ]
    return "\n".join(lines)


def _cells(spec: ActionSpec) -> str:
    who = "anyone" if spec.anyone else ", ".join(sorted(str(r) for r in spec.roles)) or "system"
    if spec.citizen:
        who += ", citizen"
    notify = ", ".join(sorted(str(n) for n in spec.notify)) or "—"
    fields = ", ".join(f.name + ("*" if f.required else "") for f in spec.fields) or "—"
    return f"{who} | {'yes' if spec.public else 'no'} | {notify} | {fields}"
